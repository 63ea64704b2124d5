import { useState, type FormEvent } from "react";
import { useAuth, type Role } from "../api/auth";
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from "../api/queries";
import { DataTable } from "../components/DataTable";
import { ActionError, QueryView } from "../components/Status";
import type { Row } from "../lib/export";
import { text } from "../lib/rows";

const ROLES: Role[] = ["viewer", "analyst", "admin"];

/** The roles a key may have: the signed-in user's, or a lower one. */
export function rolesUpTo(role: Role): Role[] {
  return ROLES.slice(0, ROLES.indexOf(role) + 1);
}

/** A timestamp from the API as "2026-11-28 19:20 UTC"; none: "—" (never, for an expiry). */
export function formatWhen(value: string): string {
  if (!value) return "—";
  const when = new Date(value);
  return Number.isNaN(when.getTime()) ? value : `${when.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** A date from the form (YYYY-MM-DD) as the end of that day in UTC; none: the key never expires. */
export function expiryOf(date: string): string | null {
  return date ? `${date}T23:59:59Z` : null;
}

export default function ApiKeysView() {
  const { user } = useAuth();
  const keys = useApiKeys();
  const create = useCreateApiKey();
  const revoke = useRevokeApiKey();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>(user?.role ?? "viewer");
  const [expires, setExpires] = useState("");
  const [created, setCreated] = useState<Row | null>(null);
  const [copied, setCopied] = useState(false);
  const origin = globalThis.location?.origin ?? "";

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    setCopied(false);
    const key = await create.mutateAsync({ name, role, expires_at: expiryOf(expires) });
    setCreated(key);
    setName("");
    setExpires("");
  };

  const newKey = text(created ?? undefined, "api_key");
  return (
    <div className="stack">
      <h1>API keys</h1>
      <section className="panel" aria-labelledby="keys-intro">
        <h2 id="keys-intro">Keys for scripts</h2>
        <p>
          A script exchanges a key for an access token at <code>POST /auth/token</code>, then calls the API with that token for
          an hour. A key acts as you, with its own role: yours or a lower one. It is shown once, when it is made; the platform
          keeps only its hash. Revoke a key you no longer use.
        </p>
        <form className="filters" onSubmit={(e) => void submit(e).catch(() => undefined)} aria-label="New API key">
          <label className="field">
            Name
            <input name="key-name" required maxLength={100} placeholder="nightly export" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="field">
            Role
            <select name="key-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {rolesUpTo(user?.role ?? "viewer").map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            Expires (end of day, UTC; optional)
            <input name="key-expires" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={create.isPending || !name.trim()}>
            {create.isPending ? "Creating…" : "Create key"}
          </button>
        </form>
        <ActionError failed={create.isError} error={create.error} />
        {newKey && (
          <div className="notice stack" role="status" data-testid="new-api-key-panel">
            <p>
              <strong>Copy this key now: it is not shown again.</strong> Keep it like a password, for example in your script's
              environment as <code>PA_API_KEY</code>.
            </p>
            <div className="row">
              <code data-testid="new-api-key">{newKey}</code>
              <button
                type="button"
                onClick={() =>
                  void navigator.clipboard
                    ?.writeText(newKey)
                    .then(() => setCopied(true))
                    .catch(() => setCopied(false))
                }
              >
                {copied ? "Copied" : "Copy"}
              </button>
            </div>
            <pre className="small">{`TOKEN=$(curl -s ${origin}/auth/token -H 'content-type: application/json' \\
  -d "{\\"api_key\\": \\"$PA_API_KEY\\"}" | jq -r .access_token)
curl -s "${origin}/api/v1/years" -H "Authorization: Bearer $TOKEN"`}</pre>
          </div>
        )}
      </section>

      <section className="panel" aria-labelledby="keys-title">
        <h2 id="keys-title">Your keys</h2>
        <QueryView query={keys} isEmpty={(d) => d.data.length === 0} empty="No API keys yet.">
          {(data) => (
            <DataTable
              caption="API keys"
              rows={data.data}
              columns={["name", "prefix", "role", "status", "created_at", "expires_at", "last_used_at", "actions"]}
              rowKey={(key, i) => `${text(key, "id")}-${i}`}
              renderCell={(column, key) => {
                if (column === "status") return <span className={`badge ${text(key, "status")}`}>{text(key, "status")}</span>;
                if (column === "prefix") return <code>{text(key, "prefix")}</code>;
                if (column.endsWith("_at")) return column === "expires_at" && !text(key, column) ? "never" : formatWhen(text(key, column));
                if (column === "actions") {
                  if (text(key, "status") !== "active") return "";
                  return (
                    <button
                      type="button"
                      disabled={revoke.isPending}
                      aria-label={`Revoke ${text(key, "name")}`}
                      onClick={() => {
                        if (globalThis.confirm?.(`Revoke the key "${text(key, "name")}"? Scripts using it stop working.`)) {
                          revoke.mutate(text(key, "id"));
                        }
                      }}
                    >
                      Revoke
                    </button>
                  );
                }
                return undefined;
              }}
            />
          )}
        </QueryView>
        <ActionError failed={revoke.isError} error={revoke.error} />
      </section>
    </div>
  );
}
