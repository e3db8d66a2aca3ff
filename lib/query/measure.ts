/**
 * The exact, noise-free part of answering: one pass over the records computes, for each
 * aggregate, a vector of integers (one per group, or per group × bin) and the vector's
 * sensitivity: how far (in L1) adding or removing one record can move it. ./execute.ts adds noise
 * calibrated to that sensitivity and never releases these exact numbers.
 *
 * Why each sensitivity holds, with one record per contributor:
 * - a record falls in at most one group (the group-by cells partition the records; records whose
 *   value is outside every declared cell fall in none), and in at most one bin of a histogram;
 * - so a count or histogram vector moves by at most 1 in L1 (parallel composition over groups);
 * - a sum moves by the record's clamped value, at most max(|lo|, |hi|);
 * - a mean's sum is of (value − c) with c the middle of [lo, hi], so it moves by at most
 *   max(hi − c, c − lo) ≈ (hi − lo)/2.
 *
 * Values are handled as integers in units of 10^−decimals (the policy's `decimals`), so that the
 * noise, drawn on the integers, is exact. Rounding a record's value is done per record, before
 * anything is summed, so it changes no sensitivity.
 */
import type { Scalar } from "./format.js";
import type {
  CheckedAggregate,
  CheckedFilter,
  CheckedQuery,
  Clamp,
  Dimension,
} from "./validate.js";

/** An aggregate's exact vector and its sensitivity. */
export interface Measurement {
  /** The aggregate measured. */
  aggregate: CheckedAggregate;
  /** Integers: one per group, or per group × bin (group-major) for histograms and quantiles. */
  values: Float64Array;
  /** Largest L1 change one record can cause, in the values' units. */
  sensitivity: bigint;
  /** For a mean: the centre c subtracted from each value, in units. */
  center?: number;
}

/**
 * Measures every aggregate of `query` over `records` in one pass.
 *
 * @param records - parsed JSON records, one per contributor; anything that is not an object, or
 *   lacks a field a filter needs, is simply not counted
 */
export async function measure(
  records: Iterable<unknown> | AsyncIterable<unknown>,
  query: CheckedQuery,
): Promise<Measurement[]> {
  const keep = compileFilters(query.filters);
  const cellOf = compileCells(query.groupBy);
  const accumulators = query.aggregates.map((aggregate) => accumulator(aggregate, query.cells));
  const visit = (record: unknown) => {
    if (!keep(record)) return;
    const cell = cellOf(record);
    if (cell < 0) return;
    for (const accumulator of accumulators) accumulator.add(record, cell);
  };
  // A plain loop for arrays and other sync iterables: `for await` would cost a microtask per record.
  if (Symbol.iterator in records) {
    for (const record of records) visit(record);
  } else {
    for await (const record of records) visit(record);
  }
  return accumulators.map((accumulator) => {
    for (const value of accumulator.measurement.values) {
      if (!Number.isSafeInteger(value)) {
        throw new RangeError("a sum outgrew exact integer arithmetic (more than 2^53)");
      }
    }
    return accumulator.measurement;
  });
}

interface Accumulator {
  measurement: Measurement;
  add(record: unknown, cell: number): void;
}

function accumulator(aggregate: CheckedAggregate, cells: number): Accumulator {
  switch (aggregate.kind) {
    case "count": {
      const values = new Float64Array(cells);
      return {
        measurement: { aggregate, values, sensitivity: 1n },
        add: (_, cell) => {
          values[cell]! += 1;
        },
      };
    }
    case "sum": {
      const values = new Float64Array(cells);
      const read = numberReader(aggregate.path, aggregate.clamp);
      // A record without the value adds 0: within [−max(|lo|,|hi|), max(|lo|,|hi|)] as any value.
      return {
        measurement: {
          aggregate,
          values,
          sensitivity: BigInt(Math.max(Math.abs(aggregate.clamp.lo), Math.abs(aggregate.clamp.hi))),
        },
        add: (record, cell) => {
          values[cell]! += read(record) ?? 0;
        },
      };
    }
    case "mean": {
      const values = new Float64Array(cells);
      const read = numberReader(aggregate.path, aggregate.clamp);
      const { lo, hi } = aggregate.clamp;
      const center = Math.floor((lo + hi) / 2);
      // A record without the value counts as the centre (adds 0): documented in docs/queries.md.
      return {
        measurement: {
          aggregate,
          values,
          sensitivity: BigInt(Math.max(hi - center, center - lo)),
          center,
        },
        add: (record, cell) => {
          const value = read(record);
          if (value !== undefined) values[cell]! += value - center;
        },
      };
    }
    case "histogram":
    case "quantile": {
      const bins = aggregate.bins.labels.length;
      const values = new Float64Array(cells * bins);
      const binOf = compileDimension(aggregate.bins, aggregate.kind === "quantile");
      return {
        measurement: { aggregate, values, sensitivity: 1n },
        add: (record, cell) => {
          const bin = binOf(record);
          if (bin >= 0) values[cell * bins + bin]! += 1;
        },
      };
    }
  }
}

/** The record's value at `path` as clamped integer units, or undefined when not a finite number. */
function numberReader(
  path: readonly string[],
  clamp: Clamp,
): (record: unknown) => number | undefined {
  const get = getter(path);
  const unit = 10 ** clamp.decimals;
  return (record) => {
    const value = get(record);
    if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
    const units = clamp.decimals === 0 ? Math.round(value) : Math.round(value * unit);
    return units < clamp.lo ? clamp.lo : units > clamp.hi ? clamp.hi : units;
  };
}

function compileFilters(filters: readonly CheckedFilter[]): (record: unknown) => boolean {
  const tests = filters.map((filter): ((record: unknown) => boolean) => {
    const get = getter(filter.path);
    switch (filter.op) {
      case "eq":
        return (record) => get(record) === filter.value;
      case "in": {
        const values = new Set<unknown>(filter.values);
        return (record) => values.has(get(record));
      }
      case "range":
        return (record) => {
          const value = get(record);
          return typeof value === "number" && value >= filter.min && value <= filter.max;
        };
      case "contains":
        return (record) => {
          const value = get(record);
          return Array.isArray(value) && value.includes(filter.value);
        };
    }
  });
  return (record) => {
    for (const test of tests) if (!test(record)) return false;
    return true;
  };
}

/** The record's group index (mixed radix over the dimensions), or −1 when it is in no group. */
function compileCells(dimensions: readonly Dimension[]): (record: unknown) => number {
  const indexers = dimensions.map((dimension) => ({
    of: compileDimension(dimension, false),
    size: dimension.labels.length,
  }));
  return (record) => {
    let cell = 0;
    for (const { of, size } of indexers) {
      const index = of(record);
      if (index < 0) return -1;
      cell = cell * size + index;
    }
    return cell;
  };
}

/**
 * The record's cell within one dimension, or −1. Declared values match exactly (a value outside
 * the public list is in no cell); buckets are [e_i, e_i+1), the last one closed. With `clampInto`
 * (quantiles), numbers outside the edges go to the end bins instead of none.
 */
function compileDimension(dimension: Dimension, clampInto: boolean): (record: unknown) => number {
  const get = getter(dimension.path);
  if (dimension.kind === "values") {
    const index = new Map<Scalar, number>(dimension.values.map((value, i) => [value, i]));
    return (record) => {
      const value = get(record);
      return (
        (typeof value === "string" || typeof value === "number" || typeof value === "boolean"
          ? index.get(value)
          : undefined) ?? -1
      );
    };
  }
  const edges = dimension.edges;
  const last = edges.length - 1;
  return (record) => {
    const raw = get(record);
    if (typeof raw !== "number" || !Number.isFinite(raw)) return -1;
    const value = clampInto ? Math.min(Math.max(raw, edges[0]!), edges[last]!) : raw;
    if (value < edges[0]! || value > edges[last]!) return -1;
    if (value === edges[last]) return last - 1;
    // The largest i with edges[i] <= value.
    let low = 0;
    let high = last - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (edges[middle]! <= value) low = middle;
      else high = middle - 1;
    }
    return low;
  };
}

/** Reads a dot path of own properties of plain objects; undefined anywhere else. */
function getter(path: readonly string[]): (record: unknown) => unknown {
  return (record) => {
    let current = record;
    for (const segment of path) {
      if (typeof current !== "object" || current === null || Array.isArray(current))
        return undefined;
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
    return current;
  };
}
