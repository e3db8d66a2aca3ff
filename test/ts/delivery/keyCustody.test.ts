import { expect } from "chai";
import { DatabaseSync } from "node:sqlite";
import { generateKeyPair, openEnvelope, unwrapDataKey } from "../../../lib/crypto/index.js";
import type { ContentStore } from "../../../lib/storage/types.js";
import {
  createKeyCustody,
  RecordRevokedError,
  type KeyCustody,
} from "../../../service/custodian/delivery.js";
import type { CustodyRecord } from "../../../service/custodian/delivery/keyCustody.js";
import {
  createChainFixture,
  plaintextsById,
  type ChainFixture,
  type Contribution,
  useDeliveryTestEnv,
} from "./chainFixture.js";

/** A content store that counts the reads of each CID (envelope fetches show up here). */
function countingStore(inner: ContentStore): ContentStore & { gets: string[] } {
  const gets: string[] = [];
  return {
    kind: inner.kind,
    gets,
    put: (bytes, options) => inner.put(bytes, options),
    get: (cid, options) => {
      gets.push(cid);
      return inner.get(cid, options);
    },
    stream: (cid, options) => {
      gets.push(cid);
      return inner.stream(cid, options);
    },
    has: (cid) => inner.has(cid),
    pin: (cid) => inner.pin(cid),
    unpin: (cid) => inner.unpin(cid),
    collectGarbage: () => inner.collectGarbage(),
    stop: () => inner.stop(),
  };
}

describe("service/custodian/delivery/keyCustody: data keys at rest and crypto-shredding", function () {
  this.timeout(180_000);

  const env = useDeliveryTestEnv("custody");

  async function contributions(fixture: ChainFixture, count: number): Promise<Contribution[]> {
    const made: Contribution[] = [];
    for (let i = 0; i < count; i++) made.push(await fixture.contribute(i));
    return made;
  }

  async function recordOf(fixture: ChainFixture, c: Contribution): Promise<CustodyRecord> {
    return {
      chainId: await fixture.publicClient.getChainId(),
      databank: fixture.address,
      poolId: fixture.poolId,
      tokenId: c.tokenId,
      dataCid: c.dataCid,
    };
  }

  const keptRows = (db: DatabaseSync) =>
    db.prepare("SELECT token_id, sealed_key FROM custody_data_keys ORDER BY token_id").all() as {
      token_id: string;
      sealed_key: Uint8Array;
    }[];

  it("lazy fallback for records whose key was not kept at acceptance (accepted before, or a crash in between): the first delivery opens each envelope once and keeps its key; later deliveries fetch no envelope", async () => {
    const fixture = await createChainFixture(env.store);
    const made = await contributions(fixture, 5);
    const counting = countingStore(env.store);
    const db = env.openDb();
    const worker = fixture.worker(db, { store: counting });
    const envelopeCids = new Set(made.map((c) => c.dataCid));
    const envelopeReads = () => counting.gets.filter((cid) => envelopeCids.has(cid)).length;

    const first = await fixture.buy(0);
    await worker.deliverPending();
    expect(envelopeReads(), "first delivery: one read per record").to.equal(5);
    expect(keptRows(db).map((r) => r.token_id)).to.deep.equal(made.map((c) => String(c.tokenId)));

    const second = await fixture.buy(1);
    // A restarted worker on the same database: the keys are at rest, not in memory.
    const restarted = fixture.worker(db, { store: counting });
    await restarted.deliverPending();
    expect(envelopeReads(), "second delivery: no envelope read").to.equal(5);
    for (const { purchase, keys } of [first, second]) {
      const records = await fixture.openAsBuyer(purchase.id, keys, restarted);
      expect(plaintextsById(records)).to.deep.equal(plaintextsById(made));
    }
  });

  it("the acceptance path can keep a key ahead of delivery: the first delivery then fetches no envelope", async () => {
    const fixture = await createChainFixture(env.store);
    const made = await contributions(fixture, 3);
    const counting = countingStore(env.store);
    const worker = fixture.worker(env.openDb(), { store: counting });
    for (const c of made) {
      const dataKey = await unwrapDataKey(
        await env.store.get(c.dataCid),
        fixture.custodianKeys.privateKey,
      );
      await worker.keyCustody.keep(await recordOf(fixture, c), dataKey);
    }
    const { purchase, keys } = await fixture.buy();
    await worker.deliverPending();
    expect(counting.gets.filter((cid) => made.some((c) => c.dataCid === cid))).to.deep.equal([]);
    const records = await fixture.openAsBuyer(purchase.id, keys, worker);
    expect(plaintextsById(records)).to.deep.equal(plaintextsById(made));
  });

  it("a kept key is sealed under the KEK for its record: no plaintext at rest; another record, key or custodian does not open it", async () => {
    const fixture = await createChainFixture(env.store);
    const [a, b] = await contributions(fixture, 2);
    const db = env.openDb();
    const custody = createKeyCustody({ db, custodianPrivateKey: fixture.custodianKeys.privateKey });
    let loads = 0;
    const load = (c: Contribution) => async () => {
      loads++;
      return env.store.get(c.dataCid);
    };
    const dataKeyA = await custody.dataKey(await recordOf(fixture, a!), load(a!));
    await custody.dataKey(await recordOf(fixture, b!), load(b!));
    expect(loads).to.equal(2);

    // At rest: nonce ‖ ciphertext ‖ tag (60 bytes), never the key itself.
    const rows = keptRows(db);
    expect(rows.map((r) => r.sealed_key.length)).to.deep.equal([60, 60]);
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
    expect(hex(rows[0]!.sealed_key)).to.not.include(hex(dataKeyA));

    // Served from the row: no envelope loaded, same key.
    const again = await custody.dataKey(await recordOf(fixture, a!), load(a!));
    expect(loads).to.equal(2);
    expect(hex(again)).to.equal(hex(dataKeyA));

    // A's row moved onto B: its AAD names A, so it does not open as B's; B's key comes from B's
    // envelope again (and is correct).
    db.prepare("UPDATE custody_data_keys SET sealed_key = ? WHERE token_id = ?").run(
      rows[0]!.sealed_key,
      String(b!.tokenId),
    );
    const keyB = await custody.dataKey(await recordOf(fixture, b!), load(b!));
    expect(loads).to.equal(3);
    expect(hex(keyB)).to.equal(
      hex(await unwrapDataKey(await env.store.get(b!.dataCid), fixture.custodianKeys.privateKey)),
    );
    // A record named with another pool or data CID does not open the row either.
    await custody.dataKey({ ...(await recordOf(fixture, a!)), poolId: 99 }, load(a!));
    expect(loads).to.equal(4);

    // Another custodian key (so another KEK) does not open the rows: it falls back to the envelope,
    // which does not open for it either.
    const other: KeyCustody = createKeyCustody({
      db,
      custodianPrivateKey: generateKeyPair().privateKey,
    });
    let failure: unknown;
    try {
      await other.dataKey(await recordOf(fixture, b!), load(b!));
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.match(/recipient|entry|NOT_A_RECIPIENT/i);
  });

  it("keptKeys reads many kept keys at once, leaving out records not kept, moved, or shredded", async () => {
    const fixture = await createChainFixture(env.store);
    const made = await contributions(fixture, 4);
    const db = env.openDb();
    const custody = createKeyCustody({ db, custodianPrivateKey: fixture.custodianKeys.privateKey });
    const records = await Promise.all(made.map((c) => recordOf(fixture, c)));
    const envelopeKey = async (c: Contribution) =>
      Buffer.from(
        await unwrapDataKey(await env.store.get(c.dataCid), fixture.custodianKeys.privateKey),
      ).toString("hex");
    // Kept: 0, 1 and 2; 3 never was. 2 is then shredded; 1 is asked for under another CID.
    for (const record of records.slice(0, 3)) {
      await custody.dataKey(record, () => env.store.get(record.dataCid));
    }
    custody.shred([records[2]!.tokenId], "revoked");
    const asked = [
      records[0]!,
      { ...records[1]!, dataCid: records[3]!.dataCid },
      ...records.slice(2),
    ];
    const kept = await custody.keptKeys(asked);
    expect([...kept.keys()]).to.deep.equal([records[0]!.tokenId]);
    expect(Buffer.from(kept.get(records[0]!.tokenId)!).toString("hex")).to.equal(
      await envelopeKey(made[0]!),
    );
    expect((await custody.keptKeys([])).size).to.equal(0);
    const off = createKeyCustody({
      db,
      custodianPrivateKey: fixture.custodianKeys.privateKey,
      keepKeys: false,
    });
    expect((await off.keptKeys(records)).size).to.equal(0);
  });

  it("revoking crypto-shreds the record: key row gone, the node refuses to open it and to deliver it; the contributor's own entry still opens", async () => {
    const fixture = await createChainFixture(env.store);
    const now = await fixture.networkHelpers.time.latest();
    const made = await contributions(fixture, 3);
    const expiring = await fixture.contribute(7, { expiresAt: now + 1_000 });
    const db = env.openDb();
    const events: { event: string; fields: Record<string, unknown> }[] = [];
    const worker = fixture.worker(db, { log: (event, fields) => events.push({ event, fields }) });
    const first = await fixture.buy(0);
    await worker.deliverPending();
    const revoked = made[1]!;
    expect(worker.keyCustody.has(revoked.tokenId)).to.equal(true);
    expect(keptRows(db)).to.have.length(4);

    await fixture.revoke(revoked);
    await fixture.networkHelpers.time.increase(2_000);
    const second = await fixture.buy(1);
    await worker.deliverPending(); // shreds the revoked key; retires the expired consent
    await worker.deliverPending(); // shreds the retired one

    // The node's copy of both keys is destroyed, and a tombstone says why.
    expect(worker.keyCustody.has(revoked.tokenId)).to.equal(false);
    expect(worker.keyCustody.has(expiring.tokenId)).to.equal(false);
    expect(keptRows(db).map((r) => r.token_id)).to.deep.equal(
      [made[0]!, made[2]!].map((c) => String(c.tokenId)),
    );
    const tombstones = db
      .prepare("SELECT token_id, reason FROM custody_tombstones ORDER BY token_id")
      .all();
    expect(tombstones).to.deep.equal([
      { token_id: String(revoked.tokenId), reason: "revoked" },
      { token_id: String(expiring.tokenId), reason: "retired" },
    ]);
    expect(JSON.stringify(events)).to.include("custody.shredded");

    // Asking for the key fails loudly, before the envelope is even loaded.
    let loaded = false;
    let failure: unknown;
    try {
      await worker.keyCustody.dataKey(await recordOf(fixture, revoked), async () => {
        loaded = true;
        return env.store.get(revoked.dataCid);
      });
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(RecordRevokedError);
    expect((failure as Error).message).to.equal(
      `record ${revoked.tokenId} was revoked: the custodian shredded its data key and refuses to open its envelope again`,
    );
    expect(loaded).to.equal(false);
    // Nor can the acceptance path put it back.
    let kept: unknown;
    try {
      await worker.keyCustody.keep(await recordOf(fixture, revoked), new Uint8Array(32));
    } catch (error) {
      kept = error;
    }
    expect(kept).to.be.instanceOf(RecordRevokedError);

    // The later purchase delivers only the remaining records; the earlier one still opens.
    const records = await fixture.openAsBuyer(second.purchase.id, second.keys, worker);
    expect(records.map((r) => r.tokenId)).to.deep.equal([made[0]!.tokenId, made[2]!.tokenId]);
    expect(await fixture.openAsBuyer(first.purchase.id, first.keys, worker)).to.have.length(4);

    // The contributor keeps its own access: its entry in the envelope opens with its key.
    const plaintext = await openEnvelope(
      await env.store.get(revoked.dataCid),
      revoked.contributorKeys.privateKey,
    );
    expect(Buffer.from(plaintext).equals(Buffer.from(revoked.plaintext))).to.equal(true);
  });

  it("a shredded record still in the active set stops the delivery with an error naming it; nothing is fulfilled", async () => {
    const fixture = await createChainFixture(env.store);
    const made = await contributions(fixture, 2);
    const worker = fixture.worker(env.openDb());
    // E.g. a revocation reorganised away: the tombstone stays, and the node will not open it.
    worker.keyCustody.shred([made[0]!.tokenId], "revoked");
    const { purchase } = await fixture.buy();
    await worker.deliverPending();
    const status = await worker.status(purchase.id);
    expect(status?.status).to.not.equal("delivered");
    expect(status?.error).to.include(`record ${made[0]!.tokenId}`);
    expect(status?.error).to.include("shredded its data key");
    expect(await fixture.fulfilledEvents(purchase.id)).to.deep.equal([]);
  });
});
