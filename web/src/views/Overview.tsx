import { useMemo } from "react";
import { Link, useNavigate } from "react-router";
import { useAggregates, usePlants, useRegions, useStates, useTopPlants } from "../api/queries";
import { MixBars, RankedBars } from "../components/Charts";
import { DataTable } from "../components/DataTable";
import { MetricSelect, PlantFilterBar, useYearOptions } from "../components/Filters";
import { NearestYear } from "../components/NearestYear";
import { ErrorBox, Loading, QueryView } from "../components/Status";
import { downloadShownRows, type Row } from "../lib/export";
import { formatByUnit, formatCount, formatEnergy, formatPower, formatRate, formatTons } from "../lib/format";
import { fuelColor, resourceMix } from "../lib/fuels";
import { METRICS, metricOf } from "../lib/metrics";
import { num, regionCode, sum, text } from "../lib/rows";
import { useUrlState } from "../lib/urlState";
import { heldWords, yearsWithAny } from "../lib/years";
import { GradientLegend, UsMap } from "../map/UsMap";
import { STATE_NAMES } from "../map/states";

const SCHEMA = {
  year: "",
  state: [] as string[],
  fuel: [] as string[],
  subregion: [] as string[],
  ba: [] as string[],
  nerc: [] as string[],
  metric: "net_generation_mwh",
  n: "10",
  map: "net_generation_mwh",
};

export function clampN(value: string): number {
  const n = Math.round(Number(value));
  if (!Number.isFinite(n)) return 10;
  return Math.min(100, Math.max(5, n));
}

const TOP_COLUMNS = ["rank", "plant_name", "state", "fuel_category", "nameplate_capacity_mw", "net_generation_mwh", "co2_tons", "co2_rate_lb_per_mwh"];

export function OverviewView() {
  const [params, setParams] = useUrlState(SCHEMA);
  // The latest year with the figures shown: a plant sheet (the ranking, plant emissions) or state totals (the KPIs,
  // the map), not a year that holds only the generator extract or the Power Profiler's rates (issue 16).
  const { years, latest, plantYears, levelsByYear, isPending, error } = useYearOptions(OVERVIEW_LEVELS);
  const year = params.year || latest || "";
  const filters = { year, state: params.state, fuel: params.fuel, subregion: params.subregion, ba: params.ba, nerc: params.nerc };
  const metric = metricOf(params.metric);
  const mapMetric = metricOf(params.map);
  const n = clampN(params.n);
  const navigate = useNavigate();

  // Where the year's plant sheet is loaded, the ranking is /plants sorted on the metric: every column (emission
  // rates to compare with the state's) and every filter. Otherwise /plants/top sums each plant's generators
  // (it filters on state and fuel only).
  const needsPlantList = params.subregion.length + params.ba.length + params.nerc.length > 0;
  const hasPlantSheet = plantYears.includes(Number(year));
  const usePlantList = hasPlantSheet || needsPlantList;
  const topRanked = useTopPlants({ year, state: params.state, fuel: params.fuel }, metric.code, n, !usePlantList);
  const topListed = usePlants({ ...filters, sort: `-${metric.code}`, limit: n }, usePlantList && Boolean(year));
  const top = usePlantList ? topListed : topRanked;
  // Totals by state: the region sheets (or the API's fallbacks) unless a plant-level filter asks for sums of plants.
  const byPlantFilter = params.fuel.length > 0 || needsPlantList;
  const stateSheet = useRegions("state", year);
  const usSheet = useRegions("us", year);
  const aggregated = useAggregates("state", year, [...KPI_METRICS, mapMetric.code], filters, byPlantFilter);
  const byState = byPlantFilter ? aggregated : stateSheet;

  const topRows = useMemo(
    () => (top.data?.data ?? []).map((row, index) => ({ ...row, rank: index + 1 }) as Row),
    [top.data],
  );
  const columns = useMemo(() => {
    const shown = TOP_COLUMNS.filter((column) => column === "rank" || column === metric.code || topRows.some((row) => row[column] !== null && row[column] !== undefined));
    return shown.includes(metric.code) ? shown : [...shown.slice(0, 4), metric.code, ...shown.slice(4)];
  }, [topRows, metric.code]);

  // The states chosen, or the US, as the reference for rates and the resource mix.
  const referenceRows = useMemo(() => {
    if (params.state.length) return (stateSheet.data?.data ?? []).filter((row) => params.state.includes(regionCode(row)));
    return usSheet.data?.data ?? [];
  }, [params.state, stateSheet.data, usSheet.data]);
  const mixRows = useMemo(() => referenceRows.filter((row) => resourceMix(row).length > 0), [referenceRows]);
  const referenceLabel = params.state.length ? params.state.join(", ") : "US";
  const referenceRate = referenceRows.length === 1 ? num(referenceRows[0], "co2_rate_lb_per_mwh") : null;

  const stateRows = byState.data?.data ?? [];
  const stateValues = useMemo(() => {
    const values: Record<string, number> = {};
    for (const row of stateRows) {
      const value = num(row, mapMetric.code);
      const code = text(row, "state") || regionCode(row);
      if (value !== null && code) values[code] = value;
    }
    return values;
  }, [stateRows, mapMetric.code]);

  // KPIs of the selection: the chosen states, or every state (the US sheet when loaded: it includes what the
  // state rows may lack, e.g. territories).
  const kpiRows = useMemo(() => {
    if (params.state.length) return stateRows.filter((row) => params.state.includes(text(row, "state") || regionCode(row)));
    // The US sheet, when it has totals: a year may have only its rates (the Power Profiler's table).
    if (!byPlantFilter && usSheet.data?.data.some((row) => num(row, "net_generation_mwh") !== null)) return usSheet.data.data;
    return stateRows;
  }, [stateRows, params.state, byPlantFilter, usSheet.data]);
  const kpiSource = String(byState.data?.meta.source ?? "");
  const overviewYears = useMemo(() => yearsWithAny(levelsByYear, OVERVIEW_LEVELS), [levelsByYear]);
  const statesLoaded = useStates();
  // The years with plants (or generators) in every chosen state, from /states' years per level.
  const stateYears = useMemo(() => {
    if (!params.state.length) return [];
    const rows = statesLoaded.data?.data ?? [];
    const per = params.state.map((code) => {
      const row = rows.find((r) => regionCode(r) === code);
      const byLevel = (row?.years_by_level ?? {}) as Record<string, number[]>;
      return new Set([...(byLevel.plant ?? []), ...(byLevel.generator ?? [])]);
    });
    return [...(per[0] ?? [])].filter((y) => per.every((set) => set.has(y))).sort((a, b) => b - a);
  }, [params.state, statesLoaded.data]);
  const setYear = (y: string) => setParams({ year: y });

  if (isPending) return <Loading label="Loading the years available…" />;
  if (error) return <ErrorBox error={error} />;
  if (!years.length) {
    return (
      <div className="panel">
        <h1>No data loaded yet</h1>
        <p>Load eGRID files with <code>plant-analytics seed</code>, or upload one in the Admin page.</p>
      </div>
    );
  }

  return (
    <div className="stack">
      <div className="row">
        <h1 style={{ margin: 0 }}>Overview {year}</h1>
        <span className="spacer" />
        <Link to={`/data?level=plants&year=${year}${params.state.map((s) => `&state=${s}`).join("")}`}>All plants in the table view →</Link>
      </div>
      <section className="panel filters" aria-label="Filters">
        <PlantFilterBar values={{ ...filters }} years={years} levelsByYear={levelsByYear} onChange={(changes) => setParams(changes)} />
      </section>
      {year && overviewYears.length > 0 && !overviewYears.includes(Number(year)) && (
        <NearestYear
          year={year}
          what="plant or state emissions"
          candidates={overviewYears}
          levelsByYear={levelsByYear}
          onYear={setYear}
          reason={<>The data loaded for {year} holds {heldWordsOf(levelsByYear, year)}: CO₂, capacity and plant counts come from the plant and state sheets. </>}
        />
      )}

      <section className="grid kpis" aria-label="Key figures" aria-busy={byState.isPending}>
        <Kpi label="Net generation" value={formatEnergy(sum(kpiRows, "net_generation_mwh"))} sub={sourceNote(kpiSource, year)} />
        <Kpi label="CO₂ emissions" value={formatTons(sum(kpiRows, "co2_tons"))} sub={sourceNote(kpiSource, year)} />
        <Kpi label="Nameplate capacity" value={formatPower(sum(kpiRows, "nameplate_capacity_mw"))} sub={sourceNote(kpiSource, year)} />
        <Kpi
          label="Plants"
          value={formatCount(sum(kpiRows, "plant_count"))}
          sub={plantCountNote(kpiSource, year, hasPlantSheet)}
        />
      </section>

      <section className="panel" aria-labelledby="top-title">
        <div className="row" style={{ marginBottom: "0.6rem" }}>
          <h2 id="top-title" style={{ margin: 0 }}>
            Top {n} plants by {metric.label.toLowerCase()}
          </h2>
          <span className="spacer" />
          <MetricSelect label="Rank by" name="metric" value={metric.code} metrics={METRICS} onChange={(code) => setParams({ metric: code })} />
          <label className="field">
            N (5–100)
            <input name="n" type="number" min={5} max={100} step={1} value={params.n} style={{ width: "5rem" }} onChange={(e) => setParams({ n: e.target.value }, { replace: true })} onBlur={() => setParams({ n: String(n) }, { replace: true })} />
          </label>
          <button type="button" onClick={() => downloadShownRows(topRows, columns, "csv", `top-${n}-plants-${year}`)} disabled={!topRows.length}>
            Export CSV
          </button>
        </div>
        {top.data?.meta.source === "generators" && (
          <p className="notice small" role="note">
            Plant-level sheet not loaded for {year}: values are sums of each plant's generators, so plant IDs, fuels and emissions may be missing.
          </p>
        )}
        {referenceRate !== null && (
          <p className="small" data-testid="reference-rate">
            {referenceLabel} CO₂ output rate {year}: <strong>{formatRate(referenceRate)}</strong> (region sheet). Plants above it emit more per MWh than the {referenceLabel} average.
          </p>
        )}
        <QueryView
          query={top}
          isEmpty={(d) => d.data.length === 0}
          empty={
            params.state.length && stateYears.length && !stateYears.includes(Number(year)) ? (
              <NearestYear
                year={year}
                what={`plants in ${params.state.join(", ")}`}
                candidates={stateYears}
                onYear={setYear}
                reason={<>The {year} data loaded has no plant or generator in {params.state.join(", ")}. </>}
              />
            ) : (
              "No plants match these filters for this year."
            )
          }
          loading="Ranking plants…"
        >
          {() => (
            // The table needs about 1,080px for its eight columns, more than two thirds of the page at any width:
            // the chart goes under it rather than squeezing it into a horizontal scroll.
            <div className="stack">
              <DataTable
                caption={`Top ${n} plants`}
                rows={topRows}
                columns={columns}
                rowKey={(row, i) => `${text(row, "plant_id_eia") || text(row, "plant_name")}-${i}`}
                renderCell={(column, row) => {
                  if (column === "plant_name" && num(row, "plant_id_eia") !== null) {
                    return <Link to={`/plants/${num(row, "plant_id_eia")}?year=${year}`}>{text(row, "plant_name")}</Link>;
                  }
                  if (column === "co2_rate_lb_per_mwh" && referenceRate !== null && num(row, column) !== null) {
                    const above = num(row, column)! > referenceRate;
                    return (
                      <span title={above ? `above the ${referenceLabel} rate` : `below the ${referenceLabel} rate`}>
                        {formatRate(num(row, column))} {above ? "▲" : "▼"}
                      </span>
                    );
                  }
                  return undefined;
                }}
              />
              <RankedBars
                title={`Top ${n} plants by ${metric.label}`}
                items={topRows.map((row, i) => ({ key: `${i}`, label: text(row, "plant_name"), value: num(row, metric.code) ?? 0 }))}
                format={(v) => formatByUnit(v, metric.unit)}
                onSelect={(key) => {
                  const id = num(topRows[Number(key)], "plant_id_eia");
                  if (id !== null) navigate(`/plants/${id}?year=${year}`);
                }}
                reference={metric.code === "co2_rate_lb_per_mwh" && referenceRate !== null ? { value: referenceRate, label: `${referenceLabel} rate` } : undefined}
              />
            </div>
          )}
        </QueryView>
      </section>

      <div className="grid two">
        <section className="panel" aria-labelledby="map-title">
          <div className="row" style={{ marginBottom: "0.5rem" }}>
            <h2 id="map-title" style={{ margin: 0 }}>
              States by {mapMetric.label.toLowerCase()}
            </h2>
            <span className="spacer" />
            <MetricSelect label="Shade by" name="map" value={mapMetric.code} metrics={METRICS} onChange={(code) => setParams({ map: code })} />
          </div>
          <QueryView query={byState} loading="Summing plants by state…">
            {() => (
              <UsMap
                title={`US states shaded by ${mapMetric.label}, ${year}`}
                stateValues={stateValues}
                formatValue={(v) => formatByUnit(v, mapMetric.unit)}
                selectedState={params.state.length === 1 ? params.state[0] : null}
                onSelectState={(abbr) => setParams({ state: params.state.length === 1 && params.state[0] === abbr ? [] : [abbr] })}
                legend={<GradientLegend values={Object.values(stateValues)} format={(v) => formatByUnit(v, mapMetric.unit)} label={`${mapMetric.label} (${mapMetric.unit}); click a state to filter`} />}
              />
            )}
          </QueryView>
        </section>
        <section className="panel" aria-labelledby="mix-title">
          <h2 id="mix-title">Resource mix (share of net generation)</h2>
          {stateSheet.isPending || usSheet.isPending ? (
            <Loading />
          ) : mixRows.length === 0 ? (
            <p className="muted">
              No resource mix for {referenceLabel} in {year}: it comes from the state and US sheets, and none with fuel shares is loaded for that year.
            </p>
          ) : (
            <MixBars
              title={`Resource mix, ${referenceLabel}, ${year}`}
              rows={mixRows.map((row) => ({ ...(row as Record<string, number | string>), key: regionCode(row) || "US", label: STATE_NAMES[regionCode(row)] ?? (regionCode(row) || "US") }))}
            />
          )}
          <FuelLegendNote />
        </section>
      </div>
    </div>
  );
}

const KPI_METRICS = ["net_generation_mwh", "co2_tons", "nameplate_capacity_mw"];
const OVERVIEW_LEVELS = ["plant", "state"];

function heldWordsOf(levelsByYear: Record<number, string[]>, year: string): string {
  return heldWords(levelsByYear[Number(year)]);
}

function sourceNote(source: string, year: string): string | undefined {
  if (source === "region_sheet") return `eGRID ${year} state and US sheets`;
  if (source === "plants") return `sum of plants, eGRID ${year}`;
  if (source === "generators") return `sum of generators, eGRID ${year}`;
  return undefined;
}

/** Where the plant count comes from, or why there is none. */
export function plantCountNote(source: string, year: string, hasPlantSheet: boolean): string | undefined {
  if (!hasPlantSheet) return `no plant sheet loaded for ${year}: generators are not plants`;
  if (source === "region_sheet") return "not in the state and US sheets: filter by fuel or region to count plants";
  return sourceNote(source, year);
}

function Kpi({ label, value, sub }: { label: string; value: string; sub?: string }) {
  return (
    <div className="panel kpi">
      <div className="label">{label}</div>
      <div className="value" data-testid={`kpi-${label}`}>
        {value}
      </div>
      {sub && <div className="sub">{sub}</div>}
    </div>
  );
}

function FuelLegendNote() {
  return (
    <p className="small muted">
      Colours follow the Okabe-Ito palette, readable with colour-vision deficiencies; coal is <span style={{ color: fuelColor("COAL") }}>black</span>, wind{" "}
      <span style={{ color: fuelColor("WIND") }}>sky blue</span>, solar <span style={{ background: "#333", color: fuelColor("SOLAR") }}>yellow</span>.
    </p>
  );
}
