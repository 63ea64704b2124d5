// Exports of exactly what is on screen: the rows shown, in the order shown, with the columns shown.

export type Row = Record<string, unknown>;

// Text a spreadsheet may run as a formula (OWASP, "CSV Injection"), unless it is a plain number
// such as "-11", which a spreadsheet reads as that number. The platform's own CSVs do the same
// (src/plant_analytics/csv_safety.py, docs/api.md "CSV and spreadsheets").
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A text cell that a spreadsheet would run gets a leading single quote; numbers never change. */
export function neutraliseCell(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  const safe = neutraliseCell(text);
  return safe !== text || /[",\r\n]/.test(safe) || /^\s|\s$/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function rowsToCsv(rows: readonly Row[], columns: readonly string[]): string {
  const lines = [columns.map(csvCell).join(",")];
  for (const row of rows) lines.push(columns.map((column) => csvCell(row[column])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

export function rowsToJson(rows: readonly Row[], columns: readonly string[]): string {
  const picked = rows.map((row) => Object.fromEntries(columns.map((column) => [column, row[column] ?? null])));
  return `${JSON.stringify(picked, null, 2)}\n`;
}

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadShownRows(
  rows: readonly Row[],
  columns: readonly string[],
  format: "csv" | "json",
  baseName: string,
): void {
  const text = format === "csv" ? rowsToCsv(rows, columns) : rowsToJson(rows, columns);
  const type = format === "csv" ? "text/csv;charset=utf-8" : "application/json";
  downloadBlob(new Blob([text], { type }), `${baseName}.${format}`);
}

type ParquetType = "DOUBLE" | "BOOLEAN" | "STRING";

function parquetTypeOf(rows: readonly Row[], column: string): ParquetType {
  const values = rows.map((row) => row[column]).filter((value) => value !== null && value !== undefined);
  if (values.length && values.every((value) => typeof value === "number")) return "DOUBLE";
  if (values.length && values.every((value) => typeof value === "boolean")) return "BOOLEAN";
  return "STRING";
}

/** A Parquet file of the shown rows and columns, written in the browser (the API's Parquet has every column). */
export async function rowsToParquet(rows: readonly Row[], columns: readonly string[]): Promise<ArrayBuffer> {
  const { parquetWriteBuffer } = await import("hyparquet-writer");
  return parquetWriteBuffer({
    columnData: columns.map((name) => {
      const type = parquetTypeOf(rows, name);
      const data = rows.map((row) => {
        const value = row[name];
        if (value === null || value === undefined) return null;
        if (type === "STRING") return typeof value === "object" ? JSON.stringify(value) : String(value);
        return value;
      });
      return { name, data, type, nullable: true };
    }),
  });
}
