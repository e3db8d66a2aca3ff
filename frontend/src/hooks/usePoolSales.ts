/** Sales summaries of every pool, from PurchaseFulfilled events. */
import { useMemo } from "react";
import { poolSalesSummary, type FulfilledSale, type PoolSalesSummary } from "../logic/poolStats";
import { useDatabankEvents } from "./useChainData";

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
