/**
 * What the audit cannot verify, said out loud so that a PASS is not read as more than it is. The
 * contract has no dispute step: a fulfilment is paid whatever the buyer finds in the delivery. The
 * events and manifests prove which records were listed and committed, not that the buyer could
 * decrypt them; that stays between the buyer and the custodian. Where the custodian is the curator,
 * the one account that delivers is also paid by the sale, so nobody on the chain is placed to
 * notice an undecryptable delivery. Pure: the dApp's pool cards use the same flags as the report.
 */
import type { Address } from "viem";

/** Which limit of the audit a caveat states. */
export type CaveatKind = "decryption" | "custodian-is-curator";

/** One thing the audit could not verify, for the whole deployment or one pool. */
export interface Caveat {
  /** Which limit. */
  kind: CaveatKind;
  /** The pool concerned; undefined for a caveat of every pool. */
  poolId?: number;
  /** The caveat in words. */
  message: string;
}

/** A pool's roles as set by its `PoolCreated` event (both are fixed for the pool's life). */
export interface PoolRoles {
  /** Pool id. */
  id: number;
  /** Curator: created the pool, paid the curator share of each sale. */
  curator: Address;
  /** Custodian: accepts contributions and fulfils purchases. */
  custodian: Address;
}

/** Caveat of every audit: what a verified manifest does and does not prove. */
export const DECRYPTION_CAVEAT: Caveat = {
  kind: "decryption",
  message:
    "manifests prove which records the custodian listed and committed on-chain, not that the buyer could decrypt them: the contract has no dispute step, so a delivery the buyer cannot decrypt is paid like any other; only the buyer can check decryption",
};

/** Short label of the custodian-is-curator flag (a badge on a pool's card). */
export const CUSTODIAN_IS_CURATOR_LABEL = "custodian is the curator";

/** Why the custodian-is-curator flag matters, for a buyer or an auditor. */
export const CUSTODIAN_IS_CURATOR_EXPLANATION =
  "the account that delivers is also the one paid the curator share, and the contract has no dispute step: a delivery the buyer cannot decrypt cannot be detected from the chain; only the buyer can check decryption";

/** Whether a pool's custodian and curator are the same account (addresses compared case-insensitively). */
export function custodianIsCurator(pool: Pick<PoolRoles, "curator" | "custodian">): boolean {
  return pool.curator.toLowerCase() === pool.custodian.toLowerCase();
}

/** What the audit cannot verify about one pool (empty when nothing specific to it). */
export function poolCaveats(pool: PoolRoles): Caveat[] {
  if (!custodianIsCurator(pool)) return [];
  return [
    {
      kind: "custodian-is-curator",
      poolId: pool.id,
      message: `pool ${pool.id}: ${CUSTODIAN_IS_CURATOR_LABEL} (${pool.custodian}): ${CUSTODIAN_IS_CURATOR_EXPLANATION}`,
    },
  ];
}

/** Every caveat of an audit of `pools`: the deployment-wide ones, then each pool's, by pool id. */
export function auditCaveats(pools: Iterable<PoolRoles>): Caveat[] {
  const perPool = [...pools].sort((x, y) => x.id - y.id).flatMap(poolCaveats);
  return [DECRYPTION_CAVEAT, ...perPool];
}
