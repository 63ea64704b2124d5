import type { Row } from "./export";

// Reading API rows: numbers may arrive as numbers, numeric strings or null.

export function num(row: Row | undefined, column: string): number | null {
  const value = row?.[column];
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

export function text(row: Row | undefined, column: string): string {
  const value = row?.[column];
  return value === null || value === undefined ? "" : String(value);
}

export function sum(rows: readonly Row[], column: string): number | null {
  let total = 0;
  let seen = false;
  for (const row of rows) {
    const value = num(row, column);
    if (value !== null) {
      total += value;
      seen = true;
    }
  }
  return seen ? total : null;
}

/** The region code of a region row, whatever the level calls it. */
export function regionCode(row: Row): string {
  return text(row, "code") || text(row, "region_code") || text(row, "state") || text(row, "subregion") || text(row, "ba_code") || text(row, "nerc_region");
}

export function regionName(row: Row): string {
  return text(row, "name") || text(row, "region_name") || text(row, "state_name") || text(row, "subregion_name") || text(row, "ba_name") || regionCode(row);
}
