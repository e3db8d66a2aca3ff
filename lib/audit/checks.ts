/**
 * The seven invariants, judged from the replayed ledger and the few facts read from the chain at the
 * audited block (balances, `erasuresOwed`, `privacyLoss`, block times) or from the data bank node
 * (manifests). Pure functions: the I/O is in ./audit.ts.
 */
import { zeroAddress, type Address } from "viem";
import { formatEpsilon } from "../query/epsilon.js";
import {
  allowsRecords,
  allowsStatistics,
  earnedByProduct,
  scopeLabel,
  unsettledDividends,
  type CheckId,
  type Finding,
  type Ledger,
  type PurchaseLedger,
} from "./ledger.js";
import { formatTokenAmount, type TokenUnits } from "./money.js";
import { formatDuration } from "../format/duration.js";
import type { BalanceRow, CheckResult, ErasureRow, PrivacyLossRow } from "./report.js";

/** The invariants in words, as printed. */
export const CHECK_TITLES: Record<CheckId, string> = {
  balance:
    "contract balance ≥ escrow + unclaimed credits + unsettled dividends + carry + bounty budgets (a surplus is reported)",
  credits:
    "credits to contributions = contributors' share of fulfilled purchases, per product (record sales, queries)",
  "record-counts":
    "delivered (or, for a query, used) record count = active contributions of the product's scope when the set was taken",
  manifests:
    "every delivery's manifest can be fetched and lists exactly the active contributions allowing records (no revoked or statistics-only record)",
  erasures: "no buyer with an overdue erasure attestation",
  "privacy-budget":
    "each answer's ε within its query's request and the pool's per-query maximum, each pool's total within its budget, each contribution's privacy loss = the contract's privacyLoss",
  products:
    "each sale paid exactly the active contributions of its product's scope (record sales: records; queries: statistics), and only records-scoped consents requested erasure",
};

/** micro-ε (as stored on-chain) in ε: 500000 → "0.5". */
const eps = (micro: number) => formatEpsilon(BigInt(micro));

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
    carry += pool.carry + pool.statisticsCarry;
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

/**
 * (2) Per pool and product, what the contributions earned (replayed accumulator) plus the product's
 * carry equals the contributors' share of every sale of that product.
 */
export function checkCredits(
  ledger: Ledger,
  scope: AuditScope,
  format: FindingFormatter,
  unitsOf?: (token: Address) => TokenUnits | undefined,
): CheckResult {
  const failures = findingsOf(ledger, "credits", scope, format);
  const details: string[] = [];
  let sales = 0;
  for (const pool of ledger.pools.values()) {
    if (!scope.poolIds.has(pool.id)) continue;
    let records = 0n;
    let statistics = 0n;
    for (const contribution of ledger.contributions.values()) {
      if (contribution.poolId !== pool.id) continue;
      const earned = earnedByProduct(ledger, contribution);
      records += earned.records;
      statistics += earned.statistics;
    }
    for (const sale of ledger.purchases.values()) {
      if (sale.poolId === pool.id && sale.fulfilment) sales += 1;
    }
    // In the pool's token units when they are known (the report), else base units.
    const units = unitsOf?.(pool.paymentToken);
    const money = (value: bigint) => (units ? formatTokenAmount(value, units) : value.toString());
    const line = `pool ${pool.id}: contributions earned ${money(records)} + carry ${money(pool.carry)}, contributors' share of sales ${money(pool.contributorsShareTotal)}`;
    if (records + pool.carry !== pool.contributorsShareTotal) failures.unshift(line);
    else details.push(line);
    if (!allowsStatistics(pool.products) && statistics === 0n && pool.statisticsShareTotal === 0n) {
      continue;
    }
    const queries = `pool ${pool.id} queries: contributions earned ${money(statistics)} + carry ${money(pool.statisticsCarry)}, contributors' share of queries ${money(pool.statisticsShareTotal)}`;
    if (statistics + pool.statisticsCarry !== pool.statisticsShareTotal) failures.unshift(queries);
    else details.push(queries);
  }
  return verdict(
    "credits",
    failures,
    `${sales} sales: every split, per-contribution credit, settlement and carry matches`,
    details,
  );
}

/**
 * (3) Every delivery counted as many records as contributions allowing records were active, every
 * answer as many as contributions allowing statistics, replayed in order.
 */
export function checkRecordCounts(
  ledger: Ledger,
  scope: AuditScope,
  format: FindingFormatter,
): CheckResult {
  const failures = findingsOf(ledger, "record-counts", scope, format);
  let deliveries = 0;
  let answers = 0;
  for (const sale of ledger.purchases.values()) {
    if (!sale.fulfilment || !scope.poolIds.has(sale.poolId)) continue;
    if (sale.product === "query") answers += 1;
    else deliveries += 1;
  }
  return verdict(
    "record-counts",
    failures,
    `${deliveries} deliveries, each of as many records as active contributions` +
      (answers > 0
        ? `; ${answers} query answers, each over as many records as active contributions allowing statistics`
        : ""),
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
 * manifests. SKIPPED (never PASS) when there is no content source at all (`--no-manifests`),
 * unless a check of an answer fails.
 *
 * Query deliveries have no manifest (the answer is sealed to the buyer), but the count and root of
 * the records used are on-chain: `answers` are their checks against the contributions allowing
 * statistics active at the time (manifest.ts `queryRecordsProblems`), made from the events alone,
 * so with or without a content source.
 */
export function checkManifests(
  ledger: Ledger,
  outcomes: ManifestOutcome[] | undefined,
  format: FindingFormatter,
  scope: AuditScope,
  answers: readonly ManifestOutcome[] = [],
): CheckResult {
  const id: CheckId = "manifests";
  const title = CHECK_TITLES[id];
  const failures = [...findingsOf(ledger, id, scope, format)];
  for (const outcome of answers) {
    if (outcome.kind !== "verified") continue;
    const where = `query #${outcome.purchase.id} (pool ${outcome.purchase.poolId}, answer ${outcome.purchase.fulfilment?.deliveryCid})`;
    for (const problem of outcome.problems) failures.push(`${where}: ${problem}`);
  }
  const answersPassed =
    answers.length === 0
      ? ""
      : `${answers.length} quer${answers.length === 1 ? "y answer's" : "y answers'"} records used (count and root) are exactly the contributions allowing statistics that were active`;
  if (outcomes === undefined) {
    const skipped = "no content source to fetch delivery manifests from";
    return {
      id,
      title,
      // Never PASS: the record deliveries were not checked, even when every answer was.
      status: failures.length > 0 ? "FAIL" : "SKIPPED",
      message:
        failures.length > 0
          ? summarise(failures)
          : answers.length > 0
            ? `${skipped}; ${answersPassed}`
            : skipped,
      details: failures,
      notes: [],
    };
  }
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
  const deliveriesPassed =
    outcomes.length === 0
      ? "no deliveries"
      : `${verified} manifests: roots, counts and records match the events, no revoked record`;
  return verdict(
    id,
    failures,
    answersPassed === "" ? deliveriesPassed : `${deliveriesPassed}; ${answersPassed}`,
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
    `${rows.length} buyers with deliveries, none overdue (grace period ${formatDuration(graceSeconds)})` +
      (owedWithinGrace > 0
        ? `; ${owedWithinGrace} owe erasures still within the grace period`
        : ""),
  );
}

/**
 * (6) The privacy budget. From the events: every query's ε is above 0 and within the pool's
 * per-query maximum, every answer spent above 0 and at most its query's ε, and no pool spent past
 * its budget (findings of the replay). Against the contract: each contribution's privacy loss
 * replayed from the events (the pool's ε spent between its join and its end) equals `privacyLoss`
 * at the audited block (`losses`; without them that part is not checked and a note says so).
 */
export function checkPrivacyBudget(
  ledger: Ledger,
  losses: PrivacyLossRow[] | undefined,
  scope: AuditScope,
  format: FindingFormatter,
): CheckResult {
  const failures = findingsOf(ledger, "privacy-budget", scope, format);
  const details: string[] = [];
  const notes: string[] = [];
  for (const row of losses ?? []) {
    if (row.replayed !== row.onChain) {
      failures.push(
        `contribution #${row.contributionId} (pool ${row.poolId}): the events give a privacy loss of ε ${eps(row.replayed)}, the contract's privacyLoss says ε ${eps(row.onChain)}`,
      );
    }
  }
  let answers = 0;
  let pools = 0;
  let usedAfterEnd = 0;
  for (const pool of ledger.pools.values()) {
    if (!scope.poolIds.has(pool.id) || !allowsStatistics(pool.products)) continue;
    pools += 1;
    let poolAnswers = 0;
    for (const sale of ledger.purchases.values()) {
      if (sale.poolId !== pool.id || sale.product !== "query" || !sale.fulfilment) continue;
      poolAnswers += 1;
      usedAfterEnd += sale.fulfilment.endedInFlight.length;
    }
    answers += poolAnswers;
    details.push(
      `pool ${pool.id}: ε ${eps(pool.epsilonSpent)} spent of a budget of ${eps(pool.epsilonBudget)} (${eps(Math.max(pool.epsilonBudget - pool.epsilonSpent, 0))} left, at most ${eps(pool.maxEpsilonPerQuery)} per query) by ${poolAnswers} answer${poolAnswers === 1 ? "" : "s"}`,
    );
  }
  if (usedAfterEnd > 0) {
    notes.push(
      `${usedAfterEnd} record${usedAfterEnd === 1 ? " was" : "s were"} used by an answer whose set was taken before its consent ended: privacyLoss does not count that answer's ε for it (the contract's definition); the pool's total still bounds its loss`,
    );
  }
  const compared = losses?.length ?? 0;
  if (losses === undefined && pools > 0) {
    notes.push("each contribution's privacy loss was not compared with the contract's privacyLoss");
  }
  const pass =
    pools === 0
      ? "no pool sells queries"
      : `${answers} answer${answers === 1 ? "" : "s"} in ${pools} pool${pools === 1 ? "" : "s"}, each within its query's ε and the per-query maximum, every pool within its budget; ${compared} contributions' privacy loss = privacyLoss`;
  return verdict("privacy-budget", failures, pass, details, notes);
}

/** An amount in token units when the token's units are known, else in base units. */
function amountIn(amount: bigint, token: Address, units: Map<Address, TokenUnits>): string {
  const known = units.get(token);
  if (known) return formatTokenAmount(amount, known);
  return `${amount} base units of ${token === zeroAddress ? "the native coin" : token}`;
}

/** Per-token totals in token units: "1.5 TUSD + 0.001 ETH", or "nothing". */
function totals(byToken: Map<Address, bigint>, units: Map<Address, TokenUnits>): string {
  const parts = [...byToken].map(([token, amount]) => amountIn(amount, token, units));
  return parts.length === 0 ? "nothing" : parts.join(" + ");
}

/**
 * (7) Each product paid exactly its scope. A record sale delivers and pays only the active
 * contributions whose consent allows records, a query only those allowing statistics: every sale's
 * per-contribution credit and carry must be its contributors' share (plus the product's carry)
 * spread over that set, replayed from the events; a contribution's checkpoint for a product its
 * consent does not allow is 0; a pool sells only its products to consents within them; and only a
 * records-scoped consent's end requests erasure, each one of them does (findings of the replay).
 * Amounts in token units (`balances` carries each token's symbol and decimals).
 */
export function checkProducts(
  ledger: Ledger,
  balances: readonly BalanceRow[],
  scope: AuditScope,
  format: FindingFormatter,
): CheckResult {
  const failures = findingsOf(ledger, "products", scope, format);
  const units = new Map<Address, TokenUnits>(
    balances.map((row) => [row.token, { symbol: row.symbol, decimals: row.decimals }]),
  );
  const details: string[] = [];
  const recordsPaid = new Map<Address, bigint>();
  const queriesPaid = new Map<Address, bigint>();
  let recordSales = 0;
  let queries = 0;
  let erasureRequests = 0;
  let statisticsOnlyEnds = 0;
  for (const pool of ledger.pools.values()) {
    if (!scope.poolIds.has(pool.id)) continue;
    let poolSales = 0;
    let poolQueries = 0;
    let poolRecordsPaid = 0n;
    let poolQueriesPaid = 0n;
    for (const sale of ledger.purchases.values()) {
      if (sale.poolId !== pool.id || !sale.fulfilment) continue;
      if (sale.product === "query") {
        poolQueries += 1;
        poolQueriesPaid += sale.fulfilment.contributors;
      } else {
        poolSales += 1;
        poolRecordsPaid += sale.fulfilment.contributors;
      }
    }
    recordSales += poolSales;
    queries += poolQueries;
    recordsPaid.set(
      pool.paymentToken,
      (recordsPaid.get(pool.paymentToken) ?? 0n) + poolRecordsPaid,
    );
    queriesPaid.set(
      pool.paymentToken,
      (queriesPaid.get(pool.paymentToken) ?? 0n) + poolQueriesPaid,
    );
    erasureRequests += pool.erasureCount;
    for (const end of pool.statisticsEnds) {
      const contribution = ledger.contributions.get(end.contributionId);
      if (contribution && !allowsRecords(contribution.scope)) statisticsOnlyEnds += 1;
    }
    details.push(
      `pool ${pool.id} (sells ${scopeLabel(pool.products)}): ${poolSales} record sale${poolSales === 1 ? "" : "s"} paid ${amountIn(poolRecordsPaid, pool.paymentToken, units)} to the contributions allowing records (${pool.recordsActive.size} active now); ${poolQueries} quer${poolQueries === 1 ? "y" : "ies"} paid ${amountIn(poolQueriesPaid, pool.paymentToken, units)} to those allowing statistics (${pool.statisticsActive.size} active now)`,
    );
  }
  const nonZero = (byToken: Map<Address, bigint>) =>
    new Map([...byToken].filter(([, amount]) => amount !== 0n));
  const pass =
    `${recordSales} record sale${recordSales === 1 ? "" : "s"} paid ${totals(nonZero(recordsPaid), units)} to exactly the active contributions allowing records, ` +
    `${queries} quer${queries === 1 ? "y" : "ies"} paid ${totals(nonZero(queriesPaid), units)} to exactly those allowing statistics; ` +
    `${erasureRequests} erasure request${erasureRequests === 1 ? "" : "s"}, all of records-scoped consents` +
    (statisticsOnlyEnds > 0
      ? ` (${statisticsOnlyEnds} statistics-only consents ended without one)`
      : "");
  return verdict("products", failures, pass, details);
}
