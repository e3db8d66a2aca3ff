import { expect } from "chai";
import { benchQueryE2e } from "../../../scripts/bench/queryE2e.js";

describe("scripts/bench/queryE2e: the query end-to-end benchmark, at a small size", function () {
  this.timeout(180_000);

  it("buys, answers (over every record) and opens a first and a next query, reporting each phase", async () => {
    // benchQueryE2e throws unless each answer was computed over all 30 records and opened.
    const rows = await benchQueryE2e({ counts: [30] });
    const operations = rows.map((row) => row.operation);
    expect(operations[0]).to.equal("setup (seal + store + submit/accept + keys kept)");
    for (const query of ["first query", "next query"]) {
      for (const what of [
        "purchase (query uploaded, purchaseQuery mined)",
        "paid -> fulfilled (worker: open, compute, seal, fulfil)",
        "fulfilled -> answer decrypted (buyer)",
        "purchase -> answer decrypted (end to end)",
        "JS heap peak (above query start)",
        "RSS peak (process, incl. chain)",
      ]) {
        expect(operations).to.include(`${query}: ${what}`);
      }
    }
    expect(rows).to.have.length(13);
    expect(rows.every((row) => row.size === "30 records" && Number.isFinite(row.value))).to.equal(
      true,
    );
    const seconds = (operation: string) => rows.find((row) => row.operation === operation)!.value;
    for (const query of ["first query", "next query"]) {
      // The phases add up to the total (each rounded to 10 ms).
      const phases =
        seconds(`${query}: purchase (query uploaded, purchaseQuery mined)`) +
        seconds(`${query}: paid -> fulfilled (worker: open, compute, seal, fulfil)`) +
        seconds(`${query}: fulfilled -> answer decrypted (buyer)`);
      const total = seconds(`${query}: purchase -> answer decrypted (end to end)`);
      // (chai's closeTo is taken over by the hardhat matchers for bigints.)
      expect(Math.abs(phases - total) <= 0.03, `${query}: ${phases} s vs ${total} s`).to.equal(
        true,
      );
    }
  });
});
