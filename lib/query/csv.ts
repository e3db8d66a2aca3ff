/**
 * The answer as CSV, for spreadsheets and the CLI's --out: one line per released group. RFC 4180
 * as the record export writes it (CRLF, fields quoted when needed; see lib/delivery/export.ts).
 *
 * Columns: each group-by field, then each aggregate; a histogram or quantile aggregate takes one
 * column per bin or level, named `name[bin]` (e.g. `histogram_education[master]`,
 * `median[0.5]`). Empty cells are values that could not be derived (a mean over a noisy count
 * below 1). The privacy parameters are in the JSON answer, not here.
 */
import { csvField } from "../delivery/export.js";
import type { AnswerValue, QueryAnswer } from "./execute.js";

/** Renders the answer's rows as CSV. */
export function answerToCsv(answer: QueryAnswer): string {
  const groupFields = answer.groupBy.map((group) => group.field);
  const columns: { header: string; cell: (values: Record<string, AnswerValue>) => unknown }[] = [];
  for (const aggregate of answer.aggregates) {
    const keys = aggregate.kind === "quantile" ? aggregate.q!.map(String) : aggregate.bins;
    if (keys === undefined) {
      columns.push({ header: aggregate.name, cell: (values) => values[aggregate.name] });
    } else {
      for (const key of keys) {
        columns.push({
          header: `${aggregate.name}[${key}]`,
          cell: (values) => (values[aggregate.name] as Record<string, number | null> | null)?.[key],
        });
      }
    }
  }
  const lines = [[...groupFields, ...columns.map((column) => column.header)]];
  for (const row of answer.rows) {
    lines.push([
      ...groupFields.map((field) => String(row.group[field])),
      ...columns.map((column) => cellText(column.cell(row.values))),
    ]);
  }
  return lines.map((cells) => `${cells.map(csvField).join(",")}\r\n`).join("");
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  // Means and quantiles at 12 significant digits (noise dwarfs the rest); counts and sums exact.
  if (typeof value === "number" && !Number.isInteger(value))
    return String(Number(value.toPrecision(12)));
  return String(value);
}
