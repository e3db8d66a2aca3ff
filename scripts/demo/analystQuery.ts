/**
 * The question the demo's analyst buys an answer to, instead of a copy of the resumes: how many
 * engineers, and their mean years of experience, per education level, at ε = 0.5 (split evenly
 * between the count and the mean). Education is a categorical field of
 * lib/custodian/schemas/resume.schema.json, so its groups are public (the schema's enum).
 */

/** The query document the analyst uploads (docs/queries.md). */
export const ANALYST_QUERY = {
  version: 1,
  epsilon: "0.5",
  groupBy: [{ field: "education" }],
  aggregates: [
    { kind: "count" },
    { kind: "mean", field: "yearsOfExperience", lo: 0, hi: 30, as: "mean_years" },
  ],
} as const;
