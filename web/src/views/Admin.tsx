import { useState, type FormEvent } from "react";
import { RUN_FINISHED, useCreateUser, useIngestion, useIngestions, useUpload, useUsers, useYears } from "../api/queries";
import { CataloguePanel } from "../components/CatalogueFetch";
import { DataTable } from "../components/DataTable";
import { ActionError, QueryView } from "../components/Status";
import { formatCount } from "../lib/format";
import { num, text } from "../lib/rows";
import type { Row } from "../lib/export";

const DONE = RUN_FINISHED;

/** Row counts sit at the top of a run or under its `counts`. */
function count(run: Row | undefined, key: string): number | null {
  return num(run, key) ?? num((run?.counts ?? undefined) as Row | undefined, key);
}

export function runProgress(run: Row | undefined): number {
  const progress = num(run, "progress") ?? 0;
  const fraction = progress > 1 ? progress / 100 : progress;
  return DONE.includes(text(run, "status")) ? 1 : Math.min(1, Math.max(0, fraction));
}

export default function AdminView() {
  return (
    <div className="stack">
      <h1>Admin</h1>
      <div className="grid two">
        <UploadPanel />
        <UsersPanel />
      </div>
      <RunsPanel />
      <ReleasesPanel />
      <CataloguePanel />
    </div>
  );
}

function UploadPanel() {
  const [file, setFile] = useState<File | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const upload = useUpload();
  const run = useIngestion(runId);
  const status = text(run.data, "status");
  const progress = runProgress(run.data);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    const created = await upload.mutateAsync(file);
    const id = created.id ?? created.run_id ?? (created.data as Row | undefined)?.id;
    if (id !== undefined) setRunId(String(id));
  };

  return (
    <section className="panel" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload an eGRID file</h2>
      <form onSubmit={(e) => void submit(e).catch(() => undefined)} className="stack">
        <label className="field">
          eGRID workbook (.xlsx) or sheet (.csv)
          <input type="file" name="file" accept=".xlsx,.xls,.csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <div>
          <button type="submit" className="primary" disabled={!file || upload.isPending}>
            {upload.isPending ? "Uploading…" : "Upload and ingest"}
          </button>
        </div>
      </form>
      <ActionError failed={upload.isError} error={upload.error} prefix="Upload refused: " />
      {runId && (
        <div className="stack" style={{ marginTop: "0.8rem" }} aria-live="polite" data-testid="upload-run">
          <div className="row">
            Run #{runId}: <span className={`badge ${status}`} data-testid="upload-status">{status || "queued"}</span>
            <span className="small muted">
              {formatCount(count(run.data, "rows_loaded"))} rows loaded · {formatCount(count(run.data, "rows_rejected"))} rejected
            </span>
          </div>
          <div className="progress" role="progressbar" aria-label="Ingestion progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(progress * 100)}>
            <div style={{ width: `${progress * 100}%` }} />
          </div>
          {text(run.data, "message") && <p className="small">{text(run.data, "message")}</p>}
          <RunErrors run={run.data} />
        </div>
      )}
    </section>
  );
}

function RunErrors({ run }: { run: Row | undefined }) {
  const errors = (run?.errors ?? []) as unknown;
  const list = Array.isArray(errors) ? (errors as unknown[]) : [];
  if (!list.length) return null;
  return (
    <details open={list.length <= 5}>
      <summary>{list.length} error(s)</summary>
      <ul className="small">
        {list.slice(0, 50).map((error, i) => (
          <li key={i}>{typeof error === "string" ? error : text(error as Row, "reason") || text(error as Row, "message") || JSON.stringify(error)}</li>
        ))}
      </ul>
    </details>
  );
}

function RunsPanel() {
  const runs = useIngestions(false);
  const anyRunning = (runs.data?.data ?? []).some((run) => !DONE.includes(text(run, "status")));
  useIngestions(anyRunning); // polls only while a run is in flight
  return (
    <section className="panel" aria-labelledby="runs-title">
      <h2 id="runs-title">Ingestion runs</h2>
      <QueryView query={runs} isEmpty={(d) => d.data.length === 0} empty="No ingestion runs yet.">
        {(data) => (
          <DataTable
            caption="Ingestion runs"
            rows={data.data.map((run) => ({ ...run, rows_loaded: count(run, "rows_loaded"), rows_rejected: count(run, "rows_rejected"), error_count: Array.isArray(run.errors) ? run.errors.length : (run.error_count ?? 0) }))}
            columns={["id", "file_name", "status", "progress", "rows_loaded", "rows_rejected", "error_count", "requested_by", "created_at", "finished_at", "message"].filter((c) => c.startsWith("rows_") || c === "error_count" || data.data.some((run) => c in run))}
            rowKey={(run, i) => `${text(run, "id")}-${i}`}
            renderCell={(column, run) => {
              if (column === "status") return <span className={`badge ${text(run, "status")}`}>{text(run, "status")}</span>;
              if (column === "progress") return `${Math.round(runProgress(run) * 100)}%`;
              if (column === "rows_loaded" || column === "rows_rejected" || column === "error_count") return formatCount(num(run, column));
              return undefined;
            }}
          />
        )}
      </QueryView>
    </section>
  );
}

function ReleasesPanel() {
  const years = useYears();
  return (
    <section className="panel" aria-labelledby="releases-title">
      <h2 id="releases-title">Releases loaded</h2>
      <QueryView query={years} isEmpty={(d) => d.data.length === 0} empty="No data loaded.">
        {(data) => {
          const rows = data.data.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : typeof v === "object" && v !== null ? JSON.stringify(v) : v])));
          const columns = Object.keys(rows[0] ?? {});
          return <DataTable caption="Releases loaded" rows={rows} columns={columns} rowKey={(_, i) => String(i)} />;
        }}
      </QueryView>
    </section>
  );
}

function UsersPanel() {
  const users = useUsers();
  const create = useCreateUser();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState("analyst");
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await create.mutateAsync({ email, password, role });
    setEmail("");
    setPassword("");
  };
  return (
    <section className="panel" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <QueryView query={users} isEmpty={(d) => d.data.length === 0} empty="No users.">
        {(data) => (
          <DataTable caption="Users" rows={data.data} columns={["email", "role", "is_active", "created_at"].filter((c) => data.data.some((u) => c in u))} rowKey={(u, i) => `${text(u, "id")}-${i}`} />
        )}
      </QueryView>
      <h3 style={{ marginTop: "1rem" }}>Add a user</h3>
      <form className="filters" onSubmit={(e) => void submit(e).catch(() => undefined)}>
        <label className="field">
          Email
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} name="new-email" />
        </label>
        <label className="field">
          Password
          <input type="password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} name="new-password" autoComplete="new-password" />
        </label>
        <label className="field">
          Role
          <select value={role} onChange={(e) => setRole(e.target.value)} name="new-role">
            <option value="viewer">viewer</option>
            <option value="analyst">analyst</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Add
        </button>
      </form>
      <ActionError failed={create.isError} error={create.error} />
      {create.isSuccess && <p className="small" role="status">User added.</p>}
    </section>
  );
}
