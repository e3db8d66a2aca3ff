/**
 * A searchable, sortable list of pools: each with its profile, price, contributors and what its
 * contributors earned (record sales and answered questions), filtered and ordered by logic/poolList.
 */
import { useState } from "react";
import { CONSENT_SCOPE } from "../../../lib/contracts/client.js";
import { searchPools, type ListedPool, type PoolOrder } from "../logic/poolList";
import type { PoolView } from "./useChainData";
import { usePoolProfiles } from "./usePoolDocuments";
import { usePoolQuerySales, usePoolSales } from "./usePoolSales";

/** A pool with what the list searches and orders on. */
export type ListedPoolView = ListedPool & { pool: PoolView };

/** A list's search, order and the pools shown. */
export type PoolListState = ReturnType<typeof usePoolList>;

export function usePoolList(pools: readonly PoolView[] | undefined) {
  const [query, setQuery] = useState("");
  const [order, setOrder] = useState<PoolOrder>("newest");
  const profiles = usePoolProfiles(pools);
  const sales = usePoolSales();
  const questions = usePoolQuerySales();
  const listed = (pools ?? []).map((pool): ListedPoolView => {
    const sellsRecords = (pool.products & CONSENT_SCOPE.records) !== 0;
    return {
      pool,
      id: pool.id,
      token: pool.paymentToken,
      price: sellsRecords ? pool.price : pool.queryPrice,
      contributors: Math.max(
        sellsRecords ? pool.activeCount : 0,
        pool.products & CONSENT_SCOPE.statistics ? pool.statisticsActive : 0,
      ),
      earnings:
        (sales(pool.id)?.contributorsEarned ?? 0n) + (questions(pool.id)?.contributorsEarned ?? 0n),
      profile: profiles.get(pool.id),
    };
  });
  const shown = searchPools(listed, query, order);
  return {
    query,
    setQuery,
    order,
    setOrder,
    shown,
    summary: `${shown.length} of ${listed.length} pool${listed.length === 1 ? "" : "s"}`,
  };
}
