// The Admin page's Fetch button (issue 15), end to end in Chromium, with no internet: a local HTTP server on
// 127.0.0.1 stands in for EPA's site and serves a real eGRID file of the repository (data/egrid/st2018_2019.csv,
// the state sheets of eGRID2018 and eGRID2019) at a catalogue path. This module starts a platform of its own,
// seeded without that file, with PA_FETCH_CATALOGUE naming a small catalogue of two rows and PA_FETCH_BASE_URL
// pointing at the stand-in; e2e/run.mjs runs it after dashboard.e2e.mjs.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { launchChromium } from "./support.mjs";

const WEB = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REPO = resolve(process.env.PA_REPO ?? resolve(WEB, ".."));
const OUT = process.env.PA_E2E_OUTPUT ?? join(REPO, "test-output/e2e");
const CLI = join(REPO, ".venv/bin/plant-analytics");
const ADMIN = { email: "admin@plantanalytics.com", password: "password123" };

// The file fetched (not seeded here) and one that is (seeded, so "loaded" from the start).
const FETCHED = { id: "e2e_st2018_2019", sample: "st2018_2019.csv", years: [2018, 2019], editions: "egrid2018;egrid2019" };
const SEEDED = { id: "e2e_us2022", sample: "us2022.csv", years: [2022], editions: "egrid2022" };
const EPA_PATH = (file) => `/system/files/documents/e2e/${file}`;
// The stand-in sends the file in CHUNK-byte pieces PAUSE ms apart, so that a download takes a few seconds
// and the dashboard has progress to show (the worker writes it at most twice a second; the page polls every 0.7 s).
const CHUNK = 12 * 1024;
const PAUSE = 400;

let browser;
let platform;
let epa;
let base;
let adminToken;
let work;
const requests = [];

/** A stand-in for EPA's site: GET and HEAD with ETag and Last-Modified, Range (206), conditional requests (304). */
function startEpa(files) {
  const served = new Map(
    Object.entries(files).map(([path, content]) => [
      path,
      { content, etag: `"${createHash("sha256").update(content).digest("hex").slice(0, 20)}"`, modified: new Date(1_700_000_000_000).toUTCString() },
    ]),
  );
  const server = createServer((request, response) => {
    const path = new URL(request.url, "http://stand-in").pathname;
    requests.push({ method: request.method, path, range: request.headers.range ?? null });
    const file = served.get(path);
    if (!file) {
      response.writeHead(404, { "Content-Length": 9 }).end("not found");
      return;
    }
    if (request.headers["if-none-match"] === file.etag) {
      response.writeHead(304, { ETag: file.etag, "Content-Length": 0 }).end();
      return;
    }
    const match = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
    const start = match && (!request.headers["if-range"] || request.headers["if-range"] === file.etag) ? Number(match[1]) : 0;
    const headers = {
      "Content-Type": "text/csv",
      "Content-Length": file.content.length - start,
      "Accept-Ranges": "bytes",
      ETag: file.etag,
      "Last-Modified": file.modified,
    };
    if (start > 0) headers["Content-Range"] = `bytes ${start}-${file.content.length - 1}/${file.content.length}`;
    response.writeHead(start > 0 ? 206 : 200, headers);
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    let at = start;
    const send = () => {
      if (response.destroyed) return;
      const piece = file.content.subarray(at, at + CHUNK);
      at += piece.length;
      if (at >= file.content.length) response.end(piece);
      else response.write(piece, () => setTimeout(send, PAUSE));
    };
    send();
  });
  return new Promise((resolveServer) => server.listen(0, "127.0.0.1", () => resolveServer(server)));
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function catalogueCsv(epaBase) {
  const row = (file, published) => {
    const content = readFileSync(join(REPO, "data/egrid", file.sample));
    return [
      file.id,
      file.editions,
      file.years.join(";"),
      "",
      published,
      "data",
      file.sample,
      `https://www.epa.gov${EPA_PATH(file.sample)}`,
      String(content.length),
      createHash("sha256").update(content).digest("hex"),
      `"data/egrid/${file.sample} of this repository (data/egrid/SOURCES.md), served by the e2e stand-in for EPA at ${epaBase}"`,
    ].join(",");
  };
  return [
    "file_id,edition_ids,data_years,revision,published,kind,file_name,url,size_bytes,sha256,source",
    row(FETCHED, "2021-02"),
    row(SEEDED, "2024-01"),
    "",
  ].join("\n");
}

async function startPlatform(epaBase) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`make install\` first`);
  if (!existsSync(join(WEB, "dist/index.html"))) throw new Error("web/dist is missing: run `make web-build` first");
  work = mkdtempSync(join(tmpdir(), "pa-e2e-fetch-"));
  const samples = join(work, "samples");
  mkdirSync(samples);
  copyFileSync(join(REPO, "data/egrid", SEEDED.sample), join(samples, SEEDED.sample));
  writeFileSync(join(work, "releases.csv"), catalogueCsv(epaBase));
  const noProxy = ["127.0.0.1", "localhost", process.env.NO_PROXY ?? process.env.no_proxy].filter(Boolean).join(",");
  const env = {
    ...process.env,
    PA_DATA_DIR: join(work, "data"),
    PA_SAMPLE_DIR: samples,
    PA_ENVIRONMENT: "development",
    PA_FETCH_CATALOGUE: join(work, "releases.csv"),
    PA_FETCH_BASE_URL: epaBase,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
  };
  for (const name of ["PA_DATABASE_URL", "PA_BROKER_URL", "PA_REDIS_URL", "PA_WATCH_ENABLED"]) delete env[name];
  for (const args of [["db", "upgrade"], ["seed", "--quiet"]]) {
    const step = spawnSync(CLI, args, { env, stdio: ["ignore", "inherit", "inherit"] });
    if (step.status !== 0) throw new Error(`plant-analytics ${args.join(" ")} failed (${step.status})`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(join(OUT, "server-fetch.log"), "w");
  platform = spawn(CLI, ["serve", "--target", "all", "--port", String(port)], { env, stdio: ["ignore", log, log] });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (platform.exitCode !== null) throw new Error(`the platform exited with code ${platform.exitCode}; see ${OUT}/server-fetch.log`);
    try {
      if ((await fetch(`${url}/health`)).ok) return url;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the platform did not answer ${url}/health within 90 s`);
}

async function apiGet(path) {
  const response = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${adminToken}` } });
  assert.ok(response.ok, `GET ${path}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

async function loadedYears() {
  return (await apiGet("/api/v1/years")).data.map((row) => Number(row.data_year ?? row.year));
}

before(async () => {
  mkdirSync(OUT, { recursive: true });
  epa = await startEpa({
    [EPA_PATH(FETCHED.sample)]: readFileSync(join(REPO, "data/egrid", FETCHED.sample)),
    [EPA_PATH(SEEDED.sample)]: readFileSync(join(REPO, "data/egrid", SEEDED.sample)),
  });
  base = await startPlatform(`http://127.0.0.1:${epa.address().port}`);
  const login = await fetch(`${base}/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(ADMIN) });
  assert.equal(login.status, 200, await login.clone().text());
  adminToken = (await login.json()).access_token;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (platform && platform.exitCode === null) {
    const exited = new Promise((r) => platform.once("exit", r));
    platform.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
  await new Promise((r) => (epa ? epa.close(r) : r()));
  if (work && !process.env.PA_E2E_KEEP) rmSync(work, { recursive: true, force: true });
});

describe("fetching EPA's files from the dashboard", () => {
  it("lists the catalogue, fetches a release with live progress, loads it, and the data view serves its years", async () => {
    for (const year of FETCHED.years) assert.ok(!(await loadedYears()).includes(year), `${year} is loaded before the fetch`);
    const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
    try {
      await fetchFromTheAdminView(page);
    } catch (error) {
      await page.screenshot({ path: join(OUT, "fetch-failed.png"), fullPage: true }).catch(() => undefined);
      throw error;
    } finally {
      await context.close();
    }
  });
});

/** The admin's walk: sign in, Admin, the catalogue, Fetch, its progress, "loaded", then the Data view. */
async function fetchFromTheAdminView(page) {
  await page.goto(`${base}/login`);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("user-email").waitFor();
  await page.getByRole("link", { name: "Admin" }).click();

  const panel = page.getByTestId("catalogue-panel");
  const row = panel.locator(`tr[data-file-id='${FETCHED.id}']`);
  const status = row.getByTestId("catalogue-status");
  await status.waitFor();
  assert.equal((await status.innerText()).trim(), "not loaded");
  assert.match(await row.innerText(), /2018, 2019/);
  assert.equal((await panel.locator(`tr[data-file-id='${SEEDED.id}']`).getByTestId("catalogue-status").innerText()).trim(), "loaded");
  await row.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(OUT, "11-catalogue-before-fetch.png"), fullPage: true });

  await row.getByRole("button", { name: `Fetch ${FETCHED.sample}` }).click();
  const runStatus = panel.getByTestId("fetch-status");
  const bar = panel.getByRole("progressbar", { name: "Fetch progress" });
  await runStatus.waitFor();
  // What the page shows while the worker downloads and loads: sampled until the run ends.
  const seen = [];
  const deadline = Date.now() + 90_000;
  for (;;) {
    const shown = {
      status: (await runStatus.innerText()).trim(),
      progress: Number(await bar.getAttribute("aria-valuenow")),
      message: (await panel.getByTestId("fetch-message").count()) > 0 ? (await panel.getByTestId("fetch-message").innerText()).trim() : "",
    };
    const last = seen[seen.length - 1];
    if (!last || last.status !== shown.status || last.progress !== shown.progress || last.message !== shown.message) {
      seen.push(shown);
      if (shown.status === "running" && shown.progress > 0 && shown.progress < 100 && !seen.some((s) => s.shot)) {
        shown.shot = true;
        await page.screenshot({ path: join(OUT, "12-catalogue-fetching.png"), fullPage: true });
      }
    }
    if (["succeeded", "noop", "failed"].includes(shown.status)) break;
    assert.ok(Date.now() < deadline, `the fetch did not finish in 90 s; the page showed ${JSON.stringify(seen)}`);
    await page.waitForTimeout(150);
  }
  console.log(`fetch as the page showed it: ${seen.map((s) => `${s.status} ${s.progress}%${s.message ? ` (${s.message})` : ""}`).join(" → ")}`);
  const end = seen[seen.length - 1];
  assert.equal(end.status, "succeeded", `the fetch ended ${end.status}: ${end.message}`);
  assert.equal(end.progress, 100);
  const downloading = seen.filter((s) => s.status === "running" && /^downloading http:\/\/127\.0\.0\.1:\d+\/system\/files\/documents\/e2e\/st2018_2019\.csv: \d+ kB of 118 kB$/.test(s.message));
  assert.ok(downloading.length > 0, `no download progress was shown: ${JSON.stringify(seen)}`);
  assert.ok(
    downloading.some((s) => s.progress > 0 && s.progress < 100),
    `the progress bar never stood between 0 and 100 % while downloading: ${JSON.stringify(seen)}`,
  );
  const gets = requests.filter((r) => r.method === "GET" && r.path === EPA_PATH(FETCHED.sample));
  assert.equal(gets.length, 1, `the stand-in for EPA was asked ${JSON.stringify(requests)}`);

  await status.filter({ hasText: /^loaded$/ }).waitFor({ timeout: 15_000 });
  await page.screenshot({ path: join(OUT, "13-catalogue-loaded.png"), fullPage: true });
  const listed = (await apiGet("/api/v1/catalogue")).data.find((item) => item.file_id === FETCHED.id);
  assert.equal(listed.status, "loaded");
  assert.deepEqual(listed.loaded_years, FETCHED.years);
  assert.equal(listed.fetched.sha256, listed.sha256, "the fetched copy is the catalogue's file");

  const years = await loadedYears();
  for (const year of FETCHED.years) assert.ok(years.includes(year), `${year} is not served after the fetch: ${years}`);
  await page.goto(`${base}/data?level=state&year=2019`);
  await page.locator("select[name=year] option[value='2019']").waitFor({ state: "attached" });
  const first = page.locator("table.data tbody tr").first();
  await first.waitFor();
  const api = await apiGet("/api/v1/regions/state?year=2019&limit=1000");
  assert.ok(api.data.length > 50, `the API serves ${api.data.length} states for 2019`);
  const shownCodes = await page.locator("table.data tbody tr td:first-child").allInnerTexts();
  assert.ok(shownCodes.length > 0 && shownCodes.every((code) => api.data.some((item) => item.code === code.trim())), `the page shows ${shownCodes}`);
  await page.screenshot({ path: join(OUT, "14-data-2019-fetched.png"), fullPage: true });
}
