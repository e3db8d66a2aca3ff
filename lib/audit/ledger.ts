/**
 * Rebuilds Databank's books from its events alone, replaying them in chain order with the same
 * arithmetic as the contract: the revenue split of every sale, the pool's two reward-per-contribution
 * accumulators, one per product (record sales raise the records accumulator by
 * `PurchaseFulfilled.perContribution` over the active contributions whose scope allows records;
 * query answers raise the statistics accumulator by `QueryAnswered.perContribution` over those
 * that allow statistics; each keeps its own remainder for the next sale), each contribution's scope
 * and checkpoints (set at `ConsentGranted`, moved by `ContributionSettled`), every account's credit
 * (bounties, curator shares, platform fees, settled dividends, rejected purchases) and withdrawals,
 * escrow of both products, bounty budgets, erasure bookkeeping, and the pool's privacy budget: the
 * ε each answer spent, and each contribution's ε at join and at end, which give its privacy loss.
 *
 * Every event is also checked against the replayed state (the split matches the pool's rates, a
 * checkpoint equals the accumulator, a settlement equals what the accumulator owes, a withdrawal
 * equals the credit...). A disagreement is recorded as a {@link Finding} of the invariant it
 * breaks; the replay goes on with the event's figures, as the contract did.
 */
import { getAddress, keccak256, toBytes, zeroAddress, type Address, type Hex } from "viem";
import { formatEpsilon } from "../query/epsilon.js";
import type { DatabankEventLog } from "./logs.js";
import { ETH_UNITS, formatTokenAmount, type TokenUnits } from "./money.js";

/** Basis points in 100%. */
const BPS = 10_000n;

/** Scope bit: the record may be delivered as a copy (record sales). `ConsentScope.RECORDS`. */
export const SCOPE_RECORDS = 1;
/** Scope bit: the record may be used inside aggregate answers (queries). `ConsentScope.STATISTICS`. */
export const SCOPE_STATISTICS = 2;

/** Whether a scope (or a pool's products) allows records. */
export function allowsRecords(scope: number): boolean {
  return (scope & SCOPE_RECORDS) !== 0;
}

/** Whether a scope (or a pool's products) allows statistics. */
export function allowsStatistics(scope: number): boolean {
  return (scope & SCOPE_STATISTICS) !== 0;
}

/** A scope in words, as the consent receipt writes it. */
export function scopeLabel(scope: number): string {
  if (scope === (SCOPE_RECORDS | SCOPE_STATISTICS)) return "records and statistics";
  if (scope === SCOPE_RECORDS) return "records";
  if (scope === SCOPE_STATISTICS) return "statistics only";
  return `invalid scope ${scope}`;
}

/** What a purchase buys: a copy of the records (`PurchaseCreated`) or a query answer (`QueryPurchased`). */
export type Product = "records" | "query";

/** The invariants the audit checks, in the order they are reported. */
export const CHECK_IDS = [
  "balance",
  "credits",
  "record-counts",
  "manifests",
  "erasures",
  "privacy-budget",
  "products",
] as const;

/** One of the audited invariants. */
export type CheckId = (typeof CHECK_IDS)[number];

/** Where an event is: enough to order it and to link to its transaction. */
export interface TxRef {
  /** The transaction that emitted the event. */
  transactionHash: Hex;
  /** Its block. */
  blockNumber: bigint;
  /** The event's index in the block. */
  logIndex: number;
}

/** An amount of money in a finding: shown in its token's units, with the symbol, when reported. */
export interface FindingAmount {
  /** In the token's base units. */
  amount: bigint;
  /** The token, zero address for the native coin. */
  token: Address;
}

/**
 * A finding's words with its amounts of money kept apart: the replay knows each amount's token
 * but not the token's symbol and decimals (read from the chain by the report), so the report
 * turns them into text ({@link findingText}).
 */
export type FindingMessage = readonly (string | FindingAmount)[];

/** An amount of `token` in a finding's message. */
export function findingAmount(amount: bigint, token: Address): FindingAmount {
  return { amount, token };
}

function isFindingAmount(value: unknown): value is FindingAmount {
  return typeof value === "object" && value !== null && "amount" in value && "token" in value;
}

/** A template tag: the message's {@link FindingAmount} values stay amounts, the rest is text. */
export function findingWords(strings: TemplateStringsArray, ...values: unknown[]): FindingMessage {
  const parts: (string | FindingAmount)[] = [strings[0]!];
  values.forEach((value, index) => {
    parts.push(isFindingAmount(value) ? value : String(value), strings[index + 1]!);
  });
  return parts.filter((part) => part !== "");
}

/**
 * A finding's message as text, every amount in its token's units with the symbol ("1.5 TUSD").
 * A token whose units are not known is shown as the native coin (zero address) or in base units
 * that say so, never as a bare number.
 *
 * @param message - the finding's message
 * @param unitsOf - the symbol and decimals of a token (checksummed address), when known
 */
export function findingText(
  message: string | FindingMessage,
  unitsOf: (token: Address) => TokenUnits | undefined = () => undefined,
): string {
  if (typeof message === "string") return message;
  return message
    .map((part) =>
      typeof part === "string"
        ? part
        : formatTokenAmount(
            part.amount,
            unitsOf(part.token) ??
              (part.token === zeroAddress
                ? ETH_UNITS
                : { symbol: `base units of ${part.token}`, decimals: 0 }),
          ),
    )
    .join("");
}

/** A disagreement between an event and the state replayed from the events before it. */
export interface Finding {
  /** The invariant it breaks. */
  check: CheckId;
  /** Pool concerned, when there is one (used to scope the report). */
  poolId?: number;
  /** What is wrong, with the figures (text: {@link findingText}). */
  message: string | FindingMessage;
  /** The event that disagrees. */
  tx?: TxRef;
}

/** A pool as replayed. */
export interface PoolLedger {
  /** Pool id. */
  id: number;
  /** Curator, credited with the curator share and withdrawn bounty budget. */
  curator: Address;
  /** Custodian, who accepts contributions and fulfils purchases. */
  custodian: Address;
  /** Payment token, zero address for the native coin. */
  paymentToken: Address;
  /** Platform fee kept for life, in basis points. */
  platformFeeBps: bigint;
  /** Contributors' share of the net sale, in basis points. */
  contributorShareBps: bigint;
  /** Bounty paid to each accepted contribution. */
  bountyPerContribution: bigint;
  /** Products sold: `SCOPE_RECORDS` (record sales), `SCOPE_STATISTICS` (queries), or both. */
  products: number;
  /** Cumulative reward per contribution of record sales (the contract's records accumulator). */
  rewardPerContribution: bigint;
  /** Remainder of the last record sale, kept for the next one. */
  carry: bigint;
  /** Cumulative reward per contribution of queries (the contract's statistics accumulator). */
  statisticsRewardPerContribution: bigint;
  /** Remainder of the last query, kept for the next one. */
  statisticsCarry: bigint;
  /** Bounty budget left, net of reservations. */
  bountyBudget: bigint;
  /** Bounties set aside for pending submissions (still held by the contract). */
  bountyReserved: bigint;
  /** Contribution ids active now, of any scope. */
  active: Set<bigint>;
  /** Active contributions whose scope allows records: those a record sale delivers and pays. */
  recordsActive: Set<bigint>;
  /** Active contributions whose scope allows statistics: those a query uses and pays. */
  statisticsActive: Set<bigint>;
  /** Erasure requests made so far (ends of records-scoped consents). */
  erasureCount: number;
  /** Erasure requests in index order: which contribution, and when. */
  erasureRequests: { contributionId: bigint; tx: TxRef }[];
  /** Ends of statistics-scoped consents in order (the contract's `statisticsEnded` is their count). */
  statisticsEnds: { contributionId: bigint; tx: TxRef }[];
  /** Sum of the contributors' share of every fulfilled record sale. */
  contributorsShareTotal: bigint;
  /** Sum of the contributors' share of every answered query. */
  statisticsShareTotal: bigint;
  /** Total ε (millionths) all queries together may spend, fixed at creation. */
  epsilonBudget: number;
  /** Most ε (millionths) one query may spend. */
  maxEpsilonPerQuery: number;
  /** ε (millionths) spent by answered queries so far. */
  epsilonSpent: number;
  /** The `PoolCreated` event. */
  created: TxRef;
}

/** Lifecycle of a contribution as seen in events. */
export type ContributionStatus = "pending" | "rejected" | "withdrawn" | "active" | "revoked";

/** A contribution as replayed. */
export interface ContributionLedger {
  /** Contribution (and consent token) id. */
  id: bigint;
  /** Pool joined. */
  poolId: number;
  /** Contributor (the token's holder: consent tokens are not transferable). */
  contributor: Address;
  /** keccak256 of the data CID. */
  dataCommitment: Hex;
  /** CID of the encrypted data envelope. */
  dataCid: string;
  /** Where it is in its lifecycle. */
  status: ContributionStatus;
  /** The uses its consent allows: `SCOPE_RECORDS`, `SCOPE_STATISTICS` or both. */
  scope: number;
  /** Whether a revocation was a retirement after expiry. */
  expired: boolean;
  /** Bounty credited at acceptance. */
  bounty: bigint;
  /** Bounty set aside while it is pending (`BountyReserved`), 0 when none. */
  reservedBounty: bigint;
  /** The pool's records accumulator when it became active (0 without records scope): it earns from there. */
  grantCheckpoint: bigint;
  /** The records accumulator at its last settlement. */
  checkpoint: bigint;
  /** The records accumulator when it stopped earning (revocation); undefined while active. */
  endAccumulator?: bigint;
  /** The pool's statistics accumulator when it became active (0 without statistics scope). */
  statisticsGrantCheckpoint: bigint;
  /** The statistics accumulator at its last settlement. */
  statisticsCheckpoint: bigint;
  /** The statistics accumulator when it stopped earning; undefined while active. */
  statisticsEndAccumulator?: bigint;
  /** The pool's ε spent when it joined (statistics scope only). */
  epsilonAtJoin?: number;
  /** The pool's ε spent when its consent ended (statistics scope only). */
  epsilonAtEnd?: number;
  /** Whether an `ErasureRequested` names it. */
  erasureRequested?: boolean;
  /** Dividends moved to its holder (settled on claim or revocation). */
  settled: bigint;
  /** Event order of its activation and revocation (to know whether it was active at a delivery). */
  grantedSeq?: number;
  /** Event order of its revocation. */
  revokedSeq?: number;
  /** The `ContributionSubmitted` event. */
  submitted: TxRef;
  /** The `ConsentGranted` event. */
  granted?: TxRef;
  /** The `ConsentRevoked` event. */
  revoked?: TxRef;
  /** The last `ContributionSettled`, to match it with the `ConsentRevoked` of the same transaction. */
  lastSettlement?: { transactionHash: Hex; amount: bigint };
  /** Every `ContributionSettled` in order: dividends moved to its holder's credit (claim or revocation). */
  settlements: { amount: bigint; tx: TxRef }[];
}

/**
 * The split of a fulfilled purchase (record sale) or answered query, and the replayed active count
 * it applied to. A record sale's platform, curator and contributors' amounts are its event's; a
 * query's are derived from its amount and the pool's rates (`QueryAnswered` does not carry them),
 * as the contract's `RevenueSplit.split` does.
 */
export interface Fulfilment {
  /** Credited to the treasury. */
  platform: bigint;
  /** Credited to the curator. */
  curator: bigint;
  /** Spread over the active contributions of the product's scope. */
  contributors: bigint;
  /** Added to the accumulator: credited to each active contribution. */
  perContribution: bigint;
  /** Remainder carried to the next sale. */
  carry: bigint;
  /** Carry before this sale. */
  previousCarry: bigint;
  /** Records the custodian says it delivered (or, for a query, used). */
  recordCount: number;
  /** Active contributions of the product's scope at fulfilment, replayed from the events. */
  activeCount: number;
  /**
   * Ended consents of the product's scope when the set was taken: the pool's erasure count for a
   * record sale (`erasuresSeen`), its `statisticsEnded` for a query (`statisticsSeen`).
   */
  erasuresSeen: number;
  /** Contributions whose consent ended after the set was taken: used, but paid nothing. */
  endedInFlight: bigint[];
  /** Merkle root over the delivered (or used) records. */
  recordsRoot: Hex;
  /** CID of the delivery manifest, or of the sealed answer of a query. */
  deliveryCid: string;
  /** ε (millionths) the answer spent; 0 for a record sale. */
  epsilonSpent: number;
  /** Event order of the fulfilment. */
  seq: number;
  /** The `PurchaseFulfilled` event. */
  tx: TxRef;
}

/** A purchase as replayed. */
export interface PurchaseLedger {
  /** Purchase id. */
  id: bigint;
  /** Pool bought from. */
  poolId: number;
  /** Buyer. */
  buyer: Address;
  /** Token paid in. */
  paymentToken: Address;
  /** Amount paid into escrow. */
  amount: bigint;
  /** Delivery deadline (unix seconds). */
  deadline: number;
  /**
   * Ended consents of the product's scope at purchase (the pool's erasure count for a record sale,
   * `statisticsEnded` for a query): the earliest moment its set may be taken.
   */
  erasureMark: number;
  /** What it buys. */
  product: Product;
  /** Most ε (millionths) the answer may spend; 0 for a record sale. */
  epsilon: number;
  /** CID of the query document (queries only). */
  queryCid?: string;
  /** Where it is: a rejection credits the buyer at once, a refund pays it after the deadline. */
  status: PurchaseStatus;
  /** The `PurchaseCreated` or `QueryPurchased` event. */
  created: TxRef;
  /** The split, once fulfilled (delivered or answered). */
  fulfilment?: Fulfilment;
  /** The `PurchaseRefunded` or `PurchaseRejected` event. */
  refunded?: TxRef;
  /** Why the custodian rejected it (`PurchaseRejected.reason`). */
  rejectReason?: string;
}

/** Where a purchase is. `rejected` and `refunded` are both the contract's `Refunded`. */
export type PurchaseStatus = "pending" | "fulfilled" | "refunded" | "rejected";

/** What one account is owed and was paid in one token. */
export interface AccountLedger {
  /** The account. */
  account: Address;
  /** The token. */
  token: Address;
  /** Bounties received. */
  bounties: bigint;
  /** Curator shares and platform fees of sales, and bounty budget the curator took back. */
  saleCredits: bigint;
  /** Dividends settled from its contributions (on claim or revocation). */
  settledDividends: bigint;
  /** Withdrawable credit now (the contract's `creditOf`). */
  credit: bigint;
  /** Paid out by `claim`. */
  withdrawn: bigint;
  /** Refunds of undelivered purchases, paid out directly. */
  refunded: bigint;
  /** Purchases the custodian rejected, credited to the buyer (withdrawn with `claim`). */
  rejectedCredits: bigint;
  /** Every `Withdrawn` in order: each paid out the whole credit accrued before it. */
  withdrawals: { amount: bigint; tx: TxRef }[];
}

/** Erasure bookkeeping of one buyer in one pool (the contract's `BuyerErasure`). */
export interface BuyerErasureLedger {
  /** Pool. */
  poolId: number;
  /** Buyer. */
  buyer: Address;
  /** Index of the first erasure request it owes: the pool's erasure count at its first delivery. */
  owedFrom: number;
  /** Requests below this index are attested. */
  attestedUpTo: number;
  /** Every `ErasureAttested` of the buyer in the pool, in order. */
  attestations: { fromIndex: number; upToIndex: number; tx: TxRef }[];
}

/** Money in and out of the contract in one token, from events. */
export interface TokenFlows {
  /** Purchases of both products and bounty funding. */
  paidIn: bigint;
  /** Refunds and withdrawals. */
  paidOut: bigint;
}

/** The books rebuilt from events. */
export interface Ledger {
  /** Where platform fees are credited now. */
  treasury: Address;
  /** Pools by id. */
  pools: Map<number, PoolLedger>;
  /** Contributions by id. */
  contributions: Map<bigint, ContributionLedger>;
  /** Purchases by id. */
  purchases: Map<bigint, PurchaseLedger>;
  /** Accounts by `account:token` (see {@link accountKey}). */
  accounts: Map<string, AccountLedger>;
  /** Buyers' erasure bookkeeping by `poolId:buyer`. */
  buyerErasures: Map<string, BuyerErasureLedger>;
  /** Money in and out per token. */
  flows: Map<Address, TokenFlows>;
  /** Disagreements found while replaying. */
  findings: Finding[];
  /** Events replayed. */
  eventCount: number;
}

const checksums = new Map<string, Address>();

/** `getAddress`, memoised: the same few accounts recur in every event and checksums cost a hash. */
function checksum(address: string): Address {
  let checksummed = checksums.get(address);
  if (checksummed === undefined) {
    checksummed = getAddress(address);
    if (checksums.size > 100_000) checksums.clear();
    checksums.set(address, checksummed);
  }
  return checksummed;
}

/** Key of an account's books in one token. */
export function accountKey(account: Address, token: Address): string {
  return `${checksum(account)}:${checksum(token)}`;
}

/** Key of a buyer's erasure bookkeeping in one pool. */
export function buyerErasureKey(poolId: number, buyer: Address): string {
  return `${poolId}:${checksum(buyer)}`;
}

/** What an active contribution's checkpoints leave it to settle, per product. */
function owedByProduct(
  pool: PoolLedger,
  contribution: ContributionLedger,
): { records: bigint; statistics: bigint } {
  return {
    records: allowsRecords(contribution.scope)
      ? pool.rewardPerContribution - contribution.checkpoint
      : 0n,
    statistics: allowsStatistics(contribution.scope)
      ? pool.statisticsRewardPerContribution - contribution.statisticsCheckpoint
      : 0n,
  };
}

/**
 * Dividends a contribution has earned and not settled yet, from both products (the contract's
 * `pendingEarnings`).
 */
export function unsettledDividends(ledger: Ledger, contribution: ContributionLedger): bigint {
  if (contribution.status !== "active") return 0n;
  const pool = ledger.pools.get(contribution.poolId);
  if (!pool) return 0n;
  const owed = owedByProduct(pool, contribution);
  return owed.records + owed.statistics;
}

/**
 * Everything a contribution earned from each product: each accumulator's rise while it was active,
 * for the products its scope allows.
 */
export function earnedByProduct(
  ledger: Ledger,
  contribution: ContributionLedger,
): { records: bigint; statistics: bigint } {
  if (contribution.status !== "active" && contribution.status !== "revoked") {
    return { records: 0n, statistics: 0n };
  }
  const pool = ledger.pools.get(contribution.poolId);
  const records = allowsRecords(contribution.scope)
    ? (contribution.endAccumulator ?? pool?.rewardPerContribution ?? contribution.grantCheckpoint) -
      contribution.grantCheckpoint
    : 0n;
  const statistics = allowsStatistics(contribution.scope)
    ? (contribution.statisticsEndAccumulator ??
        pool?.statisticsRewardPerContribution ??
        contribution.statisticsGrantCheckpoint) - contribution.statisticsGrantCheckpoint
    : 0n;
  return { records, statistics };
}

/** Everything a contribution earned from sales of both products. */
export function earnedDividends(ledger: Ledger, contribution: ContributionLedger): bigint {
  const earned = earnedByProduct(ledger, contribution);
  return earned.records + earned.statistics;
}

/**
 * A contribution's privacy loss so far in millionths of ε, replayed as the contract's
 * `privacyLoss` defines it: the pool's ε spent since it joined while it is active, frozen when its
 * consent ends; 0 when its scope does not allow statistics or it never became active.
 */
export function replayedPrivacyLoss(ledger: Ledger, contribution: ContributionLedger): number {
  if (!allowsStatistics(contribution.scope) || contribution.epsilonAtJoin === undefined) return 0;
  if (contribution.status === "active") {
    const pool = ledger.pools.get(contribution.poolId);
    return (pool?.epsilonSpent ?? contribution.epsilonAtJoin) - contribution.epsilonAtJoin;
  }
  if (contribution.status === "revoked" && contribution.epsilonAtEnd !== undefined) {
    return contribution.epsilonAtEnd - contribution.epsilonAtJoin;
  }
  return 0;
}

/** Whether a contribution was active at event order `seq` (granted before, not revoked before). */
export function wasActiveAt(contribution: ContributionLedger, seq: number): boolean {
  return (
    contribution.grantedSeq !== undefined &&
    contribution.grantedSeq < seq &&
    (contribution.revokedSeq === undefined || contribution.revokedSeq > seq)
  );
}

function txRef(event: DatabankEventLog): TxRef {
  return {
    transactionHash: event.transactionHash,
    blockNumber: event.blockNumber,
    logIndex: event.logIndex,
  };
}

/** Replays Databank events (in chain order) into a {@link Ledger}. */
export function buildLedger(events: readonly DatabankEventLog[]): Ledger {
  const ledger: Ledger = {
    treasury: zeroAddress,
    pools: new Map(),
    contributions: new Map(),
    purchases: new Map(),
    accounts: new Map(),
    buyerErasures: new Map(),
    flows: new Map(),
    findings: [],
    eventCount: events.length,
  };
  const replay = new Replay(ledger);
  events.forEach((event, seq) => replay.apply(event, seq));
  replay.finish();
  return ledger;
}

/** The replay's state machine: one method per event, mirroring the contract. */
class Replay {
  /** The last `Credited` event, which a following `BountyWithdrawn` turns into a curator credit. */
  private lastCredit?: { transactionHash: Hex; entry: AccountLedger; amount: bigint };

  constructor(private readonly ledger: Ledger) {}

  private find(
    check: CheckId,
    message: string | FindingMessage,
    event: DatabankEventLog,
    poolId?: number,
  ): void {
    this.ledger.findings.push({ check, message, tx: txRef(event), poolId });
  }

  private account(account: Address, token: Address): AccountLedger {
    const key = accountKey(account, token);
    let entry = this.ledger.accounts.get(key);
    if (!entry) {
      entry = {
        account: checksum(account),
        token: checksum(token),
        bounties: 0n,
        saleCredits: 0n,
        settledDividends: 0n,
        credit: 0n,
        withdrawn: 0n,
        refunded: 0n,
        rejectedCredits: 0n,
        withdrawals: [],
      };
      this.ledger.accounts.set(key, entry);
    }
    return entry;
  }

  private flows(token: Address): TokenFlows {
    const key = checksum(token);
    let entry = this.ledger.flows.get(key);
    if (!entry) {
      entry = { paidIn: 0n, paidOut: 0n };
      this.ledger.flows.set(key, entry);
    }
    return entry;
  }

  /**
   * The pool and the pending purchase a fulfilment or an answer settles, reported if it is for
   * another pool or buyer than paid; undefined, with a finding, when the purchase is not pending.
   */
  private pendingSale(
    event: Extract<DatabankEventLog, { eventName: "PurchaseFulfilled" | "QueryAnswered" }>,
    noun: "purchase" | "query",
    verb: "fulfilled" | "answered",
  ): { sale: PurchaseLedger; pool: PoolLedger } | undefined {
    const args = event.args;
    const sale = this.ledger.purchases.get(args.purchaseId);
    const pool = this.pool(args.poolId, event);
    if (!pool) return undefined;
    if (!sale || sale.status !== "pending") {
      this.find(
        "balance",
        `${noun} #${args.purchaseId} ${verb} but not pending (${sale?.status ?? "unknown"})`,
        event,
        pool.id,
      );
      return undefined;
    }
    if (sale.poolId !== args.poolId || checksum(args.buyer) !== sale.buyer) {
      this.find(
        "balance",
        `${noun} #${sale.id} ${verb} for another pool or buyer than paid`,
        event,
        pool.id,
      );
    }
    return { sale, pool };
  }

  private pool(poolId: number, event: DatabankEventLog): PoolLedger | undefined {
    const pool = this.ledger.pools.get(poolId);
    if (!pool)
      this.find("credits", `${event.eventName} names pool ${poolId}, never created`, event);
    return pool;
  }

  private contribution(id: bigint, event: DatabankEventLog): ContributionLedger | undefined {
    const contribution = this.ledger.contributions.get(id);
    if (!contribution) {
      this.find("credits", `${event.eventName} names contribution #${id}, never submitted`, event);
    }
    return contribution;
  }

  apply(event: DatabankEventLog, seq: number): void {
    switch (event.eventName) {
      case "TreasuryChanged":
        this.ledger.treasury = checksum(event.args.newTreasury);
        return;
      case "PoolCreated": {
        const { poolId, curator, custodian, platformFeeBps, params } = event.args;
        this.ledger.pools.set(poolId, {
          id: poolId,
          curator: checksum(curator),
          custodian: checksum(custodian),
          paymentToken: checksum(params.paymentToken),
          platformFeeBps: BigInt(platformFeeBps),
          contributorShareBps: BigInt(params.contributorShareBps),
          bountyPerContribution: params.bountyPerContribution,
          products: params.products,
          rewardPerContribution: 0n,
          carry: 0n,
          statisticsRewardPerContribution: 0n,
          statisticsCarry: 0n,
          bountyBudget: 0n,
          bountyReserved: 0n,
          active: new Set(),
          recordsActive: new Set(),
          statisticsActive: new Set(),
          erasureCount: 0,
          erasureRequests: [],
          statisticsEnds: [],
          contributorsShareTotal: 0n,
          statisticsShareTotal: 0n,
          epsilonBudget: params.epsilonBudget,
          maxEpsilonPerQuery: params.maxEpsilonPerQuery,
          epsilonSpent: 0,
          created: txRef(event),
        });
        return;
      }
      case "BountyFunded": {
        const pool = this.pool(event.args.poolId, event);
        if (!pool) return;
        pool.bountyBudget += event.args.amount;
        this.flows(pool.paymentToken).paidIn += event.args.amount;
        return;
      }
      case "BountyWithdrawn": {
        // The curator's credit comes with the `Credited` event emitted just before.
        const pool = this.pool(event.args.poolId, event);
        if (!pool) return;
        if (pool.bountyBudget < event.args.amount) {
          this.find(
            "balance",
            findingWords`pool ${pool.id}: ${findingAmount(event.args.amount, pool.paymentToken)} of bounty budget withdrawn, only ${findingAmount(pool.bountyBudget, pool.paymentToken)} left`,
            event,
            pool.id,
          );
        }
        pool.bountyBudget -= event.args.amount;
        const credit = this.lastCredit;
        if (
          credit?.transactionHash === event.transactionHash &&
          credit.amount === event.args.amount
        ) {
          credit.entry.bounties -= credit.amount;
          credit.entry.saleCredits += credit.amount;
        }
        return;
      }
      case "BountyReserved": {
        const { contributionId, poolId, amount, reserved } = event.args;
        const pool = this.pool(poolId, event);
        const contribution = this.contribution(contributionId, event);
        if (!pool || !contribution) return;
        const coin = (value: bigint) => findingAmount(value, pool.paymentToken);
        if (reserved) {
          if (amount !== pool.bountyPerContribution || pool.bountyBudget < amount) {
            this.find(
              "balance",
              findingWords`contribution #${contributionId}: bounty ${coin(amount)} reserved, the pool pays ${coin(pool.bountyPerContribution)} from a budget of ${coin(pool.bountyBudget)}`,
              event,
              poolId,
            );
          }
          pool.bountyBudget -= amount;
          pool.bountyReserved += amount;
          contribution.reservedBounty = amount;
        } else {
          if (amount !== contribution.reservedBounty) {
            this.find(
              "balance",
              findingWords`contribution #${contributionId}: ${coin(amount)} of bounty returned, ${coin(contribution.reservedBounty)} was reserved`,
              event,
              poolId,
            );
          }
          pool.bountyBudget += amount;
          pool.bountyReserved -= amount;
          contribution.reservedBounty = 0n;
        }
        return;
      }
      case "Credited": {
        // Bounties (before `ConsentGranted`) and withdrawn bounty budget (before `BountyWithdrawn`).
        const { account, token, poolId, amount } = event.args;
        const pool = this.pool(poolId, event);
        if (pool && checksum(token) !== pool.paymentToken) {
          this.find(
            "credits",
            `credit in ${token}, pool ${poolId} pays in ${pool.paymentToken}`,
            event,
            poolId,
          );
        }
        // Counted as a bounty until a `BountyWithdrawn` of the same transaction says otherwise.
        const entry = this.account(account, token);
        entry.credit += amount;
        entry.bounties += amount;
        this.lastCredit = { transactionHash: event.transactionHash, entry, amount };
        return;
      }
      case "ContributionSubmitted": {
        const { contributionId, poolId, contributor, dataCommitment, dataCid, scope } = event.args;
        const pool = this.pool(poolId, event);
        if (pool && (scope === 0 || (scope & ~pool.products) !== 0)) {
          this.find(
            "products",
            `contribution #${contributionId}: consent scope ${scope} (${scopeLabel(scope)}) is not within pool ${poolId}'s products (${scopeLabel(pool.products)})`,
            event,
            poolId,
          );
        }
        if (keccak256(toBytes(dataCid)) !== dataCommitment) {
          this.find(
            "manifests",
            `contribution #${contributionId}: commitment is not keccak256 of its CID`,
            event,
            poolId,
          );
        }
        this.ledger.contributions.set(contributionId, {
          id: contributionId,
          poolId,
          contributor: checksum(contributor),
          dataCommitment,
          dataCid,
          status: "pending",
          scope,
          expired: false,
          bounty: 0n,
          reservedBounty: 0n,
          grantCheckpoint: 0n,
          checkpoint: 0n,
          statisticsGrantCheckpoint: 0n,
          statisticsCheckpoint: 0n,
          settled: 0n,
          settlements: [],
          submitted: txRef(event),
        });
        return;
      }
      case "ContributionRejected": {
        const contribution = this.contribution(event.args.contributionId, event);
        if (contribution) contribution.status = "rejected";
        return;
      }
      case "ConsentGranted":
        return this.consentGranted(event, seq);
      case "ConsentRevoked":
        return this.consentRevoked(event, seq);
      case "ContributionSettled":
        return this.contributionSettled(event);
      case "ErasureRequested": {
        const pool = this.pool(event.args.poolId, event);
        if (!pool) return;
        if (event.args.erasureIndex !== pool.erasureCount) {
          this.find(
            "erasures",
            `pool ${pool.id}: erasure request index ${event.args.erasureIndex}, expected ${pool.erasureCount}`,
            event,
            pool.id,
          );
        }
        // Only a records-scoped consent was ever delivered, so only its end asks buyers to erase.
        const requested = this.ledger.contributions.get(event.args.contributionId);
        if (!requested || !allowsRecords(requested.scope) || requested.status !== "revoked") {
          this.find(
            "products",
            `pool ${pool.id}: erasure request #${event.args.erasureIndex} names contribution #${event.args.contributionId}, ${
              !requested
                ? "never submitted"
                : !allowsRecords(requested.scope)
                  ? `whose consent (${scopeLabel(requested.scope)}) never allowed its record to be delivered`
                  : `${requested.status}, not ended`
            }`,
            event,
            pool.id,
          );
        }
        if (requested) requested.erasureRequested = true;
        pool.erasureRequests.push({ contributionId: event.args.contributionId, tx: txRef(event) });
        pool.erasureCount += 1;
        return;
      }
      case "ErasureAttested": {
        const { poolId, buyer, fromIndex, upToIndex } = event.args;
        const erasure = this.ledger.buyerErasures.get(buyerErasureKey(poolId, buyer));
        if (!erasure) {
          this.find(
            "erasures",
            `buyer ${buyer} attested erasures in pool ${poolId} without a delivery`,
            event,
            poolId,
          );
          return;
        }
        const attested = Math.max(erasure.attestedUpTo, erasure.owedFrom);
        if (fromIndex !== attested) {
          this.find(
            "erasures",
            `buyer ${buyer} attested pool ${poolId} from index ${fromIndex}, expected ${attested}`,
            event,
            poolId,
          );
        }
        erasure.attestedUpTo = upToIndex;
        erasure.attestations.push({ fromIndex, upToIndex, tx: txRef(event) });
        return;
      }
      case "PurchaseCreated": {
        const { purchaseId, poolId, buyer, paymentToken, amount, deadline, erasureMark } =
          event.args;
        const pool = this.pool(poolId, event);
        if (pool && checksum(paymentToken) !== pool.paymentToken) {
          this.find(
            "balance",
            `purchase #${purchaseId} paid in ${paymentToken}, pool ${poolId} takes ${pool.paymentToken}`,
            event,
            poolId,
          );
        }
        this.ledger.purchases.set(purchaseId, {
          id: purchaseId,
          poolId,
          buyer: checksum(buyer),
          paymentToken: checksum(paymentToken),
          amount,
          deadline,
          erasureMark,
          product: "records",
          epsilon: 0,
          status: "pending",
          created: txRef(event),
        });
        this.flows(paymentToken).paidIn += amount;
        if (pool && !allowsRecords(pool.products)) {
          this.find(
            "products",
            `purchase #${purchaseId}: a record sale of pool ${poolId}, which sells ${scopeLabel(pool.products)} only`,
            event,
            poolId,
          );
        }
        if (pool && erasureMark !== pool.erasureCount) {
          this.find(
            "record-counts",
            `purchase #${purchaseId} (pool ${poolId}): erasure mark ${erasureMark}, the pool's erasure count was ${pool.erasureCount}`,
            event,
            poolId,
          );
        }
        return;
      }
      case "QueryPurchased":
        return this.queryPurchased(event);
      case "QueryAnswered":
        return this.queryAnswered(event, seq);
      case "PurchaseRejected":
        return this.purchaseRejected(event);
      case "PurchaseFulfilled":
        return this.purchaseFulfilled(event, seq);
      case "PurchaseRefunded": {
        const { purchaseId, amount } = event.args;
        const sale = this.ledger.purchases.get(purchaseId);
        if (!sale || sale.status !== "pending") {
          this.find(
            "balance",
            `purchase #${purchaseId} refunded but not pending (${sale?.status ?? "unknown"})`,
            event,
          );
          return;
        }
        if (amount !== sale.amount) {
          this.find(
            "balance",
            findingWords`purchase #${purchaseId} refunded ${findingAmount(amount, sale.paymentToken)}, ${findingAmount(sale.amount, sale.paymentToken)} was paid`,
            event,
            sale.poolId,
          );
        }
        sale.status = "refunded";
        sale.refunded = txRef(event);
        this.account(sale.buyer, sale.paymentToken).refunded += amount;
        this.flows(sale.paymentToken).paidOut += amount;
        return;
      }
      case "Withdrawn": {
        const { account, token, amount } = event.args;
        const entry = this.account(account, token);
        if (amount !== entry.credit) {
          this.find(
            "balance",
            findingWords`${entry.account} withdrew ${findingAmount(amount, entry.token)}, the events credit it ${findingAmount(entry.credit, entry.token)}`,
            event,
          );
        }
        entry.credit = 0n;
        entry.withdrawn += amount;
        entry.withdrawals.push({ amount, tx: txRef(event) });
        this.flows(token).paidOut += amount;
        return;
      }
      default:
        // Other events (ERC-721 Transfer/Locked, ownership, price, pause, renderer) move no money.
        return;
    }
  }

  private consentGranted(
    event: Extract<DatabankEventLog, { eventName: "ConsentGranted" }>,
    seq: number,
  ): void {
    const { contributionId, poolId, bounty, rewardCheckpoint, statisticsCheckpoint } = event.args;
    const contribution = this.contribution(contributionId, event);
    const pool = this.pool(poolId, event);
    if (!contribution || !pool) return;
    const coin = (value: bigint) => findingAmount(value, pool.paymentToken);
    if (contribution.status !== "pending") {
      this.find(
        "record-counts",
        `contribution #${contributionId} granted while ${contribution.status}`,
        event,
        poolId,
      );
    }
    const records = allowsRecords(contribution.scope);
    const statistics = allowsStatistics(contribution.scope);
    if (records && rewardCheckpoint !== pool.rewardPerContribution) {
      this.find(
        "credits",
        findingWords`contribution #${contributionId} starts earning at ${coin(rewardCheckpoint)}, the pool's accumulator is ${coin(pool.rewardPerContribution)}`,
        event,
        poolId,
      );
    }
    if (statistics && statisticsCheckpoint !== pool.statisticsRewardPerContribution) {
      this.find(
        "credits",
        findingWords`contribution #${contributionId} starts earning from queries at ${coin(statisticsCheckpoint)}, the pool's query accumulator is ${coin(pool.statisticsRewardPerContribution)}`,
        event,
        poolId,
      );
    }
    // A product the consent does not allow has no checkpoint: the contribution is not in its set.
    if ((!records && rewardCheckpoint !== 0n) || (!statistics && statisticsCheckpoint !== 0n)) {
      this.find(
        "products",
        findingWords`contribution #${contributionId} (${scopeLabel(contribution.scope)}) granted with checkpoints ${coin(rewardCheckpoint)} (record sales) and ${coin(statisticsCheckpoint)} (queries): a product its consent does not allow must have none`,
        event,
        poolId,
      );
    }
    // The bounty reserved at submission, or else one from the budget while it lasts.
    const reserved = contribution.reservedBounty;
    const due =
      reserved !== 0n
        ? reserved
        : pool.bountyPerContribution !== 0n && pool.bountyBudget >= pool.bountyPerContribution
          ? pool.bountyPerContribution
          : 0n;
    if (bounty !== due) {
      this.find(
        "credits",
        findingWords`contribution #${contributionId} got a bounty of ${coin(bounty)}, it was owed ${coin(due)}`,
        event,
        poolId,
      );
    }
    if (reserved !== 0n) {
      pool.bountyReserved -= reserved;
      contribution.reservedBounty = 0n;
    } else {
      pool.bountyBudget -= bounty;
    }
    pool.active.add(contributionId);
    contribution.status = "active";
    contribution.bounty = bounty;
    if (records) {
      pool.recordsActive.add(contributionId);
      contribution.grantCheckpoint = pool.rewardPerContribution;
      contribution.checkpoint = pool.rewardPerContribution;
    }
    if (statistics) {
      pool.statisticsActive.add(contributionId);
      contribution.statisticsGrantCheckpoint = pool.statisticsRewardPerContribution;
      contribution.statisticsCheckpoint = pool.statisticsRewardPerContribution;
      contribution.epsilonAtJoin = pool.epsilonSpent;
    }
    contribution.grantedSeq = seq;
    contribution.granted = txRef(event);
  }

  private consentRevoked(
    event: Extract<DatabankEventLog, { eventName: "ConsentRevoked" }>,
    seq: number,
  ): void {
    const { contributionId, poolId, expired, settled } = event.args;
    const contribution = this.contribution(contributionId, event);
    const pool = this.pool(poolId, event);
    if (!contribution || !pool) return;
    if (contribution.status === "pending") {
      // A submission withdrawn before the custodian's check: no token, nothing earned.
      contribution.status = "withdrawn";
      contribution.revoked = txRef(event);
      return;
    }
    if (contribution.status !== "active") {
      this.find(
        "record-counts",
        `contribution #${contributionId} revoked while ${contribution.status}`,
        event,
        poolId,
      );
      return;
    }
    const owed = owedByProduct(pool, contribution);
    const unsettled = owed.records + owed.statistics;
    const settledNow =
      contribution.lastSettlement?.transactionHash === event.transactionHash
        ? contribution.lastSettlement.amount
        : 0n;
    if (unsettled !== 0n || settled !== settledNow) {
      this.find(
        "credits",
        findingWords`contribution #${contributionId} revoked with ${findingAmount(settled, pool.paymentToken)} settled, the accumulator owed it ${findingAmount(settledNow + unsettled, pool.paymentToken)}`,
        event,
        poolId,
      );
    }
    pool.active.delete(contributionId);
    contribution.status = "revoked";
    contribution.expired = expired;
    if (allowsRecords(contribution.scope)) {
      pool.recordsActive.delete(contributionId);
      contribution.endAccumulator = pool.rewardPerContribution;
    }
    if (allowsStatistics(contribution.scope)) {
      pool.statisticsActive.delete(contributionId);
      pool.statisticsEnds.push({ contributionId, tx: txRef(event) });
      contribution.statisticsEndAccumulator = pool.statisticsRewardPerContribution;
      contribution.epsilonAtEnd = pool.epsilonSpent;
    }
    contribution.revokedSeq = seq;
    contribution.revoked = txRef(event);
  }

  private contributionSettled(
    event: Extract<DatabankEventLog, { eventName: "ContributionSettled" }>,
  ): void {
    const { contributionId, poolId, account, amount } = event.args;
    const contribution = this.contribution(contributionId, event);
    const pool = this.pool(poolId, event);
    if (!contribution || !pool) return;
    const byProduct = owedByProduct(pool, contribution);
    const owed = byProduct.records + byProduct.statistics;
    if (contribution.status !== "active" || amount !== owed) {
      this.find(
        "credits",
        findingWords`contribution #${contributionId} settled ${findingAmount(amount, pool.paymentToken)}, the accumulator owes it ${findingAmount(contribution.status === "active" ? owed : 0n, pool.paymentToken)}`,
        event,
        poolId,
      );
    }
    if (checksum(account) !== contribution.contributor) {
      this.find(
        "credits",
        `contribution #${contributionId} of ${contribution.contributor} settled to ${account}`,
        event,
        poolId,
      );
    }
    if (allowsRecords(contribution.scope)) contribution.checkpoint = pool.rewardPerContribution;
    if (allowsStatistics(contribution.scope)) {
      contribution.statisticsCheckpoint = pool.statisticsRewardPerContribution;
    }
    contribution.settled += amount;
    contribution.lastSettlement = { transactionHash: event.transactionHash, amount };
    contribution.settlements.push({ amount, tx: txRef(event) });
    // Settled dividends join the credit: a claim pays them with it, a revocation leaves them there.
    const entry = this.account(account, pool.paymentToken);
    entry.settledDividends += amount;
    entry.credit += amount;
  }

  private purchaseFulfilled(
    event: Extract<DatabankEventLog, { eventName: "PurchaseFulfilled" }>,
    seq: number,
  ): void {
    const args = event.args;
    const settled = this.pendingSale(event, "purchase", "fulfilled");
    if (!settled) return;
    const { sale, pool } = settled;
    if (sale.product !== "records") {
      this.find(
        "products",
        `purchase #${sale.id} (pool ${pool.id}) is a query, yet it was delivered as a record sale`,
        event,
        pool.id,
      );
    }
    // A record sale delivers, and pays, only the active contributions whose consent allows records.
    const activeCount = pool.recordsActive.size;
    const previousCarry = pool.carry;
    const { erasuresSeen } = args;
    if (erasuresSeen < sale.erasureMark || erasuresSeen > pool.erasureCount) {
      this.find(
        "record-counts",
        `purchase #${sale.id} (pool ${pool.id}): delivered set taken at erasure count ${erasuresSeen}, outside the purchase's ${sale.erasureMark} to the pool's ${pool.erasureCount}`,
        event,
        pool.id,
      );
    }
    // Consents that ended after the set was taken were delivered too (and are owed erasure).
    const endedInFlight = pool.erasureRequests
      .slice(Math.min(erasuresSeen, pool.erasureCount))
      .map((request) => request.contributionId);
    const delivered = activeCount + endedInFlight.length;
    if (args.recordCount !== delivered) {
      this.find(
        "record-counts",
        `purchase #${sale.id} (pool ${pool.id}): ${args.recordCount} records delivered, ${delivered} contributions were active when the set was taken`,
        event,
        pool.id,
      );
    }
    this.checkSplit(event, sale, pool, {
      platform: args.platformAmount,
      curator: args.curatorAmount,
      contributors: args.contributorsAmount,
    });
    this.checkDistribution(event, sale, pool, {
      product: "records",
      activeCount,
      previousCarry,
      contributors: args.contributorsAmount,
      perContribution: args.perContribution,
      carry: BigInt(args.carry),
    });

    sale.status = "fulfilled";
    sale.fulfilment = {
      platform: args.platformAmount,
      curator: args.curatorAmount,
      contributors: args.contributorsAmount,
      perContribution: args.perContribution,
      carry: BigInt(args.carry),
      previousCarry,
      recordCount: args.recordCount,
      activeCount,
      erasuresSeen,
      endedInFlight,
      recordsRoot: args.recordsRoot,
      deliveryCid: args.deliveryCid,
      epsilonSpent: 0,
      seq,
      tx: txRef(event),
    };
    pool.rewardPerContribution += args.perContribution;
    pool.carry = BigInt(args.carry);
    pool.contributorsShareTotal += args.contributorsAmount;
    this.creditSale(pool, args.platformAmount, args.curatorAmount);
    // The buyer owes erasure of every contribution that ended after the earliest set it was
    // delivered was taken; a delivery of an earlier set re-opens what the buyer had attested.
    const key = buyerErasureKey(pool.id, sale.buyer);
    const erasure = this.ledger.buyerErasures.get(key);
    if (erasure === undefined) {
      this.ledger.buyerErasures.set(key, {
        poolId: pool.id,
        buyer: sale.buyer,
        owedFrom: erasuresSeen,
        attestedUpTo: 0,
        attestations: [],
      });
    } else {
      erasure.owedFrom = Math.min(erasure.owedFrom, erasuresSeen);
      erasure.attestedUpTo = Math.min(erasure.attestedUpTo, erasuresSeen);
    }
  }

  private queryPurchased(event: Extract<DatabankEventLog, { eventName: "QueryPurchased" }>): void {
    const { purchaseId, poolId, buyer, amount, deadline, statisticsMark, epsilon, queryCid } =
      event.args;
    const pool = this.pool(poolId, event);
    // The event names no token: a query is paid in its pool's.
    const paymentToken = pool?.paymentToken ?? zeroAddress;
    this.ledger.purchases.set(purchaseId, {
      id: purchaseId,
      poolId,
      buyer: checksum(buyer),
      paymentToken,
      amount,
      deadline,
      erasureMark: statisticsMark,
      product: "query",
      epsilon,
      queryCid,
      status: "pending",
      created: txRef(event),
    });
    this.flows(paymentToken).paidIn += amount;
    if (!pool) return;
    const where = `query #${purchaseId} (pool ${poolId})`;
    if (!allowsStatistics(pool.products)) {
      this.find(
        "products",
        `${where}: pool ${poolId} sells ${scopeLabel(pool.products)} only, no queries`,
        event,
        poolId,
      );
    }
    if (statisticsMark !== pool.statisticsEnds.length) {
      this.find(
        "record-counts",
        `${where}: statistics mark ${statisticsMark}, ${pool.statisticsEnds.length} statistics-scoped consents had ended`,
        event,
        poolId,
      );
    }
    if (epsilon === 0 || epsilon > pool.maxEpsilonPerQuery) {
      this.find(
        "privacy-budget",
        `${where} may spend ε ${formatEpsilon(BigInt(epsilon))}, the pool allows above 0 and at most ${formatEpsilon(BigInt(pool.maxEpsilonPerQuery))} per query`,
        event,
        poolId,
      );
    }
    // A purchase may ask for more than the budget has left: only an answer spends it, and the
    // contract refuses any answer past it (checked in `queryAnswered`).
  }

  private queryAnswered(
    event: Extract<DatabankEventLog, { eventName: "QueryAnswered" }>,
    seq: number,
  ): void {
    const args = event.args;
    const settled = this.pendingSale(event, "query", "answered");
    if (!settled) return;
    const { sale, pool } = settled;
    const where = `query #${sale.id} (pool ${pool.id})`;
    if (sale.product !== "query") {
      this.find(
        "products",
        `purchase #${sale.id} (pool ${pool.id}) is a record sale, yet it was answered as a query`,
        event,
        pool.id,
      );
    }
    // A query runs over, and pays, every active contribution whose consent allows statistics.
    const activeCount = pool.statisticsActive.size;
    const previousCarry = pool.statisticsCarry;
    const ended = pool.statisticsEnds.length;
    const seen = args.statisticsSeen;
    if (seen < sale.erasureMark || seen > ended) {
      this.find(
        "record-counts",
        `${where}: set used taken at ${seen} ended statistics consents, outside the purchase's ${sale.erasureMark} to the pool's ${ended}`,
        event,
        pool.id,
      );
    }
    const endedInFlight = pool.statisticsEnds
      .slice(Math.min(seen, ended))
      .map((end) => end.contributionId);
    const used = activeCount + endedInFlight.length;
    if (args.recordCount !== used) {
      this.find(
        "record-counts",
        `${where}: ${args.recordCount} records used, ${used} contributions allowing statistics were active when the set was taken`,
        event,
        pool.id,
      );
    }

    // The privacy budget: within the buyer's request, the pool's per-query maximum and its total.
    const spent = args.epsilonSpent;
    const eps = (value: number) => formatEpsilon(BigInt(value));
    if (spent === 0 || spent > sale.epsilon) {
      this.find(
        "privacy-budget",
        `${where}: the answer spent ε ${eps(spent)}, the query allowed above 0 and at most ${eps(sale.epsilon)}`,
        event,
        pool.id,
      );
    }
    if (spent > pool.maxEpsilonPerQuery) {
      this.find(
        "privacy-budget",
        `${where}: the answer spent ε ${eps(spent)}, above the pool's maximum of ${eps(pool.maxEpsilonPerQuery)} per query`,
        event,
        pool.id,
      );
    }
    if (pool.epsilonSpent + spent > pool.epsilonBudget) {
      this.find(
        "privacy-budget",
        `${where}: the answer spent ε ${eps(spent)} with ${eps(pool.epsilonSpent)} already spent, past the pool's budget of ${eps(pool.epsilonBudget)}`,
        event,
        pool.id,
      );
    }
    pool.epsilonSpent += spent;

    // `QueryAnswered` carries no split: it is the pool's rates applied to the amount paid.
    const { platform, curator, contributors } = splitOf(sale.amount, pool);
    this.checkDistribution(event, sale, pool, {
      product: "query",
      activeCount,
      previousCarry,
      contributors,
      perContribution: args.perContribution,
      carry: BigInt(args.carry),
    });
    sale.status = "fulfilled";
    sale.fulfilment = {
      platform,
      curator,
      contributors,
      perContribution: args.perContribution,
      carry: BigInt(args.carry),
      previousCarry,
      recordCount: args.recordCount,
      activeCount,
      erasuresSeen: seen,
      endedInFlight,
      recordsRoot: args.recordsRoot,
      deliveryCid: args.answerCid,
      epsilonSpent: spent,
      seq,
      tx: txRef(event),
    };
    pool.statisticsRewardPerContribution += args.perContribution;
    pool.statisticsCarry = BigInt(args.carry);
    pool.statisticsShareTotal += contributors;
    this.creditSale(pool, platform, curator);
  }

  private purchaseRejected(
    event: Extract<DatabankEventLog, { eventName: "PurchaseRejected" }>,
  ): void {
    const { purchaseId, amount, reason } = event.args;
    const sale = this.ledger.purchases.get(purchaseId);
    if (!sale || sale.status !== "pending") {
      this.find(
        "balance",
        `purchase #${purchaseId} rejected but not pending (${sale?.status ?? "unknown"})`,
        event,
        event.args.poolId,
      );
      return;
    }
    if (amount !== sale.amount) {
      this.find(
        "balance",
        findingWords`purchase #${purchaseId} rejected with ${findingAmount(amount, sale.paymentToken)} credited, ${findingAmount(sale.amount, sale.paymentToken)} was paid`,
        event,
        sale.poolId,
      );
    }
    sale.status = "rejected";
    sale.refunded = txRef(event);
    sale.rejectReason = reason;
    // The buyer's credit comes with the `Credited` event emitted just before.
    const entry = this.account(sale.buyer, sale.paymentToken);
    const credit = this.lastCredit;
    if (
      credit?.transactionHash === event.transactionHash &&
      credit.entry === entry &&
      credit.amount === amount
    ) {
      credit.entry.bounties -= amount;
    } else {
      this.find(
        "balance",
        findingWords`purchase #${purchaseId} rejected without a Credited event of ${findingAmount(amount, sale.paymentToken)} to its buyer ${sale.buyer}`,
        event,
        sale.poolId,
      );
      entry.credit += amount;
    }
    entry.rejectedCredits += amount;
  }

  /** Credits the curator share and the platform fee of a sale (no event of their own). */
  private creditSale(pool: PoolLedger, platform: bigint, curator: bigint): void {
    if (curator !== 0n) {
      const entry = this.account(pool.curator, pool.paymentToken);
      entry.saleCredits += curator;
      entry.credit += curator;
    }
    if (platform !== 0n) {
      const entry = this.account(this.ledger.treasury, pool.paymentToken);
      entry.saleCredits += platform;
      entry.credit += platform;
    }
  }

  /** Recomputes a record sale's split with the pool's rates. */
  private checkSplit(
    event: Extract<DatabankEventLog, { eventName: "PurchaseFulfilled" }>,
    sale: PurchaseLedger,
    pool: PoolLedger,
    emitted: { platform: bigint; curator: bigint; contributors: bigint },
  ): void {
    const { platform, curator, contributors } = splitOf(sale.amount, pool);
    if (
      emitted.platform !== platform ||
      emitted.curator !== curator ||
      emitted.contributors !== contributors
    ) {
      const coin = (value: bigint) => findingAmount(value, pool.paymentToken);
      this.find(
        "credits",
        findingWords`purchase #${sale.id} (pool ${pool.id}): split ${coin(emitted.platform)} / ${coin(emitted.curator)} / ${coin(emitted.contributors)} (platform / curator / contributors), the pool's rates give ${coin(platform)} / ${coin(curator)} / ${coin(contributors)} of ${coin(sale.amount)}`,
        event,
        pool.id,
      );
    }
  }

  /**
   * Checks that a sale paid exactly the active contributions of its product's scope: the
   * contributors' share plus the product's carry, spread evenly over them. A mismatch is a
   * finding of the credits check (the figures) and of the products check (the set paid), which
   * names the set the payout does fit, when one does.
   */
  private checkDistribution(
    event: DatabankEventLog,
    sale: PurchaseLedger,
    pool: PoolLedger,
    paid: {
      product: Product;
      activeCount: number;
      previousCarry: bigint;
      contributors: bigint;
      perContribution: bigint;
      carry: bigint;
    },
  ): void {
    const { product, activeCount, previousCarry, perContribution, carry } = paid;
    const where =
      product === "records"
        ? `purchase #${sale.id} (pool ${pool.id})`
        : `query #${sale.id} (pool ${pool.id})`;
    const scope = product === "records" ? "records" : "statistics";
    const coin = (value: bigint) => findingAmount(value, pool.paymentToken);
    if (activeCount === 0) {
      // The contract refuses such a sale (nobody to pay); what it credits goes to nobody.
      if (perContribution !== 0n) {
        this.find(
          "products",
          findingWords`${where}: paid ${coin(perContribution)} to each contribution, but no active contribution allows ${scope}`,
          event,
          pool.id,
        );
      }
      return;
    }
    const pot = paid.contributors + previousCarry;
    const expected = distribute(pot, activeCount);
    if (perContribution === expected.perContribution && carry === expected.carry) return;
    this.find(
      "credits",
      findingWords`${where}: ${coin(perContribution)} per contribution and ${coin(carry)} carried, expected ${coin(expected.perContribution)} to each of ${activeCount} and ${coin(expected.carry)} carried`,
      event,
      pool.id,
    );
    const sets: [string, number][] = [
      [
        product === "records"
          ? "contributions allowing statistics"
          : "contributions allowing records",
        product === "records" ? pool.statisticsActive.size : pool.recordsActive.size,
      ],
      ["contributions of any scope", pool.active.size],
    ];
    const fits = sets.find(([, count]) => {
      if (count === 0 || count === activeCount) return false;
      const other = distribute(pot, count);
      return other.perContribution === perContribution && other.carry === carry;
    });
    this.find(
      "products",
      [
        ...findingWords`${where}: paid ${coin(perContribution)} to each contribution, not the contributors' share spread over the ${activeCount} active contributions allowing ${scope} (${coin(expected.perContribution)} each)`,
        fits ? `: it is the share spread over the ${fits[1]} active ${fits[0]}` : "",
      ],
      event,
      pool.id,
    );
  }

  /** Findings only the whole history shows: a records-scoped consent that ended without an erasure request. */
  finish(): void {
    for (const contribution of this.ledger.contributions.values()) {
      if (
        contribution.status === "revoked" &&
        allowsRecords(contribution.scope) &&
        !contribution.erasureRequested
      ) {
        this.ledger.findings.push({
          check: "products",
          poolId: contribution.poolId,
          message: `contribution #${contribution.id} (${scopeLabel(contribution.scope)}) ended without an erasure request: buyers of its record are never asked to erase it`,
          tx: contribution.revoked,
        });
      }
    }
  }
}

/** A sale's split by the pool's rates, as the contract's `RevenueSplit.split`. */
export function splitOf(
  amount: bigint,
  pool: Pick<PoolLedger, "platformFeeBps" | "contributorShareBps">,
): { platform: bigint; curator: bigint; contributors: bigint } {
  const platform = (amount * pool.platformFeeBps) / BPS;
  const contributors = ((amount - platform) * pool.contributorShareBps) / BPS;
  return { platform, curator: amount - platform - contributors, contributors };
}

/** The contributors' pot spread evenly over `count`, as the contract's `RevenueSplit.distribute`. */
function distribute(pot: bigint, count: number): { perContribution: bigint; carry: bigint } {
  const perContribution = pot / BigInt(count);
  return { perContribution, carry: pot - perContribution * BigInt(count) };
}
