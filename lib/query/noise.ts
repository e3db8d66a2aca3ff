/**
 * Exact samplers of the discrete Laplace and discrete Gaussian distributions, ported from
 * Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020,
 * arXiv:2004.00010), §5 "Sampling", Algorithms 1–3, and cross-checked against the authors'
 * reference implementation (Steinke's `discretegauss.py`, IBM/discrete-gaussian-differential-privacy)
 * and OpenDP's `sample_discrete_laplace` / `sample_discrete_gaussian`.
 *
 * Why a port and not a package: no maintained JavaScript package of an exact sampler exists (the
 * npm packages that add "DP noise" draw Math.random() floats through an inverse CDF, the very
 * construction Mironov's floating-point attack breaks). The algorithms are short and every step
 * is exact: all arithmetic is on BigInt rationals, and the only randomness is uniform integers
 * drawn by rejection from cryptographic random bytes. No floating point is used anywhere here.
 *
 * The paper's algorithms are written in terms of Bernoulli(p) coins and uniform draws from
 * {0, …, n−1}; each function below says which algorithm (and which of its lines) it implements.
 */
import { QueryError } from "./errors.js";

/**
 * Fills `bytes` with uniformly random bytes. The default is WebCrypto's `getRandomValues`
 * (browser and Node alike); tests pass a seeded stand-in to make runs reproducible.
 */
export type RandomBytes = (bytes: Uint8Array) => void;

/** A non-negative rational number numerator/denominator, exact (denominator > 0). */
export interface Rational {
  /** The numerator, ≥ 0. */
  numerator: bigint;
  /** The denominator, ≥ 1. */
  denominator: bigint;
}

/** WebCrypto's getRandomValues refuses more than 65,536 bytes per call. */
const WEBCRYPTO_MAX_BYTES = 65_536;
/** Bytes fetched at once: one call serves hundreds of draws (a call costs more than a draw). */
const POOL_BYTES = 4_096;

/** The default {@link RandomBytes}: WebCrypto's cryptographic generator. */
export const cryptoRandomBytes: RandomBytes = (bytes) => {
  for (let offset = 0; offset < bytes.length; offset += WEBCRYPTO_MAX_BYTES) {
    crypto.getRandomValues(bytes.subarray(offset, offset + WEBCRYPTO_MAX_BYTES));
  }
};

/** Builds the reduced rational numerator/denominator. @throws QueryError INVALID_ARGUMENT */
export function rational(numerator: bigint, denominator: bigint = 1n): Rational {
  if (denominator <= 0n || numerator < 0n) {
    throw new QueryError(
      "INVALID_ARGUMENT",
      `a noise parameter must be a non-negative rational with a positive denominator, got ${numerator}/${denominator}`,
    );
  }
  const divisor = gcd(numerator, denominator);
  return { numerator: numerator / divisor, denominator: denominator / divisor };
}

/** The rational as text: "7" or "2000000/3". */
export function formatRational(value: Rational): string {
  return value.denominator === 1n
    ? value.numerator.toString()
    : `${value.numerator}/${value.denominator}`;
}

/**
 * Uniform integers from a byte source, by rejection (no modulo bias): draw just enough random
 * bits to cover {0, …, n−1} and start again when the draw is n or more, which happens with
 * probability below 1/2, so the expected number of draws is below 2.
 */
export class UniformSampler {
  readonly #fill: RandomBytes;
  readonly #pool = new Uint8Array(POOL_BYTES);
  #offset = POOL_BYTES;

  /** @param fill - the random byte source; default {@link cryptoRandomBytes} */
  constructor(fill: RandomBytes = cryptoRandomBytes) {
    this.#fill = fill;
  }

  /** A uniformly random integer in {0, …, n−1}; the paper's "Uniform({0, …, n−1})". */
  below(n: bigint): bigint {
    if (n < 1n) throw new QueryError("INVALID_ARGUMENT", `cannot draw below ${n}`);
    if (n === 1n) return 0n;
    // Small ranges on plain integers: most draws are over denominators far below 2^31.
    if (n <= 0x7fff_ffffn) return BigInt(this.#belowSmall(Number(n)));
    const bits = bitLength(n - 1n);
    const byteCount = Math.ceil(bits / 8);
    const topMask = (1 << (bits - 8 * (byteCount - 1))) - 1;
    for (;;) {
      let draw = BigInt(this.#byte() & topMask);
      for (let index = 1; index < byteCount; index += 1) {
        draw = (draw << 8n) | BigInt(this.#byte());
      }
      if (draw < n) return draw;
    }
  }

  /** {@link below} for 2 ≤ n ≤ 2^31 − 1, on numbers. */
  #belowSmall(n: number): number {
    const bits = 32 - Math.clz32(n - 1);
    const mask = bits === 32 ? 0xffff_ffff : (1 << bits) - 1;
    const byteCount = Math.ceil(bits / 8);
    for (;;) {
      let draw = 0;
      for (let index = 0; index < byteCount; index += 1) draw = draw * 256 + this.#byte();
      draw &= mask;
      if (draw < n) return draw;
    }
  }

  #byte(): number {
    if (this.#offset === POOL_BYTES) {
      this.#fill(this.#pool);
      this.#offset = 0;
    }
    const byte = this.#pool[this.#offset]!;
    this.#offset += 1;
    return byte;
  }
}

/** Bernoulli(p) for a rational p in [0, 1]: 1 when Uniform({0, …, den−1}) < num. */
export function sampleBernoulli(p: Rational, uniform: UniformSampler): boolean {
  return uniform.below(p.denominator) < p.numerator;
}

/**
 * Bernoulli(exp(−γ)) for a rational γ ≥ 0: the paper's Algorithm 1.
 *
 * Lines 1–7 (γ ∈ [0, 1]): K ← 1; while Bernoulli(γ/K) = 1, K ← K + 1; return 1 iff K is odd.
 * (The probability that K ends odd is Σ_k (−γ)^k / k! = exp(−γ).)
 * Lines 8–12 (γ > 1): ⌊γ⌋ independent Bernoulli(exp(−1)); if any is 0 return 0; otherwise return
 * Bernoulli(exp(−(γ − ⌊γ⌋))), since exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)).
 */
export function sampleBernoulliExp(gamma: Rational, uniform: UniformSampler): boolean {
  const { numerator, denominator } = gamma;
  if (numerator <= denominator) return bernoulliExpAtMostOne(numerator, denominator, uniform);
  const whole = numerator / denominator;
  for (let step = 0n; step < whole; step += 1n) {
    if (!bernoulliExpAtMostOne(1n, 1n, uniform)) return false;
  }
  return bernoulliExpAtMostOne(numerator - whole * denominator, denominator, uniform);
}

/** Algorithm 1, lines 1–7: Bernoulli(exp(−num/den)) for 0 ≤ num/den ≤ 1. */
function bernoulliExpAtMostOne(
  numerator: bigint,
  denominator: bigint,
  uniform: UniformSampler,
): boolean {
  let k = 1n;
  // Bernoulli(γ/K) with γ/K = num / (den·K): a uniform draw below den·K compared with num.
  while (uniform.below(denominator * k) < numerator) k += 1n;
  return k % 2n === 1n;
}

/**
 * The discrete Laplace distribution Lap_Z(scale): P[x] ∝ exp(−|x| / scale) over the integers,
 * the paper's Algorithm 2 with scale = t/s (t = numerator, s = denominator).
 *
 * Lines 2–4: U ← Uniform({0, …, t−1}); D ← Bernoulli(exp(−U/t)); restart if D = 0.
 * Lines 5–8: V ← 0; while Bernoulli(exp(−1)) = 1, V ← V + 1 (V is geometric).
 * Line 9: X ← U + t·V (so X is geometric with parameter 1 − exp(−1/t)).
 * Line 10: Y ← ⌊X / s⌋ (geometric with parameter 1 − exp(−s/t)).
 * Lines 11–13: B ← Bernoulli(1/2); restart if B = 1 and Y = 0 (else 0 would be drawn twice as
 * often as it should); return (1 − 2B)·Y.
 *
 * @param scale - the scale t/s > 0; a sensitivity-Δ integer query plus Lap_Z(Δ/ε) is ε-DP
 */
export function sampleDiscreteLaplace(scale: Rational, uniform: UniformSampler): bigint {
  const t = scale.numerator;
  const s = scale.denominator;
  if (t === 0n) return 0n;
  for (;;) {
    const u = uniform.below(t);
    if (!sampleBernoulliExp({ numerator: u, denominator: t }, uniform)) continue;
    let v = 0n;
    while (sampleBernoulliExp(ONE, uniform)) v += 1n;
    const x = u + t * v;
    const y = x / s;
    const negative = uniform.below(2n) === 1n;
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/**
 * The discrete Gaussian N_Z(0, σ²): P[x] ∝ exp(−x² / (2σ²)) over the integers, the paper's
 * Algorithm 3.
 *
 * Line 1: t ← ⌊σ⌋ + 1.
 * Lines 2–5: Y ← Lap_Z(t) (Algorithm 2 with s = 1); C ← Bernoulli(exp(−(|Y| − σ²/t)² / (2σ²)))
 * (Algorithm 1); restart if C = 0; return Y.
 *
 * With σ² = n/d, the exponent (|Y| − σ²/t)² / (2σ²) is the exact rational
 * (|Y|·d·t − n)² / (2·n·d·t²).
 *
 * @param sigma2 - the variance parameter σ² (not σ) as an exact rational; 0 gives 0
 */
export function sampleDiscreteGaussian(sigma2: Rational, uniform: UniformSampler): bigint {
  const n = sigma2.numerator;
  const d = sigma2.denominator;
  if (n === 0n) return 0n;
  // ⌊σ⌋ = ⌊√⌊σ²⌋⌋, exact in integers.
  const t = integerSquareRoot(n / d) + 1n;
  const laplaceScale = { numerator: t, denominator: 1n };
  for (;;) {
    const y = sampleDiscreteLaplace(laplaceScale, uniform);
    const magnitude = y < 0n ? -y : y;
    const offset = magnitude * d * t - n;
    const gamma = rational(offset * offset, 2n * n * d * t * t);
    if (sampleBernoulliExp(gamma, uniform)) return y;
  }
}

const ONE: Rational = { numerator: 1n, denominator: 1n };

/** ⌊√x⌋ for x ≥ 0, by Newton's method on integers. */
export function integerSquareRoot(x: bigint): bigint {
  if (x < 2n) return x;
  let guess = 1n << BigInt(Math.ceil(bitLength(x) / 2));
  for (;;) {
    const next = (guess + x / guess) / 2n;
    if (next >= guess) return guess;
    guess = next;
  }
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}
