/**
 * The facts of a pool anyone can read: price, contributors, purposes, state, and a warning badge
 * for what the chain cannot check (see logic/poolWarnings).
 */
import type { ReactNode } from "react";
import { CONSENT_SCOPE } from "../../../lib/contracts/client.js";
import type { PoolView } from "../hooks/useChainData";
import { formatDuration } from "../logic/format";
import { poolWarnings } from "../logic/poolWarnings";
import {
  describeBudget,
  describeProducts,
  formatEpsilonText,
  privacyBudgetOf,
} from "../logic/privacy";
import { purposesSentence } from "../logic/purposes";
import { formatBps } from "../logic/split";
import { Amount } from "./Amount";

export function PoolSummary({
  pool,
  children,
  headingLevel,
}: {
  pool: PoolView;
  children?: ReactNode;
  /** The title's heading level when not 3 (a pool shown alone under the page's h1: 2). */
  headingLevel?: 2;
}) {
  const sellsRecords = (pool.products & CONSENT_SCOPE.records) !== 0;
  const sellsQueries = (pool.products & CONSENT_SCOPE.statistics) !== 0;
  // The threshold holds per product: a sale of either needs that many contributions of its scope.
  const mostActive = Math.max(
    sellsRecords ? pool.activeCount : 0,
    sellsQueries ? pool.statisticsActive : 0,
  );
  const belowThreshold = mostActive < pool.minContributors;
  const warnings = poolWarnings(pool);
  return (
    <article className="card" aria-labelledby={`pool-${pool.id}-title`}>
      <h3 id={`pool-${pool.id}-title`} aria-level={headingLevel}>
        Pool {pool.id} {pool.paused && <span className="badge paused">sales paused</span>}
        {!pool.paused && belowThreshold && (
          <span className="badge">
            needs {pool.minContributors - mostActive} more contributor(s)
          </span>
        )}
        {!pool.paused && !belowThreshold && <span className="badge ok">on sale</span>}
        {warnings.map((warning) => (
          <span
            key={warning.kind}
            className="badge warning"
            aria-describedby={`pool-${pool.id}-${warning.kind}`}
          >
            ⚠ {warning.label}
          </span>
        ))}
      </h3>
      {warnings.map((warning) => (
        <p key={warning.kind} id={`pool-${pool.id}-${warning.kind}`} className="pool-warning">
          {warning.explanation}
        </p>
      ))}
      <dl className="facts">
        <dt>Sells</dt>
        <dd>{describeProducts(pool.products)}</dd>
        {sellsRecords && (
          <>
            <dt>Price per record sale</dt>
            <dd>
              <Amount value={pool.price} token={pool.paymentToken} />
            </dd>
          </>
        )}
        {sellsQueries && (
          <>
            <dt>Price per question</dt>
            <dd>
              <Amount value={pool.queryPrice} token={pool.paymentToken} />
            </dd>
            <dt>Privacy budget</dt>
            <dd>
              {describeBudget(privacyBudgetOf(pool))}; at most{" "}
              {formatEpsilonText(pool.maxEpsilonPerQuery)} per question
            </dd>
          </>
        )}
        <dt>Contributors</dt>
        <dd>
          {sellsRecords && `${pool.activeCount} active for record sales`}
          {sellsRecords && sellsQueries && ", "}
          {sellsQueries && `${pool.statisticsActive} active for questions`}, at least{" "}
          {pool.minContributors} before a sale
          {pool.maxContributors ? `, at most ${pool.maxContributors}` : ""}
        </dd>
        <dt>Contributors' share</dt>
        <dd>{formatBps(pool.contributorShareBps)} of each sale after the platform fee</dd>
        <dt>Used for</dt>
        <dd>{purposesSentence(pool.purposes)}</dd>
        <dt>Delivery</dt>
        <dd>within {formatDuration(pool.deliveryWindow)}, else refund</dd>
      </dl>
      {children}
    </article>
  );
}
