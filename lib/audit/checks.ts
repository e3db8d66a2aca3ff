/**
 * The five invariants, judged from the replayed ledger and the few facts read from the chain at the
 * audited block (balances, `erasuresOwed`, block times) or from the data bank node (manifests).
 * Pure functions: the I/O is in ./audit.ts.
 */
import type { Address } from "viem";
import {
  earnedDividends,
  tokenLabel,
  unsettledDividends,
  type CheckId,
  type Finding,
  type Ledger,
  type PurchaseLedger,
} from "./ledger.js";
import type { BalanceRow, CheckResult, ErasureRow } from "./report.js";

/** The invariants in words, as printed. */
export const CHECK_TITLES: Record<CheckId, string> = {
  balance:
    "contract balance = escrow + unclaimed credits + unsettled dividends + carry + bounty budgets",
  credits: "credits to contributions = contributors' share of fulfilled purchases",
  "record-counts": "delivered record count = active contributions at fulfilment",
  manifests: "deliveries list exactly the active contributions (no revoked record)",
  erasures: "no buyer with an overdue erasure attestation",
};

/** Renders a finding with a link to its transaction. */
export type FindingFormatter = (finding: Finding) => string;

/** The pools (and account) the report is restricted to. */
export interface AuditScope {
  /** Pools in scope. */
  poolIds: Set<number>;
}

function inScope(finding: Finding, scope: AuditScope): boolean {
  return finding.poolId === undefined || scope.poolIds.has(finding.poolId);
}

/** One line for several failures: how many, and the first. */
function summarise(failures: readonly string[]): string {
  return failures.length === 1
    ? failures[0]!
    : `${failures.length} discrepancies; first: ${failures[0]}`;
}

function verdict(
  id: CheckId,
  failures: string[],
  passMessage: string,
  details: string[] = [],
): CheckResult {
  return failures.length === 0
    ? { id, title: CHECK_TITLES[id], status: "PASS", message: passMessage, details }
    : {
        id,
        title: CHECK_TITLES[id],
        status: "FAIL",
        message: summarise(failures),
        details: failures,
      };
}

function findingsOf(
  ledger: Ledger,
  id: CheckId,
  scope: AuditScope,
  format: FindingFormatter,
): string[] {
  return ledger.findings
    .filter((finding) => finding.check === id && inScope(finding, scope))
    .map(format);
}

/**
 * The accounting identity of `token` from events: what the contract must hold. Everything comes
 * from the replay; only `balance` is read from the chain.
 */
export function expectedHoldings(ledger: Ledger, token: Address, balance: bigint): BalanceRow {
  let escrow = 0n;
  for (const sale of ledger.purchases.values()) {
    if (sale.paymentToken === token && sale.status === "pending") escrow += sale.amount;
  }
  let credits = 0n;
  for (const account of ledger.accounts.values())
    if (account.token === token) credits += account.credit;
  let dividends = 0n;
  for (const contribution of ledger.contributions.values()) {
    if (ledger.pools.get(contribution.poolId)?.paymentToken === token) {
      dividends += unsettledDividends(ledger, contribution);
    }
  }
  let carry = 0n;
  let bountyBudgets = 0n;
  for (const pool of ledger.pools.values()) {
    if (pool.paymentToken !== token) continue;
    carry += pool.carry;
    bountyBudgets += pool.bountyBudget;
  }
  const expected = escrow + credits + dividends + carry + bountyBudgets;
  return { token, balance, escrow, credits, dividends, carry, bountyBudgets, expected };
}

/** (1) Per token, the contract's balance equals what the events say it must hold. */
export function checkBalance(
  ledger: Ledger,
  balances: BalanceRow[],
  scope: AuditScope,
  format: FindingFormatter,
): CheckResult {
  const failures = findingsOf(ledger, "balance", scope, format);
  const details: string[] = [];
  for (const row of balances) {
    const identity = `escrow ${row.escrow} + credits ${row.credits} + dividends ${row.dividends} + carry ${row.carry} + bounty budgets ${row.bountyBudgets} = ${row.expected}`;
    if (row.balance !== row.expected) {
      const gap = row.balance - row.expected;
      failures.unshift(
        `${tokenLabel(row.token)}: the contract holds ${row.balance}, the events account for ${row.expected} (${identity}); ${gap > 0n ? `${gap} more` : `${-gap} less`} than owed`,
      );
    } else {
      details.push(`${tokenLabel(row.token)}: ${row.balance} = ${identity}`);
    }
  }
  const pass =
    balances.length === 0
      ? "no payments yet"
      : balances.map((row) => `${tokenLabel(row.token)} ${row.balance}`).join(", ") +
        " held, all accounted for";
  return verdict("balance", failures, pass, details);
}

/** (2) Per pool, what the contributions earned (replayed accumulator) plus the carry equals the contributors' share of every sale. */
export function checkCredits(
  ledger: Ledger,
  scope: AuditScope,
  format: FindingFormatter,
): CheckResult {
  const failures = findingsOf(ledger, "credits", scope, format);
  const details: string[] = [];
  let sales = 0;
  for (const pool of ledger.pools.values()) {
    if (!scope.poolIds.has(pool.id)) continue;
    let earned = 0n;
    for (const contribution of ledger.contributions.values()) {
      if (contribution.poolId === pool.id) earned += earnedDividends(ledger, contribution);
    }
    for (const sale of ledger.purchases.values()) {
      if (sale.poolId === pool.id && sale.fulfilment) sales += 1;
    }
    const line = `pool ${pool.id}: contributions earned ${earned} + carry ${pool.carry}, contributors' share of sales ${pool.contributorsShareTotal}`;
    if (earned + pool.carry !== pool.contributorsShareTotal) failures.unshift(line);
    else details.push(line);
  }
  return verdict(
    "credits",
    failures,
    `${sales} sales: every split, per-contribution credit, settlement and carry matches`,
    details,
  );
}

/** (3) Every delivery counted as many records as contributions were active, replayed in order. */
export function checkRecordCounts(
  ledger: Ledger,
  scope: AuditScope,
  format: FindingFormatter,
): CheckResult {
  const failures = findingsOf(ledger, "record-counts", scope, format);
  let deliveries = 0;
  for (const sale of ledger.purchases.values()) {
    if (sale.fulfilment && scope.poolIds.has(sale.poolId)) deliveries += 1;
  }
  return verdict(
    "record-counts",
    failures,
    `${deliveries} deliveries, each of as many records as active contributions`,
  );
}

/** What became of one delivery's manifest. */
export type ManifestOutcome =
  | { purchase: PurchaseLedger; kind: "verified"; problems: string[] }
  | { purchase: PurchaseLedger; kind: "unavailable"; reason: string };

/**
 * (4) Every fetched manifest matches its event and lists exactly the active contributions. SKIPPED
 * (never PASS) when there is no content source or no manifest could be fetched; when some could
 * not, the others are still judged and the check is SKIPPED only if those pass.
 */
export function checkManifests(
  ledger: Ledger,
  outcomes: ManifestOutcome[] | undefined,
  format: FindingFormatter,
  scope: AuditScope,
): CheckResult {
  const id: CheckId = "manifests";
  const title = CHECK_TITLES[id];
  const findings = findingsOf(ledger, id, scope, format);
  if (outcomes === undefined) {
    return {
      id,
      title,
      status: findings.length > 0 ? "FAIL" : "SKIPPED",
      message:
        findings.length > 0 ? findings[0]! : "no content source to fetch delivery manifests from",
      details: findings,
    };
  }
  const failures = [...findings];
  const unavailable: string[] = [];
  let verified = 0;
  for (const outcome of outcomes) {
    const where = `purchase #${outcome.purchase.id} (pool ${outcome.purchase.poolId}, manifest ${outcome.purchase.fulfilment?.deliveryCid})`;
    if (outcome.kind === "unavailable") {
      unavailable.push(`${where}: ${outcome.reason}`);
      continue;
    }
    verified += 1;
    for (const problem of outcome.problems) failures.push(`${where}: ${problem}`);
  }
  if (failures.length > 0) {
    return {
      id,
      title,
      status: "FAIL",
      message: summarise(failures),
      details: [...failures, ...unavailable],
    };
  }
  if (unavailable.length > 0) {
    return {
      id,
      title,
      status: "SKIPPED",
      message:
        verified === 0
          ? `no manifest could be fetched (${unavailable.length}): ${unavailable[0]}`
          : `${verified} of ${outcomes.length} manifests verified; ${unavailable.length} could not be fetched: ${unavailable[0]}`,
      details: unavailable,
    };
  }
  return {
    id,
    title,
    status: "PASS",
    message:
      outcomes.length === 0
        ? "no deliveries"
        : `${verified} manifests: roots, counts and records match the events, no revoked record`,
    details: [],
  };
}

/** (5) No buyer owes an erasure requested longer ago than the grace period; the replay agrees with `erasuresOwed`. */
export function checkErasures(
  ledger: Ledger,
  rows: ErasureRow[],
  graceSeconds: number,
  scope: AuditScope,
  format: FindingFormatter,
): CheckResult {
  const failures = findingsOf(ledger, "erasures", scope, format);
  let owedWithinGrace = 0;
  for (const row of rows) {
    if (row.owed !== row.owedOnChain) {
      failures.push(
        `buyer ${row.buyer} in pool ${row.poolId}: the events say it owes ${row.owed} erasures, erasuresOwed says ${row.owedOnChain}`,
      );
    }
    if (row.overdue) {
      const since = row.oldestRequestedAt
        ? ` (oldest requested ${new Date(row.oldestRequestedAt * 1000).toISOString()})`
        : "";
      failures.push(
        `buyer ${row.buyer} owes ${row.owed} erasure attestation${row.owed === 1 ? "" : "s"} in pool ${row.poolId}${since}`,
      );
    } else if (row.owed > 0) {
      owedWithinGrace += 1;
    }
  }
  return verdict(
    "erasures",
    failures,
    `${rows.length} buyers with deliveries, none overdue (grace ${graceSeconds} s)` +
      (owedWithinGrace > 0
        ? `; ${owedWithinGrace} owe erasures still within the grace period`
        : ""),
  );
}
