/** A pool's sale status as a badge: the same words for buyers, curators and contributors. */
import { poolSaleStatus, type PoolSaleFacts } from "../logic/poolWarnings";

const BADGE_CLASS = { paused: "paused", "needs-contributors": "", "on-sale": "ok" } as const;

export function PoolStatusBadge({ pool }: { pool: PoolSaleFacts }) {
  const status = poolSaleStatus(pool);
  return <span className={`badge ${BADGE_CLASS[status.kind]}`.trim()}>{status.label}</span>;
}
