import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { RUN_FINISHED, useIngestion } from "../api/queries";
import { ActionError, QueryView } from "./Status";
import { num, text } from "../lib/rows";
import type { Row } from "../lib/export";

const STATUS_LABEL: Record<string, string> = {
  loaded: "loaded",
  not_loaded: "not loaded",
  not_loadable: "listed (metric units)",
};

function useCatalogue() {
  return useQuery({
    queryKey: ["catalogue"],
    queryFn: async () => unwrap(await api.GET("/api/v1/catalogue")) as { data: Row[]; watch_enabled: boolean },
  });
}

function useFetchRelease() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (fileId: string) =>
      unwrap(await api.POST("/api/v1/catalogue/{file_id}/fetch", { params: { path: { file_id: fileId } } })) as Row,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["catalogue"] }),
  });
}

function fraction(run: Row | undefined): number {
  const progress = num(run, "progress") ?? 0;
  return RUN_FINISHED.includes(text(run, "status")) ? 1 : Math.min(1, Math.max(0, progress));
}

/** EPA's release files (the release catalogue), what is loaded, and a fetch button per file. */
export function CataloguePanel() {
  const catalogue = useCatalogue();
  const fetchRelease = useFetchRelease();
  const [runId, setRunId] = useState<string | null>(null);
  const [fileId, setFileId] = useState<string | null>(null);
  const run = useIngestion(runId);
  const status = text(run.data, "status");
  const progress = fraction(run.data);

  const start = async (id: string) => {
    setFileId(id);
    const created = await fetchRelease.mutateAsync(id);
    if (created.id !== undefined) setRunId(String(created.id));
  };

  return (
    <section className="panel" aria-labelledby="catalogue-title" data-testid="catalogue-panel">
      <h2 id="catalogue-title">EPA releases</h2>
      <p className="small muted">
        Every eGRID file EPA published (egrid/data/releases.csv). Fetch downloads it from EPA, keeps it and loads it through
        the queue.
      </p>
      {runId && (
        <div className="stack" aria-live="polite" data-testid="fetch-run">
          <div className="row">
            Fetch of {fileId}, run #{runId}: <span className={`badge ${status}`} data-testid="fetch-status">{status || "queued"}</span>
          </div>
          <div className="progress" role="progressbar" aria-label="Fetch progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(progress * 100)}>
            <div style={{ width: `${progress * 100}%` }} />
          </div>
          {text(run.data, "message") && <p className="small" data-testid="fetch-message">{text(run.data, "message")}</p>}
        </div>
      )}
      <ActionError failed={fetchRelease.isError} error={fetchRelease.error} prefix="Fetch refused: " />
      <QueryView query={catalogue}>
        {(data) => (
          <div className="table-wrap">
            <table className="data" data-testid="catalogue-table">
              <thead>
                <tr>
                  <th>file</th>
                  <th>data years</th>
                  <th>revision</th>
                  <th>published</th>
                  <th>here</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {data.data.map((row) => {
                  const id = text(row, "file_id");
                  const years = (row.data_years as number[] | undefined) ?? [];
                  const newer = text(row, "newer_revision");
                  const rowStatus = text(row, "status");
                  return (
                    <tr key={id} data-file-id={id}>
                      <td>
                        <a href={text(row, "url")} rel="noreferrer">{text(row, "file_name")}</a>
                      </td>
                      <td>{years.length > 3 ? `${years[0]}–${years[years.length - 1]}` : years.join(", ")}</td>
                      <td>{text(row, "revision")}</td>
                      <td>{text(row, "published")}</td>
                      <td data-testid="catalogue-status">
                        {STATUS_LABEL[rowStatus] ?? rowStatus}
                        {newer && <span className="small muted"> · newer: {newer}</span>}
                      </td>
                      <td>
                        {row.loadable === true && (
                          <button
                            type="button"
                            aria-label={`Fetch ${text(row, "file_name")}`}
                            disabled={fetchRelease.isPending}
                            onClick={() => void start(id).catch(() => undefined)}
                          >
                            Fetch
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}
