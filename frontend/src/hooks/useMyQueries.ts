/** The connected buyer's questions (query purchases), with their on-chain outcome, from events. */
import { useMemo } from "react";
import type { Address, Hex } from "viem";
import { useDatabankEvents } from "./useChainData";

export interface QueryPurchaseView {
  id: bigint;
  poolId: number;
  buyer: Address;
  amount: bigint;
  deadline: number;
  /** The purchase's `erasureMark` (statisticsEnded at purchase), to pass back to `refund`. */
  statisticsMark: number;
  /** The most micro-ε the answer may spend. */
  epsilon: number;
  buyerKey: Hex;
  queryCid: string;
  transactionHash: Hex;
  blockNumber: bigint;
  outcome: "pending" | "answered" | "rejected" | "refunded";
  /** From QueryAnswered. */
  answerCid?: string;
  epsilonSpent?: number;
  recordCount?: number;
  answeredIn?: Hex;
  /** From PurchaseRejected: the custodian's reason (the buyer was credited). */
  rejectionReason?: string;
}

export function useMyQueries(buyer: Address | undefined) {
  const purchased = useDatabankEvents("QueryPurchased");
  const answered = useDatabankEvents("QueryAnswered");
  const rejected = useDatabankEvents("PurchaseRejected");
  const refunded = useDatabankEvents("PurchaseRefunded");
  const queries = useMemo((): QueryPurchaseView[] | undefined => {
    if (!buyer || !purchased.data || !answered.data || !rejected.data || !refunded.data) {
      return undefined;
    }
    const answers = new Map(answered.data.map((event) => [event.args.purchaseId, event]));
    const rejections = new Map(rejected.data.map((event) => [event.args.purchaseId, event]));
    const refundedIds = new Set(refunded.data.map((event) => event.args.purchaseId));
    return purchased.data
      .filter((event) => event.args.buyer?.toLowerCase() === buyer.toLowerCase())
      .map((event): QueryPurchaseView => {
        const { args } = event;
        const answer = answers.get(args.purchaseId);
        const rejection = rejections.get(args.purchaseId);
        return {
          id: args.purchaseId!,
          poolId: args.poolId!,
          buyer: args.buyer!,
          amount: args.amount!,
          deadline: args.deadline!,
          statisticsMark: args.statisticsMark!,
          epsilon: args.epsilon!,
          buyerKey: args.buyerKey!,
          queryCid: args.queryCid!,
          transactionHash: event.transactionHash,
          blockNumber: event.blockNumber,
          outcome: answer
            ? "answered"
            : rejection
              ? "rejected"
              : refundedIds.has(args.purchaseId)
                ? "refunded"
                : "pending",
          answerCid: answer?.args.answerCid,
          epsilonSpent: answer?.args.epsilonSpent,
          recordCount: answer?.args.recordCount,
          answeredIn: answer?.transactionHash,
          rejectionReason: rejection?.args.reason,
        };
      })
      .reverse();
  }, [buyer, purchased.data, answered.data, rejected.data, refunded.data]);
  return {
    queries,
    error: purchased.error ?? answered.error ?? rejected.error ?? refunded.error,
  };
}
