/**
 * The query policy of the demo's resume pool (lib/query/policy.ts): what a curator of
 * lib/custodian/schemas/resume.schema.json might publish. The city is free text in the schema, so
 * the policy lists its public values; skills may only be filtered on; salaries and experience
 * have clamp bounds no query may exceed.
 */
import type { QueryPolicy } from "../../lib/query/index.js";
import { CITIES } from "./resumes.js";

/** The demo pool's query policy. */
export function demoQueryPolicy(): QueryPolicy {
  return {
    version: 1,
    maxEpsilon: "1",
    minNoisyCount: 20,
    maxGroupBy: 2,
    fields: {
      city: { domain: [...CITIES] },
      education: {},
      skills: { groupBy: false, aggregate: false },
      yearsOfExperience: { bounds: { lo: 0, hi: 60 } },
      "salaryExpectation.amount": { bounds: { lo: 0, hi: 2_000_000 } },
      "salaryExpectation.currency": { aggregate: false },
    },
  };
}

/**
 * The noisy count a group of the demo's pool needs to be released. The demo pool's groups hold 39
 * people each (200 contributors, 195 allowing statistics, 5 education levels); the policy's
 * default of 20 would withhold a group now and then (count noise of scale 1/0.3 ≈ 3.3 has to
 * take 19 off), so the demo pool, being small, asks for 10: a group is then withheld with
 * probability about e^(−30/3.3) ≈ 10^−4, while a group of a few people still is.
 */
export const DEMO_POOL_MIN_NOISY_COUNT = 10;

/** The query policy the demo's pool publishes: {@link demoQueryPolicy} for a pool of 200 people. */
export function demoPoolQueryPolicy(): QueryPolicy {
  return { ...demoQueryPolicy(), minNoisyCount: DEMO_POOL_MIN_NOISY_COUNT };
}
