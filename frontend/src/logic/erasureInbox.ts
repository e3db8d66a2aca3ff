/**
 * A buyer's erasure inbox, from the audit's replayed books (lib/audit's ledger): per pool, each
 * erasure request it owes or has attested, the contribution to delete, which of its purchases
 * delivered that record, the date the attestation is due (request + the audit's grace period) and
 * whether it is overdue. Pure: dates come from the caller.
 */
import type { Address, Hex } from "viem";
import {
  allowsRecords,
  buyerErasureKey,
  wasActiveAt,
  type ContributionLedger,
  type Ledger,
  type PurchaseLedger,
} from "../../../lib/audit/ledger.js";

/** One erasure request as the buyer sees it. */
export interface InboxRequest {
  /** The pool's erasure request index (attestations cover every index below a mark). */
  index: number;
  /** The contribution (consent token id) whose record is to be deleted. */
  contributionId: bigint;
  /** The buyer's purchases that delivered it (empty: the record joined after them). */
  purchaseIds: bigint[];
  /** The `ErasureRequested` transaction and its block's time. */
  requested: { hash: Hex; at: number };
  /** When the attestation is due (unix seconds). */
  dueAt: number;
  /** Attested, due (within the grace period) or overdue (past it, not attested). */
  status: "attested" | "due" | "overdue";
  /** The attestation that covered it. */
  attested?: { hash: Hex };
}

/** The requests of one pool. */
export interface InboxPool {
  poolId: number;
  /** Requests not attested yet. */
  owed: number;
  /** The mark an attestation of everything owed passes to `attestErasure` (the pool's count). */
  upToIndex: number;
  /** Every request since the buyer's first delivery in the pool, oldest first. */
  requests: InboxRequest[];
}

/** What the inbox needs besides the books. */
export interface InboxContext {
  /** "Now": the timestamp of the block the books are as of. */
  asOf: number;
  /** Seconds a buyer has to attest (the audit's grace period). */
  graceSeconds: number;
  /** A block's timestamp (the requests' blocks, read beforehand). */
  timeOf: (blockNumber: bigint) => number;
}

/** Whether a fulfilled record sale delivered a contribution (as the contract took the set). */
function delivered(sale: PurchaseLedger, contribution: ContributionLedger | undefined): boolean {
  if (!contribution || !allowsRecords(contribution.scope) || !sale.fulfilment) return false;
  return (
    wasActiveAt(contribution, sale.fulfilment.seq) ||
    sale.fulfilment.endedInFlight.includes(contribution.id)
  );
}

/** The blocks whose timestamps {@link erasureInbox} asks for. */
export function inboxBlocks(ledger: Ledger, buyer: Address): bigint[] {
  const blocks = new Set<bigint>();
  for (const erasure of ledger.buyerErasures.values()) {
    if (erasure.buyer.toLowerCase() !== buyer.toLowerCase()) continue;
    const pool = ledger.pools.get(erasure.poolId);
    for (const request of pool?.erasureRequests.slice(erasure.owedFrom) ?? []) {
      blocks.add(request.tx.blockNumber);
    }
  }
  return [...blocks];
}

/** The buyer's inbox: pools it received records from, newest pool first. */
export function erasureInbox(ledger: Ledger, buyer: Address, context: InboxContext): InboxPool[] {
  const pools: InboxPool[] = [];
  for (const pool of ledger.pools.values()) {
    const bookkeeping = ledger.buyerErasures.get(buyerErasureKey(pool.id, buyer));
    if (!bookkeeping) continue;
    const sales = [...ledger.purchases.values()].filter(
      (sale) =>
        sale.poolId === pool.id &&
        sale.product === "records" &&
        sale.buyer.toLowerCase() === buyer.toLowerCase() &&
        sale.fulfilment !== undefined,
    );
    const attestedUpTo = Math.max(bookkeeping.attestedUpTo, bookkeeping.owedFrom);
    const requests = pool.erasureRequests.slice(bookkeeping.owedFrom).map((request, offset) => {
      const index = bookkeeping.owedFrom + offset;
      const at = context.timeOf(request.tx.blockNumber);
      const contribution = ledger.contributions.get(request.contributionId);
      const entry: InboxRequest = {
        index,
        contributionId: request.contributionId,
        purchaseIds: sales.filter((sale) => delivered(sale, contribution)).map((sale) => sale.id),
        requested: { hash: request.tx.transactionHash, at },
        dueAt: at + context.graceSeconds,
        status: "due",
      };
      if (index < attestedUpTo) {
        const attestation = bookkeeping.attestations.findLast(
          (a) => a.fromIndex <= index && index < a.upToIndex,
        );
        entry.status = "attested";
        if (attestation) entry.attested = { hash: attestation.tx.transactionHash };
      } else if (context.asOf > entry.dueAt) {
        entry.status = "overdue";
      }
      return entry;
    });
    pools.push({
      poolId: pool.id,
      owed: requests.filter((request) => request.status !== "attested").length,
      upToIndex: pool.erasureRequests.length,
      requests,
    });
  }
  return pools.sort((x, y) => y.poolId - x.poolId);
}
