/** Per-pool figures rebuilt from the contract's events (sales, revenue, contributors). */

/** The fields of a PurchaseFulfilled event the summaries need. */
export interface FulfilledSale {
  poolId: number;
  buyer: string;
  platformAmount: bigint;
  curatorAmount: bigint;
  contributorsAmount: bigint;
  perContribution: bigint;
  recordCount: number;
}

export interface PoolSalesSummary {
  sales: number;
  revenue: bigint;
  curatorEarned: bigint;
  contributorsEarned: bigint;
  /** Sum of what one contribution active in every sale earned (dividends per contribution). */
  perContributionTotal: bigint;
  buyers: number;
}

/** Sales of one pool (fulfilled purchases only: pending escrow is not revenue yet). */
export function poolSalesSummary(
  sales: readonly FulfilledSale[],
  poolId: number,
): PoolSalesSummary {
  const own = sales.filter((sale) => sale.poolId === poolId);
  const sum = (pick: (sale: FulfilledSale) => bigint) =>
    own.reduce((total, sale) => total + pick(sale), 0n);
  return {
    sales: own.length,
    revenue: sum((sale) => sale.platformAmount + sale.curatorAmount + sale.contributorsAmount),
    curatorEarned: sum((sale) => sale.curatorAmount),
    contributorsEarned: sum((sale) => sale.contributorsAmount),
    perContributionTotal: sum((sale) => sale.perContribution),
    buyers: new Set(own.map((sale) => sale.buyer.toLowerCase())).size,
  };
}
