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
