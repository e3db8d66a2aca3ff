/** Per-pool figures rebuilt from the contract's events (sales, revenue, contributors). */
import { splitPreview } from "./split.js";

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

/** What an answered question's summary needs: its price, and from QueryAnswered what each got. */
export interface AnsweredQuery {
  poolId: number;
  buyer: string;
  /** The price paid (QueryPurchased.amount). */
  amount: bigint;
  /** Credited to each contribution allowing statistics (QueryAnswered.perContribution). */
  perContribution: bigint;
  recordCount: number;
}

/**
 * Answered questions as sales, so one summary serves both products. QueryAnswered does not repeat
 * the split: it follows from the price and the pool's shares (fixed for life), as the contract's
 * RevenueSplit computes it.
 */
export function answeredQueriesAsSales(
  answers: readonly AnsweredQuery[],
  shares: (poolId: number) => { platformFeeBps: number; contributorShareBps: number } | undefined,
): FulfilledSale[] {
  return answers.flatMap((answer) => {
    const pool = shares(answer.poolId);
    if (!pool) return [];
    const split = splitPreview({
      price: answer.amount,
      platformFeeBps: pool.platformFeeBps,
      contributorShareBps: pool.contributorShareBps,
      activeCount: 0,
    });
    return [
      {
        poolId: answer.poolId,
        buyer: answer.buyer,
        platformAmount: split.platform,
        curatorAmount: split.curator,
        contributorsAmount: split.contributors,
        perContribution: answer.perContribution,
        recordCount: answer.recordCount,
      },
    ];
  });
}
