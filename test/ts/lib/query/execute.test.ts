import { expect } from "chai";
import fc from "fast-check";
import {
  answerQuery,
  answerToCsv,
  assertQuery,
  quantiles,
  type CheckedQuery,
  type QueryAnswer,
} from "../../../../lib/query/index.js";
import { measure } from "../../../../lib/query/measure.js";
import { demoResume } from "../../../../scripts/demo/resumes.js";
import { CITIES, exampleQuery, resumePolicy, resumeSchema, seededBytes } from "./helpers.js";

function checked(query: unknown, policy: unknown = resumePolicy()): CheckedQuery {
  return assertQuery({ query, recordSchema: resumeSchema, policy });
}

const withAggregates = (epsilon: string, ...aggregates: unknown[]) => ({
  version: 1,
  epsilon,
  aggregates,
});

/** Every measurement's exact vector, as plain arrays. */
async function exactVectors(records: unknown[], query: CheckedQuery) {
  return (await measure(records, query)).map((m) => ({
    name: m.aggregate.name,
    values: Array.from(m.values),
    sensitivity: Number(m.sensitivity),
  }));
}

/** Resume-like fields, mostly in the groups' ranges, sometimes wild (huge, negative, NaN, text). */
const resumeFields = {
  city: fc.oneof({ arbitrary: fc.constantFrom(...CITIES), weight: 4 }, fc.string()),
  education: fc.constantFrom("none", "secondary", "bachelor", "master", "doctorate", "phd"),
  yearsOfExperience: fc.oneof(
    { arbitrary: fc.integer({ min: -5, max: 45 }), weight: 5 },
    fc.double({ noNaN: false }),
    fc.constantFrom(1e15, -1e15),
    fc.string(),
  ),
  salaryExpectation: fc.record({
    amount: fc.oneof(
      fc.integer({ min: -1e9, max: 1e9 }),
      fc.constantFrom(1e15, -1e15, 999_999, 1_000_001),
    ),
    currency: fc.constant("CNY"),
  }),
  skills: fc.array(fc.constantFrom("Rust", "Go", "SQL")),
};

/** An arbitrary record: mostly a full resume-like object, sometimes partial, sometimes garbage. */
const arbitraryRecord = fc.oneof(
  { arbitrary: fc.record(resumeFields), weight: 6 },
  fc.record(resumeFields, { requiredKeys: [] }),
  fc.constantFrom(null, [1, 2], "text", 3),
);

const sensitivityQuery = {
  version: 1,
  epsilon: "1",
  groupBy: [{ field: "city" }, { field: "yearsOfExperience", buckets: [0, 5, 10, 20, 40] }],
  aggregates: [
    { kind: "count" },
    { kind: "sum", field: "salaryExpectation.amount", lo: 0, hi: 1_000_000 },
    { kind: "mean", field: "yearsOfExperience", lo: 0, hi: 41 },
    { kind: "histogram", field: "education" },
    { kind: "quantile", field: "yearsOfExperience", q: [0.5], buckets: [0, 10, 20, 40] },
  ],
};

describe("lib/query: answering with differential privacy", () => {
  describe("sensitivity and clamping", () => {
    it("declares the sensitivity of each aggregate: 1, max(|lo|,|hi|), ⌈(hi−lo)/2⌉, 1, 1", async () => {
      const vectors = await exactVectors([], checked(sensitivityQuery));
      expect(vectors.map((v) => [v.name, v.sensitivity])).to.deep.equal([
        ["count", 1],
        ["sum_salaryExpectation_amount", 1_000_000],
        ["mean_yearsOfExperience", 21],
        ["histogram_education", 1],
        ["quantile_yearsOfExperience", 1],
      ]);
    });

    it("adding any one record moves each exact vector by at most its sensitivity in L1 (fast-check)", async () => {
      const query = checked(sensitivityQuery);
      await fc.assert(
        fc.asyncProperty(
          fc.array(arbitraryRecord, { maxLength: 30 }),
          arbitraryRecord,
          async (records, extra) => {
            const before = await exactVectors(records, query);
            const after = await exactVectors([...records, extra], query);
            for (const [index, vector] of after.entries()) {
              const distance = vector.values.reduce(
                (sum, value, at) => sum + Math.abs(value - before[index]!.values[at]!),
                0,
              );
              expect(distance, vector.name).to.be.at.most(vector.sensitivity);
            }
          },
        ),
        { numRuns: 200 },
      );
    });

    it("clamps: a record with a huge value changes a sum by at most the clamp bound", async () => {
      const query = checked(
        withAggregates("1", { kind: "sum", field: "salaryExpectation.amount", lo: 0, hi: 500_000 }),
      );
      const records = Array.from({ length: 50 }, (_, i) => demoResume(i));
      const huge = { ...demoResume(99), salaryExpectation: { amount: 1e15, currency: "CNY" } };
      const negative = { ...demoResume(98), salaryExpectation: { amount: -1e15, currency: "CNY" } };
      const [, sum] = await exactVectors(records, query);
      const [, withHuge] = await exactVectors([...records, huge], query);
      const [, withNegative] = await exactVectors([...records, negative], query);
      expect(withHuge!.values[0]! - sum!.values[0]!).to.equal(500_000);
      expect(withNegative!.values[0]! - sum!.values[0]!).to.equal(0);
    });

    it("calibrates the noise: scale = sensitivity / ε, exactly, in the published answer", async () => {
      const query = checked({ ...sensitivityQuery, epsilon: "0.3" });
      const { answer } = await answerQuery({ records: [], query });
      expect(answer.aggregates.map((a) => [a.name, a.noise.epsilon, a.noise.scale])).to.deep.equal([
        ["count", "0.06", "50/3"],
        ["sum_salaryExpectation_amount", "0.06", "50000000/3"],
        ["mean_yearsOfExperience", "0.06", "350"],
        ["histogram_education", "0.06", "50/3"],
        ["quantile_yearsOfExperience", "0.06", "50/3"],
      ]);
      expect(answer.epsilon).to.equal("0.3");
      expect(answer.epsilonMicro).to.equal("300000");
    });

    it("noise is centred on the exact value: mean of many noisy answers ≈ exact count and mean", async () => {
      const records = Array.from({ length: 400 }, (_, i) => demoResume(i));
      const query = checked(
        withAggregates(
          "1",
          { kind: "count" },
          { kind: "mean", field: "yearsOfExperience", lo: 0, hi: 40 },
        ),
        resumePolicy({ minNoisyCount: 0 }),
      );
      const exactMean = records.reduce((sum, r) => sum + r.yearsOfExperience, 0) / records.length;
      const runs = 300;
      let counts = 0;
      let means = 0;
      for (let run = 0; run < runs; run += 1) {
        const { answer } = await answerQuery({ records, query });
        counts += answer.rows[0]!.values.count as number;
        means += answer.rows[0]!.values.mean_yearsOfExperience as number;
      }
      // Count noise Lap(2): sd ≈ 2.8 per run, so the average over 300 runs is within ±1 easily.
      // Plain comparisons: the ethers chai matchers, loaded in the full suite, make closeTo
      // integer-only.
      expect(Math.abs(counts / runs - 400)).to.be.below(1);
      expect(Math.abs(means / runs - exactMean)).to.be.below(0.2);
    });
  });

  describe("groups and thresholds", () => {
    it("never releases a group whose noisy count is below the threshold, nor a group outside the declared domain (fast-check)", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(arbitraryRecord, { maxLength: 60 }),
          fc.integer({ min: 0, max: 30 }),
          fc.constantFrom("0.05", "0.5", "1"),
          fc.integer(),
          async (records, threshold, epsilon, seed) => {
            const query = checked(
              { ...sensitivityQuery, epsilon },
              resumePolicy({ minNoisyCount: threshold }),
            );
            const { answer } = await answerQuery({ records, query, random: seededBytes(seed) });
            for (const row of answer.rows) {
              expect(row.values.count as number).to.be.at.least(threshold);
              expect(CITIES).to.include(row.group.city);
              expect(answer.groupBy[1]!.groups).to.include(row.group.yearsOfExperience);
            }
            expect(answer.rows.length + answer.withheldGroups).to.equal(query.cells);
          },
        ),
        { numRuns: 150 },
      );
    });

    it("thresholds on the noisy count, not the exact one: a group just below is sometimes released, one just above sometimes withheld", async () => {
      const query = checked(
        withAggregates("0.1", { kind: "count" }),
        resumePolicy({ minNoisyCount: 20 }),
      );
      const outcomes = async (size: number) => {
        const records = Array.from({ length: size }, (_, i) => demoResume(i));
        const released = new Set<boolean>();
        for (let run = 0; run < 200; run += 1) {
          released.add((await answerQuery({ records, query })).answer.rows.length === 1);
        }
        return released;
      };
      // Lap(10) noise: each outcome has probability about 0.45 per run, so both show in 200 runs.
      expect([...(await outcomes(19))].sort()).to.deep.equal([false, true]);
      expect([...(await outcomes(21))].sort()).to.deep.equal([false, true]);
    });

    it("an empty group stays withheld when the noise is small next to the threshold", async () => {
      const records = Array.from({ length: 700 }, (_, i) => demoResume(i)).filter(
        (r) => r.city !== "Wuhan",
      );
      // Count noise Lap(1): reaching 20 from 0 has probability about e^-20 per run.
      const query = checked(
        { version: 1, epsilon: "1", groupBy: [{ field: "city" }], aggregates: [{ kind: "count" }] },
        resumePolicy({ minNoisyCount: 20 }),
      );
      for (let run = 0; run < 20; run += 1) {
        const { answer } = await answerQuery({ records, query });
        expect(answer.rows.map((row) => row.group.city)).to.not.include("Wuhan");
      }
    });
  });

  describe("the answer", () => {
    it("answers the example over the demo's resumes, without the exact record count", async () => {
      const records = Array.from({ length: 1000 }, (_, i) => demoResume(i));
      const { answer, csv } = await answerQuery({
        records,
        query: checked(exampleQuery),
        epsilon: "0.5",
      });
      expect(answer).to.include({
        format: "databank-query-answer",
        epsilon: "0.5",
        minNoisyCount: 20,
      });
      expect(answer.rows).to.have.length(CITIES.length);
      for (const row of answer.rows) {
        expect(row.values.mean_yearsOfExperience).to.be.within(0, 40);
        expect((row.values.median_years as Record<string, number>)["0.5"]).to.be.within(0, 40);
      }
      expect(JSON.stringify(answer)).to.not.match(/"records"|"recordCount"/);
      expect(csv.split("\r\n")[0]).to.equal("city,count,mean_yearsOfExperience,median_years[0.5]");
      expect(csv.split("\r\n")).to.have.length(CITIES.length + 2);
    });

    it("reads async iterables (a custodian streaming decrypted records)", async () => {
      async function* stream() {
        for (let i = 0; i < 300; i += 1) yield demoResume(i);
      }
      const query = checked(
        withAggregates("1", { kind: "count" }),
        resumePolicy({ minNoisyCount: 0 }),
      );
      const { answer } = await answerQuery({ records: stream(), query, random: seededBytes(1) });
      expect(answer.rows[0]!.values.count).to.be.within(250, 350);
    });

    it("refuses to spend more ε than paid for, and anything but a checked query", async () => {
      const query = checked(exampleQuery);
      await expectRejected(
        answerQuery({ records: [], query, epsilon: "0.4" }),
        /spends ε = 0.5, more than the 0.4 paid for/,
      );
      await expectRejected(answerQuery({ records: [], query, epsilon: 499_999n }), /more than/);
      await expectRejected(
        answerQuery({ records: [], query: exampleQuery as unknown as CheckedQuery }),
        /as checkQuery returns it/,
      );
      await answerQuery({ records: [], query, epsilon: 500_000n });
    });

    it("renders CSV: group columns, one column per bin or level, quoting, empty for underivable", () => {
      const answer = {
        groupBy: [{ field: "city", groups: ["Paris, France", "Lyon"] }],
        aggregates: [
          { name: "count", kind: "count" },
          { name: "mean_x", kind: "mean" },
          { name: "h", kind: "histogram", bins: ["a", 'b "quoted"'] },
          { name: "med", kind: "quantile", bins: ["[0, 1)", "[1, 2]"], q: [0.25, 0.5] },
        ],
        rows: [
          {
            group: { city: "Paris, France" },
            values: {
              count: 3,
              mean_x: null,
              h: { a: -1, 'b "quoted"': 4 },
              med: { "0.25": 0.5, "0.5": 1 / 3 },
            },
          },
        ],
      } as unknown as QueryAnswer;
      expect(answerToCsv(answer)).to.equal(
        'city,count,mean_x,h[a],"h[b ""quoted""]",med[0.25],med[0.5]\r\n' +
          '"Paris, France",3,,-1,4,0.5,0.333333333333\r\n',
      );
    });

    it("reads quantiles off a histogram: negative bins as empty, linear within the bin", () => {
      const edges = [0, 10, 20, 30];
      expect(quantiles([10, 10, 0], edges, [0.5, 0.25, 0.75])).to.deep.equal({
        "0.5": 10,
        "0.25": 5,
        "0.75": 15,
      });
      expect(quantiles([-4, 10, 10], edges, [0.5])).to.deep.equal({ "0.5": 20 });
      expect(quantiles([-1, 0, -3], edges, [0.5])).to.deep.equal({ "0.5": null });
    });
  });
});

async function expectRejected(promise: Promise<unknown>, message: RegExp) {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).message).to.match(message);
    return;
  }
  expect.fail("expected a rejection");
}
