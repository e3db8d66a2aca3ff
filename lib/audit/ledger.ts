/**
 * Rebuilds Databank's books from its events alone, replaying them in chain order with the same
 * arithmetic as the contract: the revenue split of every sale, the pool's reward-per-contribution
 * accumulator (raised by `PurchaseFulfilled.perContribution`, the remainder carried to the next
 * sale), each contribution's checkpoint (set at `ConsentGranted`, moved by `ContributionSettled`),
 * every account's credit (bounties, curator shares, platform fees, settled dividends) and
 * withdrawals, escrow, bounty budgets and erasure bookkeeping.
 *
 * Every event is also checked against the replayed state (the split matches the pool's rates, a
 * checkpoint equals the accumulator, a settlement equals what the accumulator owes, a withdrawal
 * equals the credit...). A disagreement is recorded as a {@link Finding} of the invariant it
 * breaks; the replay goes on with the event's figures, as the contract did.
 */
import { getAddress, keccak256, toBytes, zeroAddress, type Address, type Hex } from "viem";
import type { DatabankEventLog } from "./logs.js";

/** Basis points in 100%. */
const BPS = 10_000n;

/** The invariants the audit checks, in the order they are reported. */
export const CHECK_IDS = ["balance", "credits", "record-counts", "manifests", "erasures"] as const;

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

/** A disagreement between an event and the state replayed from the events before it. */
export interface Finding {
  /** The invariant it breaks. */
  check: CheckId;
  /** Pool concerned, when there is one (used to scope the report). */
  poolId?: number;
  /** What is wrong, with the figures. */
  message: string;
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
  /** Cumulative reward per contribution (the contract's accumulator). */
  rewardPerContribution: bigint;
  /** Remainder of the last sale, kept for the next one. */
  carry: bigint;
  /** Bounty budget left, net of reservations. */
  bountyBudget: bigint;
  /** Bounties set aside for pending submissions (still held by the contract). */
  bountyReserved: bigint;
  /** Contribution ids active now. */
  active: Set<bigint>;
  /** Erasure requests made so far. */
  erasureCount: number;
  /** Erasure requests in index order: which contribution, and when. */
  erasureRequests: { contributionId: bigint; tx: TxRef }[];
  /** Sum of the contributors' share of every fulfilled sale. */
  contributorsShareTotal: bigint;
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
  /** Whether a revocation was a retirement after expiry. */
  expired: boolean;
  /** Bounty credited at acceptance. */
  bounty: bigint;
  /** Bounty set aside while it is pending (`BountyReserved`), 0 when none. */
  reservedBounty: bigint;
  /** The pool's accumulator when it became active: it earns from there. */
  grantCheckpoint: bigint;
  /** The accumulator at its last settlement. */
  checkpoint: bigint;
  /** The accumulator when it stopped earning (revocation); undefined while active. */
  endAccumulator?: bigint;
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
}

/** The split of a fulfilled purchase, as emitted, and the replayed active count it applied to. */
export interface Fulfilment {
  /** Credited to the treasury. */
  platform: bigint;
  /** Credited to the curator. */
  curator: bigint;
  /** Spread over the active contributions. */
  contributors: bigint;
  /** Added to the accumulator: credited to each active contribution. */
  perContribution: bigint;
  /** Remainder carried to the next sale. */
  carry: bigint;
  /** Carry before this sale. */
  previousCarry: bigint;
  /** Records the custodian says it delivered. */
  recordCount: number;
  /** Active contributions at fulfilment, replayed from the events. */
  activeCount: number;
  /** The pool's erasure count when the delivered set was taken (`erasuresSeen`). */
  erasuresSeen: number;
  /** Contributions whose consent ended after the set was taken: delivered, but paid nothing. */
  endedInFlight: bigint[];
  /** Merkle root over the delivered records. */
  recordsRoot: Hex;
  /** CID of the delivery manifest. */
  deliveryCid: string;
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
  /** The pool's erasure count at purchase: the earliest moment its delivered set may be taken. */
  erasureMark: number;
  /** Where it is. */
  status: "pending" | "fulfilled" | "refunded";
  /** The `PurchaseCreated` event. */
  created: TxRef;
  /** The split, once fulfilled. */
  fulfilment?: Fulfilment;
  /** The `PurchaseRefunded` event. */
  refunded?: TxRef;
}

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
  /** Refunds of undelivered purchases. */
  refunded: bigint;
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
}

/** Money in and out of the contract in one token, from events. */
export interface TokenFlows {
  /** Purchases and bounty funding. */
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

/** Dividends a contribution has earned and not settled yet (the contract's `pendingEarnings`). */
export function unsettledDividends(ledger: Ledger, contribution: ContributionLedger): bigint {
  if (contribution.status !== "active") return 0n;
  const pool = ledger.pools.get(contribution.poolId);
  return pool ? pool.rewardPerContribution - contribution.checkpoint : 0n;
}

/** Everything a contribution earned from sales: the accumulator's rise while it was active. */
export function earnedDividends(ledger: Ledger, contribution: ContributionLedger): bigint {
  if (contribution.status !== "active" && contribution.status !== "revoked") return 0n;
  const end =
    contribution.endAccumulator ??
    ledger.pools.get(contribution.poolId)?.rewardPerContribution ??
    contribution.grantCheckpoint;
  return end - contribution.grantCheckpoint;
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
  return ledger;
}

/** The replay's state machine: one method per event, mirroring the contract. */
class Replay {
  /** The last `Credited` event, which a following `BountyWithdrawn` turns into a curator credit. */
  private lastCredit?: { transactionHash: Hex; entry: AccountLedger; amount: bigint };

  constructor(private readonly ledger: Ledger) {}

  private find(check: CheckId, message: string, event: DatabankEventLog, poolId?: number): void {
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
          rewardPerContribution: 0n,
          carry: 0n,
          bountyBudget: 0n,
          bountyReserved: 0n,
          active: new Set(),
          erasureCount: 0,
          erasureRequests: [],
          contributorsShareTotal: 0n,
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
            `pool ${pool.id}: ${event.args.amount} of bounty budget withdrawn, only ${pool.bountyBudget} left`,
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
        if (reserved) {
          if (amount !== pool.bountyPerContribution || pool.bountyBudget < amount) {
            this.find(
              "balance",
              `contribution #${contributionId}: bounty ${amount} reserved, the pool pays ${pool.bountyPerContribution} from a budget of ${pool.bountyBudget}`,
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
              `contribution #${contributionId}: ${amount} of bounty returned, ${contribution.reservedBounty} was reserved`,
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
        const { contributionId, poolId, contributor, dataCommitment, dataCid } = event.args;
        this.pool(poolId, event);
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
          expired: false,
          bounty: 0n,
          reservedBounty: 0n,
          grantCheckpoint: 0n,
          checkpoint: 0n,
          settled: 0n,
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
          status: "pending",
          created: txRef(event),
        });
        this.flows(paymentToken).paidIn += amount;
        return;
      }
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
            `purchase #${purchaseId} refunded ${amount}, ${sale.amount} was paid`,
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
            `${entry.account} withdrew ${amount} of ${tokenLabel(entry.token)}, the events credit it ${entry.credit}`,
            event,
          );
        }
        entry.credit = 0n;
        entry.withdrawn += amount;
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
    const { contributionId, poolId, bounty, rewardCheckpoint } = event.args;
    const contribution = this.contribution(contributionId, event);
    const pool = this.pool(poolId, event);
    if (!contribution || !pool) return;
    if (contribution.status !== "pending") {
      this.find(
        "record-counts",
        `contribution #${contributionId} granted while ${contribution.status}`,
        event,
        poolId,
      );
    }
    if (rewardCheckpoint !== pool.rewardPerContribution) {
      this.find(
        "credits",
        `contribution #${contributionId} starts earning at ${rewardCheckpoint}, the pool's accumulator is ${pool.rewardPerContribution}`,
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
        `contribution #${contributionId} got a bounty of ${bounty}, it was owed ${due}`,
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
    contribution.grantCheckpoint = pool.rewardPerContribution;
    contribution.checkpoint = pool.rewardPerContribution;
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
    const unsettled = pool.rewardPerContribution - contribution.checkpoint;
    const settledNow =
      contribution.lastSettlement?.transactionHash === event.transactionHash
        ? contribution.lastSettlement.amount
        : 0n;
    if (unsettled !== 0n || settled !== settledNow) {
      this.find(
        "credits",
        `contribution #${contributionId} revoked with ${settled} settled, the accumulator owed it ${settledNow + unsettled}`,
        event,
        poolId,
      );
    }
    pool.active.delete(contributionId);
    contribution.status = "revoked";
    contribution.expired = expired;
    contribution.endAccumulator = pool.rewardPerContribution;
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
    const owed = pool.rewardPerContribution - contribution.checkpoint;
    if (contribution.status !== "active" || amount !== owed) {
      this.find(
        "credits",
        `contribution #${contributionId} settled ${amount}, the accumulator owes it ${contribution.status === "active" ? owed : 0n}`,
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
    contribution.checkpoint = pool.rewardPerContribution;
    contribution.settled += amount;
    contribution.lastSettlement = { transactionHash: event.transactionHash, amount };
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
    const sale = this.ledger.purchases.get(args.purchaseId);
    const pool = this.pool(args.poolId, event);
    if (!pool) return;
    if (!sale || sale.status !== "pending") {
      this.find(
        "balance",
        `purchase #${args.purchaseId} fulfilled but not pending (${sale?.status ?? "unknown"})`,
        event,
        pool.id,
      );
      return;
    }
    if (sale.poolId !== args.poolId || checksum(args.buyer) !== sale.buyer) {
      this.find(
        "balance",
        `purchase #${sale.id} fulfilled for another pool or buyer than paid`,
        event,
        pool.id,
      );
    }
    const activeCount = pool.active.size;
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
    this.checkSplit(event, sale, pool, { activeCount, delivered, previousCarry });

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
      seq,
      tx: txRef(event),
    };
    pool.rewardPerContribution += args.perContribution;
    pool.carry = BigInt(args.carry);
    pool.contributorsShareTotal += args.contributorsAmount;
    if (args.curatorAmount !== 0n) {
      const curator = this.account(pool.curator, pool.paymentToken);
      curator.saleCredits += args.curatorAmount;
      curator.credit += args.curatorAmount;
    }
    if (args.platformAmount !== 0n) {
      const treasury = this.account(this.ledger.treasury, pool.paymentToken);
      treasury.saleCredits += args.platformAmount;
      treasury.credit += args.platformAmount;
    }
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
      });
    } else {
      erasure.owedFrom = Math.min(erasure.owedFrom, erasuresSeen);
      erasure.attestedUpTo = Math.min(erasure.attestedUpTo, erasuresSeen);
    }
  }

  /** Recomputes the sale's split with the pool's rates and the replayed counts. */
  private checkSplit(
    event: Extract<DatabankEventLog, { eventName: "PurchaseFulfilled" }>,
    sale: PurchaseLedger,
    pool: PoolLedger,
    counts: {
      /** Contributions active at fulfilment: the contributors' share is spread over them. */
      activeCount: number;
      /** Contributions in the delivered set: active when it was taken. */
      delivered: number;
      previousCarry: bigint;
    },
  ): void {
    const { activeCount, delivered, previousCarry } = counts;
    const args = event.args;
    const where = `purchase #${sale.id} (pool ${pool.id})`;
    if (args.recordCount !== delivered) {
      this.find(
        "record-counts",
        `${where}: ${args.recordCount} records delivered, ${delivered} contributions were active when the set was taken`,
        event,
        pool.id,
      );
    }
    const platform = (sale.amount * pool.platformFeeBps) / BPS;
    const contributors = ((sale.amount - platform) * pool.contributorShareBps) / BPS;
    const curator = sale.amount - platform - contributors;
    if (
      args.platformAmount !== platform ||
      args.curatorAmount !== curator ||
      args.contributorsAmount !== contributors
    ) {
      this.find(
        "credits",
        `${where}: split ${args.platformAmount}/${args.curatorAmount}/${args.contributorsAmount} (platform/curator/contributors), the pool's rates give ${platform}/${curator}/${contributors} of ${sale.amount}`,
        event,
        pool.id,
      );
    }
    if (activeCount === 0) return;
    const pot = args.contributorsAmount + previousCarry;
    const perContribution = pot / BigInt(activeCount);
    const carry = pot - perContribution * BigInt(activeCount);
    if (args.perContribution !== perContribution || BigInt(args.carry) !== carry) {
      this.find(
        "credits",
        `${where}: ${args.perContribution} per contribution and ${args.carry} carried, expected ${perContribution} to each of ${activeCount} and ${carry} carried`,
        event,
        pool.id,
      );
    }
  }
}

/** A token's name in messages: ETH for the native coin, else its address. */
export function tokenLabel(token: Address): string {
  return token === zeroAddress ? "ETH" : token;
}
