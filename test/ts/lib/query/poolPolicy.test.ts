import { expect } from "chai";
import { readFileSync } from "node:fs";
import {
  QUERY_POLICY_KEYWORD,
  QueryError,
  assertQuery,
  queryPolicyOf,
} from "../../../../lib/query/index.js";
import { exampleQuery, resumePolicy, resumeSchema } from "./helpers.js";

/** The resume schema as a curator publishes it for a pool selling queries. */
const schemaWithPolicy = { ...resumeSchema, [QUERY_POLICY_KEYWORD]: resumePolicy() };
const SELLS_BOTH = { products: 3, maxEpsilonPerQuery: 500_000 };

describe("queryPolicyOf: the policy inside the pool's record schema", () => {
  it("reads the policy from the schema's extension keyword, with the on-chain ε cap", () => {
    const policy = queryPolicyOf(schemaWithPolicy, SELLS_BOTH);
    expect(policy.minNoisyCount).to.equal(resumePolicy().minNoisyCount);
    // The document says 1; the chain says 0.5 and wins.
    expect(policy.maxEpsilon).to.equal("0.5");
    const checked = assertQuery({
      query: exampleQuery,
      recordSchema: schemaWithPolicy,
      policy,
    });
    expect(checked.epsilon).to.equal(500_000n);
  });

  it("refuses a query above the chain's per-query maximum even if the document allows it", () => {
    const policy = queryPolicyOf(schemaWithPolicy, { products: 2, maxEpsilonPerQuery: 100_000n });
    expect(() =>
      assertQuery({ query: exampleQuery, recordSchema: schemaWithPolicy, policy }),
    ).to.throw(QueryError, /0\.1/);
  });

  it("refuses a pool that sells no queries, or a schema without a policy", () => {
    expect(() => queryPolicyOf(schemaWithPolicy, { products: 1, maxEpsilonPerQuery: 0 }))
      .to.throw(QueryError, "does not sell queries")
      .with.property("code", "INVALID_POLICY");
    expect(() => queryPolicyOf(resumeSchema, SELLS_BOTH))
      .to.throw(QueryError, QUERY_POLICY_KEYWORD)
      .with.property("code", "INVALID_POLICY");
    expect(() => queryPolicyOf(null, SELLS_BOTH)).to.throw(QueryError);
    expect(() =>
      queryPolicyOf({ ...resumeSchema, [QUERY_POLICY_KEYWORD]: [] }, SELLS_BOTH),
    ).to.throw(QueryError);
  });

  it("refuses an invalid policy document with a reason", () => {
    const broken = { ...resumeSchema, [QUERY_POLICY_KEYWORD]: { version: 2 } };
    expect(() => queryPolicyOf(broken, SELLS_BOTH))
      .to.throw(QueryError, "not valid")
      .with.property("code", "INVALID_POLICY");
  });

  it("accepts the schema example of docs/queries.md", () => {
    const [block] = [
      ...readFileSync("docs/queries.md", "utf8").matchAll(/```jsonc\n([\s\S]*?)```/g),
    ];
    // JSONC as Prettier writes it: trailing commas.
    const schema = JSON.parse(block![1]!.replace(/,(\s*[}\]])/g, "$1")) as Record<string, unknown>;
    const policy = queryPolicyOf(schema, SELLS_BOTH);
    expect(Object.keys(policy.fields)).to.deep.equal(["city", "yearsOfExperience"]);
  });
});
