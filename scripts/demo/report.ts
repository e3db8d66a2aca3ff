/** The demo's terminal output: a progress display and the closing summary. */
import { formatTokenAmount } from "../../lib/audit/money.js";
import { CONSENT_SCOPE, describeScope } from "../../lib/contracts/index.js";
import { formatEpsilon, type QueryAnswer } from "../../lib/query/index.js";
import type { AnswerAggregate, AnswerValue } from "../../lib/query/execute.js";
import type { DemoReporter, DemoResult } from "./scenario.js";

/** Progress on one line when writing to a terminal, one line per milestone otherwise. */
export function terminalReporter(out: NodeJS.WriteStream = process.stdout): DemoReporter {
  let step = 0;
  let barOpen = false;
  const closeBar = () => {
    if (barOpen) out.write("\n");
    barOpen = false;
  };
  return {
    step(title) {
      closeBar();
      out.write(`\n${++step}. ${title}\n`);
    },
    progress(label, done, total) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      const line = `   [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${label}`;
      if (out.isTTY) {
        out.write(`\r${line}`);
        barOpen = done < total;
        if (done === total) out.write("\n");
      } else if (done === total || done % Math.ceil(total / 4) === 0) {
        out.write(`${line}\n`);
      }
    },
    info(line) {
      closeBar();
      out.write(`   ${line}\n`);
    },
  };
}

/**
 * The summary printed at the end: what each buyer paid for which product and received, the
 * query's answer with the ε it spent and what is left of the pool's budget, and what each
 * contributor was paid by each product (all amounts in token units with their symbol).
 */
export function summarise(result: DemoResult): string {
  return [
    "",
    "Summary",
    "",
    labelled(salesRows(result)),
    "",
    answerSection(result),
    "",
    contributorTable(result),
  ].join("\n");
}

/** Buyers, curator, platform, rejections and erasures as label/value rows. */
function salesRows(result: DemoResult): [string, string][] {
  const money = (wei: bigint) => formatTokenAmount(wei, result.units);
  const poolSize = result.contributors.length;
  const rows: [string, string][] = [];
  for (const purchase of result.purchases) {
    rows.push([
      `buyer ${short(purchase.buyer)}: record sale #${purchase.purchaseId}`,
      `paid ${money(purchase.amount)} → ${purchase.records.length} of the pool's ${poolSize} records decrypted (no statistics-only one)`,
    ]);
  }
  const { query } = result;
  rows.push([
    `analyst ${short(query.buyer)}: query #${query.purchaseId}`,
    `paid ${money(query.amount)} → an answer over ${query.recordsUsed.length} records, no record copied`,
  ]);
  rows.push(["platform (treasury) claimed", money(result.claimed.treasury)]);
  rows.push(["curator claimed", money(result.claimed.curator)]);
  for (const rejection of result.rejections) {
    rows.push([`rejected: ${rejection.label}`, rejection.reason]);
  }
  rows.push([
    "erasures owed by the first buyer",
    `${result.erasureAttested.owedBefore} → ${result.erasureAttested.owedAfter} after its attestation`,
  ]);
  return rows;
}

/** The query's answer table (rounded for display), what its noise means, and its privacy cost. */
function answerSection(result: DemoResult): string {
  const { query } = result;
  const { answer } = query;
  return [
    `Query answer: ${answer.aggregates.map((a) => a.name).join(", ")} by ${answer.groupBy.map((g) => g.field).join(" × ")} (discrete Laplace noise; groups whose noisy count is below ${answer.minNoisyCount} withheld: ${answer.withheldGroups})`,
    indent(answerTable(answer)),
    `  ${noiseLine(answer)}`,
    `ε used by this answer: ${formatEpsilon(query.epsilonSpent)}; the pool's privacy budget: ${formatEpsilon(query.epsilonRemaining)} of ${formatEpsilon(query.epsilonBudget)} left`,
  ].join("\n");
}

/**
 * The answer's rows with each value rounded to what its noise leaves meaningful: counts are
 * integers already, means and sums get one decimal (the answer document keeps every digit).
 */
export function answerTable(answer: QueryAnswer): string {
  const fields = answer.groupBy.map((g) => g.field);
  const shown = answer.aggregates.filter((a) => !a.implicit);
  const rows = answer.rows.map((row) => [
    ...fields.map((field) => String(row.group[field])),
    ...shown.map((a) => displayValue(row.values[a.name], a.kind)),
  ]);
  return table([...fields, ...shown.map((a) => a.name)], rows);
}

/**
 * One value as the table shows it: counts (and histogram bins, which are counts) as integers;
 * means, sums and quantiles always with one decimal, so a mean that happens to land on a whole
 * number reads "8.0" like the rest of its column.
 */
function displayValue(value: AnswerValue | undefined, kind: string): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") {
    return kind === "count" || kind === "histogram" ? String(value) : value.toFixed(1);
  }
  return Object.entries(value)
    .map(([label, v]) => `${label}: ${displayValue(v, kind)}`)
    .join(", ");
}

/** ln 20: for discrete Laplace noise of scale b, P(|Z| ≥ k) ≈ e^(−k/b), so 95% lie within b·ln 20. */
const LN_20 = Math.log(20);

/**
 * One plain line on the noise, from the scales the answer document publishes: the 95% margin of
 * counts and sums, and for a mean, whose noise is on the group's sum and divided by its count, the
 * typical and 95% error in the smallest released group.
 */
export function noiseLine(answer: QueryAnswer): string {
  // Every answer has a count (the query's, or one the engine added): a mean's denominator.
  const countName = answer.aggregates.find((a) => a.kind === "count")?.name ?? "count";
  const counts = answer.rows
    .map((row) => row.values[countName])
    .filter((v) => typeof v === "number");
  const smallest = counts.length > 0 ? Math.max(1, Math.min(...counts)) : undefined;
  const parts = answer.aggregates
    .filter((a) => !a.implicit)
    .map((a) => describeNoise(a, smallest))
    .filter((part) => part !== undefined);
  return `Noise: ${parts.join("; ")}.`;
}

function describeNoise(aggregate: AnswerAggregate, smallestCount?: number): string | undefined {
  const scale = noiseScale(aggregate);
  const margin = (value: number) => `±${round(value)}`;
  switch (aggregate.kind) {
    case "count":
    case "histogram":
    case "sum":
      return `each ${aggregate.name} is within ${margin(scale * LN_20)} of the truth 95% of the time (scale ${round(scale)})`;
    case "mean":
      if (smallestCount === undefined) return undefined;
      return `each ${aggregate.name} has noise of scale ${round(scale)} on its group's sum, divided by the count: in the smallest group (count ${smallestCount}) typically ${margin(scale / smallestCount)}, within ${margin((scale * LN_20) / smallestCount)} 95% of the time`;
    case "quantile":
      return undefined;
  }
}

/** The aggregate's noise scale in the field's units ("n/d" or an integer, times its unit). */
function noiseScale(aggregate: AnswerAggregate): number {
  const [numerator, denominator = "1"] = aggregate.noise.scale.split("/");
  return (Number(numerator) / Number(denominator)) * aggregate.noise.unit;
}

/** One decimal below 10, none above: the precision a noise margin deserves. */
function round(value: number): string {
  const tenths = Number(value.toFixed(1));
  return tenths >= 10 ? tenths.toFixed(0) : tenths.toFixed(1);
}

/** Contributors who were paid the very same way, shown as one row. */
export interface PayoutGroup {
  scope: number;
  revoked: boolean;
  /** How many contributors share this row. */
  count: number;
  /** What each of them received, in wei. */
  records: bigint;
  queries: bigint;
  bounty: bigint;
  claimed: bigint;
}

/**
 * The contributors grouped by consent scope, status and amounts (one row per distinct pay, in order
 * of first appearance), so that a pool of 120 reads as a few lines.
 */
export function payoutGroups(result: DemoResult): PayoutGroup[] {
  const groups = new Map<string, PayoutGroup>();
  for (const c of result.contributors) {
    const row = {
      scope: c.scope,
      revoked: c.revoked,
      records: c.earned.records,
      queries: c.earned.queries,
      bounty: c.earned.bounty,
      claimed: c.claimed,
    };
    const key = JSON.stringify(row, (_, value: unknown) =>
      typeof value === "bigint" ? value.toString() : value,
    );
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { ...row, count: 1 });
  }
  return [...groups.values()];
}

/** What each kind of contributor was paid by each product (and the bounty), and the total. */
function contributorTable(result: DemoResult): string {
  const money = (wei: bigint) => formatTokenAmount(wei, result.units);
  const groups = payoutGroups(result);
  const header = [
    "contributors",
    "consent allows",
    "status",
    "record sales",
    "queries",
    "bounty",
    "claimed each",
  ];
  const rows = groups.map((g) => [
    `× ${g.count}`,
    describeScope(g.scope),
    g.revoked ? "revoked" : "active",
    money(g.records),
    money(g.queries),
    money(g.bounty),
    money(g.claimed),
  ]);
  const total = groups.reduce((sum, g) => sum + g.claimed * BigInt(g.count), 0n);
  const statisticsOnly = result.contributors.filter((c) => c.scope === CONSENT_SCOPE.statistics);
  return [
    `Paid to each contributor, by product (the ${statisticsOnly.length} statistics-only contributors earn from queries only)`,
    indent(table(header, rows)),
    `  claimed by all ${result.contributors.length} contributors: ${money(total)}`,
  ].join("\n");
}

/** A plain-text table: header, a rule, then the rows, columns padded to their widest cell. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((_, column) =>
    Math.max(header[column]!.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function labelled(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}

function short(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}
