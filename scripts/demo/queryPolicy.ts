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
 * The noisy count a group of the demo's pool needs to be released. The demo pool has 25 people:
 * at the policy's default of 20 every group of a few people would be withheld (as it should be in
 * a real pool), and the demo would show an empty table. The numbers it shows are noisy
 * accordingly: DP noise is of the order of one person's influence, which in groups of five is
 * most of the signal.
 */
export const DEMO_POOL_MIN_NOISY_COUNT = 3;

/** The query policy the demo's pool publishes: {@link demoQueryPolicy} for a pool of 25 people. */
export function demoPoolQueryPolicy(): QueryPolicy {
  return { ...demoQueryPolicy(), minNoisyCount: DEMO_POOL_MIN_NOISY_COUNT };
}
