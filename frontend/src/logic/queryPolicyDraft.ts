/**
 * The curator's query policy (lib/query/policy.ts): a sensible default generated from the schema
 * builder's fields, the curator's edited text checked, and the policy placed in the record schema
 * under `x-databank-query-policy`, where buyers, the custodian and the audit read it
 * (lib/query/poolPolicy.ts).
 */
import { fieldType } from "../../../lib/query/fields.js";
import { parseQueryPolicy, type FieldPolicy, type QueryPolicy } from "../../../lib/query/policy.js";
import { QUERY_POLICY_KEYWORD } from "../../../lib/query/poolPolicy.js";
import type { BuilderField } from "./schemaBuilder.js";

/** Smallest noisy count of a released group in the default policy. */
export const DEFAULT_MIN_NOISY_COUNT = 10;

/**
 * How the default policy lets questions use one field. Free text has no public list of values, so
 * it can only be filtered on (grouping by it would reveal values found in the records); numbers
 * get the schema's minimum and maximum as clamp bounds when both are set.
 */
function defaultFieldPolicy(field: BuilderField): FieldPolicy {
  switch (field.type) {
    case "text":
    case "textList":
      return { groupBy: false, aggregate: false };
    case "integer":
    case "number":
      return {
        ...(field.minimum !== undefined &&
        field.maximum !== undefined &&
        field.minimum < field.maximum
          ? { bounds: { lo: field.minimum, hi: field.maximum } }
          : {}),
        ...(field.type === "number" ? { decimals: 2 } : {}),
      };
    case "boolean":
    case "choice":
      return {};
  }
}

/** The default policy for the builder's fields; `maxEpsilon` is the pool's per-query maximum. */
export function defaultQueryPolicy(
  fields: readonly BuilderField[],
  maxEpsilon: string,
): QueryPolicy {
  return {
    version: 1,
    maxEpsilon,
    minNoisyCount: DEFAULT_MIN_NOISY_COUNT,
    maxGroupBy: 2,
    fields: Object.fromEntries(fields.map((field) => [field.name, defaultFieldPolicy(field)])),
  };
}

/** Outcome of {@link policyFromText}. */
export type PolicyResult = { ok: true; policy: QueryPolicy } | { ok: false; problem: string };

/**
 * The curator's policy text, checked: JSON, a valid policy (lib/query), every field in the record
 * schema. Its `maxEpsilon` is replaced by the pool's per-query maximum (the chain enforces that one).
 */
export function policyFromText(
  text: string,
  recordSchema: object,
  maxEpsilon: string,
): PolicyResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `The query policy is not JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, problem: "The query policy must be a JSON object." };
  }
  let policy: QueryPolicy;
  try {
    policy = parseQueryPolicy({ ...parsed, maxEpsilon });
  } catch (error) {
    return { ok: false, problem: `${(error as Error).message}.` };
  }
  const unknown = Object.keys(policy.fields).filter(
    (path) => fieldType(recordSchema, path.split(".")) === undefined,
  );
  if (unknown.length > 0) {
    return {
      ok: false,
      problem: `The query policy names field(s) the record schema does not have: ${unknown.join(", ")}.`,
    };
  }
  return { ok: true, policy };
}

/** The record schema carrying the policy (the document whose CID goes on-chain). */
export function schemaWithPolicy(
  recordSchema: Record<string, unknown>,
  policy: QueryPolicy,
): Record<string, unknown> {
  return { ...recordSchema, [QUERY_POLICY_KEYWORD]: policy };
}
