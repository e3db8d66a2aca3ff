/**
 * The buyer's query builder: which fields of a pool a question may use (from its record schema and
 * query policy), and the builder's state turned into a query document (docs/queries.md). Whether
 * the document passes is then decided by lib/query's checkQuery, the very check the CLI and the
 * custodian run; this module only offers what the policy allows and converts typed text.
 */
import { fieldType } from "../../../lib/query/fields.js";
import type { AggregateKind, Query, QueryAggregate, Scalar } from "../../../lib/query/format.js";
import type { QueryPolicy } from "../../../lib/query/policy.js";

/** All aggregate kinds, in the order the builder offers them. */
const ALL_KINDS: AggregateKind[] = ["count", "sum", "mean", "histogram", "quantile"];

/** One record field a question may use, as the builder offers it. */
export interface QueryField {
  /** Dot path in the record ("salaryExpectation.amount"). */
  path: string;
  /** The schema's title of the field, else its path. */
  label: string;
  kind: "number" | "categorical" | "array";
  /** The public values (the policy's domain, else the schema's enum); for an array, its items'. */
  values?: Scalar[];
  /** The policy's clamp bounds (numbers). */
  bounds?: { lo: number; hi: number };
  canFilter: boolean;
  /** Group-by and histograms: a numeric field (in buckets) or one with public values. */
  canGroup: boolean;
  /** Sum, mean and quantiles: numeric fields only. */
  canAggregate: boolean;
}

/** What the builder offers for one pool. */
export interface QueryOptions {
  fields: QueryField[];
  /** Aggregate kinds the policy allows (a count always). */
  kinds: AggregateKind[];
  /** Group-by fields per question. */
  maxGroupBy: number;
  /** Smallest noisy count of a released group. */
  minNoisyCount: number;
}

/** The schema's title of the property at `path`, when it has one. */
function titleAt(recordSchema: object, path: string[]): string | undefined {
  let node: unknown = recordSchema;
  for (const segment of path) {
    node = (node as { properties?: Record<string, unknown> } | undefined)?.properties?.[segment];
  }
  const title = (node as { title?: unknown } | undefined)?.title;
  return typeof title === "string" && title.trim() !== "" ? title : undefined;
}

/** The fields and kinds a pool's policy lets questions use, in the policy's order. */
export function queryOptionsOf(recordSchema: object, policy: QueryPolicy): QueryOptions {
  const fields: QueryField[] = [];
  for (const [path, rules] of Object.entries(policy.fields)) {
    const segments = path.split(".");
    const type = fieldType(recordSchema, segments);
    if (type === undefined || type.kind === "unsupported") continue;
    const itemType = type.kind === "array" ? type.items : type;
    const values =
      rules.domain ?? (itemType.kind === "categorical" ? itemType.domain : undefined) ?? undefined;
    const numeric = type.kind === "number";
    fields.push({
      path,
      label: titleAt(recordSchema, segments) ?? path,
      kind: type.kind,
      ...(values !== undefined ? { values } : {}),
      ...(rules.bounds !== undefined ? { bounds: rules.bounds } : {}),
      canFilter: rules.filter !== false,
      canGroup:
        rules.groupBy !== false && type.kind !== "array" && (numeric || values !== undefined),
      canAggregate: rules.aggregate !== false && numeric,
    });
  }
  const allowed = policy.aggregates ?? ALL_KINDS;
  return {
    fields,
    kinds: ALL_KINDS.filter((kind) => kind === "count" || allowed.includes(kind)),
    maxGroupBy: policy.maxGroupBy,
    minNoisyCount: policy.minNoisyCount,
  };
}

/** A filter as typed: `values` for a field with public values, `text` for free text, min/max for numbers. */
export interface FilterDraft {
  field: string;
  /** The chosen public values, as their labels (String(value)). */
  values: string[];
  text: string;
  min: string;
  max: string;
}

/** A group-by as typed: bucket edges for a numeric field ("0, 10, 20"). */
export interface GroupByDraft {
  field: string;
  buckets: string;
}

/** An aggregate as typed. */
export interface AggregateDraft {
  kind: AggregateKind;
  /** Empty for a count. */
  field: string;
  lo: string;
  hi: string;
  buckets: string;
  /** Quantile levels ("0.25, 0.5, 0.75"). */
  q: string;
}

/** The builder's whole state. */
export interface QueryDraft {
  /** The question's total ε, as typed ("0.5"). */
  epsilon: string;
  filters: FilterDraft[];
  groupBy: GroupByDraft[];
  aggregates: AggregateDraft[];
}

/** "0, 12, 24, 36, 48, 60": `count` equal buckets over a field's bounds (whole numbers when they divide). */
export function defaultBuckets(bounds: { lo: number; hi: number } | undefined, count = 5): string {
  const { lo, hi } = bounds ?? { lo: 0, hi: 100 };
  const step = (hi - lo) / count;
  return Array.from({ length: count + 1 }, (_, index) =>
    String(Number((lo + step * index).toPrecision(6))),
  ).join(", ");
}

/** A blank filter on `field`. */
export function newFilter(field: QueryField): FilterDraft {
  return { field: field.path, values: [], text: "", min: "", max: "" };
}

/** A group-by on `field`, with default buckets for a number. */
export function newGroupBy(field: QueryField): GroupByDraft {
  return {
    field: field.path,
    buckets: field.kind === "number" ? defaultBuckets(field.bounds) : "",
  };
}

/** An aggregate of `kind` on `field` (none for a count), with the policy's bounds as defaults. */
export function newAggregate(kind: AggregateKind, field: QueryField | undefined): AggregateDraft {
  return {
    kind,
    field: kind === "count" ? "" : (field?.path ?? ""),
    lo: field?.bounds ? String(field.bounds.lo) : "",
    hi: field?.bounds ? String(field.bounds.hi) : "",
    buckets: field?.kind === "number" ? defaultBuckets(field.bounds) : "",
    q: "0.5",
  };
}

/** Outcome of {@link queryFromDraft}: the document, or what to fix in the builder. */
export type DraftResult = { ok: true; query: Query } | { ok: false; problem: string };

class DraftProblem extends Error {}

function numberOf(text: string, what: string): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value)) {
    throw new DraftProblem(`${what} must be a number, not "${text}"`);
  }
  return value;
}

function numberList(text: string, what: string): number[] {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.length === 1 && parts[0] === "")
    throw new DraftProblem(`${what}: enter numbers separated by commas`);
  return parts.map((part) => numberOf(part, what));
}

/** The public value whose label is `label` (a typed "true" becomes the boolean). */
function valueOf(field: QueryField, label: string): Scalar {
  return field.values?.find((value) => String(value) === label) ?? label;
}

function fieldAt(options: QueryOptions, path: string, what: string): QueryField {
  const field = options.fields.find((candidate) => candidate.path === path);
  if (!field) throw new DraftProblem(`${what}: choose a field`);
  return field;
}

function filterOf(
  options: QueryOptions,
  draft: FilterDraft,
  index: number,
): NonNullable<Query["filters"]>[number] {
  const what = `Filter ${index + 1}`;
  const field = fieldAt(options, draft.field, what);
  if (field.kind === "number") {
    const min = draft.min.trim() === "" ? undefined : numberOf(draft.min, `${what}: the minimum`);
    const max = draft.max.trim() === "" ? undefined : numberOf(draft.max, `${what}: the maximum`);
    if (min === undefined && max === undefined) {
      throw new DraftProblem(`${what}: give a minimum, a maximum or both for "${field.label}"`);
    }
    return {
      field: field.path,
      op: "range",
      ...(min !== undefined ? { min } : {}),
      ...(max !== undefined ? { max } : {}),
    };
  }
  if (field.kind === "array") {
    if (draft.text.trim() === "")
      throw new DraftProblem(`${what}: type the value "${field.label}" must contain`);
    return { field: field.path, op: "contains", value: valueOf(field, draft.text.trim()) };
  }
  if (field.values !== undefined) {
    if (draft.values.length === 0)
      throw new DraftProblem(`${what}: pick at least one value of "${field.label}"`);
    return {
      field: field.path,
      op: "in",
      values: draft.values.map((label) => valueOf(field, label)),
    };
  }
  if (draft.text.trim() === "")
    throw new DraftProblem(`${what}: type the value "${field.label}" must equal`);
  return { field: field.path, op: "eq", value: draft.text.trim() };
}

function aggregateOf(options: QueryOptions, draft: AggregateDraft, index: number): QueryAggregate {
  const what = `Result ${index + 1}`;
  if (draft.kind === "count") return { kind: "count" };
  const field = fieldAt(options, draft.field, what);
  switch (draft.kind) {
    case "sum":
    case "mean":
      return {
        kind: draft.kind,
        field: field.path,
        lo: numberOf(draft.lo, `${what}: the lower bound`),
        hi: numberOf(draft.hi, `${what}: the upper bound`),
      };
    case "histogram":
      return field.kind === "number"
        ? {
            kind: "histogram",
            field: field.path,
            buckets: numberList(draft.buckets, `${what}: the buckets`),
          }
        : { kind: "histogram", field: field.path };
    case "quantile":
      return {
        kind: "quantile",
        field: field.path,
        q: numberList(draft.q, `${what}: the levels`),
        buckets: numberList(draft.buckets, `${what}: the buckets`),
      };
  }
}

/**
 * The query document of the builder's state, or the first thing to fix (typed text that is not a
 * number, a field not chosen). Policy and schema rules are left to lib/query's checkQuery.
 */
export function queryFromDraft(options: QueryOptions, draft: QueryDraft): DraftResult {
  try {
    if (draft.aggregates.length === 0)
      throw new DraftProblem("Ask for at least one result (a count, a mean…)");
    const query: Query = {
      version: 1,
      epsilon: draft.epsilon.trim(),
      ...(draft.filters.length > 0
        ? { filters: draft.filters.map((filter, index) => filterOf(options, filter, index)) }
        : {}),
      ...(draft.groupBy.length > 0
        ? {
            groupBy: draft.groupBy.map((group, index) => {
              const field = fieldAt(options, group.field, `Group ${index + 1}`);
              return field.kind === "number"
                ? {
                    field: field.path,
                    buckets: numberList(group.buckets, `Group ${index + 1}: the buckets`),
                  }
                : { field: field.path };
            }),
          }
        : {}),
      aggregates: draft.aggregates.map((aggregate, index) =>
        aggregateOf(options, aggregate, index),
      ),
    };
    return { ok: true, query };
  } catch (error) {
    if (error instanceof DraftProblem) return { ok: false, problem: error.message };
    throw error;
  }
}

/** The builder's first state: a count, ε = the smaller of 0.5 and the pool's per-query maximum. */
export function initialDraft(maxEpsilon: string): QueryDraft {
  return {
    epsilon: Number(maxEpsilon) < 0.5 ? maxEpsilon : "0.5",
    filters: [],
    groupBy: [],
    aggregates: [newAggregate("count", undefined)],
  };
}
