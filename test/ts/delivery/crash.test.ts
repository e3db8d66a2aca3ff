/**
 * Crash recovery in-process: a worker is stopped dead at a durable step (its `checkpoint` hook
 * never returns, or throws), its database handle is closed without any clean-up, and a fresh
 * worker on the same SQLite file must fulfil every purchase exactly once. The integrator's
 * process-kill tests reuse the same checkpoint names.
 */
import { expect } from "chai";
import type { Hex } from "viem";
import type {
  DeliveryCheckpoint,
  DeliveryWorkerDeps,
} from "../../../service/custodian/delivery.js";
import {
  createChainFixture,
  plaintextsById,
  type ChainFixture,
  type Contribution,
  useDeliveryTestEnv,
} from "./chainFixture.js";

const CHECKPOINTS: DeliveryCheckpoint[] = [
  "keys-wrapped-batch",
  "manifest-uploaded",
  "fulfill-sent",
  "fulfilled",
];
const RECORDS = 5;
const BATCH_SIZE = 2;

interface LogLine {
  event: string;
  fields: Record<string, unknown>;
}

describe("service/custodian/delivery: crash recovery", function () {
  this.timeout(180_000);

  const env = useDeliveryTestEnv("crash");

  /** A pool of RECORDS contributions and two purchases of it. */
  async function scenario() {
    const fixture = await createChainFixture(env.store);
    const contributions: Contribution[] = [];
    for (let i = 0; i < RECORDS; i++) contributions.push(await fixture.contribute(i));
    const purchases = [await fixture.buy(0), await fixture.buy(1)];
    return { fixture, contributions, purchases };
  }

  /**
   * Runs a worker until it reaches `at` (the `nth` time), then abandons it there: the hook never
   * returns (mode "hang") or throws (mode "throw"), and its database handle is closed.
   */
  async function crashAt(
    fixture: ChainFixture,
    path: string,
    at: DeliveryCheckpoint,
    options: { mode?: "hang" | "throw"; nth?: number; deps?: Partial<DeliveryWorkerDeps> } = {},
  ): Promise<Record<string, unknown>> {
    const db = env.openDb(path);
    let seen = 0;
    let reached!: (info: Record<string, unknown>) => void;
    const crashed = new Promise<Record<string, unknown>>((resolve) => (reached = resolve));
    const worker = fixture.worker(db, {
      batchSize: BATCH_SIZE,
      ...options.deps,
      checkpoint: async (name, info) => {
        if (name !== at || ++seen !== (options.nth ?? 1)) return;
        reached(info);
        if (options.mode === "throw") throw new Error(`simulated crash at ${name}`);
        await new Promise<never>(() => undefined);
      },
    });
    const pass = worker.deliverPending();
    const info = await Promise.race([
      crashed,
      pass.then(() => {
        throw new Error(`the worker finished without reaching ${at}`);
      }),
    ]);
    if (options.mode === "throw") await pass; // the throw is caught and recorded per purchase
    db.close(); // no stop(), no clean-up: the process "died" here
    return info;
  }

  /** The manifest CID and sealed delivery keys a database file holds for a purchase. */
  function sealedKeysIn(path: string, purchaseId: bigint) {
    const db = env.openDb(path);
    try {
      return db
        .prepare(
          "SELECT manifest_cid AS manifestCid, buyer_sealed_key AS buyerSealedKey, custodian_sealed_key AS custodianSealedKey FROM delivery_purchases WHERE purchase_id = ?",
        )
        .get(purchaseId.toString()) as {
        manifestCid: string | null;
        buyerSealedKey: string | null;
        custodianSealedKey: string | null;
      };
    } finally {
      db.close();
    }
  }

  /** A fresh worker on the same file, with its log. */
  async function restart(
    fixture: ChainFixture,
    path: string,
    deps: Partial<DeliveryWorkerDeps> = {},
  ) {
    const lines: LogLine[] = [];
    const worker = fixture.worker(env.openDb(path), {
      batchSize: BATCH_SIZE,
      log: (event, fields) => lines.push({ event, fields }),
      ...deps,
    });
    await worker.deliverPending();
    return { worker, lines };
  }

  /** Records wrapped per purchase id, from the worker's log. */
  function wrappedPerPurchase(lines: readonly LogLine[]): Map<string, number> {
    const wrapped = new Map<string, number>();
    for (const { event, fields } of lines) {
      if (event !== "delivery.keys-wrapped") continue;
      const id = String(fields.purchaseId);
      wrapped.set(id, (wrapped.get(id) ?? 0) + Number(fields.records));
    }
    return wrapped;
  }

  /** Every purchase fulfilled exactly once, no fulfil reverted, and each buyer decrypts `expected`. */
  async function expectEachDeliveredOnce(
    fixture: ChainFixture,
    worker: Awaited<ReturnType<typeof restart>>["worker"],
    purchases: Awaited<ReturnType<typeof scenario>>["purchases"],
    expected: readonly Contribution[],
  ): Promise<void> {
    const sent = await fixture.fulfilTransactions();
    expect(sent.map((tx) => tx.status)).to.deep.equal(purchases.map(() => "success"));
    const ids = (list: bigint[]) => list.map(String).sort();
    expect(ids(sent.map((tx) => tx.purchaseId))).to.deep.equal(
      ids(purchases.map((p) => p.purchase.id)),
    );
    for (const { purchase, keys } of purchases) {
      const events = await fixture.fulfilledEvents(purchase.id);
      expect(events, `PurchaseFulfilled events of purchase ${purchase.id}`).to.have.length(1);
      const status = await worker.status(purchase.id);
      expect(status?.status).to.equal("delivered");
      expect(status?.transactionHash).to.equal(events[0]!.transactionHash);
      expect(status?.deliveryCid).to.equal(events[0]!.args.deliveryCid);
      const records = await fixture.openAsBuyer(purchase.id, keys, worker);
      expect(plaintextsById(records)).to.deep.equal(plaintextsById(expected));
    }
  }

  for (const mode of ["hang", "throw"] as const) {
    for (const checkpoint of CHECKPOINTS) {
      it(`killed at "${checkpoint}" (hook ${mode === "hang" ? "never returns" : "throws"}): a fresh worker fulfils each purchase exactly once`, async () => {
        const { fixture, contributions, purchases } = await scenario();
        const path = env.dbPath();
        await crashAt(fixture, path, checkpoint, { mode });
        const { worker } = await restart(fixture, path);
        await expectEachDeliveredOnce(fixture, worker, purchases, contributions);
      });
    }
  }

  it("a crash after the first batch resumes mid-purchase without re-wrapping the finished batch", async () => {
    const { fixture, contributions, purchases } = await scenario();
    const path = env.dbPath();
    const info = await crashAt(fixture, path, "keys-wrapped-batch");
    expect(info.records).to.equal(BATCH_SIZE);
    const { worker, lines } = await restart(fixture, path);
    const wrapped = wrappedPerPurchase(lines);
    const [first, second] = purchases.map((p) => p.purchase.id.toString());
    expect(wrapped.get(first!)).to.equal(RECORDS - BATCH_SIZE);
    expect(wrapped.get(second!)).to.equal(RECORDS);
    const batches = lines
      .filter((l) => l.event === "delivery.keys-wrapped" && l.fields.purchaseId === first)
      .map((l) => l.fields.batch);
    expect(batches).to.deep.equal([1, 2]); // batch 0 was done before the crash
    await expectEachDeliveredOnce(fixture, worker, purchases, contributions);
  });

  it("a crash after the second of three batches re-wraps only the last one", async () => {
    const { fixture, contributions, purchases } = await scenario();
    const path = env.dbPath();
    await crashAt(fixture, path, "keys-wrapped-batch", { nth: 2 });
    const { worker, lines } = await restart(fixture, path);
    expect(wrappedPerPurchase(lines).get(purchases[0]!.purchase.id.toString())).to.equal(1);
    await expectEachDeliveredOnce(fixture, worker, purchases, contributions);
  });

  it("a fulfil sent but not mined at the crash is waited for, not sent again", async () => {
    const { fixture, contributions, purchases } = await scenario();
    const path = env.dbPath();
    await fixture.testClient.setAutomine(false);
    const info = await crashAt(fixture, path, "fulfill-sent");
    const pending = await fixture.publicClient.getTransaction({ hash: info.hash as Hex });
    expect(pending.blockNumber === null, "pending").to.equal(true);
    let waited = false;
    const { worker } = await restart(fixture, path, {
      log: (event) => {
        if (event !== "delivery.fulfill-waiting") return;
        waited = true;
        void (async () => {
          await fixture.testClient.setAutomine(true);
          await fixture.testClient.mine({ blocks: 1 });
        })();
      },
    });
    expect(waited).to.equal(true);
    await expectEachDeliveredOnce(fixture, worker, purchases, contributions);
  });

  it("a fulfil dropped from the mempool after the crash is resent with its reserved nonce", async () => {
    const { fixture, contributions, purchases } = await scenario();
    const path = env.dbPath();
    await fixture.testClient.setAutomine(false);
    const info = await crashAt(fixture, path, "fulfill-sent");
    const dropped = await fixture.publicClient.getTransaction({ hash: info.hash as Hex });
    await fixture.testClient.dropTransaction({ hash: info.hash as Hex });
    await fixture.testClient.setAutomine(true);
    const { worker, lines } = await restart(fixture, path);
    const events = lines.map((l) => l.event);
    expect(events).to.include("delivery.fulfill-dropped");
    expect(events.indexOf("delivery.fulfill-sent")).to.be.greaterThan(
      events.indexOf("delivery.fulfill-dropped"),
    );
    const resent = await worker.status(purchases[0]!.purchase.id);
    const mined = await fixture.publicClient.getTransaction({ hash: resent!.transactionHash! });
    expect(mined.blockNumber === null, "mined").to.equal(false);
    expect(mined.nonce).to.equal(dropped.nonce);
    await expectEachDeliveredOnce(fixture, worker, purchases, contributions);
  });

  it("a contributor revoking between manifest upload and fulfil: the worker rebuilds, reusing the sealed keys", async () => {
    const { fixture, contributions, purchases } = await scenario();
    const lines: LogLine[] = [];
    let revoked = false;
    const worker = fixture.worker(env.openDb(env.dbPath()), {
      batchSize: BATCH_SIZE,
      log: (event, fields) => lines.push({ event, fields }),
      checkpoint: async (name) => {
        if (name !== "manifest-uploaded" || revoked) return;
        revoked = true;
        await fixture.revoke(contributions[2]!);
      },
    });
    await worker.deliverPending();

    expect(lines.map((l) => l.event)).to.include("delivery.set-changed");
    const wrapped = wrappedPerPurchase(lines);
    expect(wrapped.get(purchases[0]!.purchase.id.toString())).to.equal(RECORDS); // none twice
    const remaining = contributions.filter((_, i) => i !== 2);
    await expectEachDeliveredOnce(fixture, worker, purchases, remaining);
    for (const { purchase } of purchases) {
      expect((await worker.status(purchase.id))?.recordCount).to.equal(RECORDS - 1);
    }
  });

  it("a crash after the manifest upload, then a revocation: the restarted worker rebuilds without re-wrapping", async () => {
    const { fixture, contributions, purchases } = await scenario();
    const path = env.dbPath();
    const info = await crashAt(fixture, path, "manifest-uploaded");
    await fixture.revoke(contributions[0]!);
    const { worker, lines } = await restart(fixture, path);
    const wrapped = wrappedPerPurchase(lines);
    expect(wrapped.get(purchases[0]!.purchase.id.toString())).to.equal(undefined);
    expect(wrapped.get(purchases[1]!.purchase.id.toString())).to.equal(RECORDS - 1);
    const first = await worker.status(purchases[0]!.purchase.id);
    expect(first?.deliveryCid).to.not.equal(info.cid);
    await expectEachDeliveredOnce(fixture, worker, purchases, contributions.slice(1));
  });

  it("restarting on an unchanged set sends the stored manifest as it is, with the same sealed delivery key", async () => {
    const { fixture, contributions, purchases } = await scenario();
    const path = env.dbPath();
    const info = await crashAt(fixture, path, "manifest-uploaded");
    // The manifest CID and the delivery key sealed to the buyer were stored in one step.
    const stored = sealedKeysIn(path, purchases[0]!.purchase.id);
    expect(stored.manifestCid).to.equal(info.cid);
    expect(stored.buyerSealedKey).to.match(/^0x[0-9a-f]{160}$/);
    expect(stored.custodianSealedKey).to.match(/^0x[0-9a-f]{160}$/);
    const { worker, lines } = await restart(fixture, path);
    // The restart released exactly the key stored before the crash, and dropped K's custodian form.
    expect((await worker.status(purchases[0]!.purchase.id))?.deliveryKey).to.equal(
      stored.buyerSealedKey,
    );
    expect(sealedKeysIn(path, purchases[0]!.purchase.id).custodianSealedKey).to.equal(null);
    const first = purchases[0]!.purchase.id.toString();
    expect(wrappedPerPurchase(lines).get(first)).to.equal(undefined);
    const uploads = lines.filter(
      (l) => l.event === "delivery.manifest-uploaded" && l.fields.purchaseId === first,
    );
    expect(uploads, "no second upload").to.deep.equal([]);
    expect((await worker.status(purchases[0]!.purchase.id))?.deliveryCid).to.equal(info.cid);
    await expectEachDeliveredOnce(fixture, worker, purchases, contributions);
  });
});
