/**
 * Buyer: browse pools, see a pool's documents and split, buy records or ask a question (a
 * differentially private query), follow deliveries and answers, erase, refund.
 */
import { lazy, Suspense } from "react";
import { CONSENT_SCOPE } from "../../../lib/contracts/client.js";
import { BuyPanel } from "../components/buyer/BuyPanel";
import { ErasuresOwed } from "../components/buyer/ErasuresOwed";
import { PurchaseRow } from "../components/buyer/PurchaseRow";
import { QueryRow } from "../components/buyer/QueryRow";
import { SalesHistory } from "../components/buyer/SalesHistory";
import { PoolDocumentsView } from "../components/PoolDocumentsView";
import { PoolListControls } from "../components/PoolListControls";
import { PoolSummary } from "../components/PoolSummary";
import { usePools } from "../hooks/useChainData";
import { useDatabank } from "../hooks/useDatabank";
import { useMyPurchases } from "../hooks/useMyPurchases";
import { useMyQueries } from "../hooks/useMyQueries";
import { usePoolList } from "../hooks/usePoolList";
import { describeError } from "../logic/errors";
import { hrefOf } from "../logic/route";

const AskQuestion = lazy(() => import("../components/buyer/AskQuestion"));

export default function BuyerPage({ params }: { params: URLSearchParams }) {
  const { account } = useDatabank();
  const pools = usePools();
  const { purchases, error } = useMyPurchases(account);
  const { queries, error: queriesError } = useMyQueries(account);
  const selectedId = params.get("pool");
  const selected = pools.data?.find((pool) => String(pool.id) === selectedId);
  const list = usePoolList(pools.data);
  const purchasedPoolIds = new Set(purchases?.map((purchase) => purchase.poolId));
  return (
    <>
      <h1>Buyer</h1>
      {selected && (
        <PoolSummary pool={selected} headingLevel={2}>
          <PoolDocumentsView schemaCid={selected.schemaCid} termsCid={selected.termsCid} />
          <SalesHistory pool={selected} />
          {(selected.products & CONSENT_SCOPE.records) !== 0 && <BuyPanel pool={selected} />}
          {(selected.products & CONSENT_SCOPE.statistics) !== 0 && (
            <Suspense fallback={<p>Loading the question builder…</p>}>
              <AskQuestion pool={selected} />
            </Suspense>
          )}
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
      {account && queries !== undefined && queries.length > 0 && (
        <section aria-labelledby="questions-heading">
          <h2 id="questions-heading">Your questions</h2>
          {queriesError && <p className="error">{describeError(queriesError)}</p>}
          {queries.map((query) => {
            const pool = pools.data?.find((candidate) => candidate.id === query.poolId);
            return (
              pool && (
                <QueryRow
                  key={query.id.toString()}
                  purchase={query}
                  paymentToken={pool.paymentToken}
                />
              )
            );
          })}
        </section>
      )}
      {!selected && (
        <section aria-labelledby="pools-heading">
          <h2 id="pools-heading">Pools</h2>
          {pools.error && <p className="error">{describeError(pools.error)}</p>}
          {pools.data?.length === 0 && <p className="muted">No pool has been opened yet.</p>}
          {pools.data && pools.data.length > 0 && <PoolListControls id="buyer-pools" list={list} />}
          {list.shown.map(({ pool }) => (
            <PoolSummary key={pool.id} pool={pool}>
              <a href={hrefOf("buyer", { pool: pool.id })}>
                {poolLinkText(pool.products)} of pool {pool.id}
              </a>
            </PoolSummary>
          ))}
        </section>
      )}
    </>
  );
}

/** What a pool's page offers: a purchase of records, questions, or both. */
function poolLinkText(products: number): string {
  const records = (products & CONSENT_SCOPE.records) !== 0;
  const questions = (products & CONSENT_SCOPE.statistics) !== 0;
  if (records && questions) return "Details, purchase and questions";
  return questions ? "Details and questions" : "Details and purchase";
}
