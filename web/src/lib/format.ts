// Numbers always carry their unit, scaled to stay readable (MWh → GWh → TWh).

const NBSP = "\u00a0";
export const EMPTY = "—";

function isMissing(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || Number.isNaN(value);
}

export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (isMissing(value)) return EMPTY;
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** Three significant digits at most, never scientific notation. */
function compact(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString("en-US", { maximumFractionDigits: digits });
}

export function formatEnergy(mwh: number | null | undefined): string {
  if (isMissing(mwh)) return EMPTY;
  const abs = Math.abs(mwh);
  if (abs >= 1e6) return `${compact(mwh / 1e6)}${NBSP}TWh`;
  if (abs >= 1e3) return `${compact(mwh / 1e3)}${NBSP}GWh`;
  return `${compact(mwh)}${NBSP}MWh`;
}

export function formatPower(mw: number | null | undefined): string {
  if (isMissing(mw)) return EMPTY;
  const abs = Math.abs(mw);
  if (abs >= 1e3) return `${compact(mw / 1e3)}${NBSP}GW`;
  return `${compact(mw)}${NBSP}MW`;
}

export function formatTons(tons: number | null | undefined): string {
  if (isMissing(tons)) return EMPTY;
  const abs = Math.abs(tons);
  if (abs >= 1e9) return `${compact(tons / 1e9)}${NBSP}billion tons`;
  if (abs >= 1e6) return `${compact(tons / 1e6)}${NBSP}million tons`;
  if (abs >= 1e4) return `${compact(tons / 1e3)}k${NBSP}tons`;
  return `${formatNumber(tons, abs < 10 ? 2 : 0)}${NBSP}tons`;
}

export function formatRate(lbPerMwh: number | null | undefined): string {
  if (isMissing(lbPerMwh)) return EMPTY;
  return `${formatNumber(lbPerMwh, 1)}${NBSP}lb/MWh`;
}

export function formatShare(fraction: number | null | undefined): string {
  if (isMissing(fraction)) return EMPTY;
  return `${(fraction * 100).toLocaleString("en-US", { maximumFractionDigits: 1 })}%`;
}

export function formatCount(value: number | null | undefined): string {
  return formatNumber(value, 0);
}

export type Unit = "MWh" | "MW" | "tons" | "lb/MWh" | "share" | "count" | "none";

export function formatByUnit(value: number | null | undefined, unit: Unit): string {
  switch (unit) {
    case "MWh":
      return formatEnergy(value);
    case "MW":
      return formatPower(value);
    case "tons":
      return formatTons(value);
    case "lb/MWh":
      return formatRate(value);
    case "share":
      return formatShare(value);
    case "count":
      return formatCount(value);
    default:
      return formatNumber(value, 2);
  }
}

/** The unit of a canonical column, read from its name (the names say what and in which unit). */
export function unitOfColumn(column: string): Unit {
  if (column.endsWith("_mwh") && column.includes("_rate_")) return "lb/MWh";
  if (column.endsWith("_lb_per_mwh")) return "lb/MWh";
  if (column.endsWith("_mwh")) return "MWh";
  if (column.endsWith("_mw")) return "MW";
  if (column.endsWith("_tons")) return "tons";
  if (column.endsWith("_share")) return "share";
  if (column.endsWith("_count") || column === "plant_count") return "count";
  return "none";
}

export function formatColumnValue(column: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return EMPTY;
  if (typeof value === "number") {
    const unit = unitOfColumn(column);
    if (unit === "none") {
      return column.endsWith("_id") || column.includes("_id_") || column === "year" || column === "data_year"
        ? String(value)
        : formatNumber(value, 3);
    }
    return formatByUnit(value, unit);
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

/** A column name as a label: `net_generation_mwh` → "Net generation (MWh)". */
export function columnLabel(column: string): string {
  const known: Record<string, string> = {
    plant_id_eia: "Plant ID (EIA)",
    plant_name: "Plant",
    state: "State",
    fuel_category: "Primary fuel",
    primary_fuel: "Primary fuel code",
    ba_name: "Balancing authority name",
    county_name: "County",
    subregion: "eGRID subregion",
    ba_code: "Balancing authority",
    nerc_region: "NERC region",
    nameplate_capacity_mw: "Capacity (MW)",
    net_generation_mwh: "Net generation (MWh)",
    co2_tons: "CO₂ (tons)",
    co2_rate_lb_per_mwh: "CO₂ rate (lb/MWh)",
    nox_tons: "NOₓ (tons)",
    so2_tons: "SO₂ (tons)",
    nox_rate_lb_per_mwh: "NOₓ rate (lb/MWh)",
    so2_rate_lb_per_mwh: "SO₂ rate (lb/MWh)",
    latitude: "Latitude",
    longitude: "Longitude",
    data_year: "Year",
    year: "Year",
    plant_count: "Plants",
  };
  if (known[column]) return known[column];
  const units: [string, string][] = [
    ["_lb_per_mwh", " (lb/MWh)"],
    ["_mwh", " (MWh)"],
    ["_mw", " (MW)"],
    ["_tons", " (tons)"],
    ["_share", " share"],
  ];
  for (const [suffix, label] of units) {
    if (column.endsWith(suffix)) {
      const base = column.slice(0, -suffix.length).replaceAll("_", " ");
      return `${base.charAt(0).toUpperCase()}${base.slice(1)}${label}`;
    }
  }
  const text = column.replaceAll("_", " ");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
