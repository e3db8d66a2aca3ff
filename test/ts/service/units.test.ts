import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BaseError, HttpRequestError } from "viem";
import { gasWithinCeiling, type GasCeilingCheck } from "../../../service/chain.js";
import { openDatabase } from "../../../service/db.js";
import { ServiceError } from "../../../service/errors.js";
import { SlidingWindowRateLimiter } from "../../../service/rateLimit.js";
import { createTransactionQueue } from "../../../service/transactions.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("service: transaction queue, database, rate limiter", function () {
  it("runs queued tasks one at a time in FIFO order, and a failure does not stop the queue", async function () {
    const { exclusive } = createTransactionQueue();
    const events: string[] = [];
    let running = 0;
    const task = (name: string, fail = false) =>
      exclusive(async () => {
        running++;
        expect(running, "never two at once").to.equal(1);
        events.push(`start ${name}`);
        await tick();
        events.push(`end ${name}`);
        running--;
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const results = await Promise.allSettled([task("a"), task("b", true), task("c")]);
    expect(results.map((r) => r.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
    expect(events).to.deep.equal(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("opens the database in WAL mode with synchronous=FULL and a busy timeout", async function () {
    const dir = await mkdtemp(join(tmpdir(), "databank-db-"));
    try {
      const db = openDatabase(join(dir, "nested", "node.sqlite"));
      const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get()!)[0];
      expect(pragma("journal_mode")).to.equal("wal");
      expect(pragma("synchronous")).to.equal(2); // FULL
      expect(pragma("busy_timeout")).to.equal(5_000);
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("allows `limit` events per sliding window and says when to retry", function () {
    let now = 1_000_000;
    const limiter = new SlidingWindowRateLimiter({ limit: 2, windowMs: 60_000, now: () => now });
    expect(limiter.take("a").allowed).to.equal(true);
    now += 30_000;
    expect(limiter.take("a").allowed).to.equal(true);
    const refused = limiter.take("a");
    expect(refused).to.deep.equal({ allowed: false, retryAfterSeconds: 30 });
    expect(limiter.take("b").allowed, "per key").to.equal(true);
    now += 30_001; // the first event left the window
    expect(limiter.take("a").allowed).to.equal(true);
    expect(limiter.take("a").allowed).to.equal(false);
  });

  describe("gasWithinCeiling", function () {
    const message = (needed: string | undefined, limit: string) => `needs ${needed} of ${limit}`;
    const check = (overrides: Partial<GasCeilingCheck>): GasCeilingCheck => ({
      limit: 300_000n,
      estimate: async () => 200_000n,
      simulateAtLimit: async () => undefined,
      message,
      ...overrides,
    });
    async function refusal(promise: Promise<unknown>): Promise<unknown> {
      try {
        await promise;
      } catch (error) {
        return error;
      }
      throw new Error("expected a refusal");
    }

    it("returns the ceiling as gas limit when the estimate is within it", async function () {
      expect(await gasWithinCeiling(check({ estimate: async () => 300_000n }))).to.equal(300_000n);
    });

    it("refuses an estimate above the ceiling with 422 GAS_LIMIT_EXCEEDED, the figures formatted", async function () {
      const error = await refusal(gasWithinCeiling(check({ estimate: async () => 13_400_000n })));
      expect(error).to.be.instanceOf(ServiceError);
      expect(error).to.include({
        status: 422,
        code: "GAS_LIMIT_EXCEEDED",
        message: "needs 13,400,000 of 300,000",
      });
      expect((error as ServiceError).details).to.deep.equal({
        gasNeeded: 13_400_000,
        gasLimit: 300_000,
      });
    });

    it("when the RPC cannot estimate, refuses if a simulation at the ceiling fails too", async function () {
      const cannot = async () => {
        throw new BaseError("gas required exceeds allowance (30000000)");
      };
      const error = await refusal(
        gasWithinCeiling(
          check({
            estimate: cannot,
            simulateAtLimit: async () => {
              throw new BaseError("out of gas");
            },
          }),
        ),
      );
      expect(error).to.include({
        code: "GAS_LIMIT_EXCEEDED",
        message: "needs undefined of 300,000",
      });
      expect((error as ServiceError).details).to.deep.equal({ gasLimit: 300_000 });
      // It fits at the ceiling: the estimate's failure was something else, and is passed on.
      const other = await refusal(gasWithinCeiling(check({ estimate: cannot })));
      expect(other).to.be.instanceOf(BaseError).and.not.instanceOf(ServiceError);
    });

    it("passes an unreachable RPC on as is, never as a refusal", async function () {
      const down = new HttpRequestError({ url: "http://127.0.0.1:1", details: "ECONNREFUSED" });
      let simulated = false;
      const error = await refusal(
        gasWithinCeiling(
          check({
            estimate: async () => {
              throw down;
            },
            simulateAtLimit: async () => {
              simulated = true;
            },
          }),
        ),
      );
      expect(error).to.equal(down);
      expect(simulated).to.equal(false);
    });
  });
});
