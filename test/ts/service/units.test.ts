import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../../service/db.js";
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
});
