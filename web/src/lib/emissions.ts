// The Emissions page's model: the shapes of /locations/{zip}, /emissions/estimate and /emissions/subregions
// (docs/api.md, "Emissions estimate"), and what the page derives from them: the pollutants shown, the fuel mix
// against the US, the provenance of each rate and the batch report as CSV (formula-safe, lib/export.ts).
import { rowsToCsv, type Row } from "./export";
import type { MixRow } from "../components/Charts";

/** The pollutants of an estimate, in the API's order; CH4 and N2O only where the year has them. */
export const POLLUTANTS = [
  { key: "co2", label: "CO₂" },
  { key: "co2e", label: "CO₂e" },
  { key: "nox", label: "NOx" },
  { key: "so2", label: "SO₂" },
  { key: "ch4", label: "CH₄" },
  { key: "n2o", label: "N₂O" },
] as const;
export type PollutantKey = (typeof POLLUTANTS)[number]["key"];
export type PollutantValues = Partial<Record<string, number | null>>;

export interface Release {
  release_id: number;
  level: string;
  data_year: number;
  revision: string | null;
  file_name: string;
  sheet: string | null;
  sha256: string;
  source_profile?: string | null;
  note?: string | null;
}

export interface SiteError {
  row: number;
  status: number;
  message: string;
  [detail: string]: unknown;
}

export interface SiteResult {
  site_id: string | null;
  zip?: string | null;
  subregion: string | null;
  subregion_name?: string | null;
  interconnect: string | null;
  year: number | null;
  kwh: number | null;
  emissions_lb: PollutantValues | null;
  rates_lb_per_mwh: PollutantValues | null;
  grid_gross_loss: number | null;
  lookup: { year: number; other_subregions: string[]; release_id: number } | null;
  sources: { rates: number; grid_loss: number } | null;
  error: SiteError | null;
}

export interface EstimateReport {
  data: SiteResult[];
  totals: { sites: number; estimated: number; failed: number; kwh: number; emissions_lb: PollutantValues };
  meta: { method: string; rounding: string; units: string; releases: Release[] };
}

export interface LocationUtility {
  utility_id_eia: number | null;
  utility_name: string;
  predominant: boolean;
  subregion: string;
}

export interface LocationSubregion {
  code: string;
  name: string | null;
  interconnect: string | null;
  rates_lb_per_mwh: PollutantValues;
  grid_gross_loss: number | null;
  note: string | null;
}

export interface LocationAnswer {
  data: { zip: string; state: string | null; year: number; lookup_year: number; utilities: LocationUtility[]; subregions: LocationSubregion[] };
  meta: { releases: Release[] };
}

export interface SubregionProfile {
  code: string;
  name: string | null;
  interconnect?: string | null;
  grid_gross_loss: number | null;
  rates_lb_per_mwh: PollutantValues;
  resource_mix: Record<string, number | null>;
}

export interface SubregionProfiles {
  data: SubregionProfile[];
  us: SubregionProfile | null;
  meta: { year: number; count: number; years: number[]; releases: Release[] };
}

export type Period = "year" | "month";
export type Rounding = "none" | "power-profiler";

/** The pollutants that have a value in any of `values`, in the API's order. */
export function pollutantsIn(...values: (PollutantValues | null | undefined)[]): (typeof POLLUTANTS)[number][] {
  return POLLUTANTS.filter((p) => values.some((v) => typeof v?.[p.key] === "number"));
}

/** A ZIP code as typed ("2108" is not one: leading zeros matter), trimmed; ZIP+4 kept for the API to read. */
export function cleanZip(text: string): string {
  return text.trim();
}

/** kWh typed by a user ("7,200", " 600 ") as a number, or null. */
export function parseKwh(text: string): number | null {
  const cleaned = text.replaceAll(",", "").replaceAll("_", "").trim();
  if (!cleaned) return null;
  const value = Number(cleaned);
  return Number.isFinite(value) ? value : null;
}

/** The annual kWh the API computes with: monthly use × 12, as the Power Profiler does. */
export function annualKwh(kwh: number, period: Period): number {
  return period === "month" ? kwh * 12 : kwh;
}

const NBSP = "\u00a0";

/** Pounds with one decimal below 100,000 lb, and short tons alongside above 2,000 lb. */
export function formatLb(lb: number | null | undefined): string {
  if (lb === null || lb === undefined || !Number.isFinite(lb)) return "—";
  const text = `${lb.toLocaleString("en-US", { maximumFractionDigits: Math.abs(lb) < 10 ? 3 : 1 })}${NBSP}lb`;
  if (Math.abs(lb) < 2000) return text;
  const tons = lb / 2000;
  return `${text} (${tons.toLocaleString("en-US", { maximumFractionDigits: tons < 100 ? 2 : 0 })}${NBSP}tons)`;
}

/** A rate with every decimal it was loaded with (the Power Profiler's table has three). */
export function formatRateAsLoaded(lbPerMwh: number | null | undefined): string {
  if (lbPerMwh === null || lbPerMwh === undefined || !Number.isFinite(lbPerMwh)) return "—";
  return `${lbPerMwh.toLocaleString("en-US", { maximumFractionDigits: 6 })}${NBSP}lb/MWh`;
}

export function formatLoss(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "—";
  return `${(fraction * 100).toLocaleString("en-US", { maximumFractionDigits: 2 })}%`;
}

/** A release as one line of provenance: "subregion_2023rev2.json / subregion features (eGRID 2023, release 16)". */
export function releaseLabel(release: Release | undefined): string {
  if (!release) return "unknown release";
  const file = release.sheet ? `${release.file_name} / ${release.sheet}` : release.file_name;
  const revision = release.revision ? ` ${release.revision}` : "";
  return `${file} (eGRID ${release.data_year}${revision}, release ${release.release_id})`;
}

export function releasesById(releases: readonly Release[]): Map<number, Release> {
  return new Map(releases.map((r) => [r.release_id, r]));
}

/** The subregion's fuel mix and the US's, as rows of MixBars (fractions keyed by `*_share`). */
export function mixAgainstUs(subregion: SubregionProfile | undefined, us: SubregionProfile | null | undefined): MixRow[] {
  const rows: MixRow[] = [];
  const add = (profile: SubregionProfile, label: string) => {
    const row: MixRow = { key: profile.code, label };
    for (const [share, value] of Object.entries(profile.resource_mix ?? {})) if (typeof value === "number") row[share] = value;
    rows.push(row);
  };
  if (subregion) add(subregion, subregion.name ? `${subregion.code} · ${subregion.name}` : subregion.code);
  if (us) add(us, "United States");
  return rows;
}

/** The report's columns, as the API's format=csv writes them (services/emissions.py flat_columns). */
export function reportColumns(report: EstimateReport): string[] {
  const keys = POLLUTANTS.map((p) => p.key).filter((key) =>
    report.data.some((site) => site.emissions_lb?.[key] !== undefined || site.rates_lb_per_mwh?.[key] !== undefined),
  );
  const shown = keys.length ? keys : ["co2", "co2e", "nox", "so2"];
  return [
    "site_id",
    "zip",
    "subregion",
    "interconnect",
    "year",
    "kwh",
    ...shown.map((k) => `${k}_lb`),
    ...shown.map((k) => `${k}_rate_lb_per_mwh`),
    "grid_gross_loss",
    "rates_release",
    "rates_file",
    "grid_loss_release",
    "grid_loss_file",
    "error",
  ];
}

function fileOf(release: Release | undefined): string | null {
  if (!release) return null;
  return release.sheet ? `${release.file_name} / ${release.sheet}` : release.file_name;
}

/** One flat row per site: the estimate, the rates used and the files they came from, or the row's error. */
export function reportRows(report: EstimateReport): Row[] {
  const releases = releasesById(report.meta.releases);
  return report.data.map((site) => {
    const row: Row = {
      site_id: site.site_id,
      zip: site.zip ?? null,
      subregion: site.subregion,
      interconnect: site.interconnect,
      year: site.year,
      kwh: site.kwh,
      grid_gross_loss: site.grid_gross_loss,
      rates_release: site.sources?.rates ?? null,
      rates_file: fileOf(site.sources ? releases.get(site.sources.rates) : undefined),
      grid_loss_release: site.sources?.grid_loss ?? null,
      grid_loss_file: fileOf(site.sources ? releases.get(site.sources.grid_loss) : undefined),
      error: site.error?.message ?? null,
    };
    for (const p of POLLUTANTS) {
      row[`${p.key}_lb`] = site.emissions_lb?.[p.key] ?? null;
      row[`${p.key}_rate_lb_per_mwh`] = site.rates_lb_per_mwh?.[p.key] ?? null;
    }
    return row;
  });
}

/** The batch report as CSV text; text cells a spreadsheet would run as formulas are neutralised by rowsToCsv. */
export function reportCsv(report: EstimateReport): string {
  return rowsToCsv(reportRows(report), reportColumns(report));
}

/** An example sites file for the upload. */
export const SITES_TEMPLATE = "site_id,zip,subregion,kwh\nanchorage-office,99501,,120000\nboston-hq,02108,,250000\ntexas-depot,,ERCT,900000\n";
