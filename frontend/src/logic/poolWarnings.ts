/**
 * Warnings on a pool's card: what nobody on the chain would catch, so a buyer (or contributor)
 * decides knowing it. The flags and their wording are lib/audit's caveats, so the card and the
 * auditor's report never disagree; both come from the pool's curator and custodian, which its
 * `PoolCreated` event fixes for life (the `getPool` view returns the same addresses).
 */
import type { Address } from "viem";
import {
  CUSTODIAN_IS_CURATOR_EXPLANATION,
  CUSTODIAN_IS_CURATOR_LABEL,
  custodianIsCurator,
  type CaveatKind,
} from "../../../lib/audit/caveats.js";
import { CONSENT_SCOPE } from "../../../lib/contracts/client.js";

/** One warning: a short badge and the sentence that explains it. */
export interface PoolWarning {
  /** Which caveat of the audit it is. */
  kind: CaveatKind;
  /** Badge text. */
  label: string;
  /** Why it matters, shown next to the badge. */
  explanation: string;
}

/** The warnings of a pool (empty for a pool whose custodian is not its curator). */
export function poolWarnings(pool: { curator: Address; custodian: Address }): PoolWarning[] {
  if (!custodianIsCurator(pool)) return [];
  return [
    {
      kind: "custodian-is-curator",
      label: CUSTODIAN_IS_CURATOR_LABEL,
      explanation: `The custodian that delivers this pool's data is its curator: ${CUSTODIAN_IS_CURATOR_EXPLANATION}.`,
    },
  ];
}

/** Whether a pool sells now, in the words every page shows (buyer, curator, contributor). */
export interface PoolSaleStatus {
  kind: "paused" | "needs-contributors" | "on-sale";
  /** Badge text, e.g. "needs 1 more contributor". */
  label: string;
}

/** What a pool's sale status depends on (a PoolView has it all). */
export interface PoolSaleFacts {
  paused: boolean;
  /** CONSENT_SCOPE bits: 1 record sales, 2 queries. */
  products: number;
  activeCount: number;
  statisticsActive: number;
  minContributors: number;
}

/**
 * The pool's sale status: paused, short of the contributors a sale needs, or on sale. The
 * threshold holds per product: a sale of either needs that many contributions of its scope, so
 * the product closest to it counts.
 */
export function poolSaleStatus(pool: PoolSaleFacts): PoolSaleStatus {
  if (pool.paused) return { kind: "paused", label: "sales paused" };
  const mostActive = Math.max(
    pool.products & CONSENT_SCOPE.records ? pool.activeCount : 0,
    pool.products & CONSENT_SCOPE.statistics ? pool.statisticsActive : 0,
  );
  const missing = pool.minContributors - mostActive;
  if (missing > 0) {
    return {
      kind: "needs-contributors",
      label: `needs ${missing} more contributor${missing === 1 ? "" : "s"}`,
    };
  }
  return { kind: "on-sale", label: "on sale" };
}
