import type { ReactNode } from "react";
import { columnLabel, formatColumnValue, unitOfColumn } from "../lib/format";
import type { Row } from "../lib/export";

export interface SortState {
  column: string;
  descending: boolean;
}

/** `-net_generation_mwh` ⇄ {column, descending}: the API's sort syntax. */
export function parseSort(sort: string): SortState | null {
  if (!sort) return null;
  return sort.startsWith("-") ? { column: sort.slice(1), descending: true } : { column: sort, descending: false };
}

export function nextSort(current: string, column: string): string {
  const state = parseSort(current);
  if (state?.column === column) return state.descending ? column : `-${column}`;
  return unitOfColumn(column) === "none" ? column : `-${column}`; // numbers start largest first
}

export function DataTable({
  rows,
  columns,
  caption,
  sort,
  onSort,
  sortable,
  highlightKey,
  rowKey,
  renderCell,
  onRowClick,
}: {
  rows: readonly Row[];
  columns: readonly string[];
  caption: string;
  sort?: string;
  onSort?: (sort: string) => void;
  sortable?: (column: string) => boolean;
  highlightKey?: string | null;
  rowKey: (row: Row, index: number) => string;
  renderCell?: (column: string, row: Row) => ReactNode | undefined;
  onRowClick?: (row: Row) => void;
}) {
  const current = parseSort(sort ?? "");
  return (
    <div className="table-wrap">
      <table className="data">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => {
              const numeric = unitOfColumn(column) !== "none";
              const active = current?.column === column;
              const canSort = Boolean(onSort) && (sortable ? sortable(column) : true);
              return (
                <th
                  key={column}
                  scope="col"
                  className={numeric ? "num" : undefined}
                  aria-sort={active ? (current.descending ? "descending" : "ascending") : undefined}
                >
                  {canSort ? (
                    <button type="button" onClick={() => onSort?.(nextSort(sort ?? "", column))} data-column={column}>
                      {columnLabel(column)} {active ? (current.descending ? "▼" : "▲") : ""}
                    </button>
                  ) : (
                    columnLabel(column)
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => {
            const key = rowKey(row, index);
            return (
              <tr
                key={key}
                className={highlightKey === key ? "highlight" : undefined}
                onClick={onRowClick ? () => onRowClick(row) : undefined}
                style={onRowClick ? { cursor: "pointer" } : undefined}
              >
                {columns.map((column) => (
                  <td key={column} className={unitOfColumn(column) !== "none" ? "num" : undefined}>
                    {renderCell?.(column, row) ?? formatColumnValue(column, row[column])}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
