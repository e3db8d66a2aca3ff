import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import {
  EPSILON_UNIT,
  checkQuery,
  assertQuery,
  formatEpsilon,
  parseEpsilon,
  queryJsonSchema,
  queryPolicyJsonSchema,
  type CheckQueryParams,
  type QueryErrorCode,
} from "../../../../lib/query/index.js";
import { CITIES, exampleQuery, resumePolicy, resumeSchema } from "./helpers.js";

function check(query: unknown, overrides: Partial<CheckQueryParams> = {}) {
  return checkQuery({ query, recordSchema: resumeSchema, policy: resumePolicy(), ...overrides });
}

/** Asserts the query is refused with `code`, a message matching `message` and, when given, `path`. */
function expectRefused(
  query: unknown,
  code: QueryErrorCode,
  message: RegExp,
  overrides: Partial<CheckQueryParams> = {},
  path?: string,
) {
  const result = check(query, overrides);
  if (result.ok) expect.fail(`expected ${code}, the query passed`);
  expect(result.error.code, result.error.message).to.equal(code);
  expect(result.error.message).to.match(message);
  if (path !== undefined) expect(result.error.path).to.equal(path);
}

const withAggregates = (...aggregates: unknown[]) => ({ version: 1, epsilon: "0.5", aggregates });

describe("lib/query: query format and validation", () => {
  it("the committed JSON Schemas agree with the code, and accept the example query", () => {
    const committed = JSON.parse(readFileSync("docs/schemas/query.schema.json", "utf8"));
    expect(committed, "run npm run schemas").to.deep.equal(queryJsonSchema());
    const policySchema = JSON.parse(readFileSync("docs/schemas/query-policy.schema.json", "utf8"));
    expect(policySchema, "run npm run schemas").to.deep.equal(queryPolicyJsonSchema());
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(committed);
    expect(validate(exampleQuery), JSON.stringify(validate.errors)).to.equal(true);
    expect(validate({ ...exampleQuery, limit: 3 })).to.equal(false);
    expect(ajv.validate(policySchema, resumePolicy()), JSON.stringify(ajv.errors)).to.equal(true);
  });

  it("normalizes the example: count first, ε split exactly, groups from the policy's domain", () => {
    const checked = assertQuery({
      query: exampleQuery,
      recordSchema: resumeSchema,
      policy: resumePolicy(),
    });
    expect(checked.epsilon).to.equal(500_000n);
    expect(checked.aggregates.map((a) => [a.name, a.epsilon])).to.deep.equal([
      ["count", 100_000n],
      ["mean_yearsOfExperience", 200_000n],
      ["median_years", 200_000n],
    ]);
    expect(checked.groupBy[0]).to.include({ kind: "values", field: "city" });
    expect(checked.groupBy[0]!.labels).to.deep.equal(CITIES);
    expect(checked.cells).to.equal(CITIES.length);
    expect(checked.minNoisyCount).to.equal(20);
  });

  it("adds a count when the query has none (it decides which groups are released)", () => {
    const checked = assertQuery({
      query: withAggregates({ kind: "sum", field: "yearsOfExperience", lo: 0, hi: 40 }),
      recordSchema: resumeSchema,
      policy: resumePolicy(),
    });
    expect(checked.aggregates[0]).to.deep.include({
      kind: "count",
      implicit: true,
      epsilon: 250_000n,
    });
  });

  it("splits ε evenly in whole micro-ε, the remainder to the first, adding up exactly", () => {
    const checked = assertQuery({
      query: withAggregates(
        { kind: "count" },
        { kind: "histogram", field: "education" },
        { kind: "mean", field: "yearsOfExperience", lo: 0, hi: 40 },
      ),
      recordSchema: resumeSchema,
      policy: resumePolicy(),
      epsilon: "1",
    });
    expect(checked.aggregates.map((a) => a.epsilon)).to.deep.equal([333_334n, 333_333n, 333_333n]);
    expect(checked.epsilon).to.equal(EPSILON_UNIT);
  });

  it("takes ε from the caller over the query's, as bigint micro-ε or a decimal string", () => {
    const query = withAggregates({ kind: "count" });
    expect(
      assertQuery({ query, recordSchema: resumeSchema, policy: resumePolicy(), epsilon: 250_000n })
        .epsilon,
    ).to.equal(250_000n);
    expect(
      assertQuery({
        query,
        recordSchema: resumeSchema,
        policy: resumePolicy(),
        epsilon: "0.000125",
      }).epsilon,
    ).to.equal(125n);
  });

  it("spends only the given shares when every aggregate has one", () => {
    const checked = assertQuery({
      query: withAggregates(
        { kind: "count", epsilon: "0.1" },
        { kind: "histogram", field: "education", epsilon: "0.2" },
      ),
      recordSchema: resumeSchema,
      policy: resumePolicy(),
    });
    expect(checked.epsilon).to.equal(300_000n);
  });

  it("parses and formats ε exactly", () => {
    expect(parseEpsilon("0.1") + parseEpsilon("0.2")).to.equal(parseEpsilon("0.3"));
    expect(parseEpsilon("12.000001")).to.equal(12_000_001n);
    expect(formatEpsilon(500_000n)).to.equal("0.5");
    expect(formatEpsilon(3_000_000n)).to.equal("3");
    for (const bad of ["0", "-1", "0.0000001", "1e-3", ".5", "abc"]) {
      expect(() => parseEpsilon(bad), bad).to.throw(/ε/);
    }
    expect(() => parseEpsilon(0n)).to.throw(/more than 0/);
  });

  describe("refuses, saying what to fix", () => {
    it("a document that is not a query", () => {
      expectRefused(
        { ...exampleQuery, aggregate: [] },
        "INVALID_QUERY",
        /not a valid query document/,
      );
      expectRefused({ ...exampleQuery, version: 2 }, "INVALID_QUERY", /version/);
      expectRefused(withAggregates(), "INVALID_QUERY", /aggregates/);
      expectRefused(
        { ...exampleQuery, groupBy: [{ field: "a" }, { field: "b" }, { field: "c" }] },
        "INVALID_QUERY",
        /groupBy/,
      );
      expectRefused(
        withAggregates({ kind: "median", field: "yearsOfExperience" }),
        "INVALID_QUERY",
        /aggregates\.0/,
      );
    });

    it("an invalid policy", () => {
      expectRefused(exampleQuery, "INVALID_POLICY", /minNoisyCount/, {
        policy: { ...resumePolicy(), minNoisyCount: -1 },
      });
      expectRefused(exampleQuery, "INVALID_POLICY", /lo must be below hi/, {
        policy: resumePolicy({ fields: { yearsOfExperience: { bounds: { lo: 5, hi: 5 } } } }),
      });
    });

    it("a field the records do not have, or the policy does not open", () => {
      expectRefused(
        withAggregates({ kind: "sum", field: "age", lo: 0, hi: 100 }),
        "UNKNOWN_FIELD",
        /no field "age"/,
        {},
        "aggregates.0.field",
      );
      expectRefused(
        { ...exampleQuery, filters: [{ field: "title", op: "eq", value: "Data engineer" }] },
        "FIELD_NOT_ALLOWED",
        /does not let queries use "title"; it allows "city"/,
      );
      expectRefused(
        { ...exampleQuery, groupBy: [{ field: "skills" }] },
        "FIELD_NOT_ALLOWED",
        /group by or histogram "skills"/,
      );
    });

    it("a field of the wrong type for the operation", () => {
      expectRefused(
        withAggregates({ kind: "mean", field: "city", lo: 0, hi: 1 }),
        "WRONG_FIELD_TYPE",
        /numeric field, and "city" is categorical/,
      );
      expectRefused(
        { ...exampleQuery, filters: [{ field: "city", op: "range", min: 1 }] },
        "WRONG_FIELD_TYPE",
        /range filter needs a numeric field/,
      );
      expectRefused(
        { ...exampleQuery, filters: [{ field: "education", op: "eq", value: "phd" }] },
        "WRONG_FIELD_TYPE",
        /"phd" is not a value of "education"/,
      );
      expectRefused(
        { ...exampleQuery, filters: [{ field: "yearsOfExperience", op: "contains", value: 3 }] },
        "WRONG_FIELD_TYPE",
        /"contains" needs an array field/,
      );
    });

    it("grouping by free text with no declared values (its groups would come from the data)", () => {
      const policy = resumePolicy({ fields: { ...resumePolicy().fields, city: {} } });
      expectRefused(
        exampleQuery,
        "NO_PUBLIC_DOMAIN",
        /must list its values/,
        { policy },
        "groupBy.0.field",
      );
    });

    it("too many groups", () => {
      const twoFields = { ...exampleQuery, groupBy: [{ field: "city" }, { field: "education" }] };
      expectRefused(twoFields, "TOO_MANY_GROUPS", /at most 1 group-by/, {
        policy: resumePolicy({ maxGroupBy: 1 }),
      });
      expectRefused(twoFields, "TOO_MANY_GROUPS", /makes 35 groups .* at most 30/, {
        policy: resumePolicy({ maxCells: 30 }),
      });
      expectRefused(
        { ...exampleQuery, groupBy: [{ field: "city" }, { field: "city" }] },
        "INVALID_QUERY",
        /twice/,
      );
    });

    it("aggregates the policy does not allow, or a second count", () => {
      expectRefused(
        exampleQuery,
        "AGGREGATE_NOT_ALLOWED",
        /does not allow "quantile" aggregates; it allows count, mean/,
        {
          policy: resumePolicy({ aggregates: ["count", "mean"] }),
        },
      );
      expectRefused(
        withAggregates({ kind: "count" }, { kind: "count", as: "again" }),
        "AGGREGATE_NOT_ALLOWED",
        /at most one count/,
      );
      expectRefused(exampleQuery, "AGGREGATE_NOT_ALLOWED", /at most 2 aggregates/, {
        policy: resumePolicy({ maxAggregates: 2 }),
      });
    });

    it("clamp bounds reversed, outside the policy's, or finer than the field's decimals", () => {
      const mean = (lo: number, hi: number) =>
        withAggregates({ kind: "mean", field: "yearsOfExperience", lo, hi });
      expectRefused(mean(10, 5), "BAD_BOUNDS", /lo below hi/);
      expectRefused(
        mean(0, 100),
        "BAD_BOUNDS",
        /within \[0, 60\]; the query has \[0, 100\]/,
        {},
        "aggregates.0",
      );
      expectRefused(mean(0, 40.5), "BAD_BOUNDS", /at most 0 decimal/);
      const policy = resumePolicy({ fields: { yearsOfExperience: { decimals: 1 } } });
      expect(check(mean(0, 40.5), { policy }).ok).to.equal(true);
    });

    it("bad buckets and quantile levels", () => {
      expectRefused(
        withAggregates({ kind: "histogram", field: "yearsOfExperience", buckets: [0, 10, 10, 20] }),
        "BAD_BUCKETS",
        /strictly increasing; 10 follows 10/,
      );
      expectRefused(
        { ...exampleQuery, groupBy: [{ field: "yearsOfExperience" }] },
        "BAD_BUCKETS",
        /give its bucket edges/,
      );
      expectRefused(
        { ...exampleQuery, groupBy: [{ field: "city", buckets: [0, 1] }] },
        "BAD_BUCKETS",
        /leave out "buckets"/,
      );
      expectRefused(
        withAggregates({ kind: "quantile", field: "yearsOfExperience", q: [1], buckets: [0, 60] }),
        "BAD_BUCKETS",
        /strictly between 0 and 1/,
      );
    });

    it("two aggregates with the same name", () => {
      expectRefused(
        withAggregates(
          { kind: "histogram", field: "education" },
          { kind: "histogram", field: "education" },
        ),
        "DUPLICATE_NAME",
        /named "histogram_education": give one of them another name with "as"/,
      );
    });

    it("no ε, ε above the pool's maximum, or shares that do not fit", () => {
      const { epsilon: _, ...noEpsilon } = exampleQuery;
      expectRefused(noEpsilon, "BAD_EPSILON", /add "epsilon"/);
      expectRefused(
        exampleQuery,
        "BAD_EPSILON",
        /ε = 2, more than the pool's maximum of 1 per query/,
        { epsilon: "2" },
      );
      expectRefused(exampleQuery, "BAD_EPSILON", /at most 6 decimals/, { epsilon: "0.0000001" });
      expectRefused(
        withAggregates(
          { kind: "count", epsilon: "0.4" },
          { kind: "histogram", field: "education", epsilon: "0.2" },
        ),
        "EPSILON_SPLIT",
        /add up to 0.6, more than the query's ε of 0.5/,
      );
      expectRefused(
        withAggregates({ kind: "histogram", field: "education", epsilon: "0.5" }),
        "EPSILON_SPLIT",
        /including the count added to decide which groups to release/,
      );
    });
  });
});

describe("lib/query: docs/queries.md", () => {
  it("its example query passes its example policy, and the answer example names the same aggregates", () => {
    const blocks = [
      ...readFileSync("docs/queries.md", "utf8").matchAll(/```json\n([\s\S]*?)```/g),
    ].map((match) => JSON.parse(match[1]!) as Record<string, unknown>);
    const [query, policy, answer] = blocks;
    const result = checkQuery({ query, recordSchema: resumeSchema, policy });
    expect(result.ok, result.ok ? "" : result.error.message).to.equal(true);
    if (!result.ok) return;
    expect((answer!.aggregates as { name: string }[]).map((a) => a.name)).to.deep.equal(
      result.query.aggregates.map((a) => a.name),
    );
    expect(query).to.deep.equal(exampleQuery);
  });
});
