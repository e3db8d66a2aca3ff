/**
 * A pool's query policy (version 1): what queries the pool's custodian answers. The curator
 * publishes it with the pool's documents, next to the record schema; buyers' tools read it to
 * check a query before paying, and the custodian checks again before answering (./validate.ts).
 *
 * A field not listed under `fields` cannot be used by a query at all: the default is closed, so a
 * field added to the record schema later is not exposed without the curator deciding so.
 * Its JSON Schema is generated to docs/schemas/query-policy.schema.json (`npm run schemas`).
 */
import { z } from "zod";
import {
  AGGREGATE_KINDS,
  MAX_GROUP_BY,
  fieldPathSchema,
  parseDocument,
  scalarSchema,
} from "./format.js";
import { EPSILON_PATTERN } from "./epsilon.js";
import { QueryError } from "./errors.js";

/** Value of a policy's optional `$schema`. */
export const QUERY_POLICY_SCHEMA_ID = "https://databank.dev/schemas/query-policy.schema.json";

/** Answer cells (groups) allowed when the policy does not say. */
export const DEFAULT_MAX_CELLS = 1_000;
/** Aggregates per query allowed when the policy does not say. */
export const DEFAULT_MAX_AGGREGATES = 10;
/** Largest |clamp bound| × 10^decimals: keeps sums of a million records exact in a double. */
export const MAX_SCALED_BOUND = 1_000_000_000;

const fieldPolicySchema = z
  .strictObject({
    filter: z.boolean().optional().describe("may queries filter on it; default true"),
    groupBy: z
      .boolean()
      .optional()
      .describe("may queries group by it (or histogram it); default true"),
    aggregate: z
      .boolean()
      .optional()
      .describe("may queries sum, average or take quantiles of it; default true"),
    domain: z
      .array(scalarSchema)
      .min(1)
      .max(1000)
      .optional()
      .describe(
        "the public list of values groups and histogram cells are made of, for a text field without an enum in the record schema (or to narrow the enum); records with other values fall in no group",
      ),
    bounds: z
      .strictObject({ lo: z.number(), hi: z.number() })
      .optional()
      .describe("a numeric field's clamp bounds in a query must lie within [lo, hi]"),
    decimals: z
      .number()
      .int()
      .min(0)
      .max(6)
      .optional()
      .describe(
        "a numeric field's values are rounded to this many decimals before summing; default 0",
      ),
  })
  .describe("how queries may use one record field");

/** The zod schema of a query policy. */
export const queryPolicySchema = z.strictObject({
  $schema: z.literal(QUERY_POLICY_SCHEMA_ID).optional(),
  version: z.literal(1),
  maxEpsilon: z
    .string()
    .regex(EPSILON_PATTERN, "a decimal number of ε with at most 6 decimals, such as 0.5")
    .describe("the most ε one query may spend (the pool's on-chain per-query maximum)"),
  minNoisyCount: z
    .number()
    .int()
    .min(0)
    .describe("a group is released only if its NOISY count is at least this"),
  maxGroupBy: z.number().int().min(0).max(MAX_GROUP_BY).describe("group-by fields per query"),
  maxCells: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .optional()
    .describe(
      `groups in an answer (product of the group-by domains); default ${DEFAULT_MAX_CELLS}`,
    ),
  maxAggregates: z
    .number()
    .int()
    .min(1)
    .max(20)
    .optional()
    .describe(`aggregates per query; default ${DEFAULT_MAX_AGGREGATES}`),
  aggregates: z
    .array(z.enum(AGGREGATE_KINDS))
    .min(1)
    .optional()
    .describe("the aggregate kinds allowed; default all"),
  fields: z
    .record(fieldPathSchema, fieldPolicySchema)
    .describe("the record fields queries may use, by dot path; any other field is refused"),
});

/** A pool's query policy. */
export type QueryPolicy = z.infer<typeof queryPolicySchema>;
/** How queries may use one field. */
export type FieldPolicy = z.infer<typeof fieldPolicySchema>;

/** Validates a parsed policy document. @throws QueryError INVALID_POLICY naming the place */
export function parseQueryPolicy(value: unknown): QueryPolicy {
  const policy = parseDocument(
    queryPolicySchema,
    value,
    "INVALID_POLICY",
    "the pool's query policy is not valid",
  );
  for (const [field, rules] of Object.entries(policy.fields)) {
    if (rules.bounds !== undefined && !(rules.bounds.lo < rules.bounds.hi)) {
      throw new QueryError(
        "INVALID_POLICY",
        `the pool's query policy is not valid: fields.${field}.bounds: lo must be below hi`,
      );
    }
  }
  return policy;
}

/** The JSON Schema of the policy document (draft 2020-12). */
export function queryPolicyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(queryPolicySchema, { target: "draft-2020-12" }),
    $id: QUERY_POLICY_SCHEMA_ID,
    title: "Databank pool query policy, version 1",
  };
}
