/**
 * The one error type of lib/query. The CLI and the dApp show `message` to the buyer before paying,
 * so each message says in plain words what to change; callers branch on `code`, never on text.
 */

/** Why a query, a policy or an argument was refused. */
export type QueryErrorCode =
  /** The query is not a query document of the v1 format (a field missing, misspelt, mistyped). */
  | "INVALID_QUERY"
  /** The pool's query policy is not a policy document of the v1 format. */
  | "INVALID_POLICY"
  /** A field the query names is not in the pool's record schema. */
  | "UNKNOWN_FIELD"
  /** The policy does not let queries use this field, or not in this way (filter, group, aggregate). */
  | "FIELD_NOT_ALLOWED"
  /** The field's type does not fit the operation (e.g. a sum over text, a range on an enum). */
  | "WRONG_FIELD_TYPE"
  /** Grouping or a histogram over a text field whose possible values are not declared anywhere. */
  | "NO_PUBLIC_DOMAIN"
  /** Too many group-by fields, or too many groups (cells) in the answer. */
  | "TOO_MANY_GROUPS"
  /** The policy does not allow this aggregate kind, or the query has too many aggregates. */
  | "AGGREGATE_NOT_ALLOWED"
  /** Clamp bounds missing, reversed or outside the policy's bounds for the field. */
  | "BAD_BOUNDS"
  /** Bucket edges not strictly increasing, too few, or a quantile level outside (0, 1). */
  | "BAD_BUCKETS"
  /** Two aggregates would have the same output name. */
  | "DUPLICATE_NAME"
  /** No ε given, ε not a decimal with at most 6 decimals, zero, or above the policy's maximum. */
  | "BAD_EPSILON"
  /** The aggregates' own ε shares exceed the total, or leave nothing for the unassigned ones. */
  | "EPSILON_SPLIT"
  /** A caller passed an unusable argument (not a query result, mismatched ε, bad noise scale…). */
  | "INVALID_ARGUMENT";

/** A query, policy or argument was refused; `path` points at the offending part of the query. */
export class QueryError extends Error {
  /** Machine-readable reason. */
  readonly code: QueryErrorCode;
  /** Where in the query document, e.g. "aggregates.1.hi", when the fault is in one place. */
  readonly path: string | undefined;

  /**
   * @param code - machine-readable reason
   * @param message - one line saying what is wrong and what to change
   * @param options - the place in the query at fault, and the underlying cause (for debugging)
   */
  constructor(
    code: QueryErrorCode,
    message: string,
    options: { path?: string; cause?: unknown } = {},
  ) {
    super(message.replace(/\s*\n\s*/g, " "), { cause: options.cause });
    this.name = "QueryError";
    this.code = code;
    this.path = options.path;
  }
}

/** Whether `value` is a {@link QueryError} (of `code`, when given). */
export function isQueryError(value: unknown, code?: QueryErrorCode): value is QueryError {
  return value instanceof QueryError && (code === undefined || value.code === code);
}
