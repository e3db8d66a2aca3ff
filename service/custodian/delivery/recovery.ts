/**
 * Settling a purchase from what the chain says, whatever this or an earlier run of the worker did
 * before (docs/data-bank-node.md, "Delivery and crash safety"): a fulfil mined → delivered (with
 * the buyer-sealed delivery key for the manifest actually fulfilled), a refund → refunded, an
 * overdue delivery → failed, and a fulfil sent earlier settled from its receipt before anything is
 * sent again.
 */
import type { Hex } from "viem";
import { databankAbi } from "../../../lib/contracts/abis.js";
import { openDeliveryKey, sealDeliveryKey } from "../../../lib/crypto/deliveryKey.js";
import { fromHex32 } from "../../../lib/crypto/keys.js";
import type { PurchaseRow } from "../deliveryStore.js";
import { receiptOfSent } from "../purchaseWorker.js";
import type { ChainView } from "./chainView.js";
import type { DeliveryContext } from "./context.js";

/** Parameters of {@link createRecovery}. */
export interface RecoveryParams {
  /** The worker's shared context. */
  ctx: DeliveryContext;
  /** Chain reads (the purchase's binding). */
  chain: ChainView;
  /**
   * The custodian's X25519 private key: opens the custodian-sealed delivery key K when a fulfil
   * of an earlier manifest got mined and K must be re-sealed to the buyer for it.
   */
  custodianPrivateKey: Uint8Array;
}

/** The terminal transitions of a purchase and the settling of a fulfil sent earlier. */
export interface Recovery {
  /** The purchase is fulfilled on-chain: records it delivered, from its `PurchaseFulfilled`. */
  markDelivered(row: PurchaseRow): Promise<void>;
  /** The buyer took its refund. */
  markRefunded(row: PurchaseRow): void;
  /** The delivery cannot happen any more (e.g. its deadline passed); the buyer can take a refund. */
  markFailed(row: PurchaseRow, reason: string): void;
  /**
   * A fulfil was sent before (this run or an earlier one): settles it from its receipt.
   *
   * @returns true when the purchase is now delivered; false when it must be (re)sent.
   */
  settleSentFulfil(row: PurchaseRow): Promise<boolean>;
}

/** Creates the recovery steps of one worker. */
export function createRecovery({ ctx, chain, custodianPrivateKey }: RecoveryParams): Recovery {
  const { store, publicClient, address, log } = ctx;
  const custodianKey = new Uint8Array(custodianPrivateKey);

  /**
   * The buyer-sealed K for the manifest that was actually fulfilled: the stored one when it is the
   * manifest this node last built (the normal case), else re-sealed for `deliveryCid` (a superseded
   * fulfil of an earlier manifest, reusing its reserved nonce, got mined instead), else undefined.
   */
  async function buyerKeyFor(row: PurchaseRow, deliveryCid: string): Promise<Hex | undefined> {
    if (row.manifestCid === deliveryCid && row.buyerSealedKey !== undefined) {
      return row.buyerSealedKey;
    }
    if (row.custodianSealedKey === undefined) {
      log("delivery.key-unavailable", { purchaseId: row.purchaseId.toString(), deliveryCid });
      return undefined;
    }
    const binding = await chain.binding(row.purchaseId);
    const deliveryKey = await openDeliveryKey(row.custodianSealedKey, custodianKey, binding, {
      role: "custodian",
    });
    try {
      return await sealDeliveryKey(deliveryKey, fromHex32(row.buyerKey), binding, {
        role: "buyer",
        manifestCid: deliveryCid,
      });
    } finally {
      deliveryKey.fill(0);
    }
  }

  async function markDelivered(row: PurchaseRow): Promise<void> {
    const [event] = await publicClient.getContractEvents({
      address,
      abi: databankAbi,
      eventName: "PurchaseFulfilled",
      args: { purchaseId: row.purchaseId },
      fromBlock: row.createdBlock,
    });
    const buyerSealedKey =
      event === undefined ? row.buyerSealedKey : await buyerKeyFor(row, event.args.deliveryCid!);
    store.transaction(() => {
      store.update(row.purchaseId, {
        status: "delivered",
        error: null,
        // K is no longer needed to seal anything: only its buyer-sealed form stays.
        custodianSealedKey: null,
        buyerSealedKey: buyerSealedKey ?? null,
        ...(event === undefined
          ? {}
          : {
              manifestCid: event.args.deliveryCid!,
              recordsRoot: event.args.recordsRoot!,
              recordCount: event.args.recordCount!,
              fulfillTx: event.transactionHash,
            }),
      });
      store.clearSealedKeys(row.purchaseId);
    });
    log("delivery.fulfilled", {
      purchaseId: row.purchaseId.toString(),
      transactionHash: event?.transactionHash,
      deliveryCid: event?.args.deliveryCid,
      recordCount: event?.args.recordCount,
    });
    await ctx.checkpoint("fulfilled", { purchaseId: row.purchaseId });
  }

  function markRefunded(row: PurchaseRow): void {
    store.transaction(() => {
      store.update(row.purchaseId, { status: "refunded", error: null, custodianSealedKey: null });
      store.clearSealedKeys(row.purchaseId);
    });
    log("delivery.refunded", { purchaseId: row.purchaseId.toString() });
  }

  function markFailed(row: PurchaseRow, reason: string): void {
    store.transaction(() => {
      store.update(row.purchaseId, { status: "failed", error: reason, custodianSealedKey: null });
      store.clearSealedKeys(row.purchaseId);
    });
    log("delivery.failed", { purchaseId: row.purchaseId.toString(), reason });
  }

  async function settleSentFulfil(row: PurchaseRow): Promise<boolean> {
    const hash = row.fulfillTx!;
    const receipt = await receiptOfSent(publicClient, hash, () =>
      log("delivery.fulfill-waiting", {
        purchaseId: row.purchaseId.toString(),
        transactionHash: hash,
      }),
    );
    if (receipt?.status === "success") {
      await markDelivered(row);
      return true;
    }
    // Reverted or dropped: forget it. The reserved nonce stays, so a resend replaces any copy
    // still propagating instead of adding a second fulfil.
    store.update(row.purchaseId, { fulfillTx: null });
    log("delivery.fulfill-dropped", {
      purchaseId: row.purchaseId.toString(),
      transactionHash: hash,
      reverted: receipt !== undefined,
    });
    return false;
  }

  return { markDelivered, markRefunded, markFailed, settleSentFulfil };
}
