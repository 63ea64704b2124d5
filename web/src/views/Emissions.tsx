import { useEffect, useMemo, useState, type FormEvent } from "react";
import { errorMessage } from "../api/problem";
import {
  ProblemError,
  useEstimate,
  useLocation,
  useSitesUpload,
  useSubregionMap,
  useSubregionProfiles,
  type EstimateOptions,
  type EstimateSite,
} from "../api/emissions";
import { MixBars } from "../components/Charts";
import { ActionError, ErrorBox, Loading } from "../components/Status";
import { downloadBlob } from "../lib/export";
import {
  annualKwh,
  cleanZip,
  formatLb,
  formatLoss,
  formatRateAsLoaded,
  mixAgainstUs,
  parseKwh,
  pollutantsIn,
  releaseLabel,
  releasesById,
  reportCsv,
  SITES_TEMPLATE,
  type EstimateReport,
  type Period,
  type Release,
  type Rounding,
  type SiteResult,
} from "../lib/emissions";
import { formatRate } from "../lib/format";
import { useUrlState } from "../lib/urlState";
import { SubregionMap } from "../map/SubregionMap";
import { GradientLegend } from "../map/UsMap";

// "How much CO2 is my electricity use, where I am?": EPA's Power Profiler method over the platform's API, for
// one ZIP code or subregion (the address holds the question, so it can be shared) or a file of sites.

const SCHEMA = { zip: "", sub: "", kwh: "", period: "year", year: "", rounding: "none" };

export default function EmissionsView() {
  const [params, setParams] = useUrlState(SCHEMA);
  const period: Period = params.period === "month" ? "month" : "year";
  const rounding: Rounding = params.rounding === "power-profiler" ? "power-profiler" : "none";
  const options: EstimateOptions = { year: params.year, rounding };
  const zip = params.sub ? "" : cleanZip(params.zip);
  const kwh = parseKwh(params.kwh);

  const profiles = useSubregionProfiles(params.year);
  const boundaries = useSubregionMap();
  const location = useLocation(zip, params.year);
  const subregions = location.data?.data.subregions ?? [];
  const site: EstimateSite | null =
    kwh === null || (!zip && !params.sub) ? null : { ...(params.sub ? { subregion: params.sub } : { zip }), kwh, period };
  const others = useMemo(() => subregions.slice(1).map((s) => s.code), [subregions]);
  const estimate = useEstimate(site, zip && location.isSuccess ? others : [], options);

  const result = estimate.data?.main.data[0];
  const chosen = params.sub || result?.subregion || subregions[0]?.code || null;
  const profile = profiles.data?.data.find((p) => p.code === chosen);
  const co2Rates = useMemo(() => {
    const values: Record<string, number> = {};
    for (const p of profiles.data?.data ?? []) if (typeof p.rates_lb_per_mwh.co2 === "number") values[p.code] = p.rates_lb_per_mwh.co2;
    return values;
  }, [profiles.data]);
  const dataYear = profiles.data?.meta.year;

  // The form edits a draft; "Estimate" writes it to the address, which runs the query.
  const [draft, setDraft] = useState({ zip: params.zip, kwh: params.kwh });
  useEffect(() => setDraft({ zip: params.zip, kwh: params.kwh }), [params.zip, params.kwh]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const typedZip = cleanZip(draft.zip);
    setParams({ zip: typedZip, kwh: draft.kwh.trim(), sub: typedZip ? "" : params.sub });
  };
  const pickSubregion = (code: string) => setParams({ sub: code, zip: "", kwh: draft.kwh.trim() || params.kwh });

  return (
    <div className="stack">
      <h1>Emissions of electricity use</h1>
      <p className="muted" style={{ margin: 0 }}>
        EPA's Power Profiler method: pounds = kWh × the eGRID subregion's total output emission rate (lb/MWh) ÷ 1,000 ÷ (1 − its
        interconnect's grid gross loss). Enter a ZIP code or pick a subregion on the map, and the electricity used.
      </p>

      <form className="panel filters" aria-label="Site" onSubmit={submit}>
        <label className="field">
          ZIP code
          <input name="zip" inputMode="numeric" autoComplete="postal-code" placeholder="e.g. 99501" value={draft.zip} style={{ width: "8rem" }} onChange={(e) => setDraft({ ...draft, zip: e.target.value })} />
        </label>
        <label className="field">
          or subregion
          <select
            name="sub"
            value={params.sub}
            onChange={(e) => (e.target.value ? pickSubregion(e.target.value) : setParams({ sub: "" }))}
          >
            <option value="">— none (use the ZIP) —</option>
            {(profiles.data?.data ?? []).map((p) => (
              <option key={p.code} value={p.code}>
                {p.code}
                {p.name ? ` · ${p.name}` : ""}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Electricity used (kWh)
          <input name="kwh" inputMode="decimal" placeholder="e.g. 7200" value={draft.kwh} style={{ width: "9rem" }} onChange={(e) => setDraft({ ...draft, kwh: e.target.value })} />
        </label>
        <label className="field">
          per
          <select name="period" value={period} onChange={(e) => setParams({ period: e.target.value })}>
            <option value="year">year</option>
            <option value="month">month (× 12)</option>
          </select>
        </label>
        <label className="field">
          Data year
          <select name="year" value={params.year} onChange={(e) => setParams({ year: e.target.value })}>
            <option value="">Latest{dataYear && !params.year ? ` (${dataYear})` : ""}</option>
            {(profiles.data?.meta.years ?? []).map((y) => (
              <option key={y} value={y}>
                {y}
              </option>
            ))}
          </select>
        </label>
        <label className="field" title="The Power Profiler rounds the CO₂ rate to one decimal before computing; tick to reproduce its figure exactly">
          <span>
            <input type="checkbox" name="rounding" checked={rounding === "power-profiler"} onChange={(e) => setParams({ rounding: e.target.checked ? "power-profiler" : "none" })} /> Power Profiler
            rounding
          </span>
        </label>
        <button type="submit" className="primary">
          Estimate
        </button>
      </form>

      <div className="grid two">
        <section className="panel" aria-labelledby="estimate-title">
          <h2 id="estimate-title">Estimate</h2>
          <EstimatePanel
            zip={zip}
            subregion={params.sub}
            kwh={kwh}
            kwhText={params.kwh}
            period={period}
            location={location}
            estimate={estimate}
            onYear={(y) => setParams({ year: y })}
          />
        </section>
        <section className="panel" aria-labelledby="map-title">
          <h2 id="map-title">eGRID subregions{dataYear ? `, CO₂ output rate ${dataYear}` : ""}</h2>
          <p className="small muted">Click a subregion to estimate for it{kwh === null ? " (enter the kWh first)" : ""}.</p>
          {boundaries.isPending ? (
            <Loading label="Loading the subregion boundaries…" />
          ) : boundaries.isError ? (
            <ErrorBox error={boundaries.error} onRetry={() => void boundaries.refetch()} />
          ) : (
            <>
              <SubregionMap
                title={`eGRID subregions shaded by CO₂ output rate${dataYear ? `, ${dataYear}` : ""}; click one to pick it`}
                features={boundaries.data.features}
                values={co2Rates}
                formatValue={formatRate}
                selected={chosen}
                highlighted={zip ? subregions.map((s) => s.code) : []}
                onSelect={pickSubregion}
              />
              <GradientLegend values={Object.values(co2Rates)} format={formatRate} label="CO₂ output rate (lb/MWh)" />
              <p className="small muted">Boundaries: EPA Power Profiler, eGRID2023 rev2.</p>
            </>
          )}
          {profiles.isError && <ErrorBox error={profiles.error} onRetry={() => void profiles.refetch()} />}
        </section>
      </div>

      <section className="panel" aria-labelledby="mix-title">
        <h2 id="mix-title">Fuel mix{profile ? ` of ${profile.code}` : ""} against the US{dataYear ? `, ${dataYear}` : ""}</h2>
        {profiles.isPending ? (
          <Loading />
        ) : !profile ? (
          <p className="muted">Enter a ZIP code or pick a subregion to see its fuel mix.</p>
        ) : (
          <MixBars title={`Resource mix of ${profile.code} and the US`} rows={mixAgainstUs(profile, profiles.data?.us)} />
        )}
      </section>

      <BatchPanel options={options} />
    </div>
  );
}

function EstimatePanel({
  zip,
  subregion,
  kwh,
  kwhText,
  period,
  location,
  estimate,
  onYear,
}: {
  zip: string;
  subregion: string;
  kwh: number | null;
  kwhText: string;
  period: Period;
  location: ReturnType<typeof useLocation>;
  estimate: ReturnType<typeof useEstimate>;
  onYear: (year: string) => void;
}) {
  if (!zip && !subregion) return <p className="muted">Enter a ZIP code (or pick a subregion) and the kWh used, then Estimate.</p>;
  const place = zip ? `ZIP ${zip}` : `subregion ${subregion}`;
  return (
    <div className="stack">
      {zip && <LocationFacts location={location} />}
      {kwh === null ? (
        <p className="muted" role="status">
          {kwhText ? `"${kwhText}" is not a number of kWh.` : `Enter the kWh used at ${place} to estimate its emissions.`}
        </p>
      ) : estimate.isPending ? (
        <Loading label="Estimating…" />
      ) : estimate.isError ? (
        <EstimateProblem error={estimate.error} onYear={onYear} />
      ) : (
        <EstimateResult report={estimate.data.main} others={estimate.data.others} kwh={kwh} period={period} />
      )}
    </div>
  );
}

function LocationFacts({ location }: { location: ReturnType<typeof useLocation> }) {
  if (location.isPending) return <Loading label="Looking up the ZIP code…" />;
  if (location.isError) return null; // the estimate says why (the same problem)
  const { data } = location.data;
  const several = new Set(data.utilities.map((u) => u.subregion)).size > 1;
  return (
    <div data-testid="location">
      <p style={{ margin: 0 }}>
        ZIP {data.zip}
        {data.state ? ` (${data.state})` : ""} is served by {data.utilities.length === 1 ? "one utility" : `${data.utilities.length} utilities`}
        {several ? ` in ${new Set(data.utilities.map((u) => u.subregion)).size} subregions` : ""} (ZIP table {data.lookup_year}):
      </p>
      <table className="data compact">
        <thead>
          <tr>
            <th scope="col">Utility</th>
            <th scope="col">Subregion</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {data.utilities.map((u) => (
            <tr key={`${u.utility_id_eia}-${u.subregion}`}>
              <td>{u.utility_name}</td>
              <td>{u.subregion}</td>
              <td className="small">{u.predominant ? "predominant: used for the estimate" : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The API's problem, plainly; a missing grid loss offers the nearest year that has it. */
function EstimateProblem({ error, onYear }: { error: unknown; onYear: (year: string) => void }) {
  const years = error instanceof ProblemError ? error.yearsWithIt : [];
  return (
    <div className="alert" role="alert" data-testid="estimate-error">
      {errorMessage(error)}
      {years.length > 0 && (
        <div style={{ marginTop: "0.4rem" }}>
          Estimate with the figures of{" "}
          {years.map((y, i) => (
            <span key={y}>
              {i > 0 && ", "}
              <button type="button" className="link" onClick={() => onYear(String(y))}>
                {y}
              </button>
            </span>
          ))}
        </div>
      )}
    </div>
  );
}

function EstimateResult({ report, others, kwh, period }: { report: EstimateReport; others: EstimateReport | null; kwh: number; period: Period }) {
  const site = report.data[0]!;
  const releases = releasesById(report.meta.releases);
  const pollutants = pollutantsIn(site.emissions_lb, site.rates_lb_per_mwh);
  const annual = site.kwh ?? annualKwh(kwh, period);
  return (
    <div className="stack" data-testid="estimate">
      <p style={{ margin: 0 }}>
        <strong>{annual.toLocaleString("en-US")} kWh a year</strong>
        {period === "month" ? ` (${kwh.toLocaleString("en-US")} kWh a month × 12)` : ""} in <strong>{site.subregion}</strong>
        {site.subregion_name ? ` (${site.subregion_name})` : ""}, {site.interconnect} interconnect, eGRID {site.year}
        {report.meta.rounding === "power-profiler" ? ", with the Power Profiler's rounding" : ""}:
      </p>
      <div className="kpi-inline" data-testid="estimate-co2" data-value={site.emissions_lb?.co2 ?? ""} style={{ fontSize: "1.6rem", fontWeight: 600 }}>
        {formatLb(site.emissions_lb?.co2)} CO₂
      </div>
      <table className="data compact" aria-label="Emissions and the rates used">
        <thead>
          <tr>
            <th scope="col">Pollutant</th>
            <th scope="col" className="num">
              Emissions
            </th>
            <th scope="col" className="num">
              Output rate used
            </th>
          </tr>
        </thead>
        <tbody>
          {pollutants.map((p) => (
            <tr key={p.key} data-testid={`estimate-row-${p.key}`} data-value={site.emissions_lb?.[p.key] ?? ""}>
              <th scope="row">{p.label}</th>
              <td className="num">{formatLb(site.emissions_lb?.[p.key])}</td>
              <td className="num">{formatRateAsLoaded(site.rates_lb_per_mwh?.[p.key])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small" style={{ margin: 0 }}>
        Grid gross loss ({site.interconnect}): <strong>{formatLoss(site.grid_gross_loss)}</strong>. {pollutants.length < 6 && `eGRID ${site.year} publishes no ${["CH₄", "N₂O"].filter((l) => !pollutants.some((p) => p.label === l)).join(" or ")} output rate for subregions here, so none is estimated.`}
      </p>
      <Provenance site={site} releases={releases} />
      {others && others.data.length > 0 && <OtherSubregions main={site} others={others} />}
    </div>
  );
}

function Provenance({ site, releases }: { site: SiteResult; releases: Map<number, Release> }) {
  const used: { what: string; release: Release | undefined }[] = [];
  if (site.sources) {
    used.push({ what: "Output rates", release: releases.get(site.sources.rates) });
    used.push({ what: "Grid gross loss", release: releases.get(site.sources.grid_loss) });
  }
  if (site.lookup) used.push({ what: `ZIP lookup (${site.lookup.year})`, release: releases.get(site.lookup.release_id) });
  const notes = [...new Set(used.map((u) => u.release?.note).filter(Boolean))];
  return (
    <div>
      <h3 style={{ margin: "0.4rem 0" }}>Where the figures come from</h3>
      <dl className="facts" data-testid="provenance">
        {used.map(({ what, release }) => (
          <div key={what} style={{ display: "contents" }}>
            <dt>{what}</dt>
            <dd>
              {releaseLabel(release)}
              {release && (
                <span className="small muted" title={release.sha256}>
                  {" "}
                  · SHA-256 {release.sha256.slice(0, 12)}…
                </span>
              )}
            </dd>
          </div>
        ))}
      </dl>
      {notes.map((note) => (
        <p key={note} className="small muted" style={{ margin: "0.3rem 0 0" }}>
          {note}
        </p>
      ))}
    </div>
  );
}

function OtherSubregions({ main, others }: { main: SiteResult; others: EstimateReport }) {
  return (
    <div data-testid="other-subregions">
      <h3 style={{ margin: "0.4rem 0" }}>The ZIP code's other subregions</h3>
      <p className="small muted" style={{ margin: 0 }}>
        Its predominant utility is in {main.subregion}; with another utility's subregion the same use would give:
      </p>
      <table className="data compact">
        <thead>
          <tr>
            <th scope="col">Subregion</th>
            <th scope="col" className="num">
              CO₂
            </th>
            <th scope="col" className="num">
              CO₂ rate
            </th>
          </tr>
        </thead>
        <tbody>
          {others.data.map((s) => (
            <tr key={s.site_id ?? s.subregion}>
              <td>
                {s.subregion ?? s.site_id}
                {s.subregion_name ? ` · ${s.subregion_name}` : ""}
              </td>
              <td className="num">{s.error ? s.error.message : formatLb(s.emissions_lb?.co2)}</td>
              <td className="num">{formatRate(s.rates_lb_per_mwh?.co2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function BatchPanel({ options }: { options: EstimateOptions }) {
  const [file, setFile] = useState<File | null>(null);
  const upload = useSitesUpload();
  const report = upload.data;
  const send = async () => {
    if (!file) return;
    upload.mutate({ csv: await file.text(), options });
  };
  const download = () => {
    if (!report) return;
    const name = file?.name.replace(/\.[^.]*$/, "") || "sites";
    downloadBlob(new Blob([reportCsv(report)], { type: "text/csv;charset=utf-8" }), `${name}-emissions.csv`);
  };
  const pollutants = report ? pollutantsIn(report.totals.emissions_lb, ...report.data.map((s) => s.emissions_lb)) : [];
  return (
    <section className="panel" aria-labelledby="batch-title">
      <h2 id="batch-title">Many sites: a sites file</h2>
      <p className="small muted">
        A CSV with the header <code>site_id,zip,kwh</code> (or <code>subregion</code> instead of <code>zip</code>; optional <code>year</code> and{" "}
        <code>period</code> = <code>year</code>|<code>month</code>), up to 100,000 sites. Rows that cannot be estimated get their reason; the rest are
        computed with the data year and rounding chosen above.{" "}
        <button type="button" className="link" onClick={() => downloadBlob(new Blob([SITES_TEMPLATE], { type: "text/csv" }), "sites-example.csv")}>
          Download an example
        </button>
      </p>
      <div className="row">
        <label className="field">
          Sites file (CSV)
          <input type="file" name="sites" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <button type="button" className="primary" disabled={!file || upload.isPending} onClick={() => void send()}>
          {upload.isPending ? "Estimating…" : "Estimate the file"}
        </button>
        <span className="spacer" />
        <button type="button" data-testid="download-report" disabled={!report} onClick={download}>
          Download the report (CSV)
        </button>
      </div>
      <ActionError failed={upload.isError} error={upload.error} prefix="The file was refused: " />
      {report && (
        <div className="stack" style={{ marginTop: "0.6rem" }}>
          <p role="status" data-testid="batch-status" style={{ margin: 0 }}>
            {report.totals.sites.toLocaleString("en-US")} sites: {report.totals.estimated.toLocaleString("en-US")} estimated,{" "}
            {report.totals.failed.toLocaleString("en-US")} with errors. Total {report.totals.kwh.toLocaleString("en-US")} kWh:{" "}
            {pollutants.map((p) => `${p.label} ${formatLb(report.totals.emissions_lb[p.key])}`).join(" · ")}
          </p>
          <div style={{ maxHeight: "28rem", overflow: "auto" }}>
            <table className="data compact" data-testid="batch-table">
              <caption className="small muted" style={{ textAlign: "left" }}>
                Per site{report.data.length > 500 ? ` (the first 500 of ${report.data.length.toLocaleString("en-US")}; the report has them all)` : ""}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Site</th>
                  <th scope="col">ZIP / subregion</th>
                  <th scope="col" className="num">
                    kWh a year
                  </th>
                  {pollutants.map((p) => (
                    <th key={p.key} scope="col" className="num">
                      {p.label} (lb)
                    </th>
                  ))}
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {report.data.slice(0, 500).map((s, i) => (
                  <tr key={i} className={s.error ? "error-row" : undefined}>
                    <td>{s.error?.row ?? i + 1}</td>
                    <td>{s.site_id ?? ""}</td>
                    <td>{[s.zip, s.subregion].filter(Boolean).join(" → ")}</td>
                    <td className="num">{s.kwh === null ? "—" : s.kwh.toLocaleString("en-US")}</td>
                    {pollutants.map((p) => (
                      <td key={p.key} className="num">
                        {typeof s.emissions_lb?.[p.key] === "number" ? s.emissions_lb[p.key]!.toLocaleString("en-US", { maximumFractionDigits: 1 }) : "—"}
                      </td>
                    ))}
                    <td className="small" style={{ color: s.error ? "#b00020" : undefined }}>
                      {s.error?.message ?? ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {upload.isPending && <Loading label="Estimating the sites…" />}
      {!report && !upload.isPending && !upload.isError && file && <p className="small muted">{file.name}: ready to estimate.</p>}
    </section>
  );
}

