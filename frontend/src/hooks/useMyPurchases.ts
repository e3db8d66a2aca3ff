/** The connected buyer's purchases, with their on-chain outcome, from events. */
import { useMemo } from "react";
import type { Address, Hex } from "viem";
import type { Purchase } from "../../../lib/contracts/client.js";
import { useDatabankEvents } from "./useChainData";

export interface PurchaseView extends Purchase {
  paymentToken: Address;
  buyerKey: Hex;
  transactionHash: Hex;
  outcome: "pending" | "fulfilled" | "refunded";
  /** From PurchaseFulfilled. */
  deliveryCid?: string;
  recordsRoot?: Hex;
  recordCount?: number;
  fulfilledIn?: Hex;
}

export function useMyPurchases(buyer: Address | undefined) {
  const created = useDatabankEvents("PurchaseCreated");
  const fulfilled = useDatabankEvents("PurchaseFulfilled");
  const refunded = useDatabankEvents("PurchaseRefunded");
  const purchases = useMemo((): PurchaseView[] | undefined => {
    if (!buyer || !created.data || !fulfilled.data || !refunded.data) return undefined;
    const fulfilment = new Map(fulfilled.data.map((event) => [event.args.purchaseId, event]));
    const refundedIds = new Set(refunded.data.map((event) => event.args.purchaseId));
    return created.data
      .filter((event) => event.args.buyer?.toLowerCase() === buyer.toLowerCase())
      .map((event): PurchaseView => {
        const { args } = event;
        const delivered = fulfilment.get(args.purchaseId);
        return {
          id: args.purchaseId!,
          poolId: args.poolId!,
          buyer: args.buyer!,
          amount: args.amount!,
          deadline: args.deadline!,
          erasureMark: args.erasureMark!,
          epsilon: 0,
          paymentToken: args.paymentToken!,
          buyerKey: args.buyerKey!,
          transactionHash: event.transactionHash,
          outcome: delivered
            ? "fulfilled"
            : refundedIds.has(args.purchaseId)
              ? "refunded"
              : "pending",
          deliveryCid: delivered?.args.deliveryCid,
          recordsRoot: delivered?.args.recordsRoot,
          recordCount: delivered?.args.recordCount,
          fulfilledIn: delivered?.transactionHash,
        };
      })
      .reverse();
  }, [buyer, created.data, fulfilled.data, refunded.data]);
  return { purchases, error: created.error ?? fulfilled.error ?? refunded.error };
}
