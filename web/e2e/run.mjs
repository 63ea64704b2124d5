#!/usr/bin/env node
// Starts a real platform on the sample data in a temporary PA_DATA_DIR, then runs the browser tests against it.
//   PA_E2E_BASE_URL=http://localhost:8000 npm run e2e   reuses a platform that is already running instead.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = process.env.PA_REPO ?? resolve(web, "..");
const cli = join(repo, ".venv/bin/plant-analytics");
const output = join(repo, "test-output/e2e");
mkdirSync(output, { recursive: true });

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

async function waitReady(base, child, seconds = 90) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the platform exited with code ${child.exitCode}; see ${output}/server.log`);
    try {
      const response = await fetch(`${base}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the platform did not answer ${base}/health within ${seconds}s`);
}

let server;
let dataDir;
let base = process.env.PA_E2E_BASE_URL;
const cleanup = () => {
  if (server && server.exitCode === null) server.kill("SIGTERM");
  if (dataDir && !process.env.PA_E2E_KEEP) rmSync(dataDir, { recursive: true, force: true });
};
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

try {
  if (!base) {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`make install\` first`);
    if (!existsSync(join(web, "dist/index.html"))) throw new Error("web/dist is missing: run `make web-build` first");
    dataDir = mkdtempSync(join(tmpdir(), "pa-e2e-"));
    const env = { ...process.env, PA_DATA_DIR: dataDir, PA_ENVIRONMENT: process.env.PA_ENVIRONMENT ?? "development" };
    for (const args of [["db", "upgrade"], ["seed"]]) {
      const step = spawnSync(cli, args, { env, stdio: ["ignore", "inherit", "inherit"] });
      if (step.status !== 0) throw new Error(`plant-analytics ${args.join(" ")} failed (${step.status})`);
    }
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const { openSync } = await import("node:fs");
    const log = openSync(join(output, "server.log"), "w");
    server = spawn(cli, ["serve", "--target", "all", "--port", String(port)], { env, stdio: ["ignore", log, log] });
    await waitReady(base, server);
  }
  const tests = spawnSync(process.execPath, ["--test", "--test-concurrency=1", "--test-reporter=spec", join(web, "e2e/dashboard.e2e.mjs"), join(web, "e2e/catalogue.e2e.mjs"), join(web, "e2e/emissions.e2e.mjs")], {
    stdio: "inherit",
    env: { ...process.env, PA_E2E_BASE_URL: base, PA_E2E_OUTPUT: output, PA_REPO: repo },
  });
  process.exitCode = tests.status ?? 1;
} catch (error) {
  console.error(`e2e: ${error.message}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
