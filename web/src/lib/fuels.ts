// Fuel colours from the Okabe-Ito palette, which stays distinguishable with the common colour-vision deficiencies.
// Eight hues for eleven categories: the rarest categories share grey, and every mark also carries a text label.

export interface Fuel {
  code: string; // fuel_category as eGRID writes it (PLFUELCT)
  share: string; // canonical resource-mix column
  label: string;
  color: string;
}

export const FUELS: readonly Fuel[] = [
  { code: "COAL", share: "coal_share", label: "Coal", color: "#000000" },
  { code: "OIL", share: "oil_share", label: "Oil", color: "#D55E00" },
  { code: "GAS", share: "gas_share", label: "Gas", color: "#E69F00" },
  { code: "NUCLEAR", share: "nuclear_share", label: "Nuclear", color: "#CC79A7" },
  { code: "HYDRO", share: "hydro_share", label: "Hydro", color: "#0072B2" },
  { code: "BIOMASS", share: "biomass_share", label: "Biomass", color: "#009E73" },
  { code: "WIND", share: "wind_share", label: "Wind", color: "#56B4E9" },
  { code: "SOLAR", share: "solar_share", label: "Solar", color: "#F0E442" },
  { code: "GEOTHERMAL", share: "geothermal_share", label: "Geothermal", color: "#882255" },
  { code: "OFSL", share: "other_fossil_share", label: "Other fossil", color: "#666666" },
  { code: "OTHF", share: "other_unknown_purchased_share", label: "Other / unknown", color: "#BBBBBB" },
];

const BY_CODE = new Map(FUELS.map((fuel) => [fuel.code, fuel]));
const ALIASES: Record<string, string> = {
  "OTHER FOSSIL": "OFSL",
  OTHER_FOSSIL: "OFSL",
  OTHER: "OTHF",
  "OTHER UNKNOWN": "OTHF",
  PURCHASED: "OTHF",
  STORAGE: "OTHF",
};

export function fuelOf(code: string | null | undefined): Fuel {
  const key = (code ?? "").trim().toUpperCase();
  return BY_CODE.get(key) ?? BY_CODE.get(ALIASES[key] ?? "") ?? { code: key || "UNKNOWN", share: "", label: code || "Unknown", color: "#BBBBBB" };
}

export function fuelColor(code: string | null | undefined): string {
  return fuelOf(code).color;
}

/** The resource mix of a row as (fuel, fraction) pairs, largest first, zeros left out. */
export function resourceMix(row: Record<string, unknown>): { fuel: Fuel; share: number }[] {
  return FUELS.map((fuel) => ({ fuel, share: Number(row[fuel.share] ?? 0) }))
    .filter((part) => Number.isFinite(part.share) && part.share > 0)
    .sort((a, b) => b.share - a.share);
}
