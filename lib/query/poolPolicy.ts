/**
 * Where a pool's query policy lives: inside the pool's record JSON Schema document, under the
 * extension keyword {@link QUERY_POLICY_KEYWORD}. JSON Schema ignores unknown keywords (the
 * custodian's validator runs with `strict: false`), so records validate as before, and the policy
 * inherits what the schema already has: its CID is on-chain and immutable from the pool's
 * creation, so the curator cannot loosen the policy under contributors who joined on its terms,
 * and buyers, the custodian and the audit all read the very same bytes.
 *
 * The one part of the policy the chain states itself, the most ε per query, is taken from the
 * chain (`maxEpsilonPerQuery`): the contract enforces it, so the document's copy can only
 * disagree, never loosen it.
 *
 * Browser-safe: no `node:` imports.
 */
import { formatEpsilon } from "./epsilon.js";
import { QueryError } from "./errors.js";
import { parseQueryPolicy, type QueryPolicy } from "./policy.js";

/** The record schema's keyword that carries the pool's query policy. */
export const QUERY_POLICY_KEYWORD = "x-databank-query-policy";

/** The `ConsentScope.STATISTICS` bit of a pool's `products`: the pool sells queries. */
const SELLS_QUERIES = 2;

/** What {@link queryPolicyOf} reads of the on-chain pool (`getPool`). */
export interface PoolQueryTerms {
  /** The products the pool sells (bit 2: queries). */
  products: number;
  /** The most ε one query may spend, in micro-ε. */
  maxEpsilonPerQuery: number | bigint;
}

/**
 * The pool's query policy: the schema document's {@link QUERY_POLICY_KEYWORD}, validated, with
 * `maxEpsilon` set to the on-chain per-query maximum.
 *
 * @param schemaDocument - the pool's record JSON Schema (parsed JSON), fetched by its on-chain CID
 * @param pool - the on-chain pool
 * @throws QueryError INVALID_POLICY when the pool sells no queries, the schema carries no policy,
 *   or the policy is not a valid policy document
 */
export function queryPolicyOf(schemaDocument: unknown, pool: PoolQueryTerms): QueryPolicy {
  if ((Number(pool.products) & SELLS_QUERIES) === 0) {
    throw new QueryError("INVALID_POLICY", "this pool does not sell queries");
  }
  const maxEpsilon = BigInt(pool.maxEpsilonPerQuery);
  if (maxEpsilon <= 0n) {
    throw new QueryError("INVALID_POLICY", "this pool has no per-query privacy budget");
  }
  const policy =
    typeof schemaDocument === "object" && schemaDocument !== null && !Array.isArray(schemaDocument)
      ? (schemaDocument as Record<string, unknown>)[QUERY_POLICY_KEYWORD]
      : undefined;
  if (typeof policy !== "object" || policy === null || Array.isArray(policy)) {
    throw new QueryError(
      "INVALID_POLICY",
      `the pool's record schema carries no query policy (the "${QUERY_POLICY_KEYWORD}" keyword), so its custodian answers no query`,
    );
  }
  // The chain's maximum replaces the document's: the contract refuses more anyway.
  return parseQueryPolicy({ ...policy, maxEpsilon: formatEpsilon(maxEpsilon) });
}
