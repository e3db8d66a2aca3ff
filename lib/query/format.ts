/**
 * The query document (version 1): what a buyer asks of a pool's statistics-scoped records. It is
 * published on IPFS and its digest goes into the purchase, so it is plain JSON with no defaults
 * hidden in code: what it does not say, the pool's policy decides (see ./policy.ts).
 *
 * The zod schema below is the one definition; docs/schemas/query.schema.json is generated from it
 * (`npm run schemas`, a test fails while they disagree) and docs/queries.md explains it. Only the
 * document's shape is checked here; whether its fields exist, fit their use and are allowed is
 * ./validate.ts's job, against the pool's record schema and policy.
 */
import { z } from "zod";
import { EPSILON_PATTERN } from "./epsilon.js";
import { QueryError } from "./errors.js";

/** Value of a query's optional `$schema`. */
export const QUERY_SCHEMA_ID = "https://databank.dev/schemas/query.schema.json";

/** The aggregate kinds of the format. */
export const AGGREGATE_KINDS = ["count", "sum", "mean", "histogram", "quantile"] as const;
/** One aggregate kind. */
export type AggregateKind = (typeof AGGREGATE_KINDS)[number];

/** At most this many group-by fields, whatever the policy says (the issue's limit). */
export const MAX_GROUP_BY = 2;

/** A record field: a property name, or a dot path into nested objects ("salaryExpectation.amount"). */
export const fieldPathSchema = z
  .string()
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, "a property name or a dot path such as a.b")
  .max(200)
  .describe("a record field: a property name, or a dot path into nested objects");

const epsilonSchema = z
  .string()
  .regex(EPSILON_PATTERN, "a decimal number of ε with at most 6 decimals, such as 0.5")
  .describe("ε as a decimal string, at most 6 decimals");

/** A value compared with or grouped by: a string, a number or a boolean. */
export const scalarSchema = z.union([z.string().max(200), z.number(), z.boolean()]);

/** Bucket edges e0 < e1 < … < ek: buckets [e0, e1), [e1, e2), …, [ek−1, ek]. */
const bucketEdgesSchema = z
  .array(z.number())
  .min(2)
  .max(101)
  .describe(
    "bucket edges e0 < e1 < … < ek, giving buckets [e0, e1), …, [ek-1, ek]; values outside are in no bucket",
  );

const filterSchema = z.discriminatedUnion("op", [
  z
    .strictObject({ field: fieldPathSchema, op: z.literal("eq"), value: scalarSchema })
    .describe("keeps records whose field equals value"),
  z
    .strictObject({
      field: fieldPathSchema,
      op: z.literal("in"),
      values: z.array(scalarSchema).min(1).max(1000),
    })
    .describe("keeps records whose field is one of values"),
  z
    .strictObject({
      field: fieldPathSchema,
      op: z.literal("range"),
      min: z.number().optional().describe("inclusive lower bound"),
      max: z.number().optional().describe("inclusive upper bound"),
    })
    .describe("keeps records whose numeric field is within [min, max] (at least one bound)"),
  z
    .strictObject({ field: fieldPathSchema, op: z.literal("contains"), value: scalarSchema })
    .describe("keeps records whose array field contains value"),
]);

const groupBySchema = z
  .strictObject({
    field: fieldPathSchema,
    buckets: bucketEdgesSchema
      .optional()
      .describe("for a numeric field: its bucket edges (required); absent for a categorical field"),
  })
  .describe(
    "one group-by field: categorical (groups are its declared values) or numeric in declared buckets",
  );

const common = {
  as: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "letters, digits and _")
    .max(64)
    .optional()
    .describe(
      "the aggregate's name in the answer; default kind_field, e.g. mean_yearsOfExperience",
    ),
  epsilon: epsilonSchema
    .optional()
    .describe("this aggregate's share of the query's ε; the unassigned ε is split evenly"),
};

const boundsFields = {
  field: fieldPathSchema,
  lo: z.number().describe("values below are clamped up to lo"),
  hi: z.number().describe("values above are clamped down to hi"),
};

const aggregateSchema = z.discriminatedUnion("kind", [
  z
    .strictObject({ kind: z.literal("count"), ...common })
    .describe("the number of records in each group; also decides which groups are released"),
  z
    .strictObject({ kind: z.literal("sum"), ...boundsFields, ...common })
    .describe("the sum of a numeric field, each value clamped to [lo, hi]"),
  z
    .strictObject({ kind: z.literal("mean"), ...boundsFields, ...common })
    .describe("the mean of a numeric field, each value clamped to [lo, hi]"),
  z
    .strictObject({
      kind: z.literal("histogram"),
      field: fieldPathSchema,
      buckets: bucketEdgesSchema.optional().describe("required for a numeric field"),
      ...common,
    })
    .describe("counts per value of a categorical field, or per bucket of a numeric field"),
  z
    .strictObject({
      kind: z.literal("quantile"),
      field: fieldPathSchema,
      q: z.array(z.number()).min(1).max(9).describe("levels strictly between 0 and 1, e.g. [0.5]"),
      buckets: bucketEdgesSchema.describe(
        "bins of the noisy histogram the quantiles are read from; values outside are clamped in",
      ),
      ...common,
    })
    .describe("quantiles (0.5 = median) of a numeric field, read from a noisy histogram"),
]);

/** The zod schema of a query document. */
export const querySchema = z.strictObject({
  $schema: z.literal(QUERY_SCHEMA_ID).optional(),
  version: z.literal(1),
  epsilon: epsilonSchema
    .optional()
    .describe("the total ε the query spends; the CLI's --epsilon overrides it"),
  filters: z
    .array(filterSchema)
    .max(20)
    .optional()
    .describe("all must hold (AND) for a record to be counted"),
  groupBy: z.array(groupBySchema).max(MAX_GROUP_BY).optional(),
  aggregates: z.array(aggregateSchema).min(1).max(20),
});

/** A query document. */
export type Query = z.infer<typeof querySchema>;
/** One filter of a query. */
export type QueryFilter = z.infer<typeof filterSchema>;
/** One group-by field of a query. */
export type QueryGroupBy = z.infer<typeof groupBySchema>;
/** One aggregate of a query. */
export type QueryAggregate = z.infer<typeof aggregateSchema>;
/** A value compared with or grouped by. */
export type Scalar = z.infer<typeof scalarSchema>;

/** Validates a parsed query document's shape. @throws QueryError INVALID_QUERY naming the place */
export function parseQuery(value: unknown): Query {
  return parseDocument(
    querySchema,
    value,
    "INVALID_QUERY",
    "the query is not a valid query document",
  );
}

/**
 * Parses `value` with `schema`, or throws a QueryError of `code` naming the first bad place (one
 * fault at a time: the buyer fixes it and checks again).
 */
export function parseDocument<T>(
  schema: z.ZodType<T>,
  value: unknown,
  code: "INVALID_QUERY" | "INVALID_POLICY",
  what: string,
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.join(".");
  throw new QueryError(code, `${what}: ${path || "(root)"}: ${issue.message}`, { path });
}

/** The JSON Schema of the query document (draft 2020-12). */
export function queryJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(querySchema, { target: "draft-2020-12" }),
    $id: QUERY_SCHEMA_ID,
    title: "Databank query, version 1",
  };
}
