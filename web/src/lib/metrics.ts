import type { Unit } from "./format";

export interface Metric {
  code: string;
  label: string;
  unit: Unit;
  /** Rates are shaded and ranked like totals, but never summed. */
  isRate?: boolean;
}

export const METRICS: readonly Metric[] = [
  { code: "net_generation_mwh", label: "Net generation", unit: "MWh" },
  { code: "nameplate_capacity_mw", label: "Nameplate capacity", unit: "MW" },
  { code: "co2_tons", label: "CO₂ emissions", unit: "tons" },
  { code: "co2_rate_lb_per_mwh", label: "CO₂ output rate", unit: "lb/MWh", isRate: true },
  { code: "nox_tons", label: "NOₓ emissions", unit: "tons" },
  { code: "so2_tons", label: "SO₂ emissions", unit: "tons" },
];

export function metricOf(code: string): Metric {
  return METRICS.find((metric) => metric.code === code) ?? METRICS[0]!;
}

/** Metrics that can size a plant circle (rates cannot: a small plant may have a high rate). */
export const SIZE_METRICS = METRICS.filter((metric) => !metric.isRate);
