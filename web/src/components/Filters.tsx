import { useMemo } from "react";
import { useRegions, useStates, useYears } from "../api/queries";
import { FUELS } from "../lib/fuels";
import { STATE_NAMES } from "../map/states";
import { MultiSelect, type Option } from "./MultiSelect";
import type { Row } from "../lib/export";
import type { Metric } from "../lib/metrics";

/** The years loaded, newest first, from /years (rows carry `data_year` or `year`). */
export function yearsFrom(rows: readonly Row[]): number[] {
  const years = rows.map((row) => Number(row.data_year ?? row.year)).filter(Number.isFinite);
  return [...new Set(years)].sort((a, b) => b - a);
}

/**
 * The loaded years, newest first, and the default year of a view: the latest year that holds
 * one of `levels` (the data the view shows: plants for the map, region sheets or plants for
 * Regions, the chosen level for Data), so that no view opens on a year it has nothing for.
 * `levelsByYear` says which levels each year has, for the year picker.
 */
export function useYearOptions(levels?: readonly string[]): {
  years: number[];
  latest: string | undefined;
  plantYears: number[];
  levelsByYear: Record<number, string[]>;
  isPending: boolean;
  error: unknown;
} {
  const query = useYears();
  const rows = query.data?.data;
  const years = useMemo(() => yearsFrom((rows ?? []).filter((row) => row.level !== "ggl" && row.level !== "location")), [rows]);
  const plantYears = useMemo(() => yearsFrom((rows ?? []).filter((row) => row.level === "plant")), [rows]);
  const levelsByYear = useMemo(() => {
    const out: Record<number, string[]> = {};
    for (const row of rows ?? []) {
      const year = Number(row.data_year ?? row.year);
      if (!Number.isFinite(year)) continue;
      (out[year] ??= []).push(String(row.level));
    }
    for (const list of Object.values(out)) list.sort();
    return out;
  }, [rows]);
  const key = levels?.join(",") ?? "";
  const latest = useMemo(() => {
    const wanted = levels ? years.filter((year) => (levelsByYear[year] ?? []).some((level) => levels.includes(level))) : years;
    return (wanted[0] ?? years[0])?.toString();
  }, [years, levelsByYear, key]); // eslint-disable-line react-hooks/exhaustive-deps
  return { years, latest, plantYears, levelsByYear, isPending: query.isPending, error: query.error };
}

export function YearSelect({
  value,
  onChange,
  years,
  levelsByYear,
}: {
  value: string;
  onChange: (year: string) => void;
  years: number[];
  levelsByYear?: Record<number, string[]>;
}) {
  return (
    <label className="field">
      Year
      <select name="year" value={value} onChange={(e) => onChange(e.target.value)}>
        {years.map((year) => (
          <option key={year} value={year}>
            {levelsByYear?.[year] ? `${year} (${levelsByYear[year]!.join(", ")})` : year}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A labelled choice of metric, each shown with its unit. */
export function MetricSelect({
  label,
  name,
  value,
  metrics,
  onChange,
}: {
  label: string;
  name: string;
  value: string;
  metrics: readonly Metric[];
  onChange: (code: string) => void;
}) {
  return (
    <label className="field">
      {label}
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
        {metrics.map((m) => (
          <option key={m.code} value={m.code}>
            {m.label} ({m.unit})
          </option>
        ))}
      </select>
    </label>
  );
}

function codesOf(rows: readonly Row[] | undefined): Option[] {
  const codes = (rows ?? [])
    .map((row) => String(row.code ?? row.region_code ?? row.subregion ?? row.ba_code ?? row.nerc_region ?? ""))
    .filter(Boolean);
  return [...new Set(codes)].sort().map((code) => {
    const row = rows?.find((r) => String(r.code ?? r.region_code ?? "") === code);
    const name = row ? String(row.name ?? row.region_name ?? "") : "";
    return { value: code, label: name && name !== code ? `${code} · ${name}` : code };
  });
}

export function useStateOptions(): Option[] {
  const states = useStates();
  return useMemo(() => {
    const rows = states.data?.data ?? [];
    const codes = rows.length
      ? rows.map((row) => String(row.code ?? row.state ?? row.abbr ?? "")).filter(Boolean)
      : Object.keys(STATE_NAMES);
    return [...new Set(codes)].sort().map((code) => ({ value: code, label: `${code} · ${STATE_NAMES[code] ?? code}` }));
  }, [states.data]);
}

export const FUEL_OPTIONS: Option[] = FUELS.map((fuel) => ({ value: fuel.code, label: fuel.label }));

export interface PlantFilterValues {
  year: string;
  state: string[];
  fuel: string[];
  subregion: string[];
  ba: string[];
  nerc: string[];
}

export function PlantFilterBar({
  values,
  onChange,
  years,
  levelsByYear,
  show = ["state", "fuel", "subregion", "ba", "nerc"],
}: {
  values: PlantFilterValues;
  onChange: (changes: Partial<PlantFilterValues>) => void;
  years: number[];
  levelsByYear?: Record<number, string[]>;
  show?: ("state" | "fuel" | "subregion" | "ba" | "nerc")[];
}) {
  const states = useStateOptions();
  const subregions = useRegions("subregion", values.year);
  const bas = useRegions("ba", values.year);
  const nercs = useRegions("nerc", values.year);
  return (
    <>
      <YearSelect value={values.year} years={years} levelsByYear={levelsByYear} onChange={(year) => onChange({ year })} />
      {show.includes("state") && <MultiSelect name="state" label="State" options={states} value={values.state} onChange={(state) => onChange({ state })} />}
      {show.includes("fuel") && <MultiSelect name="fuel" label="Primary fuel" options={FUEL_OPTIONS} value={values.fuel} onChange={(fuel) => onChange({ fuel })} />}
      {show.includes("subregion") && (
        <MultiSelect name="subregion" label="eGRID subregion" options={codesOf(subregions.data?.data)} value={values.subregion} onChange={(subregion) => onChange({ subregion })} />
      )}
      {show.includes("ba") && <MultiSelect name="ba" label="Balancing authority" options={codesOf(bas.data?.data)} value={values.ba} onChange={(ba) => onChange({ ba })} />}
      {show.includes("nerc") && <MultiSelect name="nerc" label="NERC region" options={codesOf(nercs.data?.data)} value={values.nerc} onChange={(nerc) => onChange({ nerc })} />}
    </>
  );
}
