import { expect } from "chai";
import { mapLimit } from "../../../../lib/async/index.js";

describe("lib/async: mapLimit", () => {
  it("keeps input order and never has more than `limit` calls in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (delay) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, delay));
      inFlight -= 1;
      return delay * 10;
    });
    expect(results).to.deep.equal([50, 10, 40, 20, 30, 0, 60]);
    expect(most).to.equal(3);
  });

  it("maps nothing to nothing, and rejects with the first failure", async () => {
    expect(await mapLimit([], 4, async () => 1)).to.deep.equal([]);
    let caught: unknown;
    try {
      await mapLimit([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error("two failed");
        return n;
      });
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).to.equal("two failed");
  });
});
