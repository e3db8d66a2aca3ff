import { expect } from "chai";
import {
  QueryError,
  UniformSampler,
  integerSquareRoot,
  rational,
  sampleBernoulliExp,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  type Rational,
} from "../../../../lib/query/index.js";
import { momentFailures, momentsOf, seededBytes, Z_BOUND } from "./helpers.js";

/** Samples per distribution: the 5-standard-error bounds are then a few percent wide. */
const SAMPLES = 20_000;

function draw(count: number, sample: () => bigint): number[] {
  return Array.from({ length: count }, () => Number(sample()));
}

/** Exact moments of Lap_Z(t): P[x] ∝ exp(−|x|/t). */
function laplaceMoments(t: number) {
  return momentsOf((x) => Math.exp(-x / t), Math.ceil(60 * t));
}

/** Exact moments of N_Z(0, σ²): P[x] ∝ exp(−x²/(2σ²)). */
function gaussianMoments(sigma2: number) {
  return momentsOf(
    (x) => Math.exp(-(x * x) / (2 * sigma2)),
    Math.ceil(40 * Math.sqrt(sigma2)) + 10,
  );
}

/**
 * A deliberately broken discrete Laplace: Algorithm 2 without its "restart when B = 1 and Y = 0"
 * line, so 0 comes out about twice as often as it should (a classic porting slip).
 */
function brokenLaplaceNoZeroRejection(scale: Rational, uniform: UniformSampler): bigint {
  const t = scale.numerator;
  for (;;) {
    const u = uniform.below(t);
    if (!sampleBernoulliExp({ numerator: u, denominator: t }, uniform)) continue;
    let v = 0n;
    while (sampleBernoulliExp({ numerator: 1n, denominator: 1n }, uniform)) v += 1n;
    const y = (u + t * v) / scale.denominator;
    return uniform.below(2n) === 1n ? -y : y;
  }
}

describe("lib/query: exact noise samplers (Canonne, Kamath and Steinke 2020)", () => {
  describe("uniform integers by rejection", () => {
    it("stays in range and is unbiased where a modulo reduction is biased (chi-square)", () => {
      const n = 200;
      const draws = 100_000;
      const uniform = new UniformSampler();
      const fair = new Array<number>(n).fill(0);
      for (let i = 0; i < draws; i += 1) {
        const value = Number(uniform.below(BigInt(n)));
        expect(value).to.be.within(0, n - 1);
        fair[value]! += 1;
      }
      // The mistake rejection avoids: a random byte mod 200 makes 0–55 twice as likely.
      const byte = new Uint8Array(1);
      const biased = new Array<number>(n).fill(0);
      for (let i = 0; i < draws; i += 1) {
        crypto.getRandomValues(byte);
        biased[byte[0]! % n]! += 1;
      }
      const chiSquare = (counts: number[]) =>
        counts.reduce((sum, count) => sum + (count - draws / n) ** 2 / (draws / n), 0);
      // 199 degrees of freedom: mean 199, standard deviation ~20; 330 is beyond 6.5 of them.
      expect(chiSquare(fair)).to.be.below(330);
      expect(chiSquare(biased)).to.be.above(330);
    });

    it("draws below ranges wider than 2^31 (the BigInt path), uniformly in the top bit", () => {
      const uniform = new UniformSampler();
      const n = 3n * 2n ** 40n;
      let upperHalf = 0;
      for (let i = 0; i < 4_000; i += 1) {
        const value = uniform.below(n);
        expect(value >= 0n && value < n).to.equal(true);
        if (value >= n / 2n) upperHalf += 1;
      }
      expect(Math.abs(upperHalf - 2_000)).to.be.below(Z_BOUND * Math.sqrt(1_000));
    });

    it("refuses an empty range and malformed rationals", () => {
      expect(() => new UniformSampler().below(0n)).to.throw(QueryError);
      expect(() => rational(1n, 0n)).to.throw(QueryError, /positive denominator/);
      expect(() => rational(-1n, 2n)).to.throw(QueryError);
      expect(rational(10n, 4n)).to.deep.equal({ numerator: 5n, denominator: 2n });
    });

    it("computes integer square roots exactly", () => {
      for (const x of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, 10n ** 30n, 10n ** 30n - 1n]) {
        const root = integerSquareRoot(x);
        expect(root * root <= x && (root + 1n) * (root + 1n) > x, String(x)).to.equal(true);
      }
    });
  });

  describe("Bernoulli(exp(−γ)) (Algorithm 1)", () => {
    for (const [numerator, denominator] of [
      [1n, 3n],
      [1n, 1n],
      [5n, 2n],
    ] as const) {
      it(`has mean exp(−${numerator}/${denominator})`, () => {
        const uniform = new UniformSampler();
        const p = Math.exp(-Number(numerator) / Number(denominator));
        let ones = 0;
        for (let i = 0; i < SAMPLES; i += 1) {
          if (sampleBernoulliExp({ numerator, denominator }, uniform)) ones += 1;
        }
        const standardError = Math.sqrt((p * (1 - p)) / SAMPLES);
        expect(Math.abs(ones / SAMPLES - p)).to.be.below(Z_BOUND * standardError);
      });
    }
  });

  describe("discrete Laplace (Algorithm 2)", () => {
    for (const [numerator, denominator] of [
      [3n, 1n],
      [10n, 3n],
    ] as const) {
      const t = Number(numerator) / Number(denominator);
      it(`Lap_Z(${numerator}/${denominator}): mean, variance, P[0] and tail mass match`, () => {
        const uniform = new UniformSampler();
        const samples = draw(SAMPLES, () =>
          sampleDiscreteLaplace(rational(numerator, denominator), uniform),
        );
        expect(momentFailures(samples, laplaceMoments(t), Math.ceil(2 * t))).to.deep.equal([]);
      });
    }

    it("keeps its variance at a sum's scale (10^10: uniform draws past 2^31)", () => {
      const uniform = new UniformSampler();
      const t = 10 ** 10;
      const samples = draw(4_000, () => sampleDiscreteLaplace(rational(BigInt(t)), uniform)).map(
        (x) => x / t,
      );
      // Lap(t)/t is close to the continuous Laplace(1): variance 2, E[X^4] = 24.
      const meanSquare = samples.reduce((sum, x) => sum + x * x, 0) / samples.length;
      expect(Math.abs(meanSquare - 2)).to.be.below(Z_BOUND * Math.sqrt((24 - 4) / samples.length));
    });

    it("the same checks catch a sampler that skips the negative-zero rejection", () => {
      const uniform = new UniformSampler();
      const samples = draw(SAMPLES, () => brokenLaplaceNoZeroRejection(rational(3n), uniform));
      const failures = momentFailures(samples, laplaceMoments(3), 6);
      expect(failures.join("; ")).to.match(/P\[X = 0\]/);
    });

    it("the same checks catch a sampler at the wrong scale (3.6 for 3)", () => {
      const uniform = new UniformSampler();
      const samples = draw(SAMPLES, () => sampleDiscreteLaplace(rational(18n, 5n), uniform));
      const failures = momentFailures(samples, laplaceMoments(3), 6);
      expect(failures.join("; ")).to.match(/variance/);
    });

    it("is reproducible from a seeded byte source, and returns 0 at scale 0", () => {
      const run = () => {
        const uniform = new UniformSampler(seededBytes(42));
        return draw(50, () => sampleDiscreteLaplace(rational(7n, 2n), uniform));
      };
      expect(run()).to.deep.equal(run());
      expect(sampleDiscreteLaplace(rational(0n), new UniformSampler())).to.equal(0n);
    });
  });

  describe("discrete Gaussian (Algorithm 3)", () => {
    for (const [numerator, denominator] of [
      [4n, 1n],
      [7n, 2n],
      [1n, 4n],
    ] as const) {
      const sigma2 = Number(numerator) / Number(denominator);
      it(`N_Z(0, ${numerator}/${denominator}): mean, variance, P[0] and tail mass match`, () => {
        const uniform = new UniformSampler();
        const samples = draw(SAMPLES, () =>
          sampleDiscreteGaussian(rational(numerator, denominator), uniform),
        );
        const tailAt = Math.max(1, Math.ceil(2 * Math.sqrt(sigma2)));
        expect(momentFailures(samples, gaussianMoments(sigma2), tailAt)).to.deep.equal([]);
      });
    }

    it("the same checks catch a sampler that skips the rejection step (returns the Laplace proposal)", () => {
      const uniform = new UniformSampler();
      // Algorithm 3 without its Bernoulli(exp(−(|Y| − σ²/t)²/2σ²)) acceptance: Lap_Z(⌊σ⌋ + 1).
      const samples = draw(SAMPLES, () => sampleDiscreteLaplace(rational(3n), uniform));
      const failures = momentFailures(samples, gaussianMoments(4), 4);
      expect(failures.join("; ")).to.match(/variance/);
    });

    it("the same checks catch a Gaussian of the wrong variance (σ² = 5 for 4)", () => {
      const uniform = new UniformSampler();
      const samples = draw(SAMPLES, () => sampleDiscreteGaussian(rational(5n), uniform));
      expect(momentFailures(samples, gaussianMoments(4), 4).join("; ")).to.match(/variance/);
    });
  });
});
