/**
 * The audit report: its types, and its renderings as a plain-text table, JSON and CSV. Nothing here
 * reads the chain.
 */
import type { Address, Hex } from "viem";
import { formatEpsilon } from "../query/epsilon.js";
import type { Caveat } from "./caveats.js";
import {
  scopeLabel,
  type CheckId,
  type ContributionStatus,
  type Product,
  type PurchaseStatus,
} from "./ledger.js";

/** Outcome of one invariant. SKIPPED never counts as a pass: it says what could not be checked. */
export type CheckStatus = "PASS" | "FAIL" | "SKIPPED";

/** The verdict on one invariant. */
export interface CheckResult {
  /** Which invariant. */
  id: CheckId;
  /** The invariant in words. */
  title: string;
  /** PASS, FAIL or SKIPPED. */
  status: CheckStatus;
  /** One line: why it passed, failed or was skipped. */
  message: string;
  /** Every discrepancy (or, on a pass, the figures checked), one per line. */
  details: string[];
  /**
   * What an auditor should know even on a PASS (e.g. a surplus no event accounts for), one per
   * line; always shown, unlike the details of a pass.
   */
  notes: string[];
}

/** A transaction and its explorer link. */
export interface TxLink {
  /** Transaction hash. */
  hash: Hex;
  /** Explorer (or dApp) URL, when the chain has one. */
  url?: string;
}

/** One purchase and where its money went. */
export interface PurchaseRow {
  /** Purchase id. */
  id: bigint;
  /** Pool. */
  poolId: number;
  /** Buyer. */
  buyer: Address;
  /** Payment token (zero address: native coin). */
  token: Address;
  /** What it buys: a copy of the records, or a query answer. */
  product: Product;
  /** pending, fulfilled (delivered or answered), refunded (after the deadline) or rejected (credited at once). */
  status: PurchaseStatus;
  /** Paid into escrow. */
  amount: bigint;
  /** Most ε (millionths) the query may spend; 0 for a record sale. */
  epsilon: number;
  /** ε (millionths) the answer spent, once answered. */
  epsilonSpent?: number;
  /** Why the custodian rejected it. */
  rejectReason?: string;
  /** Platform fee credited to the treasury. */
  platform?: bigint;
  /** Curator share. */
  curator?: bigint;
  /** Contributors' share. */
  contributors?: bigint;
  /** Credited to each active contribution. */
  perContribution?: bigint;
  /** Remainder carried to the next sale. */
  carry?: bigint;
  /** Records delivered or used (from the event). */
  recordCount?: number;
  /** Contributions of the product's scope active at fulfilment (replayed from events). */
  activeCount?: number;
  /** Delivery manifest CID, or the sealed answer's for a query. */
  deliveryCid?: string;
  /** The purchase transaction. */
  created: TxLink;
  /** The fulfil or refund transaction. */
  settled?: TxLink;
}

/** One contribution's earnings. */
export interface ContributionRow {
  /** Contribution (token) id. */
  id: bigint;
  /** Pool. */
  poolId: number;
  /** Contributor. */
  contributor: Address;
  /** Lifecycle status. */
  status: ContributionStatus;
  /** The uses its consent allows: 1 records, 2 statistics, 3 both. */
  scope: number;
  /** Whether a revocation was a retirement after expiry. */
  expired: boolean;
  /** Privacy loss so far (millionths of ε), replayed: the pool's ε spent while it allowed statistics and was active. */
  privacyLoss: number;
  /** Bounty credited at acceptance. */
  bounty: bigint;
  /** Dividends earned from sales while active (the per-contribution entitlement). */
  earned: bigint;
  /** Dividends already moved to the holder (claims, revocation). */
  settled: bigint;
  /** Dividends earned and not settled yet. */
  unsettled: bigint;
  /** Acceptance transaction. */
  granted?: TxLink;
  /** Revocation (or withdrawal of the submission) transaction. */
  revoked?: TxLink;
}

/** One account's entitlement and payments in one token, across every pool. */
export interface AccountRow {
  /** The account. */
  account: Address;
  /** The token. */
  token: Address;
  /** Bounties received. */
  bounties: bigint;
  /** Curator shares, platform fees and bounty budget taken back. */
  saleCredits: bigint;
  /** Dividends earned by its contributions, settled or not. */
  dividends: bigint;
  /** Everything it is entitled to: bounties + sale credits + dividends. */
  entitled: bigint;
  /** Withdrawn by claims. */
  withdrawn: bigint;
  /** Entitled and not withdrawn yet. */
  unclaimed: bigint;
  /** Refunds of undelivered purchases paid out directly (not part of the entitlement). */
  refunded: bigint;
  /** Purchases the custodian rejected, credited to the buyer (part of the entitlement: withdrawn with claim). */
  rejectedCredits: bigint;
}

/** One pool's privacy budget, replayed from its events. */
export interface PrivacyBudgetRow {
  /** Pool. */
  poolId: number;
  /** Total ε (millionths) all queries together may spend. */
  budget: number;
  /** Most ε (millionths) one query may spend. */
  maxPerQuery: number;
  /** ε (millionths) spent by answers. */
  spent: number;
  /** budget − spent. */
  remaining: number;
  /** Queries answered. */
  answers: number;
}

/** One contribution's privacy loss, replayed and read from the contract's `privacyLoss`. */
export interface PrivacyLossRow {
  /** Contribution id. */
  contributionId: bigint;
  /** Pool. */
  poolId: number;
  /** Replayed from events (millionths of ε). */
  replayed: number;
  /** `privacyLoss` at the audited block (millionths of ε). */
  onChain: number;
}

/** A buyer's outstanding erasures in one pool. */
export interface ErasureRow {
  /** Pool. */
  poolId: number;
  /** Buyer. */
  buyer: Address;
  /** Erasure requests made in the pool (its erasure count). */
  requested: number;
  /** Requests below this index are attested or predate the buyer's first delivery. */
  attestedUpTo: number;
  /** Erasure requests not attested, replayed from events. */
  owed: number;
  /** The same, from the contract's `erasuresOwed` view at the audited block. */
  owedOnChain: number;
  /** Unix time of the oldest request owed. */
  oldestRequestedAt?: number;
  /** Whether the oldest request is older than the grace period. */
  overdue: boolean;
}

/** The accounting identity of one token at the audited block. */
export interface BalanceRow {
  /** The token (zero address: native coin). */
  token: Address;
  /** Its symbol (ERC-20 `symbol()`, or the chain's native coin). */
  symbol: string;
  /** Its decimals (ERC-20 `decimals()`, or the native coin's). */
  decimals: number;
  /** What the contract holds (getBalance or balanceOf). */
  balance: bigint;
  /** Pending purchases. */
  escrow: bigint;
  /** Withdrawable credits. */
  credits: bigint;
  /** Unsettled dividends of active contributions. */
  dividends: bigint;
  /** Carried remainders. */
  carry: bigint;
  /** Bounty budgets. */
  bountyBudgets: bigint;
  /** escrow + credits + dividends + carry + bounty budgets. */
  expected: bigint;
  /**
   * What the contract holds beyond `expected` (0 when it holds no more): funds no event accounts
   * for, such as coin force-sent by `selfdestruct` or a plain ERC-20 transfer. Not a failure.
   */
  surplus: bigint;
}

/** Everything the audit found. */
export interface AuditReport {
  /** Chain id. */
  chainId: number;
  /** The audited contract. */
  databank: Address;
  /** First block read. */
  fromBlock: bigint;
  /** The audited block. */
  block: bigint;
  /** Its timestamp. */
  blockTimestamp: number;
  /** The pool or account the tables are restricted to. */
  scope: { poolId?: number; address?: Address };
  /** Databank events read. */
  eventCount: number;
  /** Verdicts, one per invariant. */
  checks: CheckResult[];
  /** Per purchase: paid amount and split. */
  purchases: PurchaseRow[];
  /** Per contribution: bounty, earnings, settlements, revocation. */
  contributions: ContributionRow[];
  /** Per account and token: entitlement, claims, unclaimed balance. */
  accounts: AccountRow[];
  /** Per buyer and pool: erasures owed. */
  erasures: ErasureRow[];
  /** Per pool selling queries: its privacy budget. */
  privacyBudgets: PrivacyBudgetRow[];
  /** Per token: the accounting identity. */
  balances: BalanceRow[];
  /** What the audit could not verify: for every pool in scope, then per pool (see ./caveats.ts). */
  unverifiable: Caveat[];
  /** True when no check failed. */
  passed: boolean;
}

/** JSON of the report; bigints become decimal strings (amounts may exceed 2^53). */
export function reportToJson(report: AuditReport): string {
  return JSON.stringify(
    report,
    (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value),
    2,
  );
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Columns of the CSV report: one ledger line per check, check note, balance, purchase,
 * contribution, account, erasure and unverifiable point.
 */
export const CSV_COLUMNS = [
  "record",
  "id",
  "pool",
  "account",
  "token",
  "status",
  "amount",
  "platform",
  "curator",
  "contributors",
  "per_contribution",
  "records",
  "earned",
  "settled",
  "withdrawn",
  "unclaimed",
  "detail",
  "tx",
  "url",
  "product",
  "epsilon",
] as const;

type CsvLine = Partial<Record<(typeof CSV_COLUMNS)[number], unknown>>;

/**
 * CSV of the report (RFC 4180 quoting), one line per check and its notes, balance, purchase,
 * contribution, account, erasure, privacy budget, and thing the audit could not verify
 * ("unverifiable"). ε is in ε ("0.5"), not millionths: a purchase's is what its answer spent (what
 * it may spend while pending), a contribution's its privacy loss, a budget line's what was spent.
 */
export function reportToCsv(report: AuditReport): string {
  const lines: CsvLine[] = [];
  for (const check of report.checks) {
    lines.push({ record: "check", id: check.id, status: check.status, detail: check.message });
    for (const note of check.notes ?? []) {
      lines.push({ record: "note", id: check.id, status: check.status, detail: note });
    }
  }
  for (const row of report.balances) {
    lines.push({
      record: "balance",
      token: row.token,
      amount: row.balance,
      status:
        row.balance === row.expected
          ? "balanced"
          : row.balance > row.expected
            ? "surplus"
            : "deficit",
      detail: `escrow ${row.escrow} + credits ${row.credits} + dividends ${row.dividends} + carry ${row.carry} + bounty budgets ${row.bountyBudgets} = ${row.expected}`,
    });
  }
  for (const row of report.purchases) {
    const tx = row.settled ?? row.created;
    lines.push({
      record: "purchase",
      id: row.id,
      pool: row.poolId,
      account: row.buyer,
      token: row.token,
      status: row.status,
      amount: row.amount,
      platform: row.platform,
      curator: row.curator,
      contributors: row.contributors,
      per_contribution: row.perContribution,
      records: row.recordCount,
      detail: row.rejectReason ?? row.deliveryCid,
      tx: tx.hash,
      url: tx.url,
      product: row.product,
      epsilon: row.product === "query" ? epsilonText(row.epsilonSpent ?? row.epsilon) : undefined,
    });
  }
  for (const row of report.contributions) {
    const tx = row.revoked ?? row.granted;
    lines.push({
      record: "contribution",
      id: row.id,
      pool: row.poolId,
      account: row.contributor,
      status: row.status,
      amount: row.bounty,
      earned: row.earned,
      settled: row.settled,
      unclaimed: row.unsettled,
      tx: tx?.hash,
      url: tx?.url,
      product: scopeLabel(row.scope),
      epsilon: epsilonText(row.privacyLoss),
    });
  }
  for (const row of report.accounts) {
    lines.push({
      record: "account",
      account: row.account,
      token: row.token,
      amount: row.entitled,
      earned: row.dividends,
      withdrawn: row.withdrawn,
      unclaimed: row.unclaimed,
      detail: `bounties ${row.bounties}, sale credits ${row.saleCredits}, rejected purchases credited ${row.rejectedCredits}, refunds ${row.refunded}`,
    });
  }
  for (const row of report.privacyBudgets ?? []) {
    lines.push({
      record: "privacy-budget",
      pool: row.poolId,
      epsilon: epsilonText(row.spent),
      detail: `ε ${epsilonText(row.spent)} spent of ${epsilonText(row.budget)} (${epsilonText(row.remaining)} left, at most ${epsilonText(row.maxPerQuery)} per query) by ${row.answers} answers`,
    });
  }
  for (const row of report.erasures) {
    lines.push({
      record: "erasure",
      pool: row.poolId,
      account: row.buyer,
      status: row.overdue ? "overdue" : row.owed > 0 ? "owed" : "attested",
      amount: row.owed,
      detail: `requested ${row.requested}, attested up to ${row.attestedUpTo}, on-chain erasuresOwed ${row.owedOnChain}`,
    });
  }
  for (const caveat of report.unverifiable ?? []) {
    lines.push({
      record: "unverifiable",
      id: caveat.kind,
      pool: caveat.poolId,
      detail: caveat.message,
    });
  }
  const text = [CSV_COLUMNS.join(",")];
  for (const line of lines) text.push(CSV_COLUMNS.map((column) => csvCell(line[column])).join(","));
  return `${text.join("\n")}\n`;
}

/** Lays out rows as plain-text columns (no dependency), numbers right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const numeric = header.map((_, column) =>
    rows.every((row) => /^-?[\d.]*$/.test(row[column] ?? "")),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join("  ")
      .trimEnd();
  return [
    line(header),
    widths.map((width) => "-".repeat(width)).join("  "),
    ...rows.map(line),
  ].join("\n");
}

const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;
/** millionths of ε (as the contract counts) in ε: 500000 → "0.5". */
const epsilonText = (micro: number) => formatEpsilon(BigInt(micro));
const tokenName = (token: Address) => (/^0x0{40}$/i.test(token) ? "ETH" : short(token));
const text = (value: bigint | number | undefined) => (value === undefined ? "" : String(value));
const link = (tx: TxLink | undefined) => (tx ? (tx.url ?? tx.hash) : "");

/** The human-readable report: header, tables, then the verdicts. Amounts in the token's smallest unit. */
export function reportToText(report: AuditReport): string {
  const scope =
    report.scope.poolId !== undefined
      ? `pool ${report.scope.poolId}`
      : report.scope.address
        ? `account ${report.scope.address}`
        : "every pool";
  const out: string[] = [
    `Databank audit of ${report.databank} on chain ${report.chainId}, blocks ${report.fromBlock}-${report.block} (${report.eventCount} events), ${scope}`,
    "Amounts in the token's smallest unit (wei for ETH); privacy loss in ε (the contract counts millionths).",
  ];
  out.push(
    "",
    "Purchases",
    textTable(
      [
        "id",
        "pool",
        "buyer",
        "token",
        "product",
        "status",
        "amount",
        "platform",
        "curator",
        "contributors",
        "per contrib.",
        "records",
        "ε",
        "tx",
      ],
      report.purchases.map((row) => [
        text(row.id),
        text(row.poolId),
        short(row.buyer),
        tokenName(row.token),
        row.product,
        row.status,
        text(row.amount),
        text(row.platform),
        text(row.curator),
        text(row.contributors),
        text(row.perContribution),
        text(row.recordCount),
        // What the answer spent, or (pending, refunded, rejected) what the query asked for.
        row.product === "query" ? epsilonText(row.epsilonSpent ?? row.epsilon) : "",
        link(row.settled ?? row.created),
      ]),
    ),
  );
  out.push(
    "",
    "Contributions",
    textTable(
      [
        "id",
        "pool",
        "contributor",
        "scope",
        "status",
        "bounty",
        "earned",
        "settled",
        "unsettled",
        "ε lost",
        "tx",
      ],
      report.contributions.map((row) => [
        text(row.id),
        text(row.poolId),
        short(row.contributor),
        scopeLabel(row.scope),
        row.status + (row.expired ? " (expired)" : ""),
        text(row.bounty),
        text(row.earned),
        text(row.settled),
        text(row.unsettled),
        epsilonText(row.privacyLoss),
        link(row.revoked ?? row.granted),
      ]),
    ),
  );
  out.push(
    "",
    "Accounts (across every pool of the token)",
    textTable(
      [
        "account",
        "token",
        "bounties",
        "sale credits",
        "dividends",
        "rejected",
        "entitled",
        "withdrawn",
        "unclaimed",
      ],
      report.accounts.map((row) => [
        row.account,
        tokenName(row.token),
        text(row.bounties),
        text(row.saleCredits),
        text(row.dividends),
        text(row.rejectedCredits),
        text(row.entitled),
        text(row.withdrawn),
        text(row.unclaimed),
      ]),
    ),
  );
  if (report.erasures.length > 0) {
    out.push(
      "",
      "Erasures (per buyer with a delivery)",
      textTable(
        [
          "pool",
          "buyer",
          "requested",
          "attested up to",
          "owed",
          "on-chain",
          "oldest request",
          "overdue",
        ],
        report.erasures.map((row) => [
          text(row.poolId),
          row.buyer,
          text(row.requested),
          text(row.attestedUpTo),
          text(row.owed),
          text(row.owedOnChain),
          row.oldestRequestedAt ? new Date(row.oldestRequestedAt * 1000).toISOString() : "",
          row.overdue ? "yes" : "no",
        ]),
      ),
    );
  }
  if ((report.privacyBudgets ?? []).length > 0) {
    out.push(
      "",
      "Privacy budgets (ε, per pool selling queries)",
      textTable(
        ["pool", "budget", "max per query", "spent", "remaining", "answers"],
        report.privacyBudgets.map((row) => [
          text(row.poolId),
          epsilonText(row.budget),
          epsilonText(row.maxPerQuery),
          epsilonText(row.spent),
          epsilonText(row.remaining),
          text(row.answers),
        ]),
      ),
    );
  }
  out.push(
    "",
    "Balances",
    textTable(
      ["token", "balance", "escrow", "credits", "dividends", "carry", "bounty budgets", "expected"],
      report.balances.map((row) => [
        tokenName(row.token),
        text(row.balance),
        text(row.escrow),
        text(row.credits),
        text(row.dividends),
        text(row.carry),
        text(row.bountyBudgets),
        text(row.expected),
      ]),
    ),
  );
  out.push("", "Checks");
  report.checks.forEach((check, index) => {
    out.push(`${check.status.padEnd(7)} (${index + 1}) ${check.title}: ${check.message}`);
    const shown = check.status === "PASS" ? [] : check.details.slice(0, 50);
    for (const detail of shown) out.push(`          - ${detail}`);
    if (check.status !== "PASS" && check.details.length > shown.length) {
      out.push(`          … and ${check.details.length - shown.length} more (see --json)`);
    }
    for (const note of check.notes ?? []) out.push(`          note: ${note}`);
  });
  if ((report.unverifiable ?? []).length > 0) {
    out.push("", "What this audit cannot verify");
    for (const caveat of report.unverifiable) out.push(`- ${caveat.message}`);
  }
  out.push("", report.passed ? "AUDIT PASSED" : "AUDIT FAILED");
  return `${out.join("\n")}\n`;
}
