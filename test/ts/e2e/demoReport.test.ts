import { expect } from "chai";
import type { QueryAnswer } from "../../../lib/query/index.js";
import { answerTable } from "../../../scripts/demo/report.js";

describe("demo report: the answer table", () => {
  it("shows counts as integers and every mean with one decimal, even one that lands on a whole number", () => {
    const answer = {
      groupBy: [{ field: "education" }],
      aggregates: [
        { name: "count", kind: "count" },
        { name: "mean_years", kind: "mean" },
      ],
      rows: [
        { group: { education: "secondary" }, values: { count: 41, mean_years: 8 } },
        { group: { education: "master" }, values: { count: 40, mean_years: 11.66 } },
      ],
    } as unknown as QueryAnswer;
    const text = answerTable(answer);
    expect(text).to.match(/\n {0,2}secondary +41 +8\.0(\n|$)/);
    expect(text).to.match(/\n {0,2}master +40 +11\.7(\n|$)/);
  });
});
