import { useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { ApiError } from "../api/problem";
import { usePlant, usePlantGenerators, usePlantHistory } from "../api/queries";
import { Sparkline } from "../components/Charts";
import { DataTable } from "../components/DataTable";
import { NearestYear } from "../components/NearestYear";
import { QueryView } from "../components/Status";
import { columnLabel, formatColumnValue } from "../lib/format";
import { fuelOf, resourceMix } from "../lib/fuels";
import { num, text } from "../lib/rows";
import { UsMap } from "../map/UsMap";
import type { Row } from "../lib/export";

const FIGURES: { group: string; columns: string[] }[] = [
  { group: "Capacity", columns: ["nameplate_capacity_mw", "capacity_factor"] },
  { group: "Generation", columns: ["net_generation_mwh", "annual_heat_input_mmbtu", "heat_input_mmbtu"] },
  { group: "Emissions", columns: ["co2_tons", "nox_tons", "so2_tons", "ch4_lbs", "n2o_lbs", "co2e_tons"] },
  { group: "Emission rates", columns: ["co2_rate_lb_per_mwh", "nox_rate_lb_per_mwh", "so2_rate_lb_per_mwh", "co2e_rate_lb_per_mwh"] },
];
const IDENTITY = ["plant_id_eia", "operator_name", "utility_name", "sector", "fuel_category", "primary_fuel", "data_year"];
const LOCATION = ["state", "county", "county_name", "latitude", "longitude", "subregion", "ba_code", "ba_name", "nerc_region"];
const PROVENANCE = ["release_id", "file_name", "sheet", "revision", "source", "loaded_at", "sha256", "source_row"];

/** The plant's record carries its data or wraps it in {data, meta}. */
function unwrapRecord(record: Row | undefined): { plant: Row; meta: Row } {
  if (record && typeof record.data === "object" && record.data !== null && !Array.isArray(record.data)) {
    return { plant: record.data as Row, meta: (record.meta ?? {}) as Row };
  }
  return { plant: record ?? {}, meta: {} };
}

export default function PlantDetailView() {
  const { plantId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const year = params.get("year") ?? undefined;
  const plantQuery = usePlant(plantId, year);
  const history = usePlantHistory(plantId);
  const generators = usePlantGenerators(plantId, year);

  const historyRows = useMemo(
    () => [...(history.data?.data ?? [])].sort((a, b) => (num(a, "data_year") ?? num(a, "year") ?? 0) - (num(b, "data_year") ?? num(b, "year") ?? 0)),
    [history.data],
  );

  // A year the plant has no row in: say so, and offer the nearest year it has (from its history).
  const historyYears = historyRows.map((row) => num(row, "data_year") ?? num(row, "year")).filter((y): y is number => y !== null);
  if (year && plantQuery.isError && plantQuery.error instanceof ApiError && plantQuery.error.status === 404 && historyYears.length) {
    return (
      <div className="stack">
        <h1>Plant {plantId}</h1>
        <NearestYear
          year={year}
          what={`row for plant ${plantId}`}
          candidates={historyYears}
          onYear={(y) => setParams({ year: y })}
          reason={<>{plantQuery.error.detail ?? plantQuery.error.message}. </>}
        />
      </div>
    );
  }

  return (
    <QueryView query={plantQuery} loading="Loading the plant…">
      {(record) => {
        const { plant, meta } = unwrapRecord(record);
        const provenance = { ...meta, ...((plant.provenance ?? {}) as Row), ...((meta.provenance ?? {}) as Row) };
        const fuel = fuelOf(text(plant, "fuel_category"));
        const lat = num(plant, "latitude");
        const lon = num(plant, "longitude");
        const series = (column: string) => historyRows.map((row) => ({ year: num(row, "data_year") ?? num(row, "year") ?? 0, value: num(row, column) }));
        const figures = FIGURES.map((g) => ({ ...g, columns: g.columns.filter((c) => c in plant) })).filter((g) => g.columns.length);
        const mix = resourceMix(plant);
        const provenanceKeys = PROVENANCE.filter((key) => provenance[key] !== undefined && provenance[key] !== null);
        return (
          <div className="stack">
            <div className="row">
              <h1 style={{ margin: 0 }} data-testid="plant-name">
                {text(plant, "plant_name") || `Plant ${plantId}`}
              </h1>
              <span className="badge" style={{ borderColor: fuel.color }}>
                <span className="swatch" style={{ background: fuel.color, display: "inline-block", width: 10, height: 10, marginRight: 4 }} />
                {fuel.label}
              </span>
              <span className="muted">
                {text(plant, "state")} · eGRID {text(plant, "data_year") || year}
              </span>
              <span className="spacer" />
              <Link to={`/data?level=generators&plant_id=${plantId}`}>Generators in the table view →</Link>
            </div>
            <div className="grid main-side">
              <section className="panel" aria-labelledby="figures">
                <h2 id="figures">Figures, with the trend across loaded years</h2>
                <table className="data">
                  <thead>
                    <tr>
                      <th scope="col">Measure</th>
                      <th scope="col" className="num">
                        {text(plant, "data_year") || year || "Value"}
                      </th>
                      <th scope="col">Across years</th>
                    </tr>
                  </thead>
                  {figures.map((group) => (
                    <tbody key={group.group}>
                      <tr>
                        <th colSpan={3} scope="rowgroup" style={{ background: "#fff" }}>
                          {group.group}
                        </th>
                      </tr>
                      {group.columns.map((column) => (
                        <tr key={column}>
                          <td>{columnLabel(column)}</td>
                          <td className="num">{formatColumnValue(column, plant[column])}</td>
                          <td>
                            {history.isPending ? "…" : <Sparkline points={series(column)} label={columnLabel(column)} format={(v) => formatColumnValue(column, v)} />}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  ))}
                </table>
                {mix.length > 0 && (
                  <>
                    <h3 style={{ marginTop: "1rem" }}>Resource mix</h3>
                    <div style={{ display: "flex", height: 18, borderRadius: 4, overflow: "hidden" }} role="img" aria-label={mix.map((m) => `${m.fuel.label} ${(m.share * 100).toFixed(1)}%`).join(", ")}>
                      {mix.map((m) => (
                        <div key={m.fuel.code} title={`${m.fuel.label} ${(m.share * 100).toFixed(1)}%`} style={{ width: `${m.share * 100}%`, background: m.fuel.color }} />
                      ))}
                    </div>
                    <div className="legend">
                      {mix.map((m) => (
                        <span key={m.fuel.code}>
                          <span className="swatch" style={{ background: m.fuel.color }} />
                          {m.fuel.label} {(m.share * 100).toFixed(1)}%
                        </span>
                      ))}
                    </div>
                  </>
                )}
              </section>
              <div className="stack">
                <section className="panel" aria-labelledby="identity">
                  <h2 id="identity">Identity</h2>
                  <Facts row={plant} keys={IDENTITY} />
                </section>
                <section className="panel" aria-labelledby="location">
                  <h2 id="location">Location</h2>
                  <Facts row={plant} keys={LOCATION} />
                  {lat !== null && lon !== null && (
                    <UsMap
                      title={`Location of ${text(plant, "plant_name")}`}
                      points={[{ key: "plant", latitude: lat, longitude: lon, value: 1, color: fuel.color, label: text(plant, "plant_name"), tooltip: text(plant, "plant_name") }]}
                      maxPointRadius={7}
                    />
                  )}
                </section>
                <section className="panel" aria-labelledby="provenance">
                  <h2 id="provenance">Provenance</h2>
                  {provenanceKeys.length ? <Facts row={provenance} keys={provenanceKeys} /> : <p className="muted">The API did not say which release this row came from.</p>}
                </section>
              </div>
            </div>
            <section className="panel" aria-labelledby="generators">
              <h2 id="generators">Generators</h2>
              <QueryView query={generators} isEmpty={(d) => d.data.length === 0} empty="No generator rows loaded for this plant.">
                {(data) => {
                  const preferred = ["generator_id", "data_year", "status", "fuel_category", "prime_mover", "nameplate_capacity_mw", "net_generation_mwh", "co2_tons", "operating_year"];
                  const present = preferred.filter((c) => data.data.some((row) => row[c] !== undefined && row[c] !== null));
                  return <DataTable caption="Generators of this plant" rows={data.data} columns={present.length ? present : Object.keys(data.data[0] ?? {}).slice(0, 8)} rowKey={(row, i) => `${text(row, "generator_id")}-${i}`} />;
                }}
              </QueryView>
            </section>
          </div>
        );
      }}
    </QueryView>
  );
}

function Facts({ row, keys }: { row: Row; keys: string[] }) {
  const present = keys.filter((key) => row[key] !== undefined && row[key] !== null && row[key] !== "");
  if (!present.length) return <p className="muted">Not recorded.</p>;
  return (
    <dl className="facts">
      {present.map((key) => (
        <div key={key} style={{ display: "contents" }}>
          <dt>{columnLabel(key)}</dt>
          <dd>{formatColumnValue(key, row[key])}</dd>
        </div>
      ))}
    </dl>
  );
}
