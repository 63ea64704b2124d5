import { useDeferredValue, useMemo } from "react";
import { useNavigate } from "react-router";
import { useAllPlants } from "../api/queries";
import { MultiSelect } from "../components/MultiSelect";
import { FUEL_OPTIONS, MetricSelect, useYearOptions, YearSelect } from "../components/Filters";
import { NearestYear } from "../components/NearestYear";
import { ErrorBox, Loading } from "../components/Status";
import { formatByUnit, formatEnergy, formatPower } from "../lib/format";
import { FUELS, fuelOf } from "../lib/fuels";
import { SIZE_METRICS, metricOf } from "../lib/metrics";
import { num, text } from "../lib/rows";
import { useUrlState } from "../lib/urlState";
import { yearsWithAny } from "../lib/years";
import { UsMap, type MapPoint } from "../map/UsMap";

const SCHEMA = { year: "", fuel: [] as string[], q: "", size: "net_generation_mwh" };

export default function PlantMapView() {
  const [params, setParams] = useUrlState(SCHEMA);
  const { years, latest, levelsByYear, isPending, error } = useYearOptions(["plant"]);
  const year = params.year || latest || "";
  const metric = metricOf(params.size);
  const navigate = useNavigate();
  const plants = useAllPlants({ year, fuel: params.fuel });
  const search = useDeferredValue(params.q.trim().toLowerCase());
  const plantSheetYears = useMemo(() => yearsWithAny(levelsByYear, ["plant"]), [levelsByYear]);
  const noPlantSheet = Boolean(year) && plantSheetYears.length > 0 && !plantSheetYears.includes(Number(year));

  const { points, withoutCoordinates, total } = useMemo(() => {
    const rows = plants.data ?? [];
    const matching = search ? rows.filter((row) => text(row, "plant_name").toLowerCase().includes(search)) : rows;
    const located = matching.filter((row) => num(row, "latitude") !== null && num(row, "longitude") !== null);
    const points: MapPoint[] = located.map((row) => {
      const id = num(row, "plant_id_eia");
      const fuel = fuelOf(text(row, "fuel_category"));
      const name = text(row, "plant_name");
      const value = num(row, metric.code) ?? 0;
      return {
        key: String(id ?? name),
        longitude: num(row, "longitude")!,
        latitude: num(row, "latitude")!,
        value,
        color: fuel.color,
        label: `${name}, ${text(row, "state")}: ${fuel.label}, ${formatByUnit(value, metric.unit)}`,
        tooltip: (
          <div>
            <strong>{name}</strong> ({text(row, "state")})<br />
            {fuel.label} · {formatPower(num(row, "nameplate_capacity_mw"))}
            <br />
            {formatEnergy(num(row, "net_generation_mwh"))}
            {metric.code !== "net_generation_mwh" && metric.code !== "nameplate_capacity_mw" && (
              <>
                <br />
                {metric.label}: {formatByUnit(value, metric.unit)}
              </>
            )}
          </div>
        ),
        onActivate: id !== null ? () => navigate(`/plants/${id}?year=${year}`) : undefined,
      };
    });
    return { points, withoutCoordinates: matching.length - located.length, total: matching.length };
  }, [plants.data, search, metric, navigate, year]);

  if (isPending) return <Loading />;
  if (error) return <ErrorBox error={error} />;

  return (
    <div className="stack">
      <h1>Plant map {year}</h1>
      <section className="panel filters" aria-label="Filters">
        <YearSelect value={year} years={years} levelsByYear={levelsByYear} onChange={(y) => setParams({ year: y })} />
        <MultiSelect name="fuel" label="Primary fuel" options={FUEL_OPTIONS} value={params.fuel} onChange={(fuel) => setParams({ fuel })} />
        <label className="field">
          Plant name
          <input type="search" name="q" placeholder="Search by name" value={params.q} onChange={(e) => setParams({ q: e.target.value }, { replace: true })} />
        </label>
        <MetricSelect label="Circle size" name="size" value={metric.code} metrics={SIZE_METRICS} onChange={(code) => setParams({ size: code })} />
      </section>
      <section className="panel" aria-label="Map of plants">
        {plants.isPending ? (
          <Loading label="Loading plants…" />
        ) : plants.isError ? (
          <ErrorBox error={plants.error} onRetry={() => void plants.refetch()} />
        ) : (
          <>
            <p className="small muted" role="status" data-testid="map-count">
              {points.length.toLocaleString("en-US")} plants drawn
              {withoutCoordinates > 0 && ` · ${withoutCoordinates.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} have no coordinates for ${year} (plant sheet not loaded) and are not drawn`}
              . Circle area ∝ {metric.label.toLowerCase()}; click a circle for the plant's page.
            </p>
            {noPlantSheet && (
              <NearestYear
                year={year}
                what="plant sheet (plant coordinates)"
                candidates={plantSheetYears}
                levelsByYear={levelsByYear}
                onYear={(y) => setParams({ year: y })}
              />
            )}
            {!noPlantSheet && points.length === 0 && total === 0 && (
              <p className="muted" role="status">
                No plants match these filters for {year}.{" "}
                {(params.fuel.length > 0 || params.q) && (
                  <button type="button" className="link" onClick={() => setParams({ fuel: [], q: "" })}>
                    Clear the fuel and name filters
                  </button>
                )}
              </p>
            )}
            <UsMap title={`Plants in ${year}, sized by ${metric.label}, coloured by fuel`} points={points} />
            <div className="legend" aria-label="Fuel colours">
              {FUELS.map((fuel) => (
                <span key={fuel.code}>
                  <span className="swatch" style={{ background: fuel.color }} />
                  {fuel.label}
                </span>
              ))}
            </div>
          </>
        )}
      </section>
    </div>
  );
}
