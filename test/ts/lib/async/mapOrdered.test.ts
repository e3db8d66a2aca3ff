import { expect } from "chai";
import { mapOrdered } from "../../../../lib/async/index.js";

/** A promise settled from outside, to decide the order calls complete in. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function collect<R>(results: AsyncIterable<R>): Promise<R[]> {
  const collected: R[] = [];
  for await (const result of results) collected.push(result);
  return collected;
}

describe("lib/async: mapOrdered", () => {
  it("yields in input order although later calls complete first, each call getting its index", async () => {
    const completed: number[] = [];
    const results = await collect(
      mapOrdered([30, 5, 20, 0, 10, 1], 3, async (delay, index) => {
        await sleep(delay);
        completed.push(index);
        return `${index}:${delay}`;
      }),
    );
    expect(results).to.deep.equal(["0:30", "1:5", "2:20", "3:0", "4:10", "5:1"]);
    // The test means something only if completion really was out of order.
    expect(completed).to.not.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(await collect(mapOrdered([], 4, async () => 1))).to.deep.equal([]);
  });

  it("has at most `limit` calls in flight, and more than one", async () => {
    let inFlight = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await collect(
      mapOrdered(
        Array.from({ length: 12 }, (_, i) => i),
        4,
        async (n) => {
          started.push(n);
          inFlight++;
          peak = Math.max(peak, inFlight);
          await sleep((n * 7) % 5);
          inFlight--;
          return n * n;
        },
      ),
    );
    expect(results).to.deep.equal(Array.from({ length: 12 }, (_, i) => i * i));
    expect(peak).to.equal(4);
    // Calls start in input order.
    expect(started).to.deep.equal(Array.from({ length: 12 }, (_, i) => i));
  });

  it("throws a rejection in its turn, after the results before it, even when it came first", async () => {
    const pending = [deferred<number>(), deferred<number>(), deferred<number>()];
    const results = mapOrdered([0, 1, 2, 3], 4, async (n) => {
      if (n === 2) throw new Error("call 2 failed");
      if (n === 3) return 3;
      return pending[n]!.promise;
    });
    const yielded: number[] = [];
    const consuming = (async () => {
      for await (const result of results) yielded.push(result);
    })();
    // Call 2 has already rejected; the earlier ones settle only now.
    await sleep(5);
    expect(yielded).to.deep.equal([]);
    pending[1]!.resolve(1);
    await sleep(5);
    expect(yielded).to.deep.equal([]);
    pending[0]!.resolve(0);
    let failure: unknown;
    try {
      await consuming;
    } catch (error) {
      failure = error;
    }
    expect((failure as Error).message).to.equal("call 2 failed");
    expect(yielded).to.deep.equal([0, 1]);
  });

  it("stopping early starts no more calls and waits for the calls in flight to settle", async () => {
    let started = 0;
    let settled = 0;
    const results = mapOrdered(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (n) => {
        started++;
        // The first result is quick; the others still run when the consumer stops.
        await sleep(n === 0 ? 0 : 20);
        settled++;
        return n;
      },
    );
    const yielded: number[] = [];
    for await (const result of results) {
      yielded.push(result);
      break;
    }
    expect(yielded).to.deep.equal([0]);
    // 3 started at first, 1 more when the first result was taken; none after the stop.
    expect(started).to.equal(4);
    // `break` awaited the generator's return, which waited for those in flight.
    expect(settled).to.equal(4);
    await sleep(30);
    expect(started).to.equal(4);
  });

  it("calls cancelInFlight before waiting for the calls in flight, when a rejection ends it", async () => {
    const cancel = new AbortController();
    const events: string[] = [];
    const results = mapOrdered(
      [0, 1, 2, 3],
      3,
      async (n) => {
        if (n === 0) throw new Error("zero failed");
        // The others wait until they are cancelled: without cancelInFlight this would hang.
        await new Promise((resolve) => cancel.signal.addEventListener("abort", resolve));
        events.push(`settled ${n}`);
        return n;
      },
      {
        cancelInFlight: () => {
          events.push("cancel");
          cancel.abort();
        },
      },
    );
    let caught: unknown;
    try {
      for await (const result of results) void result;
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).to.equal("zero failed");
    expect(events).to.deep.equal(["cancel", "settled 1", "settled 2"]);
  });

  it("refuses a limit that is not a positive number (NaN would yield nothing)", async () => {
    for (const limit of [0, -1, Number.NaN]) {
      let caught: unknown;
      try {
        for await (const result of mapOrdered([1, 2], limit, async (n) => n)) void result;
      } catch (error) {
        caught = error;
      }
      expect(caught, String(limit)).to.be.instanceOf(RangeError);
    }
  });
});
