/**
 * A decrypted query answer (lib/query's QueryAnswer) as the dApp shows it: a table, with the same
 * columns as the answer's CSV (group-by fields, then each aggregate, one column per bin or
 * quantile level), and one bar series for a chart, with its bars laid out for an SVG.
 */
import type { AnswerValue, QueryAnswer } from "../../../lib/query/execute.js";

/** The answer as a table of display text. */
export interface AnswerTable {
  columns: string[];
  rows: string[][];
}

/** A released number for display: integers exact, others to 2 decimals (the noise dwarfs more). */
export function formatAnswerNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** Keys of an aggregate's per-bin or per-level values, undefined for a single number. */
function binKeys(aggregate: QueryAnswer["aggregates"][number]): string[] | undefined {
  return aggregate.kind === "quantile" ? aggregate.q?.map(String) : aggregate.bins;
}

function binValue(value: AnswerValue | undefined, key: string): number | null | undefined {
  return value !== null && typeof value === "object" ? value[key] : undefined;
}

/** One row per released group; "—" where a value could not be derived. */
export function answerTable(answer: QueryAnswer): AnswerTable {
  const groupFields = answer.groupBy.map((group) => group.field);
  const columns = [...groupFields];
  const cells: ((values: Record<string, AnswerValue>) => string)[] = [];
  for (const aggregate of answer.aggregates) {
    const keys = binKeys(aggregate);
    if (keys === undefined) {
      columns.push(aggregate.name);
      cells.push((values) => formatAnswerNumber(values[aggregate.name] as number | null));
    } else {
      for (const key of keys) {
        columns.push(`${aggregate.name}[${key}]`);
        cells.push((values) => formatAnswerNumber(binValue(values[aggregate.name], key)));
      }
    }
  }
  const rows = answer.rows.map((row) => [
    ...groupFields.map((field) => String(row.group[field])),
    ...cells.map((cell) => cell(row.values)),
  ]);
  return { columns, rows };
}

/** One bar of the chart. */
export interface Bar {
  label: string;
  value: number;
}

/** What the chart shows. */
export interface BarSeries {
  /** What the bars measure ("mean_yearsOfExperience by city"). */
  title: string;
  bars: Bar[];
}

/**
 * The series worth a chart: with one released row and a histogram (or quantiles), its bins; else
 * the first aggregate the buyer asked for (the count when it is the only one) across the groups.
 * Undefined when nothing was released.
 */
export function answerSeries(answer: QueryAnswer): BarSeries | undefined {
  if (answer.rows.length === 0) return undefined;
  const asked = answer.aggregates.filter((aggregate) => !aggregate.implicit);
  const binned = asked.find((aggregate) => binKeys(aggregate) !== undefined);
  if (answer.rows.length === 1 && binned !== undefined) {
    const values = answer.rows[0]!.values[binned.name];
    return {
      title: binned.name,
      bars: binKeys(binned)!.map((key) => ({ label: key, value: binValue(values, key) ?? 0 })),
    };
  }
  const scalar =
    asked.find((aggregate) => binKeys(aggregate) === undefined && aggregate.kind !== "count") ??
    answer.aggregates.find((aggregate) => aggregate.kind === "count")!;
  const groupFields = answer.groupBy.map((group) => group.field);
  return {
    title: groupFields.length > 0 ? `${scalar.name} by ${groupFields.join(" and ")}` : scalar.name,
    bars: answer.rows.map((row) => ({
      label:
        groupFields.length > 0
          ? groupFields.map((field) => String(row.group[field])).join(" · ")
          : "all",
      value: (row.values[scalar.name] as number | null) ?? 0,
    })),
  };
}

/** A bar's rectangle in an SVG box (y grows downwards), with the baseline at 0. */
export interface BarRect extends Bar {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Layout of `bars` in a width × height box; negative noisy values hang below the baseline. */
export function layoutBars(
  bars: readonly Bar[],
  width: number,
  height: number,
): { rects: BarRect[]; baseline: number; max: number; min: number } {
  const max = Math.max(0, ...bars.map((bar) => bar.value));
  const min = Math.min(0, ...bars.map((bar) => bar.value));
  const span = max - min || 1;
  const baseline = height * (max / span);
  const slot = width / Math.max(1, bars.length);
  const rects = bars.map((bar, index) => {
    const barHeight = (Math.abs(bar.value) / span) * height;
    return {
      ...bar,
      x: index * slot + slot * 0.15,
      y: bar.value >= 0 ? baseline - barHeight : baseline,
      width: slot * 0.7,
      height: barHeight,
    };
  });
  return { rects, baseline, max, min };
}
