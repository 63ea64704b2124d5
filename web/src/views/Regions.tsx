import { useMemo } from "react";
import { LEVELS, useAllPlants, useRegions, useTrend, type Level } from "../api/queries";
import { MixBars, RankedBars, TrendChart, type TrendSeries } from "../components/Charts";
import { MetricSelect, useYearOptions, YearSelect } from "../components/Filters";
import { ApiError } from "../api/problem";
import { NearestYear } from "../components/NearestYear";
import { ErrorBox, Loading, QueryView } from "../components/Status";
import { formatByUnit } from "../lib/format";
import { METRICS, metricOf } from "../lib/metrics";
import { num, regionCode, regionName, text } from "../lib/rows";
import { useUrlState } from "../lib/urlState";
import { yearsWithAny } from "../lib/years";
import { choroplethScale, GradientLegend, UsMap, type MapPoint } from "../map/UsMap";
import type { Row } from "../lib/export";

const SCHEMA = { level: "state", year: "", metric: "co2_rate_lb_per_mwh", sel: "" };
const PLANT_COLUMN: Record<string, string> = { state: "state", subregion: "subregion", ba: "ba_code", nerc: "nerc_region" };

/** Points of a trend response: rows of {year|data_year, value|<metric>}. */
export function trendPoints(rows: readonly Row[], metric: string): { year: number; value: number | null }[] {
  return rows
    .map((row) => ({ year: num(row, "data_year") ?? num(row, "year") ?? NaN, value: num(row, "value") ?? num(row, metric) }))
    .filter((point) => Number.isFinite(point.year))
    .sort((a, b) => a.year - b.year);
}

export default function RegionsView() {
  const [params, setParams] = useUrlState(SCHEMA);
  const level = (LEVELS.some((l) => l.value === params.level) ? params.level : "state") as Exclude<Level, "us">;
  // A region sheet of the level, or plants to compute it from (GET /regions falls back to them).
  const { years, latest, levelsByYear, isPending, error } = useYearOptions([level, "plant"]);
  const year = params.year || latest || "";
  const metric = metricOf(params.metric);
  const selected = params.sel || null;
  const select = (code: string) => setParams({ sel: code === selected ? "" : code });

  const regions = useRegions(level, year);
  const trend = useTrend(level, selected, metric.code);
  const usTrend = useTrend("us", null, metric.code);
  const plants = useAllPlants({ year }, 1000);

  const ranked = useMemo(
    () =>
      (regions.data?.data ?? [])
        .map((row) => ({ key: regionCode(row), label: regionName(row) === regionCode(row) ? regionCode(row) : `${regionCode(row)} · ${regionName(row)}`, value: num(row, metric.code), row }))
        .filter((item): item is typeof item & { value: number } => item.value !== null && item.key !== "")
        .sort((a, b) => b.value - a.value),
    [regions.data, metric.code],
  );
  const values = useMemo(() => Object.fromEntries(ranked.map((item) => [item.key, item.value])), [ranked]);
  const usValue = useMemo(() => {
    const points = trendPoints(usTrend.data?.data ?? [], metric.code);
    return points.find((p) => String(p.year) === year)?.value ?? null;
  }, [usTrend.data, metric.code, year]);

  const mapPoints = useMemo<MapPoint[]>(() => {
    if (level === "state") return [];
    const color = choroplethScale(Object.values(values));
    const column = PLANT_COLUMN[level]!;
    return (plants.data ?? [])
      .filter((row) => num(row, "latitude") !== null && num(row, "longitude") !== null && text(row, column) in values)
      .map((row) => {
        const code = text(row, column);
        const value = values[code]!;
        const description = `${text(row, "plant_name")} in ${code}: ${metric.label} of ${code} ${formatByUnit(value, metric.unit)}`;
        return {
          key: `${text(row, "plant_id_eia")}-${code}`,
          longitude: num(row, "longitude")!,
          latitude: num(row, "latitude")!,
          value: selected === code ? 4 : 1,
          color: color(value),
          label: description,
          tooltip: description,
          onActivate: () => select(code),
        };
      });
  }, [level, values, plants.data, selected, metric]); // eslint-disable-line react-hooks/exhaustive-deps

  const series = useMemo<TrendSeries[]>(() => {
    const list: TrendSeries[] = [];
    const us = trendPoints(usTrend.data?.data ?? [], metric.code);
    if (us.length) list.push({ key: "us", label: "US (reference)", points: us, color: "#D55E00", dashed: true });
    if (selected) list.push({ key: "sel", label: selected, points: trendPoints(trend.data?.data ?? [], metric.code), color: "#0072B2", emphasis: true });
    return list;
  }, [usTrend.data, trend.data, selected, metric.code]);

  // Years with the level's figures (a region sheet, or plants to compute it from) and, where the US trend knows,
  // a value of the metric: offered when the year chosen has none.
  const metricYears = (() => {
    const withLevel = yearsWithAny(levelsByYear, [level, "plant"]);
    const known = trendPoints(usTrend.data?.data ?? [], metric.code).filter((p) => p.value !== null).map((p) => p.year);
    const both = withLevel.filter((y) => known.includes(y));
    return both.length ? both : withLevel;
  })();

  if (isPending) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  const format = (v: number) => formatByUnit(v, metric.unit);
  const levelLabel = LEVELS.find((l) => l.value === level)!.label;
  const nearest = (
    <NearestYear
      year={year}
      what={`${levelLabel.toLowerCase()} figures for ${metric.label.toLowerCase()}`}
      candidates={metricYears}
      levelsByYear={levelsByYear}
      onYear={(y) => setParams({ year: y })}
    />
  );

  return (
    <div className="stack">
      <h1>Region comparison</h1>
      <section className="panel filters" aria-label="Filters">
        <label className="field">
          Level
          <select name="level" value={level} onChange={(e) => setParams({ level: e.target.value, sel: "" })}>
            {LEVELS.map((l) => (
              <option key={l.value} value={l.value}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
        <YearSelect value={year} years={years} levelsByYear={levelsByYear} onChange={(y) => setParams({ year: y })} />
        <MetricSelect label="Metric" name="metric" value={metric.code} metrics={METRICS} onChange={(code) => setParams({ metric: code })} />
        <label className="field">
          Highlighted region
          <select name="sel" value={selected ?? ""} onChange={(e) => setParams({ sel: e.target.value })}>
            <option value="">None</option>
            {ranked.map((item) => (
              <option key={item.key} value={item.key}>
                {item.label}
              </option>
            ))}
          </select>
        </label>
        {usValue !== null && (
          <p className="small" style={{ margin: 0 }}>
            US {year}: <strong>{format(usValue)}</strong>
          </p>
        )}
      </section>
      {regions.isError && regions.error instanceof ApiError && regions.error.status === 404 ? (
        nearest
      ) : (
      <QueryView query={regions} isEmpty={() => ranked.length === 0} empty={nearest}>
        {() => (
          <>
            <div className="grid two">
              <section className="panel" aria-labelledby="rmap">
                <h2 id="rmap">
                  {levelLabel}s by {metric.label.toLowerCase()}, {year}
                </h2>
                {level === "state" ? (
                  <UsMap title={`States shaded by ${metric.label}`} stateValues={values} formatValue={format} selectedState={selected} onSelectState={select} />
                ) : (
                  <>
                    <p className="small muted">
                      us-atlas has no {levelLabel.toLowerCase()} boundaries, so each plant is drawn in its {levelLabel.toLowerCase()}'s colour.
                      {plants.data && mapPoints.length === 0 && ` No plant coordinates are loaded for ${year}.`}
                    </p>
                    <UsMap title={`Plants coloured by their ${levelLabel}'s ${metric.label}`} points={mapPoints} maxPointRadius={5} />
                  </>
                )}
                <GradientLegend values={Object.values(values)} format={format} label={`${metric.label}; click to highlight`} />
              </section>
              <section className="panel" aria-labelledby="rbars">
                <h2 id="rbars">Ranked</h2>
                <RankedBars
                  title={`${levelLabel}s ranked by ${metric.label}`}
                  items={ranked.map(({ key, label, value }) => ({ key, label, value }))}
                  format={format}
                  selected={selected}
                  onSelect={select}
                  reference={usValue !== null ? { value: usValue, label: "US" } : undefined}
                />
              </section>
            </div>
            <div className="grid two">
              <section className="panel" aria-labelledby="rtrend">
                <h2 id="rtrend">Trend across years{selected ? `: ${selected} vs US` : " (US)"}</h2>
                {!selected && <p className="small muted">Click a region on the map or the bars to add its line.</p>}
                {usTrend.isPending || (selected && trend.isPending) ? (
                  <Loading />
                ) : usTrend.isError ? (
                  <ErrorBox error={usTrend.error} />
                ) : trend.isError ? (
                  <ErrorBox error={trend.error} />
                ) : (
                  <TrendChart title={`${metric.label} across years`} series={series} format={format} />
                )}
              </section>
              <section className="panel" aria-labelledby="rmix">
                <h2 id="rmix">Resource mix</h2>
                <MixBars
                  title={`Resource mix by ${levelLabel}`}
                  rows={ranked.map((item) => ({ ...(item.row as Record<string, number | string>), key: item.key, label: item.key }))}
                  selected={selected}
                  onSelect={select}
                />
              </section>
            </div>
          </>
        )}
      </QueryView>
      )}
    </div>
  );
}
