/**
 * The facts of a pool anyone can read: price, contributors, purposes, state, and a warning badge
 * for what the chain cannot check (see logic/poolWarnings).
 */
import type { ReactNode } from "react";
import { CONSENT_SCOPE } from "../../../lib/contracts/client.js";
import type { PoolView } from "../hooks/useChainData";
import { formatDuration } from "../logic/format";
import { poolWarnings } from "../logic/poolWarnings";
import { POOL_CATEGORIES } from "../../../lib/pools/words.js";
import { usePoolProfile } from "../hooks/usePoolDocuments";
import { PoolName } from "./PoolName";
import { PoolStatusBadge } from "./PoolStatusBadge";
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
  const warnings = poolWarnings(pool);
  const reading = usePoolProfile(pool);
  const profile = reading.status === "valid" ? reading.profile : undefined;
  return (
    <article className="card" aria-labelledby={`pool-${pool.id}-title`}>
      <h3 id={`pool-${pool.id}-title`} aria-level={headingLevel}>
        <PoolName poolId={pool.id} /> <PoolStatusBadge pool={pool} />
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
      {profile && (
        <p className="pool-description">
          <span className="badge category">{POOL_CATEGORIES[profile.category]}</span>{" "}
          {profile.description}
        </p>
      )}
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
