/**
 * Checks a query against a pool's record schema and query policy, and normalizes it into the form
 * the engine runs ({@link CheckedQuery}): every field resolved, every group and histogram cell
 * listed from a public domain, every aggregate with its exact share of ε. The CLI and the dApp
 * call this before paying (the buyer sees what to fix, and the ε the query will spend); the
 * custodian calls it again before answering, since the buyer's tools are not trusted.
 *
 * Pure: no I/O. Refusals are {@link QueryError}s whose message names what to change.
 */
import { formatEpsilon, parseEpsilon } from "./epsilon.js";
import { QueryError } from "./errors.js";
import { fieldType, type FieldType } from "./fields.js";
import {
  parseQuery,
  type AggregateKind,
  type Query,
  type QueryAggregate,
  type QueryGroupBy,
  type Scalar,
} from "./format.js";
import {
  DEFAULT_MAX_AGGREGATES,
  DEFAULT_MAX_CELLS,
  MAX_SCALED_BOUND,
  parseQueryPolicy,
  type FieldPolicy,
  type QueryPolicy,
} from "./policy.js";

/** Noisy numbers one answer may hold (cells × histogram bins), so answering stays fast. */
export const MAX_NOISY_VALUES = 200_000;

/**
 * The public cells records fall into: a categorical field's declared values, or a numeric field's
 * buckets. Never learnt from the data, so which groups exist reveals nothing about anyone.
 */
export type Dimension =
  | {
      kind: "values";
      /** The field as the query names it. */
      field: string;
      /** `field` split on dots. */
      path: string[];
      /** The declared values, one cell each, in declared order. */
      values: Scalar[];
      /** The cells' labels (the values as text). */
      labels: string[];
    }
  | {
      kind: "buckets";
      field: string;
      path: string[];
      /** Edges e0 < … < ek: cell i is [e_i, e_i+1), the last one [e_k−1, e_k]. */
      edges: number[];
      labels: string[];
    };

/** A filter with its field resolved; `range` bounds are ±Infinity when open. */
export type CheckedFilter = { field: string; path: string[] } & (
  | { op: "eq"; value: Scalar }
  | { op: "in"; values: Scalar[] }
  | { op: "range"; min: number; max: number }
  | { op: "contains"; value: Scalar }
);

/** A numeric field's clamp, in integer units of 10^−decimals. */
export interface Clamp {
  /** Lower bound in units (lo × 10^decimals). */
  lo: number;
  /** Upper bound in units. */
  hi: number;
  /** Decimals the field's values are rounded to (the policy's `decimals`, default 0). */
  decimals: number;
}

/** An aggregate ready to run, with its share of ε. */
export type CheckedAggregate = {
  /** The output name (the query's `as`, or kind_field). */
  name: string;
  /** Its share of the query's ε, in micro-ε. */
  epsilon: bigint;
} & (
  | {
      kind: "count";
      /** True when the query had no count and one was added to decide which groups to release. */
      implicit: boolean;
    }
  | { kind: "sum" | "mean"; field: string; path: string[]; clamp: Clamp }
  | { kind: "histogram"; field: string; path: string[]; bins: Dimension }
  | {
      kind: "quantile";
      field: string;
      path: string[];
      /** Levels in (0, 1). */
      q: number[];
      /** Bins of the noisy histogram; values outside are clamped into the end bins. */
      bins: Dimension & { kind: "buckets" };
    }
);

/** A query checked against a pool's schema and policy: what {@link answerQuery} runs. */
export interface CheckedQuery {
  /** The ε the query spends, in micro-ε: the sum of its aggregates' shares. */
  epsilon: bigint;
  /** A group is released only if its noisy count is at least this (the policy's). */
  minNoisyCount: number;
  filters: CheckedFilter[];
  groupBy: Dimension[];
  /** The count first (the query's own, or an implicit one), then the others in query order. */
  aggregates: CheckedAggregate[];
  /** Number of groups: the product of the group-by dimensions' sizes (1 without group-by). */
  cells: number;
  /** The query document as validated. */
  source: Query;
}

/** Arguments of {@link checkQuery}. */
export interface CheckQueryParams {
  /** The query document (parsed JSON); its shape is validated here. */
  query: unknown;
  /** The pool's record JSON Schema. */
  recordSchema: object;
  /** The pool's query policy (parsed JSON); validated here. */
  policy: unknown;
  /**
   * The total ε to spend, as bigint micro-ε or a decimal string of ε; overrides the query's own
   * `epsilon` (the CLI's --epsilon, or the ε of the on-chain purchase).
   */
  epsilon?: bigint | string;
}

/** Outcome of {@link checkQuery}. */
export type CheckQueryResult = { ok: true; query: CheckedQuery } | { ok: false; error: QueryError };

/**
 * Validates `query` against the record schema and the policy and splits its ε.
 *
 * @returns the normalized query, or the first problem found as a QueryError whose message says
 *   what to change. Other errors (a bug) propagate.
 */
export function checkQuery(params: CheckQueryParams): CheckQueryResult {
  try {
    return { ok: true, query: normalize(params) };
  } catch (error) {
    if (error instanceof QueryError) return { ok: false, error };
    throw error;
  }
}

/** {@link checkQuery} that throws the QueryError instead of returning it. */
export function assertQuery(params: CheckQueryParams): CheckedQuery {
  const result = checkQuery(params);
  if (!result.ok) throw result.error;
  return result.query;
}

function normalize(params: CheckQueryParams): CheckedQuery {
  const policy = parseQueryPolicy(params.policy);
  const query = parseQuery(params.query);
  const fields = new FieldResolver(params.recordSchema, policy);

  const filters = (query.filters ?? []).map((filter, index) =>
    checkFilter(filter, fields, `filters.${index}`),
  );

  const groupBy = query.groupBy ?? [];
  if (groupBy.length > policy.maxGroupBy) {
    throw new QueryError(
      "TOO_MANY_GROUPS",
      `the pool's policy allows at most ${policy.maxGroupBy} group-by field(s); this query has ${groupBy.length}`,
      { path: "groupBy" },
    );
  }
  const dimensions = groupBy.map((group, index) =>
    dimension(group, fields, "groupBy", `groupBy.${index}`),
  );
  if (dimensions.length === 2 && dimensions[0]!.field === dimensions[1]!.field) {
    throw new QueryError("INVALID_QUERY", `the query groups by "${dimensions[0]!.field}" twice`, {
      path: "groupBy.1",
    });
  }
  const cells = dimensions.reduce((product, d) => product * d.labels.length, 1);
  const maxCells = policy.maxCells ?? DEFAULT_MAX_CELLS;
  if (cells > maxCells) {
    throw new QueryError(
      "TOO_MANY_GROUPS",
      `this grouping makes ${cells} groups and the pool's policy allows at most ${maxCells}: group by fewer fields or use coarser buckets`,
      { path: "groupBy" },
    );
  }

  const maxAggregates = policy.maxAggregates ?? DEFAULT_MAX_AGGREGATES;
  if (query.aggregates.length > maxAggregates) {
    throw new QueryError(
      "AGGREGATE_NOT_ALLOWED",
      `the pool's policy allows at most ${maxAggregates} aggregates per query; this query has ${query.aggregates.length}`,
      { path: "aggregates" },
    );
  }
  const counts = query.aggregates.filter((aggregate) => aggregate.kind === "count").length;
  if (counts > 1) {
    throw new QueryError(
      "AGGREGATE_NOT_ALLOWED",
      "a query has at most one count: every group's count is the same number",
      { path: "aggregates" },
    );
  }
  const drafts: Draft[] = query.aggregates.map((aggregate, index) =>
    checkAggregate(aggregate, fields, policy, `aggregates.${index}`),
  );
  // The count decides which groups are released (and is a mean's denominator): put it first, and
  // add one when the query has none, so no group is ever released on an exact count.
  const countIndex = drafts.findIndex((draft) => draft.aggregate.kind === "count");
  if (countIndex < 0) {
    drafts.unshift({
      aggregate: { kind: "count", implicit: true, name: "count" },
      share: undefined,
      path: "aggregates",
    });
  } else {
    drafts.unshift(...drafts.splice(countIndex, 1));
  }
  const names = new Set<string>();
  for (const draft of drafts) {
    if (names.has(draft.aggregate.name)) {
      throw new QueryError(
        "DUPLICATE_NAME",
        `two aggregates are named "${draft.aggregate.name}": give one of them another name with "as"`,
        { path: draft.path },
      );
    }
    names.add(draft.aggregate.name);
  }

  const noisyValues = drafts.reduce(
    (total, draft) =>
      total + cells * ("bins" in draft.aggregate ? draft.aggregate.bins.labels.length : 1),
    0,
  );
  if (noisyValues > MAX_NOISY_VALUES) {
    throw new QueryError(
      "TOO_MANY_GROUPS",
      `this query's answer would hold ${noisyValues} numbers, more than ${MAX_NOISY_VALUES}: use fewer groups or buckets`,
    );
  }

  const total = totalEpsilon(params.epsilon, query, policy);
  const shares = splitEpsilon(drafts, total);
  const aggregates = drafts.map(
    (draft, index) => ({ ...draft.aggregate, epsilon: shares[index]! }) as CheckedAggregate,
  );
  return {
    epsilon: shares.reduce((sum, share) => sum + share, 0n),
    minNoisyCount: policy.minNoisyCount,
    filters,
    groupBy: dimensions,
    aggregates,
    cells,
    source: query,
  };
}

/** An aggregate before its ε share is known. */
interface Draft {
  aggregate: DistributiveOmit<CheckedAggregate, "epsilon">;
  /** The query's own share, in micro-ε, when it gave one. */
  share: bigint | undefined;
  /** Where it is in the query, for error messages. */
  path: string;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function totalEpsilon(given: bigint | string | undefined, query: Query, policy: QueryPolicy) {
  const raw = given ?? query.epsilon;
  if (raw === undefined) {
    throw new QueryError(
      "BAD_EPSILON",
      'the query says no ε: add "epsilon" (e.g. "0.5") to the query, or pass --epsilon',
      { path: "epsilon" },
    );
  }
  const total = parseEpsilon(raw, "the query's ε");
  const max = parseEpsilon(policy.maxEpsilon, "the policy's maxEpsilon");
  if (total > max) {
    throw new QueryError(
      "BAD_EPSILON",
      `the query asks for ε = ${formatEpsilon(total)}, more than the pool's maximum of ${formatEpsilon(max)} per query`,
      { path: "epsilon" },
    );
  }
  return total;
}

/**
 * Each aggregate's share: its own when the query gives one, otherwise an even split of what the
 * given shares leave (in whole micro-ε; the first ones take the remainder, so the shares add up
 * to the total exactly). Sequential composition: the query spends the sum of the shares.
 */
function splitEpsilon(drafts: readonly Draft[], total: bigint): bigint[] {
  const given = drafts.reduce((sum, draft) => sum + (draft.share ?? 0n), 0n);
  if (given > total) {
    throw new QueryError(
      "EPSILON_SPLIT",
      `the aggregates' own ε shares add up to ${formatEpsilon(given)}, more than the query's ε of ${formatEpsilon(total)}`,
      { path: "aggregates" },
    );
  }
  const open = drafts.filter((draft) => draft.share === undefined).length;
  if (open === 0) return drafts.map((draft) => draft.share!);
  const left = total - given;
  if (left < BigInt(open)) {
    const implicit = drafts.some(
      (draft) => draft.aggregate.kind === "count" && draft.aggregate.implicit,
    );
    throw new QueryError(
      "EPSILON_SPLIT",
      `the aggregates' own ε shares leave ${formatEpsilon(left)} for ${open} aggregate(s) without one${
        implicit ? " (including the count added to decide which groups to release)" : ""
      }: lower the shares, raise the query's ε${implicit ? ', or add a "count" with its own share' : ""}`,
      { path: "aggregates" },
    );
  }
  const each = left / BigInt(open);
  let remainder = left % BigInt(open);
  return drafts.map((draft) => {
    if (draft.share !== undefined) return draft.share;
    const extra = remainder > 0n ? 1n : 0n;
    remainder -= extra;
    return each + extra;
  });
}

function checkFilter(
  filter: NonNullable<Query["filters"]>[number],
  fields: FieldResolver,
  path: string,
): CheckedFilter {
  const field = fields.get(filter.field, "filter", `${path}.field`);
  const base = { field: filter.field, path: field.path };
  switch (filter.op) {
    case "eq":
      expectScalarFits(field.type, filter.value, filter.field, `${path}.value`);
      return { ...base, op: "eq", value: filter.value };
    case "in":
      filter.values.forEach((value, index) =>
        expectScalarFits(field.type, value, filter.field, `${path}.values.${index}`),
      );
      return { ...base, op: "in", values: filter.values };
    case "range": {
      if (field.type.kind !== "number") {
        throw wrongType(filter.field, field.type, "a range filter needs a numeric field", path);
      }
      const min = filter.min ?? -Infinity;
      const max = filter.max ?? Infinity;
      if (filter.min === undefined && filter.max === undefined) {
        throw new QueryError(
          "INVALID_QUERY",
          `the range filter on "${filter.field}" needs min, max or both`,
          {
            path,
          },
        );
      }
      if (!(min <= max)) {
        throw new QueryError(
          "INVALID_QUERY",
          `the range filter on "${filter.field}" has min above max`,
          {
            path,
          },
        );
      }
      return { ...base, op: "range", min, max };
    }
    case "contains":
      if (field.type.kind !== "array") {
        throw wrongType(filter.field, field.type, '"contains" needs an array field', path);
      }
      expectScalarFits(field.type.items, filter.value, filter.field, `${path}.value`);
      return { ...base, op: "contains", value: filter.value };
  }
}

function checkAggregate(
  aggregate: QueryAggregate,
  fields: FieldResolver,
  policy: QueryPolicy,
  path: string,
): Draft {
  const allowed: readonly AggregateKind[] | undefined = policy.aggregates;
  // The count is always allowed: without one no group could be released.
  if (aggregate.kind !== "count" && allowed !== undefined && !allowed.includes(aggregate.kind)) {
    throw new QueryError(
      "AGGREGATE_NOT_ALLOWED",
      `the pool's policy does not allow "${aggregate.kind}" aggregates; it allows ${allowed.join(", ")}`,
      { path: `${path}.kind` },
    );
  }
  const share =
    aggregate.epsilon === undefined
      ? undefined
      : parseEpsilon(aggregate.epsilon, `the ε of aggregate ${path}`);
  const name = (field: string) =>
    aggregate.as ?? `${aggregate.kind}_${field.replace(/[^A-Za-z0-9_]/g, "_")}`;
  switch (aggregate.kind) {
    case "count":
      return {
        aggregate: { kind: "count", implicit: false, name: aggregate.as ?? "count" },
        share,
        path,
      };
    case "sum":
    case "mean": {
      const field = fields.get(aggregate.field, "aggregate", `${path}.field`);
      if (field.type.kind !== "number") {
        throw wrongType(
          aggregate.field,
          field.type,
          `a ${aggregate.kind} needs a numeric field`,
          path,
        );
      }
      const clamp = checkClamp(aggregate.lo, aggregate.hi, field.rules, aggregate.field, path);
      return {
        aggregate: {
          kind: aggregate.kind,
          name: name(aggregate.field),
          field: aggregate.field,
          path: field.path,
          clamp,
        },
        share,
        path,
      };
    }
    case "histogram": {
      const bins = dimension(aggregate, fields, "groupBy", path);
      return {
        aggregate: {
          kind: "histogram",
          name: name(aggregate.field),
          field: aggregate.field,
          path: bins.path,
          bins,
        },
        share,
        path,
      };
    }
    case "quantile": {
      const field = fields.get(aggregate.field, "aggregate", `${path}.field`);
      if (field.type.kind !== "number") {
        throw wrongType(aggregate.field, field.type, "a quantile needs a numeric field", path);
      }
      aggregate.q.forEach((level, index) => {
        if (!(level > 0 && level < 1)) {
          throw new QueryError(
            "BAD_BUCKETS",
            `quantile levels must be strictly between 0 and 1 (0.5 is the median); got ${level}`,
            { path: `${path}.q.${index}` },
          );
        }
      });
      const edges = checkEdges(aggregate.buckets, aggregate.field, `${path}.buckets`);
      if (field.rules.bounds !== undefined) {
        checkClamp(edges[0]!, edges.at(-1)!, field.rules, aggregate.field, `${path}.buckets`);
      }
      return {
        aggregate: {
          kind: "quantile",
          name: name(aggregate.field),
          field: aggregate.field,
          path: field.path,
          q: aggregate.q,
          bins: {
            kind: "buckets",
            field: aggregate.field,
            path: field.path,
            edges,
            labels: bucketLabels(edges),
          },
        },
        share,
        path,
      };
    }
  }
}

/** A group-by field or a histogram's cells, from a public domain only. */
function dimension(
  spec: Pick<QueryGroupBy, "field" | "buckets">,
  fields: FieldResolver,
  use: "groupBy",
  path: string,
): Dimension {
  const field = fields.get(spec.field, use, `${path}.field`);
  if (field.type.kind === "number") {
    if (spec.buckets === undefined) {
      throw new QueryError(
        "BAD_BUCKETS",
        `"${spec.field}" is numeric: give its bucket edges, e.g. "buckets": [0, 5, 10, 20]`,
        { path: `${path}.buckets` },
      );
    }
    const edges = checkEdges(spec.buckets, spec.field, `${path}.buckets`);
    return {
      kind: "buckets",
      field: spec.field,
      path: field.path,
      edges,
      labels: bucketLabels(edges),
    };
  }
  if (field.type.kind !== "categorical") {
    throw wrongType(
      spec.field,
      field.type,
      "groups and histograms need a categorical or numeric field",
      path,
    );
  }
  if (spec.buckets !== undefined) {
    throw new QueryError(
      "BAD_BUCKETS",
      `"${spec.field}" is not numeric: leave out "buckets", its groups are its values`,
      { path: `${path}.buckets` },
    );
  }
  // The policy's list wins (it may narrow an enum, or give a free-text field its public values);
  // without one, the schema's enum. Never the values found in the records.
  const values = field.rules.domain ?? field.type.domain;
  if (values === undefined) {
    throw new QueryError(
      "NO_PUBLIC_DOMAIN",
      `"${spec.field}" is free text with no declared list of values, so its groups would come from the data and could reveal someone: the pool's policy must list its values ("domain") before queries can group by it`,
      { path: `${path}.field` },
    );
  }
  return {
    kind: "values",
    field: spec.field,
    path: field.path,
    values: [...values],
    labels: values.map((value) => String(value)),
  };
}

function checkEdges(edges: number[], field: string, path: string): number[] {
  for (let index = 1; index < edges.length; index += 1) {
    if (!(edges[index]! > edges[index - 1]!)) {
      throw new QueryError(
        "BAD_BUCKETS",
        `the bucket edges of "${field}" must be strictly increasing; ${edges[index]} follows ${edges[index - 1]}`,
        { path },
      );
    }
  }
  return [...edges];
}

/** "[0, 5)", …, "[20, 61]": half-open buckets, the last one closed. */
export function bucketLabels(edges: readonly number[]): string[] {
  return edges
    .slice(0, -1)
    .map((lo, index) => `[${lo}, ${edges[index + 1]}${index === edges.length - 2 ? "]" : ")"}`);
}

function checkClamp(
  lo: number,
  hi: number,
  rules: FieldPolicy,
  field: string,
  path: string,
): Clamp {
  if (!(lo < hi)) {
    throw new QueryError(
      "BAD_BOUNDS",
      `the clamp bounds of "${field}" need lo below hi; got [${lo}, ${hi}]`,
      {
        path,
      },
    );
  }
  const bounds = rules.bounds;
  if (bounds !== undefined && (lo < bounds.lo || hi > bounds.hi)) {
    throw new QueryError(
      "BAD_BOUNDS",
      `the pool's policy needs the bounds of "${field}" within [${bounds.lo}, ${bounds.hi}]; the query has [${lo}, ${hi}]`,
      { path },
    );
  }
  const decimals = rules.decimals ?? 0;
  const unit = 10 ** decimals;
  const scaled = [lo, hi].map((bound) => Math.round(bound * unit));
  [lo, hi].forEach((bound, index) => {
    if (Math.abs(scaled[index]! - bound * unit) > 1e-6) {
      throw new QueryError(
        "BAD_BOUNDS",
        `the bounds of "${field}" may have at most ${decimals} decimal(s) (its values are rounded to that); got ${bound}`,
        { path },
      );
    }
    if (Math.abs(scaled[index]!) > MAX_SCALED_BOUND) {
      throw new QueryError(
        "BAD_BOUNDS",
        `the bounds of "${field}" are too large: at most ${MAX_SCALED_BOUND / unit} in absolute value`,
        { path },
      );
    }
  });
  return { lo: scaled[0]!, hi: scaled[1]!, decimals };
}

function expectScalarFits(type: FieldType, value: Scalar, field: string, path: string): void {
  if (type.kind === "number") {
    if (typeof value !== "number") {
      throw new QueryError(
        "WRONG_FIELD_TYPE",
        `"${field}" is a number; ${JSON.stringify(value)} is not`,
        {
          path,
        },
      );
    }
    return;
  }
  if (type.kind !== "categorical") {
    throw wrongType(
      field,
      type,
      "equality and set filters need a number, text or a boolean field",
      path,
    );
  }
  if (type.domain !== undefined && !type.domain.includes(value)) {
    throw new QueryError(
      "WRONG_FIELD_TYPE",
      `${JSON.stringify(value)} is not a value of "${field}"; its values are ${type.domain.map((v) => JSON.stringify(v)).join(", ")}`,
      { path },
    );
  }
  if (type.domain === undefined && typeof value !== "string") {
    throw new QueryError("WRONG_FIELD_TYPE", `"${field}" is text; compare it with a string`, {
      path,
    });
  }
}

function wrongType(field: string, type: FieldType, need: string, path: string): QueryError {
  const is =
    type.kind === "unsupported"
      ? `a field queries cannot use (${type.reason})`
      : type.kind === "array"
        ? "a list"
        : type.kind === "number"
          ? "numeric"
          : "categorical (text or a boolean)";
  return new QueryError("WRONG_FIELD_TYPE", `${need}, and "${field}" is ${is}`, { path });
}

/** Looks fields up in the record schema, then in the policy; each refusal names the field. */
class FieldResolver {
  readonly #schema: object;
  readonly #policy: QueryPolicy;

  constructor(schema: object, policy: QueryPolicy) {
    this.#schema = schema;
    this.#policy = policy;
  }

  get(field: string, use: "filter" | "groupBy" | "aggregate", path: string) {
    const segments = field.split(".");
    const type = fieldType(this.#schema, segments);
    if (type === undefined) {
      throw new QueryError("UNKNOWN_FIELD", `the pool's records have no field "${field}"`, {
        path,
      });
    }
    const rules = Object.hasOwn(this.#policy.fields, field)
      ? this.#policy.fields[field]
      : undefined;
    if (rules === undefined) {
      const allowed = Object.keys(this.#policy.fields);
      throw new QueryError(
        "FIELD_NOT_ALLOWED",
        `the pool's policy does not let queries use "${field}"; it allows ${allowed.length > 0 ? allowed.map((f) => `"${f}"`).join(", ") : "no field"}`,
        { path },
      );
    }
    if (rules[use] === false) {
      const verb = {
        filter: "filter on",
        groupBy: "group by or histogram",
        aggregate: "aggregate",
      }[use];
      throw new QueryError(
        "FIELD_NOT_ALLOWED",
        `the pool's policy does not let queries ${verb} "${field}"`,
        {
          path,
        },
      );
    }
    return { type, rules, path: segments };
  }
}
