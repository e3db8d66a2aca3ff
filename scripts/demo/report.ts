/** The demo's terminal output: a progress display and the closing summary. */
import { formatTokenAmount } from "../../lib/audit/money.js";
import { CONSENT_SCOPE, describeScope } from "../../lib/contracts/index.js";
import { renderAnswerTable } from "../../lib/query/buyer.js";
import { formatEpsilon } from "../../lib/query/index.js";
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
      } else if (done === total || done % 10 === 0) {
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

/** The query's answer table and its privacy cost. */
function answerSection(result: DemoResult): string {
  const { query } = result;
  const { answer } = query;
  return [
    `Query answer: ${answer.aggregates.map((a) => a.name).join(", ")} by ${answer.groupBy.map((g) => g.field).join(" × ")} (discrete Laplace noise; groups whose noisy count is below ${answer.minNoisyCount} withheld: ${answer.withheldGroups})`,
    indent(renderAnswerTable(query.csv)),
    `ε used by this answer: ${formatEpsilon(query.epsilonSpent)}; the pool's privacy budget: ${formatEpsilon(query.epsilonRemaining)} of ${formatEpsilon(query.epsilonBudget)} left`,
  ].join("\n");
}

/** Per contributor: its consent's scope and what each product (and the bounty) paid it. */
function contributorTable(result: DemoResult): string {
  const money = (wei: bigint) => formatTokenAmount(wei, result.units);
  const header = ["contributor", "consent allows", "record sales", "queries", "bounty", "claimed"];
  const rows = result.contributors.map((c, index) => [
    `${String(index + 1).padStart(2)} ${short(c.address)}${c.revoked ? " (revoked)" : ""}`,
    describeScope(c.scope),
    money(c.earned.records),
    money(c.earned.queries),
    money(c.earned.bounty),
    money(c.claimed),
  ]);
  const statisticsOnly = result.contributors.filter((c) => c.scope === CONSENT_SCOPE.statistics);
  const widths = header.map((_, column) =>
    Math.max(header[column]!.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  return [
    `Paid to each contributor, by product (the ${statisticsOnly.length} statistics-only contributors earn from queries only)`,
    indent(
      [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n"),
    ),
  ].join("\n");
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
