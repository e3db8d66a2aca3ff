/**
 * The five invariants, judged from the replayed ledger and the few facts read from the chain at the
 * audited block (balances, `erasuresOwed`, block times) or from the data bank node (manifests).
 * Pure functions: the I/O is in ./audit.ts.
 */
import type { Address } from "viem";
import {
  earnedDividends,
  unsettledDividends,
  type CheckId,
  type Finding,
  type Ledger,
  type PurchaseLedger,
} from "./ledger.js";
import { formatTokenAmount, type TokenUnits } from "./money.js";
import type { BalanceRow, CheckResult, ErasureRow } from "./report.js";

/** The invariants in words, as printed. */
export const CHECK_TITLES: Record<CheckId, string> = {
  balance:
    "contract balance ≥ escrow + unclaimed credits + unsettled dividends + carry + bounty budgets (a surplus is reported)",
  credits: "credits to contributions = contributors' share of fulfilled purchases",
  "record-counts": "delivered record count = active contributions at fulfilment",
  manifests:
    "every delivery's manifest can be fetched and lists exactly the active contributions (no revoked record)",
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
  notes: string[] = [],
): CheckResult {
  return failures.length === 0
    ? { id, title: CHECK_TITLES[id], status: "PASS", message: passMessage, details, notes }
    : {
        id,
        title: CHECK_TITLES[id],
        status: "FAIL",
        message: summarise(failures),
        details: failures,
        notes,
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
 * from the replay; only `balance` and the token's `units` are read from the chain.
 */
export function expectedHoldings(
  ledger: Ledger,
  token: Address,
  balance: bigint,
  units: TokenUnits,
): BalanceRow {
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
    bountyBudgets += pool.bountyBudget + pool.bountyReserved;
  }
  const expected = escrow + credits + dividends + carry + bountyBudgets;
  return {
    token,
    symbol: units.symbol,
    decimals: units.decimals,
    balance,
    escrow,
    credits,
    dividends,
    carry,
    bountyBudgets,
    expected,
    surplus: balance > expected ? balance - expected : 0n,
  };
}

/** "ETH", or "TUSD (0x…)" for an ERC-20: a symbol alone can be claimed by any token. */
function balanceLabel(row: BalanceRow): string {
  return /^0x0{40}$/i.test(row.token) ? row.symbol : `${row.symbol} (${row.token})`;
}

/**
 * (1) Per token, the contract holds at least what the events say it must. A deficit fails: someone
 * owed cannot be paid. A surplus passes with a note: anyone can add funds no event records (ETH
 * force-sent by `selfdestruct`, which runs no code of the receiver; a plain ERC-20 `transfer`), and
 * failing on it would let one wei fail every audit forever. Databank has no function to sweep it.
 */
export function checkBalance(
  ledger: Ledger,
  balances: BalanceRow[],
  scope: AuditScope,
  format: FindingFormatter,
): CheckResult {
  const failures = findingsOf(ledger, "balance", scope, format);
  const details: string[] = [];
  const notes: string[] = [];
  const held: string[] = [];
  // A contract that pays out less than its events say also leaves a surplus; say so when the
  // credits check has caught such a payout, so the note does not blame a donor alone.
  const shortPaid = ledger.findings.some(
    (finding) => finding.check === "credits" && inScope(finding, scope),
  );
  for (const row of balances) {
    const amount = (value: bigint) => formatTokenAmount(value, row);
    const label = balanceLabel(row);
    const identity = `escrow ${amount(row.escrow)} + credits ${amount(row.credits)} + dividends ${amount(row.dividends)} + carry ${amount(row.carry)} + bounty budgets ${amount(row.bountyBudgets)} = ${amount(row.expected)}`;
    if (row.balance < row.expected) {
      failures.unshift(
        `${label}: the contract holds ${amount(row.balance)}, the events account for ${amount(row.expected)} (${identity}); a deficit of ${amount(row.expected - row.balance)}: not everyone owed can be paid`,
      );
      continue;
    }
    details.push(`${label}: ${amount(row.balance)} held ≥ ${identity}`);
    held.push(
      /^0x0{40}$/i.test(row.token) ? amount(row.balance) : `${amount(row.balance)} (${row.token})`,
    );
    if (row.surplus > 0n) {
      notes.push(
        `${label}: surplus of ${amount(row.surplus)} not accounted for by any event (the contract holds ${amount(row.balance)}, the events account for ${amount(row.expected)}): donated or force-sent funds (selfdestruct, a plain token transfer)${shortPaid ? ", or a payout below what the events say (see the credits check)" : ""}; nobody can withdraw it`,
      );
    }
  }
  const pass =
    balances.length === 0
      ? "no payments yet"
      : `${held.join(", ")} held, all owed covered` +
        (notes.length > 0 ? `, plus a surplus no event accounts for (see the notes)` : "");
  return verdict("balance", failures, pass, details, notes);
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
 * (4) Every fulfilled purchase's manifest can be fetched, matches its event and lists exactly the
 * active contributions. A manifest that cannot be fetched FAILS, naming the purchase and CID: the
 * custodian was paid at fulfilment for a delivery nobody can now inspect (withheld, or never
 * uploaded), and treating that as "not checked" would let a custodian pass by hiding its
 * manifests. SKIPPED (never PASS) only when there is no content source at all (`--no-manifests`).
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
      notes: [],
    };
  }
  const failures = [...findings];
  let verified = 0;
  for (const outcome of outcomes) {
    const where = `purchase #${outcome.purchase.id} (pool ${outcome.purchase.poolId}, manifest ${outcome.purchase.fulfilment?.deliveryCid})`;
    if (outcome.kind === "unavailable") {
      failures.push(
        `${where}: the manifest of this paid delivery cannot be fetched (${outcome.reason}): the custodian withheld it or never delivered`,
      );
      continue;
    }
    verified += 1;
    for (const problem of outcome.problems) failures.push(`${where}: ${problem}`);
  }
  return verdict(
    id,
    failures,
    outcomes.length === 0
      ? "no deliveries"
      : `${verified} manifests: roots, counts and records match the events, no revoked record`,
  );
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
