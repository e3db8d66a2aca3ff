/**
 * The question the demo's analyst buys an answer to, instead of a copy of the resumes: how many
 * engineers, and their mean years of experience, per education level, at ε = 0.5. Education is a
 * categorical field of lib/custodian/schemas/resume.schema.json, so its groups are public (the
 * schema's enum).
 *
 * The count gets 0.3 of the ε (noise of scale 1/0.3 ≈ 3.3): it decides which groups clear the
 * pool's release threshold, and it is the mean's denominator. The mean gets the other 0.2 on its
 * centred sum, with clamp bounds [0, 20] that fit the demo's data (a wider range would only add
 * noise: sensitivity is half the range, 10 years, so the sum's noise has scale 50 years, about
 * ±1.3 years on the mean of a group of 39).
 */

/** The query document the analyst uploads (docs/queries.md). */
export const ANALYST_QUERY = {
  version: 1,
  epsilon: "0.5",
  groupBy: [{ field: "education" }],
  aggregates: [
    { kind: "count", epsilon: "0.3" },
    { kind: "mean", field: "yearsOfExperience", lo: 0, hi: 20, as: "mean_years" },
  ],
} as const;
