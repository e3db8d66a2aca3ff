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
