/**
 * The custodian's transactions of a delivery: retiring a pool's expired consents before its set
 * is taken, and `fulfill` itself — sent under `exclusive` after a last check that the active set
 * is still the manifest's, with a simulation first, a gas ceiling, and a nonce reserved in SQLite
 * before sending so that a resend after a crash can never land a second fulfil.
 */
import type { Hex } from "viem";
import { databankAbi } from "../../../lib/contracts/abis.js";
import { decodeDatabankError, type Purchase } from "../../../lib/contracts/client.js";
import { gasWithinCeiling } from "../../chain.js";
import { sameSet, type ActiveContribution } from "../activeSet.js";
import type { PurchaseRow } from "../deliveryStore.js";
import type { ChainView } from "./chainView.js";
import { tooCostly, type DeliveryContext } from "./context.js";
import type { Recovery } from "./recovery.js";

/** What a manifest commits to. */
export interface BuiltDelivery {
  /** The manifest's CID (`deliveryCid` of `fulfill`). */
  cid: string;
  /** Records root of the delivered set. */
  root: Hex;
  /** Records delivered. */
  count: number;
  /** The active set the manifest lists (by token id ascending), to tell whether it changed. */
  set: readonly ActiveContribution[];
}

/** The outcome of a fulfil attempt: settled one way or another, or the set moved under it. */
export type FulfilOutcome = "done" | "set-changed";

/** Parameters of {@link createFulfilment}. */
export interface FulfilmentParams {
  /** The worker's shared context. */
  ctx: DeliveryContext;
  /** Chain reads (active sets, purchase status). */
  chain: ChainView;
  /** Terminal transitions, for a purchase found settled, overdue or just fulfilled. */
  recovery: Recovery;
}

/** The delivery transactions of one worker. */
export interface Fulfilment {
  /**
   * Call under `exclusive`: checks the active set is still the manifest's, then fulfils and waits
   * for the receipt, so no transaction of this node changes the set in between.
   */
  checkAndFulfil(row: PurchaseRow, built: BuiltDelivery): Promise<FulfilOutcome>;
  /** Retires the pool's expired consents (under `exclusive`), so they are neither delivered nor paid. */
  retireExpired(poolId: number, now: number): Promise<void>;
}

/** Creates the delivery transactions of one worker. */
export function createFulfilment({ ctx, chain, recovery }: FulfilmentParams): Fulfilment {
  const { store, publicClient, address, gasLimit, log } = ctx;
  const walletClient = ctx.databank.walletClient;

  async function checkAndFulfil(row: PurchaseRow, built: BuiltDelivery): Promise<FulfilOutcome> {
    const id = row.purchaseId;
    const { set, erasureCount } = await chain.activeSetWithErasures(row.poolId);
    // Same records, same root: comparing them spares hashing the whole tree again.
    if (!sameSet(set, built.set)) return "set-changed";

    const purchase: Purchase = {
      id,
      poolId: row.poolId,
      buyer: row.buyer,
      amount: row.amount,
      deadline: row.deadline,
      erasureMark: row.erasureMark,
      epsilon: 0,
    };
    const args = [purchase, built.cid, built.root, built.count, erasureCount] as const;
    const call = {
      address,
      abi: databankAbi,
      functionName: "fulfill",
      args,
      account: walletClient.account,
    } as const;
    try {
      await publicClient.simulateContract(call);
    } catch (error) {
      const decoded = decodeDatabankError(error);
      if (decoded?.name === "PurchaseSettled") {
        const now = await chain.purchaseStatus(id);
        if (now === "fulfilled") await recovery.markDelivered(row);
        else recovery.markRefunded(row);
        return "done";
      }
      if (decoded?.name === "DeliveryOverdue") {
        recovery.markFailed(row, decoded.message);
        return "done";
      }
      // The set changed in a way `erasuresSeen` cannot cover (a contribution joined outside this node).
      if (decoded?.name === "RecordCountMismatch") return "set-changed";
      throw decoded ?? error;
    }

    const gas = await gasWithinCeiling({
      limit: gasLimit,
      estimate: () => publicClient.estimateContractGas(call),
      simulateAtLimit: () => publicClient.simulateContract({ ...call, gas: gasLimit }),
      message: tooCostly(`fulfilling purchase ${id}`),
    });

    // Reserve the nonce before sending: if we die before recording the hash, the resend reuses
    // it, so at most one of the two transactions can ever be mined.
    const account = walletClient.account.address;
    const mined = await publicClient.getTransactionCount({ address: account, blockTag: "latest" });
    const nonce =
      row.fulfillNonce !== undefined && row.fulfillNonce >= mined
        ? row.fulfillNonce
        : await publicClient.getTransactionCount({ address: account, blockTag: "pending" });
    store.update(id, { fulfillNonce: nonce });

    const hash = await walletClient.writeContract({
      address,
      abi: databankAbi,
      functionName: "fulfill",
      args,
      account: walletClient.account,
      chain: walletClient.chain ?? null,
      nonce,
      gas,
    });
    store.update(id, { fulfillTx: hash });
    log("delivery.fulfill-sent", { purchaseId: id.toString(), transactionHash: hash });
    await ctx.checkpoint("fulfill-sent", { purchaseId: id, hash });

    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") {
      store.update(id, { fulfillTx: null, fulfillNonce: null });
      throw new Error(`fulfil transaction ${hash} of purchase ${id} reverted`);
    }
    await recovery.markDelivered(store.purchase(id)!);
    return "done";
  }

  async function retireExpired(poolId: number, now: number): Promise<void> {
    const expired = (await chain.activeSet(poolId)).filter(
      (c) => c.expiresAt !== 0 && c.expiresAt <= now,
    );
    if (expired.length === 0) return;
    await ctx.exclusive(async () => {
      for (const { tokenId } of expired) {
        try {
          const call = {
            address,
            abi: databankAbi,
            functionName: "retireExpired",
            args: [tokenId],
            account: walletClient.account,
          } as const;
          const { request } = await publicClient.simulateContract(call);
          const gas = await gasWithinCeiling({
            limit: gasLimit,
            estimate: () => publicClient.estimateContractGas(call),
            simulateAtLimit: () => publicClient.simulateContract({ ...call, gas: gasLimit }),
            message: tooCostly(`retiring expired consent ${tokenId}`),
          });
          const hash = await walletClient.writeContract({
            ...request,
            gas,
            chain: walletClient.chain ?? null,
          });
          await publicClient.waitForTransactionReceipt({ hash });
        } catch (error) {
          // Someone else (the holder, anyone) ended it first: the goal is reached.
          if (decodeDatabankError(error)?.name === "InvalidContributionState") continue;
          throw error;
        }
      }
    });
    log("delivery.retired-expired", { poolId, count: expired.length });
  }

  return { checkAndFulfil, retireExpired };
}
