/**
 * The facts of a pool anyone can read: price, contributors, purposes, state, and a warning badge
 * for what the chain cannot check (see logic/poolWarnings).
 */
import type { ReactNode } from "react";
import type { PoolView } from "../hooks/useChainData";
import { formatDuration } from "../logic/format";
import { poolWarnings } from "../logic/poolWarnings";
import { purposesSentence } from "../logic/purposes";
import { formatBps } from "../logic/split";
import { Amount } from "./Amount";

export function PoolSummary({ pool, children }: { pool: PoolView; children?: ReactNode }) {
  const belowThreshold = pool.activeCount < pool.minContributors;
  const warnings = poolWarnings(pool);
  return (
    <article className="card" aria-labelledby={`pool-${pool.id}-title`}>
      <h3 id={`pool-${pool.id}-title`}>
        Pool {pool.id} {pool.paused && <span className="badge paused">sales paused</span>}
        {!pool.paused && belowThreshold && (
          <span className="badge">
            needs {pool.minContributors - pool.activeCount} more contributor(s)
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
        <dt>Price per sale</dt>
        <dd>
          <Amount value={pool.price} token={pool.paymentToken} />
        </dd>
        <dt>Contributors</dt>
        <dd>
          {pool.activeCount} active, at least {pool.minContributors} before a sale
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
