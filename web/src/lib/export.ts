// Exports of exactly what is on screen: the rows shown, in the order shown, with the columns shown.

export type Row = Record<string, unknown>;

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
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
