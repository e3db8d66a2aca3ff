/**
 * Sales summaries of every pool, per product: record sales from PurchaseFulfilled, answered
 * questions from QueryAnswered (with the price from QueryPurchased).
 */
import { useMemo } from "react";
import {
  answeredQueriesAsSales,
  poolSalesSummary,
  type FulfilledSale,
  type PoolSalesSummary,
} from "../logic/poolStats";
import { useDatabankEvents, usePools } from "./useChainData";

export function usePoolSales(): (poolId: number) => PoolSalesSummary | undefined {
  const { data: events } = useDatabankEvents("PurchaseFulfilled");
  return useMemo(() => {
    if (!events) return () => undefined;
    const sales: FulfilledSale[] = events.map(({ args }) => ({
      poolId: args.poolId!,
      buyer: args.buyer!,
      platformAmount: args.platformAmount!,
      curatorAmount: args.curatorAmount!,
      contributorsAmount: args.contributorsAmount!,
      perContribution: args.perContribution!,
      recordCount: args.recordCount!,
    }));
    return (poolId: number) => poolSalesSummary(sales, poolId);
  }, [events]);
}

/** Answered questions per pool, summarized like sales. */
export function usePoolQuerySales(): (poolId: number) => PoolSalesSummary | undefined {
  const { data: purchased } = useDatabankEvents("QueryPurchased");
  const { data: answered } = useDatabankEvents("QueryAnswered");
  const { data: pools } = usePools();
  return useMemo(() => {
    if (!purchased || !answered || !pools) return () => undefined;
    const price = new Map(purchased.map(({ args }) => [args.purchaseId, args.amount!]));
    const sales = answeredQueriesAsSales(
      answered.map(({ args }) => ({
        poolId: args.poolId!,
        buyer: args.buyer!,
        amount: price.get(args.purchaseId) ?? 0n,
        perContribution: args.perContribution!,
        recordCount: args.recordCount!,
      })),
      (poolId) => pools.find((pool) => pool.id === poolId),
    );
    return (poolId: number) => poolSalesSummary(sales, poolId);
  }, [purchased, answered, pools]);
}
