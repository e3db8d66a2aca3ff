import { expect } from "chai";
import { benchDelivery } from "../../../scripts/bench/delivery.js";

describe("scripts/bench/delivery: the delivery benchmark, at a small size", function () {
  this.timeout(180_000);

  it("measures the old path beside the new one on the same pool, both delivering every record", async () => {
    const rows = await benchDelivery({ counts: [30] });
    const operations = rows.map((row) => row.operation);
    for (const path of ["old", "new", "new, request per envelope"]) {
      for (const what of [
        "purchase -> fulfilled (worker)",
        "fulfilled -> buyer decrypted + files written",
        "purchase -> buyer decrypted (end to end)",
        "node: JS heap peak (above phase start)",
        "node: RSS peak (process, incl. chain)",
        "buyer: RSS peak (own process)",
      ]) {
        expect(operations).to.include(`${path}: ${what}`);
      }
    }
    expect(operations).to.include("new: first delivery (keys kept at acceptance)");
    expect(rows.every((row) => row.size === "30 records" && Number.isFinite(row.value))).to.equal(
      true,
    );
  });
});
