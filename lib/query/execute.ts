/**
 * Answers a checked query over in-memory records with differential privacy: exact measurements
 * (./measure.ts), plus discrete Laplace noise of scale sensitivity/ε on every number (./noise.ts),
 * then post-processing only: thresholding on the NOISY count, means, quantiles, rounding.
 *
 * The guarantee: ε-differential privacy (pure) for each contributor, with neighbouring datasets
 * differing in one contributor's record (added or removed), at the query's total ε:
 * - each aggregate's vector gets Lap_Z(Δ/ε_a) per entry, which is ε_a-DP for an L1 sensitivity Δ
 *   (Canonne–Kamath–Steinke 2020, Proposition 1 / the geometric mechanism);
 * - the aggregates compose sequentially: the query spends Σ ε_a = its ε;
 * - groups and bins are disjoint, so one vector covers them all (parallel composition);
 * - the groups exist whatever the data (they come from declared domains), and which are released
 *   depends on the noisy count only, so the release decision is post-processing and costs nothing.
 *
 * Plaintext stays in this process: nothing here logs or writes; the exact numbers are dropped
 * once noised. The number of records used is not in the answer (the on-chain fulfilment's record
 * count is public anyway: it is the number of statistics-scoped contributions, not of those that
 * matched the query).
 */
import { EPSILON_UNIT, formatEpsilon, parseEpsilon } from "./epsilon.js";
import { QueryError } from "./errors.js";
import { measure, type Measurement } from "./measure.js";
import {
  UniformSampler,
  formatRational,
  rational,
  sampleDiscreteLaplace,
  type RandomBytes,
  type Rational,
} from "./noise.js";
import { answerToCsv } from "./csv.js";
import type { CheckedQuery } from "./validate.js";
import type { AggregateKind, Scalar } from "./format.js";

/** Value of an answer's `format`. */
export const ANSWER_FORMAT = "databank-query-answer";

/** Arguments of {@link answerQuery}. */
export interface AnswerQueryParams {
  /**
   * The records, parsed JSON, exactly one per contributor (the sensitivities assume it: a
   * contributor with two records would be protected at 2ε). Arrays and async streams alike.
   */
  records: Iterable<unknown> | AsyncIterable<unknown>;
  /** The query as {@link checkQuery} normalized it against the pool's schema and policy. */
  query: CheckedQuery;
  /**
   * The ε the purchase paid for (bigint micro-ε or a decimal string), when known: the answer is
   * refused if the query would spend more.
   */
  epsilon?: bigint | string;
  /** Random bytes for the noise; default WebCrypto's getRandomValues. Tests only pass another. */
  random?: RandomBytes;
}

/** The noise one aggregate got, as published with the answer. */
export interface AnswerNoise {
  /** Always "discrete Laplace": P[x] ∝ exp(−|x|/scale) over the integers. */
  distribution: "discrete Laplace";
  /** This aggregate's ε, decimal. */
  epsilon: string;
  /** L1 sensitivity of the aggregate's vector, in units of `unit`. */
  sensitivity: string;
  /** The exact scale sensitivity/ε, as an integer or a fraction "n/d", in units of `unit`. */
  scale: string;
  /** What one unit is worth in the field's terms (10^−decimals; 1 for counts). */
  unit: number;
}

/** One aggregate of the answer: what was computed and with which noise. */
export interface AnswerAggregate {
  name: string;
  kind: AggregateKind;
  /** The field aggregated (absent for the count). */
  field?: string;
  /** Clamp bounds (sum, mean). */
  lo?: number;
  hi?: number;
  /** Bin labels (histogram, quantile). */
  bins?: string[];
  /** Quantile levels. */
  q?: number[];
  /** True for a count the engine added to decide which groups to release. */
  implicit?: boolean;
  noise: AnswerNoise;
  /** How the released number is derived from the noisy ones, when it is not the noisy number. */
  derivation?: string;
}

/** A released value: a number, null when it cannot be derived, or one number per bin/level. */
export type AnswerValue = number | null | Record<string, number | null>;

/** One released group. */
export interface AnswerRow {
  /** The group's value of each group-by field: the declared value, or the bucket's label. */
  group: Record<string, Scalar>;
  /** Each aggregate's released value, by name. */
  values: Record<string, AnswerValue>;
}

/** The answer document (JSON), sealed to the buyer with its CSV rendering. */
export interface QueryAnswer {
  format: typeof ANSWER_FORMAT;
  version: 1;
  /** ε spent, decimal. */
  epsilon: string;
  /** ε spent, in micro-ε (the unit on-chain), decimal string. */
  epsilonMicro: string;
  mechanism: {
    /** Pure ε-DP with the discrete Laplace mechanism. */
    name: "discrete Laplace mechanism, pure ε-differential privacy";
    /** Which datasets are neighbours. */
    neighbours: "add or remove one contributor's record";
    sampler: string;
    composition: string;
  };
  /** Groups whose noisy count is below this are not released. */
  minNoisyCount: number;
  /** The group-by fields, in order, with all their possible groups (public). */
  groupBy: { field: string; groups: string[] }[];
  aggregates: AnswerAggregate[];
  /** The released groups (those whose noisy count cleared `minNoisyCount`). */
  rows: AnswerRow[];
  /** How many groups were withheld (a function of noisy counts only). */
  withheldGroups: number;
}

/** What {@link answerQuery} returns. */
export interface QueryResult {
  answer: QueryAnswer;
  /** The answer's rows as CSV (see ./csv.ts). */
  csv: string;
}

/**
 * Computes the noisy answer of a checked query.
 *
 * @throws QueryError INVALID_ARGUMENT when `query` is not a checked query or spends more than
 *   `epsilon`; RangeError when a sum outgrows exact arithmetic
 */
export async function answerQuery(params: AnswerQueryParams): Promise<QueryResult> {
  const { query } = params;
  if (typeof query?.epsilon !== "bigint" || !Array.isArray(query.aggregates)) {
    throw new QueryError(
      "INVALID_ARGUMENT",
      "answerQuery needs the query as checkQuery returns it",
    );
  }
  if (params.epsilon !== undefined) {
    const paid = parseEpsilon(params.epsilon, "the purchase's ε");
    if (query.epsilon > paid) {
      throw new QueryError(
        "INVALID_ARGUMENT",
        `the query spends ε = ${formatEpsilon(query.epsilon)}, more than the ${formatEpsilon(paid)} paid for`,
      );
    }
  }
  const uniform = new UniformSampler(params.random);
  const measurements = await measure(params.records, query);
  const noisy = measurements.map((measurement) => addNoise(measurement, uniform));

  const counts = noisy[0]!;
  const rows: AnswerRow[] = [];
  for (let cell = 0; cell < query.cells; cell += 1) {
    const count = counts.values[cell]!;
    // The only release decision, on the noisy count: thresholding the exact count would leak it.
    if (count < query.minNoisyCount) continue;
    const values: Record<string, AnswerValue> = {};
    for (const measured of noisy) {
      values[measured.measurement.aggregate.name] = released(measured, cell, count);
    }
    rows.push({ group: groupOf(query, cell), values });
  }
  const answer: QueryAnswer = {
    format: ANSWER_FORMAT,
    version: 1,
    epsilon: formatEpsilon(query.epsilon),
    epsilonMicro: query.epsilon.toString(),
    mechanism: {
      name: "discrete Laplace mechanism, pure ε-differential privacy",
      neighbours: "add or remove one contributor's record",
      sampler:
        "exact discrete Laplace sampler (Canonne, Kamath and Steinke 2020, Algorithms 1-2) on rational arithmetic, uniform integers by rejection from WebCrypto getRandomValues",
      composition:
        "sequential across aggregates (ε adds up); parallel across groups and bins (disjoint)",
    },
    minNoisyCount: query.minNoisyCount,
    groupBy: query.groupBy.map((dimension) => ({
      field: dimension.field,
      groups: dimension.labels,
    })),
    aggregates: noisy.map(({ measurement, scale }) => describe(measurement, scale)),
    rows,
    withheldGroups: query.cells - rows.length,
  };
  return { answer, csv: answerToCsv(answer) };
}

interface Noisy {
  measurement: Measurement;
  /** The noisy integers (exact ones plus noise), same layout as the measurement's. */
  values: number[];
  scale: Rational;
}

/** Each entry plus Lap_Z(Δ/ε), Δ/ε as the exact rational Δ·10^6 / ε_micro. */
function addNoise(measurement: Measurement, uniform: UniformSampler): Noisy {
  const scale = rational(measurement.sensitivity * EPSILON_UNIT, measurement.aggregate.epsilon);
  const values = Array.from(measurement.values, (exact) =>
    Number(BigInt(exact) + sampleDiscreteLaplace(scale, uniform)),
  );
  return { measurement, values, scale };
}

/** The released value of one aggregate in one group: post-processing of noisy numbers only. */
function released(noisy: Noisy, cell: number, count: number): AnswerValue {
  const { aggregate } = noisy.measurement;
  switch (aggregate.kind) {
    case "count":
      return noisy.values[cell]!;
    case "sum":
      return noisy.values[cell]! / 10 ** aggregate.clamp.decimals;
    case "mean": {
      if (count < 1) return null;
      const { lo, hi, decimals } = aggregate.clamp;
      const units = noisy.measurement.center! + noisy.values[cell]! / count;
      return Math.min(Math.max(units, lo), hi) / 10 ** decimals;
    }
    case "histogram": {
      const labels = aggregate.bins.labels;
      const start = cell * labels.length;
      return Object.fromEntries(labels.map((label, bin) => [label, noisy.values[start + bin]!]));
    }
    case "quantile": {
      const bins = aggregate.bins.labels.length;
      const start = cell * bins;
      return quantiles(noisy.values.slice(start, start + bins), aggregate.bins.edges, aggregate.q);
    }
  }
}

/**
 * Quantiles read from a noisy histogram: negative bins count as 0, then linear interpolation
 * inside the bin where the cumulative count reaches q × total. Null when every bin is empty.
 */
export function quantiles(
  counts: readonly number[],
  edges: readonly number[],
  levels: readonly number[],
): Record<string, number | null> {
  const clipped = counts.map((count) => Math.max(count, 0));
  const total = clipped.reduce((sum, count) => sum + count, 0);
  return Object.fromEntries(
    levels.map((level) => {
      if (total === 0) return [String(level), null];
      const target = level * total;
      let before = 0;
      for (let bin = 0; bin < clipped.length; bin += 1) {
        const inBin = clipped[bin]!;
        if (inBin > 0 && before + inBin >= target) {
          const lo = edges[bin]!;
          const hi = edges[bin + 1]!;
          return [String(level), lo + ((target - before) / inBin) * (hi - lo)];
        }
        before += inBin;
      }
      return [String(level), edges.at(-1)!];
    }),
  );
}

function groupOf(query: CheckedQuery, cell: number): Record<string, Scalar> {
  const group: Record<string, Scalar> = {};
  let rest = cell;
  for (let index = query.groupBy.length - 1; index >= 0; index -= 1) {
    const dimension = query.groupBy[index]!;
    const size = dimension.labels.length;
    const at = rest % size;
    rest = Math.floor(rest / size);
    group[dimension.field] =
      dimension.kind === "values" ? dimension.values[at]! : dimension.labels[at]!;
  }
  // Built last to first: put the fields back in the query's order.
  return Object.fromEntries(query.groupBy.map((d) => [d.field, group[d.field]!]));
}

function describe(measurement: Measurement, scale: Rational): AnswerAggregate {
  const { aggregate } = measurement;
  const divisor = 10 ** ("clamp" in aggregate ? aggregate.clamp.decimals : 0);
  const noise: AnswerNoise = {
    distribution: "discrete Laplace",
    epsilon: formatEpsilon(aggregate.epsilon),
    sensitivity: measurement.sensitivity.toString(),
    scale: formatRational(scale),
    unit: 1 / divisor,
  };
  const base = { name: aggregate.name, kind: aggregate.kind, noise };
  switch (aggregate.kind) {
    case "count":
      return { ...base, ...(aggregate.implicit ? { implicit: true } : {}) };
    case "sum":
    case "mean":
      return {
        ...base,
        field: aggregate.field,
        lo: aggregate.clamp.lo / divisor,
        hi: aggregate.clamp.hi / divisor,
        ...(aggregate.kind === "mean"
          ? {
              derivation: `c + (noisy sum of (value − c)) / (noisy count), c = ${measurement.center! / divisor}, clamped to [lo, hi]; the noise is on the sum, the count is the query's count`,
            }
          : {}),
      };
    case "histogram":
      return { ...base, field: aggregate.field, bins: aggregate.bins.labels };
    case "quantile":
      return {
        ...base,
        field: aggregate.field,
        bins: aggregate.bins.labels,
        q: aggregate.q,
        derivation:
          "read from the noisy histogram over bins (values outside clamped into the end bins): negative bins as 0, linear inside the bin",
      };
  }
}
