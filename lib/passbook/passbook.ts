/**
 * A contributor's passbook, from on-chain events alone: for each of a wallet's contributions,
 * every record sale that delivered it and every query answer that used it (with what it earned
 * from each), its bounty, settlements and claims, its revocation and the erasure request that
 * followed with each recipient's attestation; totals per token. It reuses the audit's replay
 * (lib/audit's `replayDatabank`): no second reading of the events, and the same arithmetic as the
 * contract. Browser-safe (no node: imports): the dApp calls it with its viem public client.
 */
import { getAddress, zeroAddress, type Address, type PublicClient } from "viem";
import {
  allowsRecords,
  allowsStatistics,
  blockClock,
  buyerErasureKey,
  DEFAULT_ERASURE_GRACE_SECONDS,
  readTokenUnits,
  replayDatabank,
  replayedPrivacyLoss,
  txUrlBuilder,
  unsettledDividends,
  wasActiveAt,
  type ContributionLedger,
  type DatabankReplay,
  type Ledger,
  type LogProgress,
  type PurchaseLedger,
  type ReplayCache,
  type ReplayChainClient,
  type TxRef,
} from "../audit/index.js";
import {
  PASSBOOK_SCOPES,
  type Passbook,
  type PassbookContribution,
  type PassbookErasure,
  type PassbookTotal,
  type PassbookTx,
  type PassbookUse,
} from "./schema.js";

/** The chain calls the passbook makes: the replay's, and ERC-20 symbol/decimals for display. */
export type PassbookChainClient = ReplayChainClient & Pick<PublicClient, "readContract">;

/** Parameters of {@link buildPassbook}. */
export interface BuildPassbookParameters {
  /** Chain access (a viem public client). */
  client: PassbookChainClient;
  /** The Databank contract. */
  databank: Address;
  /** The contributor whose passbook it is. */
  wallet: Address;
  /** First block read (the deployment block, ideally). Default 0. */
  fromBlock?: bigint;
  /** The passbook is as of this block. Default: the latest. */
  toBlock?: bigint;
  /** Blocks per `eth_getLogs` request. Default 10,000. */
  blockRange?: bigint;
  /** Seconds a buyer has to attest an erasure (the audit's grace period). Default 7 days. */
  erasureGraceSeconds?: number;
  /** Transaction links: a base URL or a `{hash}` template (see lib/audit's `txUrlBuilder`). */
  explorerUrl?: string;
  /** Progress of the log scan. */
  onProgress?: (progress: LogProgress) => void;
  /** Events and block times of earlier replays (the dApp's); see lib/audit's `createReplayCache`. */
  cache?: ReplayCache;
}

/** Blocks whose timestamps are read at once. */
const BLOCK_READS_AT_ONCE = 16;

/** Reads and replays the chain's events, then builds `wallet`'s passbook from the books. */
export async function buildPassbook(parameters: BuildPassbookParameters): Promise<Passbook> {
  const replay = await replayDatabank(parameters);
  const graceSeconds = parameters.erasureGraceSeconds ?? DEFAULT_ERASURE_GRACE_SECONDS;
  const wallet = getAddress(parameters.wallet);
  const txs = new Set<PassbookTx>();
  const urlOf = txUrlBuilder(replay.chainId, parameters.explorerUrl);
  // Transactions are dated once the whole passbook is laid out: one block read per block.
  const link = (ref: TxRef): PassbookTx => {
    const url = urlOf(ref.transactionHash);
    const tx: PassbookTx = {
      hash: ref.transactionHash,
      blockNumber: ref.blockNumber.toString(),
      at: 0,
      ...(url === undefined ? {} : { url }),
    };
    txs.add(tx);
    return tx;
  };
  const blockTime = blockClock(parameters.client, parameters.cache);
  const passbook = await assemblePassbook(replay, {
    wallet,
    graceSeconds,
    asOf: replay.blockTimestamp,
    link,
    blockTime,
  });
  // A few blocks at a time: a long history must not fire thousands of requests at once.
  const blocks = [...new Set([...txs].map((tx) => tx.blockNumber))];
  const timestamps = new Map<string, number>();
  for (let start = 0; start < blocks.length; start += BLOCK_READS_AT_ONCE) {
    const batch = blocks.slice(start, start + BLOCK_READS_AT_ONCE);
    const times = await Promise.all(batch.map((block) => blockTime(BigInt(block))));
    batch.forEach((block, index) => timestamps.set(block, times[index]!));
  }
  for (const tx of txs) tx.at = timestamps.get(tx.blockNumber)!;
  const tokens = [...new Set(passbook.contributions.map((c) => c.token as Address))];
  passbook.tokens = await Promise.all(
    tokens.map(async (token) => ({
      token,
      ...(await readTokenUnits(parameters.client, token, replay.chainId, replay.block)),
    })),
  );
  return passbook;
}

interface AssembleContext {
  wallet: Address;
  graceSeconds: number;
  /** Timestamp of the block read: "now" for overdue flags. */
  asOf: number;
  /** A transaction of the passbook (dated afterwards). */
  link: (ref: TxRef) => PassbookTx;
  /** A block's timestamp, needed while laying out (erasure due dates). */
  blockTime: (blockNumber: bigint) => Promise<number>;
}

async function assemblePassbook(
  replay: DatabankReplay,
  context: AssembleContext,
): Promise<Passbook> {
  const { ledger } = replay;
  const mine = [...ledger.contributions.values()].filter((c) => c.contributor === context.wallet);
  const sales = fulfilledSalesByPool(ledger, new Set(mine.map((c) => c.poolId)));
  const withdrawals = [...ledger.accounts.values()]
    .filter((entry) => entry.account === context.wallet)
    .flatMap((entry) => entry.withdrawals.map((w) => ({ token: entry.token, ...w })));
  const contributions: PassbookContribution[] = [];
  for (const contribution of mine) {
    contributions.push(
      await contributionEntry(replay, contribution, sales.get(contribution.poolId) ?? [], {
        ...context,
        withdrawalsIn: (token) => withdrawals.filter((w) => w.token === token),
      }),
    );
  }
  const holders = new Set(contributions.flatMap((c) => c.buyersHoldingCopy));
  return {
    format: "databank-passbook",
    version: 1,
    chainId: replay.chainId,
    databank: replay.databank,
    wallet: context.wallet,
    fromBlock: replay.fromBlock.toString(),
    block: replay.block.toString(),
    asOf: replay.blockTimestamp,
    erasureGraceSeconds: context.graceSeconds,
    tokens: [],
    contributions,
    withdrawals: withdrawals
      .sort((x, y) => compareRefs(x.tx, y.tx))
      .map((w) => ({ token: w.token, amount: w.amount.toString(), tx: context.link(w.tx) })),
    totals: totalsByToken(contributions),
    buyersHoldingCopy: holders.size,
  };
}

/** The fulfilled sales (of both products) of each pool asked for, in fulfilment order. */
function fulfilledSalesByPool(ledger: Ledger, poolIds: Set<number>): Map<number, PurchaseLedger[]> {
  const byPool = new Map<number, PurchaseLedger[]>();
  for (const sale of ledger.purchases.values()) {
    if (!sale.fulfilment || !poolIds.has(sale.poolId)) continue;
    const list = byPool.get(sale.poolId) ?? [];
    list.push(sale);
    byPool.set(sale.poolId, list);
  }
  for (const list of byPool.values()) list.sort((x, y) => x.fulfilment!.seq - y.fulfilment!.seq);
  return byPool;
}

/**
 * How a fulfilled sale involved a contribution: paid (its consent allowed the product and was
 * active at fulfilment, so the accumulator credited it), used without pay (its consent ended after
 * the set was taken), or not at all.
 */
function involvement(
  sale: PurchaseLedger,
  contribution: ContributionLedger,
): "paid" | "in-flight" | undefined {
  const fulfilment = sale.fulfilment!;
  const allowed =
    sale.product === "records"
      ? allowsRecords(contribution.scope)
      : allowsStatistics(contribution.scope);
  if (!allowed) return undefined;
  if (wasActiveAt(contribution, fulfilment.seq)) return "paid";
  return fulfilment.endedInFlight.includes(contribution.id) ? "in-flight" : undefined;
}

type Withdrawal = { token: Address; amount: bigint; tx: TxRef };

async function contributionEntry(
  replay: DatabankReplay,
  contribution: ContributionLedger,
  sales: PurchaseLedger[],
  context: AssembleContext & { withdrawalsIn: (token: Address) => Withdrawal[] },
): Promise<PassbookContribution> {
  const { ledger } = replay;
  const pool = ledger.pools.get(contribution.poolId);
  const token = pool?.paymentToken ?? zeroAddress;
  const withdrawals = context.withdrawalsIn(token);
  // A withdrawal pays out the whole credit: whatever was credited before one has been claimed.
  const claimedAfter = (ref: TxRef) => withdrawals.some((w) => compareRefs(w.tx, ref) > 0);

  const deliveries: PassbookUse[] = [];
  const queries: PassbookUse[] = [];
  let dividends = 0n;
  for (const sale of sales) {
    const how = involvement(sale, contribution);
    if (!how) continue;
    const earned = how === "paid" ? sale.fulfilment!.perContribution : 0n;
    dividends += earned;
    (sale.product === "records" ? deliveries : queries).push({
      purchaseId: sale.id.toString(),
      product: sale.product,
      buyer: sale.buyer,
      price: sale.amount.toString(),
      earned: earned.toString(),
      epsilonSpent: sale.fulfilment!.epsilonSpent,
      endedInFlight: how === "in-flight",
      tx: context.link(sale.fulfilment!.tx),
    });
  }
  const settlements = contribution.settlements.map((settlement) => ({
    amount: settlement.amount.toString(),
    reason:
      contribution.revoked?.transactionHash === settlement.tx.transactionHash
        ? ("revocation" as const)
        : ("claim" as const),
    claimed: claimedAfter(settlement.tx),
    tx: context.link(settlement.tx),
  }));
  const bountyClaimed =
    contribution.bounty !== 0n && contribution.granted !== undefined
      ? claimedAfter(contribution.granted)
      : false;
  const claimed =
    (bountyClaimed ? contribution.bounty : 0n) +
    settlements.reduce((sum, s) => sum + (s.claimed ? BigInt(s.amount) : 0n), 0n);
  const earned = contribution.bounty + dividends;
  const erasure = await erasureEntry(ledger, contribution, deliveries, context);
  const recipients = new Set(deliveries.map((delivery) => delivery.buyer));
  for (const buyer of erasure?.buyers ?? []) {
    if (buyer.status === "attested") recipients.delete(buyer.buyer);
  }
  return {
    contributionId: contribution.id.toString(),
    poolId: contribution.poolId,
    token,
    // The replay reports a scope outside 1-3 as a finding; here it can only be one of the three.
    scope: PASSBOOK_SCOPES[contribution.scope - 1] ?? "records",
    status: contribution.status,
    expired: contribution.expired,
    submitted: context.link(contribution.submitted),
    ...(contribution.granted ? { granted: context.link(contribution.granted) } : {}),
    ...(contribution.revoked ? { ended: context.link(contribution.revoked) } : {}),
    bounty: contribution.bounty.toString(),
    bountyClaimed,
    deliveries,
    queries,
    settlements,
    ...(erasure ? { erasure } : {}),
    privacyLoss: replayedPrivacyLoss(ledger, contribution),
    dividends: dividends.toString(),
    earned: earned.toString(),
    unsettled: unsettledDividends(ledger, contribution).toString(),
    claimed: claimed.toString(),
    unclaimed: (earned - claimed).toString(),
    buyersHoldingCopy: [...recipients],
  };
}

/**
 * The erasure request a records-scoped revocation caused, with each buyer that was delivered the
 * record: attested (the buyer's attestations reach past the request), or due until the grace
 * period ends and overdue after it, as the audit's erasure check counts it.
 */
async function erasureEntry(
  ledger: Ledger,
  contribution: ContributionLedger,
  deliveries: PassbookUse[],
  context: AssembleContext,
): Promise<PassbookErasure | undefined> {
  const pool = ledger.pools.get(contribution.poolId);
  const index = pool?.erasureRequests.findIndex((r) => r.contributionId === contribution.id) ?? -1;
  if (!pool || index < 0) return undefined;
  const request = pool.erasureRequests[index]!;
  const requestedAt = await context.blockTime(request.tx.blockNumber);
  const dueAt = requestedAt + context.graceSeconds;
  // Overdue as the audit's erasure check counts it: more than the grace period before the block read.
  const overdue = context.asOf - requestedAt > context.graceSeconds;
  const buyers = [...new Set(deliveries.map((delivery) => delivery.buyer as Address))].map(
    (buyer) => {
      const bookkeeping = ledger.buyerErasures.get(buyerErasureKey(pool.id, buyer));
      const attestedUpTo = bookkeeping
        ? Math.max(bookkeeping.attestedUpTo, bookkeeping.owedFrom)
        : 0;
      if (attestedUpTo > index) {
        const attestation = bookkeeping?.attestations.findLast(
          (a) => a.fromIndex <= index && index < a.upToIndex,
        );
        return {
          buyer,
          status: "attested" as const,
          ...(attestation ? { attested: context.link(attestation.tx) } : {}),
        };
      }
      return { buyer, status: overdue ? ("overdue" as const) : ("due" as const) };
    },
  );
  return { index, requested: context.link(request.tx), dueAt, buyers };
}

/** Sums the contributions' figures per token. */
function totalsByToken(contributions: PassbookContribution[]): PassbookTotal[] {
  const totals = new Map<string, Record<Exclude<keyof PassbookTotal, "token">, bigint>>();
  for (const c of contributions) {
    const sum = totals.get(c.token) ?? {
      bounties: 0n,
      dividends: 0n,
      earned: 0n,
      claimed: 0n,
      unclaimed: 0n,
    };
    sum.bounties += BigInt(c.bounty);
    sum.dividends += BigInt(c.dividends);
    sum.earned += BigInt(c.earned);
    sum.claimed += BigInt(c.claimed);
    sum.unclaimed += BigInt(c.unclaimed);
    totals.set(c.token, sum);
  }
  return [...totals].map(([token, sum]) => ({
    token,
    bounties: sum.bounties.toString(),
    dividends: sum.dividends.toString(),
    earned: sum.earned.toString(),
    claimed: sum.claimed.toString(),
    unclaimed: sum.unclaimed.toString(),
  }));
}

/** Chain order of two events. */
function compareRefs(x: TxRef, y: TxRef): number {
  if (x.blockNumber !== y.blockNumber) return x.blockNumber < y.blockNumber ? -1 : 1;
  return x.logIndex - y.logIndex;
}
