/**
 * Shared by the query engine tests: the demo's resume schema, a policy for it, a seeded random
 * byte source (reproducible property runs; the samplers' own statistics use WebCrypto), and the
 * statistics a sampler's output is checked with.
 */
import { readFileSync } from "node:fs";
import type { RandomBytes } from "../../../../lib/query/index.js";
import { demoQueryPolicy } from "../../../../scripts/demo/queryPolicy.js";
import { CITIES } from "../../../../scripts/demo/resumes.js";

export const resumeSchema = JSON.parse(
  readFileSync(
    new URL("../../../../lib/custodian/schemas/resume.schema.json", import.meta.url),
    "utf8",
  ),
) as object;

export { CITIES };

/** The demo pool's policy, with `overrides` on top. */
export function resumePolicy(overrides: Record<string, unknown> = {}) {
  return { ...demoQueryPolicy(), ...overrides };
}

/** The demo question: mean and median years of experience by city. */
export const exampleQuery = {
  version: 1,
  epsilon: "0.5",
  filters: [{ field: "education", op: "in", values: ["bachelor", "master", "doctorate"] }],
  groupBy: [{ field: "city" }],
  aggregates: [
    { kind: "count", epsilon: "0.1" },
    { kind: "mean", field: "yearsOfExperience", lo: 0, hi: 40 },
    {
      kind: "quantile",
      field: "yearsOfExperience",
      q: [0.5],
      buckets: [0, 2, 4, 6, 8, 10, 15, 20, 30, 40],
      as: "median_years",
    },
  ],
};

/**
 * Deterministic bytes from a 32-bit seed (mulberry32): for reproducible runs of property tests,
 * never for privacy.
 */
export function seededBytes(seed: number): RandomBytes {
  let state = seed >>> 0;
  return (bytes) => {
    for (let index = 0; index < bytes.length; index += 1) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      bytes[index] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
    }
  };
}

/** A symmetric integer distribution's exact moments, from its (unnormalized) mass function. */
export interface Moments {
  variance: number;
  fourthMoment: number;
  /** P[X = 0]. */
  zeroMass: number;
  /** P[|X| ≥ k]. */
  tail(k: number): number;
}

/** Moments of P[x] ∝ weight(|x|), summed over |x| ≤ radius (far beyond any visible mass). */
export function momentsOf(weight: (magnitude: number) => number, radius: number): Moments {
  let total = weight(0);
  let second = 0;
  let fourth = 0;
  const masses = [weight(0)];
  for (let x = 1; x <= radius; x += 1) {
    const w = weight(x);
    masses.push(w);
    total += 2 * w;
    second += 2 * w * x * x;
    fourth += 2 * w * x ** 4;
  }
  return {
    variance: second / total,
    fourthMoment: fourth / total,
    zeroMass: masses[0]! / total,
    tail: (k) => (2 * masses.slice(k).reduce((sum, w) => sum + w, 0)) / total,
  };
}

/** How far, in standard errors, a statistic may be from its expectation before a check fails. */
export const Z_BOUND = 5;

/**
 * Compares samples with the exact moments: mean (0), variance, P[X = 0] and the tail mass
 * P[|X| ≥ k], each within {@link Z_BOUND} standard errors (a correct sampler fails one of these
 * four checks with probability about 2·10^−6). Returns the failed checks, in words; [] = pass.
 */
export function momentFailures(
  samples: readonly number[],
  expected: Moments,
  tailAt: number,
): string[] {
  const n = samples.length;
  let sum = 0;
  let squares = 0;
  let zeros = 0;
  let tail = 0;
  for (const x of samples) {
    sum += x;
    squares += x * x;
    if (x === 0) zeros += 1;
    if (Math.abs(x) >= tailAt) tail += 1;
  }
  const failures: string[] = [];
  const check = (what: string, observed: number, mean: number, standardError: number) => {
    if (Math.abs(observed - mean) > Z_BOUND * standardError) {
      failures.push(
        `${what}: ${observed.toPrecision(5)}, expected ${mean.toPrecision(5)} ± ${(Z_BOUND * standardError).toPrecision(3)}`,
      );
    }
  };
  const { variance, fourthMoment, zeroMass } = expected;
  const tailMass = expected.tail(tailAt);
  check("mean", sum / n, 0, Math.sqrt(variance / n));
  // The mean is known (0), so the mean of squares estimates the variance; its own variance is
  // (E[X^4] − Var²)/n.
  check("variance", squares / n, variance, Math.sqrt((fourthMoment - variance ** 2) / n));
  check("P[X = 0]", zeros / n, zeroMass, Math.sqrt((zeroMass * (1 - zeroMass)) / n));
  check(`P[|X| >= ${tailAt}]`, tail / n, tailMass, Math.sqrt((tailMass * (1 - tailMass)) / n));
  return failures;
}
