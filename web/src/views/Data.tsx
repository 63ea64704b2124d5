import { useEffect, useMemo, useState } from "react";
import { authFetch } from "../api/client";
import { errorMessage } from "../api/problem";
import { useLevelRows, type DataPath } from "../api/queries";
import { DataTable } from "../components/DataTable";
import { MultiSelect } from "../components/MultiSelect";
import { FUEL_OPTIONS, useStateOptions, useYearOptions, YearSelect } from "../components/Filters";
import { NearestYear } from "../components/NearestYear";
import { ErrorBox, Loading, QueryView } from "../components/Status";
import { downloadBlob, downloadShownRows, rowsToParquet } from "../lib/export";
import { columnLabel } from "../lib/format";
import { useUrlState } from "../lib/urlState";
import { yearsWithAny } from "../lib/years";

interface DataLevel {
  value: string;
  label: string;
  path: DataPath;
  columns: string[];
  plantFilters: boolean;
  /** The order a level opens in, when not -net_generation_mwh ("": the API's own; units carry no generation). */
  sort?: string;
}

export const DATA_LEVELS: DataLevel[] = [
  { value: "plants", label: "Plants", path: "/api/v1/plants", plantFilters: true, columns: ["plant_id_eia", "plant_name", "state", "fuel_category", "nameplate_capacity_mw", "net_generation_mwh", "co2_tons", "co2_rate_lb_per_mwh"] },
  { value: "generators", label: "Generators", path: "/api/v1/generators", plantFilters: true, columns: ["plant_id_eia", "plant_name", "state", "generator_id", "nameplate_capacity_mw", "net_generation_mwh"] },
  { value: "units", label: "Units", path: "/api/v1/units", plantFilters: true, sort: "", columns: ["plant_id_eia", "plant_name", "state", "unit_id", "co2_tons", "nox_tons", "so2_tons"] },
  { value: "state", label: "States", path: "/api/v1/regions/state", plantFilters: false, columns: ["code", "name", "net_generation_mwh", "co2_tons", "co2_rate_lb_per_mwh", "nameplate_capacity_mw"] },
  { value: "subregion", label: "eGRID subregions", path: "/api/v1/regions/subregion", plantFilters: false, columns: ["code", "name", "net_generation_mwh", "co2_tons", "co2_rate_lb_per_mwh"] },
  { value: "ba", label: "Balancing authorities", path: "/api/v1/regions/ba", plantFilters: false, columns: ["code", "name", "net_generation_mwh", "co2_tons", "co2_rate_lb_per_mwh"] },
  { value: "nerc", label: "NERC regions", path: "/api/v1/regions/nerc", plantFilters: false, columns: ["code", "name", "net_generation_mwh", "co2_tons", "co2_rate_lb_per_mwh"] },
  { value: "us", label: "US", path: "/api/v1/regions/us", plantFilters: false, sort: "", columns: ["code", "net_generation_mwh", "co2_tons", "co2_rate_lb_per_mwh"] },
];

/** The level of /years whose data a Data level lists (plants: "plant", ...). */
const DATA_LEVEL_SOURCES: Record<string, string> = { plants: "plant", generators: "generator", units: "unit" };

const SCHEMA = {
  level: "plants",
  year: "",
  state: [] as string[],
  fuel: [] as string[],
  q: "",
  sort: "",
  limit: "50",
  cursor: "",
  cols: [] as string[],
  plant_id: "",
};

/** The query a level's list endpoint gets for these params: the same for the page shown and for "all rows". */
export function listQuery(level: DataLevel, params: { year: string; state: string[]; fuel: string[]; q: string; sort: string; plant_id: string }) {
  const query: Record<string, unknown> = {};
  if (params.year) query.year = Number(params.year);
  if (level.plantFilters) {
    if (params.state.length) query.state = params.state;
    if (params.fuel.length && level.value === "plants") query.fuel = params.fuel;
    if (params.q) query.q = params.q;
    if (params.plant_id && level.value !== "plants") query.plant_id = Number(params.plant_id);
  }
  if (params.sort) query.sort = params.sort;
  return query;
}

export function toSearch(query: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const item of value) search.append(key, String(item));
    else if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  return search.toString();
}

export default function DataView() {
  const [params, setParams] = useUrlState(SCHEMA);
  const states = useStateOptions();
  const level = DATA_LEVELS.find((l) => l.value === params.level) ?? DATA_LEVELS[0]!;
  const sourceLevel = DATA_LEVEL_SOURCES[level.value] ?? level.value;
  const { years, latest, levelsByYear, isPending, error } = useYearOptions([sourceLevel]);
  const levelYears = useMemo(() => yearsWithAny(levelsByYear, [sourceLevel]), [levelsByYear, sourceLevel]);
  const year = params.year || latest || "";
  const limit = Math.min(1000, Math.max(10, Number(params.limit) || 50));
  const sort = params.sort || (level.sort ?? "-net_generation_mwh");
  const base = listQuery(level, { ...params, year, sort });
  const page = useLevelRows(level.path, { ...base, limit, ...(params.cursor ? { cursor: params.cursor } : {}) });
  const [previous, setPrevious] = useState<string[]>([]);
  const [exporting, setExporting] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const filterKey = JSON.stringify(base);
  useEffect(() => setPrevious([]), [filterKey, limit]);

  const available = useMemo(() => {
    const keys = new Set<string>();
    for (const row of page.data?.data ?? []) for (const key of Object.keys(row)) if (typeof row[key] !== "object" || row[key] === null) keys.add(key);
    return [...keys];
  }, [page.data]);
  const columns = useMemo(() => {
    const chosen = params.cols.length ? params.cols : level.columns;
    const present = chosen.filter((c) => !available.length || available.includes(c));
    return present.length ? present : available.slice(0, 8);
  }, [params.cols, level.columns, available]);

  if (isPending) return <Loading />;
  if (error) return <ErrorBox error={error} />;

  const rows = page.data?.data ?? [];
  const nextCursor = page.data?.meta.next_cursor ?? null;
  const total = page.data?.meta.total ?? page.data?.meta.count;
  const fileBase = `${level.value}-${year || "all"}`;

  const exportAll = async (format: "csv" | "ndjson" | "parquet") => {
    setExporting(format);
    setExportError(null);
    try {
      const response = await authFetch(`${level.path}?${toSearch({ ...base, format })}`);
      downloadBlob(await response.blob(), `${fileBase}-all.${format === "ndjson" ? "ndjson" : format}`);
    } catch (caught) {
      setExportError(errorMessage(caught));
    } finally {
      setExporting(null);
    }
  };
  const exportShownParquet = async () => {
    setExporting("parquet-shown");
    setExportError(null);
    try {
      const buffer = await rowsToParquet(rows, columns);
      downloadBlob(new Blob([buffer], { type: "application/vnd.apache.parquet" }), `${fileBase}-shown.parquet`);
    } catch (caught) {
      setExportError(errorMessage(caught));
    } finally {
      setExporting(null);
    }
  };

  return (
    <div className="stack">
      <h1>Data</h1>
      <section className="panel filters" aria-label="Filters">
        <label className="field">
          Level
          <select name="level" value={level.value} onChange={(e) => setParams({ level: e.target.value, cols: [], cursor: "", sort: "" })}>
            {DATA_LEVELS.map((l) => (
              <option key={l.value} value={l.value}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
        <YearSelect value={year} years={years} levelsByYear={levelsByYear} onChange={(y) => setParams({ year: y, cursor: "" })} />
        {level.plantFilters && (
          <>
            <MultiSelect name="state" label="State" options={states} value={params.state} onChange={(state) => setParams({ state, cursor: "" })} />
            {level.value === "plants" && <MultiSelect name="fuel" label="Primary fuel" options={FUEL_OPTIONS} value={params.fuel} onChange={(fuel) => setParams({ fuel, cursor: "" })} />}
            <label className="field">
              Name
              <input type="search" name="q" value={params.q} onChange={(e) => setParams({ q: e.target.value, cursor: "" }, { replace: true })} placeholder="Plant name contains" />
            </label>
          </>
        )}
        <label className="field">
          Rows per page
          <select name="limit" value={String(limit)} onChange={(e) => setParams({ limit: e.target.value, cursor: "" })}>
            {[10, 25, 50, 100, 250, 500].map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
        <MultiSelect name="cols" label="Columns" options={(available.length ? available : level.columns).map((c) => ({ value: c, label: columnLabel(c) }))} value={columns} onChange={(cols) => setParams({ cols })} />
      </section>
      <section className="panel" aria-label="Rows">
        <div className="row" style={{ marginBottom: "0.6rem" }}>
          <span className="small muted" role="status" data-testid="data-status">
            {page.isFetching ? "Loading…" : `${rows.length} rows shown${typeof total === "number" ? ` of ${total.toLocaleString("en-US")} matching` : ""}`}
          </span>
          <span className="spacer" />
          <span className="small">Export shown rows:</span>
          <button type="button" data-testid="export-shown-csv" disabled={!rows.length} onClick={() => downloadShownRows(rows, columns, "csv", `${fileBase}-shown`)}>
            CSV
          </button>
          <button type="button" disabled={!rows.length} onClick={() => downloadShownRows(rows, columns, "json", `${fileBase}-shown`)}>
            JSON
          </button>
          <button type="button" disabled={!rows.length || exporting !== null} onClick={() => void exportShownParquet()}>
            Parquet
          </button>
          <span className="small" title="Every row matching the filters, with every column, streamed by the API">All matching (all columns):</span>
          {(["csv", "ndjson", "parquet"] as const).map((format) => (
            <button key={format} type="button" data-testid={`export-all-${format}`} disabled={exporting !== null} onClick={() => void exportAll(format)}>
              {exporting === format ? "Preparing…" : format === "ndjson" ? "JSON (NDJSON)" : format.toUpperCase()}
            </button>
          ))}
        </div>
        {exportError && (
          <div className="alert" role="alert">
            Export failed: {exportError}
          </div>
        )}
        <QueryView
          query={page}
          isEmpty={(d) => d.data.length === 0}
          empty={
            year && !levelYears.includes(Number(year)) ? (
              <NearestYear
                year={year}
                what={level.label.toLowerCase()}
                candidates={levelYears}
                levelsByYear={levelsByYear}
                onYear={(y) => setParams({ year: y, cursor: "" })}
              />
            ) : (
              "No rows match these filters."
            )
          }
        >
          {() => (
            <DataTable
              caption={`${level.label} ${year}`}
              rows={rows}
              columns={columns}
              sort={sort}
              onSort={(sort) => setParams({ sort, cursor: "" })}
              rowKey={(row, i) => `${String(row.id ?? row.plant_id_eia ?? row.code ?? "")}-${i}`}
            />
          )}
        </QueryView>
        <nav className="row" aria-label="Pages" style={{ marginTop: "0.6rem" }}>
          <button
            type="button"
            disabled={!params.cursor}
            onClick={() => {
              const stack = [...previous];
              const back = stack.pop() ?? "";
              setPrevious(stack);
              setParams({ cursor: back });
            }}
          >
            ← Previous
          </button>
          <button
            type="button"
            disabled={!nextCursor}
            onClick={() => {
              setPrevious([...previous, params.cursor]);
              setParams({ cursor: nextCursor ?? "" });
            }}
          >
            Next →
          </button>
        </nav>
      </section>
    </div>
  );
}
