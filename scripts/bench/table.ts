import type { BenchRow } from "./types.js";

/** The benchmarks' console tables: a title, a header and aligned columns. */
export function printTable(title: string, header: readonly string[], rows: readonly string[][]): void {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ");
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("-|-")}`);
  for (const row of rows) console.log(line(row));
}

/** Benchmark rows as a table of operation, size, value and unit. */
export function printRows(title: string, rows: readonly BenchRow[]): void {
  printTable(
    title,
    ["operation", "size", "value", "unit"],
    rows.map((row) => [row.operation, row.size ?? "", String(row.value), row.unit]),
  );
}

/** Benchmark rows as the aligned text a bench writes to bench/<name>.txt. */
export function rowsText(rows: readonly BenchRow[], operationWidth: number): string {
  const lines = rows.map(
    (r) =>
      `${r.operation.padEnd(operationWidth)} ${(r.size ?? "").padEnd(16)} ${String(r.value).padStart(10)} ${r.unit}`,
  );
  return `${lines.join("\n")}\n`;
}
