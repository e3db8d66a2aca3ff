/** Buyer: browse pools, see a pool's documents and split, buy, follow deliveries, erase, refund. */
import { BuyPanel } from "../components/buyer/BuyPanel";
import { ErasuresOwed } from "../components/buyer/ErasuresOwed";
import { PurchaseRow } from "../components/buyer/PurchaseRow";
import { PoolDocumentsView } from "../components/PoolDocumentsView";
import { PoolSummary } from "../components/PoolSummary";
import { usePools } from "../hooks/useChainData";
import { useDatabank } from "../hooks/useDatabank";
import { useMyPurchases } from "../hooks/useMyPurchases";
import { describeError } from "../logic/errors";
import { hrefOf } from "../logic/route";

export default function BuyerPage({ params }: { params: URLSearchParams }) {
  const { account } = useDatabank();
  const pools = usePools();
  const { purchases, error } = useMyPurchases(account);
  const selectedId = params.get("pool");
  const selected = pools.data?.find((pool) => String(pool.id) === selectedId);
  const purchasedPoolIds = new Set(purchases?.map((purchase) => purchase.poolId));
  return (
    <>
      <h1>Buyer</h1>
      {selected && (
        <PoolSummary pool={selected}>
          <PoolDocumentsView schemaCid={selected.schemaCid} termsCid={selected.termsCid} />
          <BuyPanel pool={selected} />
          <p>
            <a href={hrefOf("buyer")}>Back to all pools</a>
          </p>
        </PoolSummary>
      )}
      {account && (
        <section aria-labelledby="purchases-heading">
          <h2 id="purchases-heading">Your purchases</h2>
          {error && <p className="error">{describeError(error)}</p>}
          {purchases?.length === 0 && <p className="muted">No purchase yet.</p>}
          {pools.data
            ?.filter((pool) => purchasedPoolIds.has(pool.id))
            .map((pool) => (
              <ErasuresOwed key={pool.id} pool={pool} />
            ))}
          {purchases?.map((purchase) => (
            <PurchaseRow key={purchase.id.toString()} purchase={purchase} />
          ))}
        </section>
      )}
      {!selected && (
        <section aria-labelledby="pools-heading">
          <h2 id="pools-heading">Pools</h2>
          {pools.error && <p className="error">{describeError(pools.error)}</p>}
          {pools.data?.length === 0 && <p className="muted">No pool has been opened yet.</p>}
          {pools.data?.map((pool) => (
            <PoolSummary key={pool.id} pool={pool}>
              <a href={hrefOf("buyer", { pool: pool.id })}>
                Details and purchase of pool {pool.id}
              </a>
            </PoolSummary>
          ))}
        </section>
      )}
    </>
  );
}
