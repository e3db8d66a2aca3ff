/**
 * What the delivery worker reads from the chain: a pool's custodian (cached: fixed at creation),
 * a pool's active set rebuilt from events and checked against its on-chain count, a purchase's
 * status, and the binding every seal of a purchase's delivery names.
 */
import type { PurchaseBinding } from "../../../lib/crypto/deliveryKey.js";
import { trackerPerPool, productSetAt, type ActiveContribution } from "../activeSet.js";
import type { DeliveryContext } from "./context.js";

/** A purchase's status on-chain. */
export type ChainPurchaseStatus = "none" | "pending" | "fulfilled" | "refunded";
const PURCHASE_STATUS: readonly ChainPurchaseStatus[] = [
  "none",
  "pending",
  "fulfilled",
  "refunded",
];

/** The active set at one block and the pool's erasure count there. */
export interface ActiveSetAt {
  /** Active contributions, by token id ascending (shared: do not modify). */
  set: readonly ActiveContribution[];
  /**
   * The pool's erasure count at that block: `fulfill` names the moment the delivered set was
   * taken by it, so a revocation landing while the delivery is in flight does not make it fail.
   */
  erasureCount: number;
}

/** The chain reads of the delivery worker. */
export interface ChainView {
  /** The custodian of a pool, lowercase (cached for good). */
  poolCustodian(poolId: number): Promise<string>;
  /** The active set at the latest block, checked against the pool's on-chain active count. */
  activeSet(poolId: number): Promise<readonly ActiveContribution[]>;
  /** As {@link activeSet}, with the pool's erasure count at the same block. */
  activeSetWithErasures(poolId: number): Promise<ActiveSetAt>;
  /** A purchase's status on-chain. */
  purchaseStatus(purchaseId: bigint): Promise<ChainPurchaseStatus>;
  /** What every seal of this purchase's delivery is bound to. */
  binding(purchaseId: bigint): Promise<PurchaseBinding>;
}

/** Creates the chain view of one worker (its caches live as long as the worker). */
export function createChainView(ctx: DeliveryContext): ChainView {
  const { publicClient, address } = ctx;
  const poolCustodians = new Map<number, string>();
  let chainId: number | undefined;

  const tracker = trackerPerPool({
    publicClient,
    address,
    fromBlock: ctx.fromBlock,
    blockRange: ctx.logBlockRange,
  });

  async function activeSetWithErasures(poolId: number): Promise<ActiveSetAt> {
    const { set, pool } = await productSetAt({
      publicClient,
      address,
      tracker: tracker(poolId),
      scope: "records",
    });
    return { set, erasureCount: pool.erasureCount };
  }

  return {
    async poolCustodian(poolId) {
      let known = poolCustodians.get(poolId);
      if (known === undefined) {
        known = (await ctx.databank.contract.read.getPool([poolId])).custodian.toLowerCase();
        poolCustodians.set(poolId, known);
      }
      return known;
    },
    async activeSet(poolId) {
      return (await activeSetWithErasures(poolId)).set;
    },
    activeSetWithErasures,
    async purchaseStatus(purchaseId) {
      const value = await ctx.databank.contract.read.purchaseStatus([purchaseId]);
      return PURCHASE_STATUS[value] ?? "none";
    },
    async binding(purchaseId) {
      chainId ??= await publicClient.getChainId();
      return { chainId, databank: address, purchaseId };
    },
  };
}
