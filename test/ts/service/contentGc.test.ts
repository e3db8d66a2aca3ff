/**
 * Garbage collection of content (issue 10 §2): blocks of aborted uploads and of uploads nothing
 * references are removed once the grace period has passed; referenced content (pool documents, a
 * submitted contribution's data, a delivery manifest in the node's records) never is; a round
 * never deletes an upload in flight. Real parts: Hardhat chain, the node's Helia store on disk,
 * its SQLite database, HTTP over 127.0.0.1. The grace period is 1 s here.
 */
import { expect } from "chai";
import { request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { createDatabankClient } from "../../../lib/contracts/index.js";
import { CHUNK_SIZE_BYTES, computeCid, createHeliaStore } from "../../../lib/storage/index.js";
import {
  createPool,
  deployChain,
  newContributor,
  resume,
  seal,
  startNode,
  submitOnChain,
  upload,
  type Chain,
  type TestNode,
} from "./helpers.js";

const GRACE_SECONDS = 1;

/** Deterministic pseudo-random bytes. */
function bytesOf(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Uploads a test opened, destroyed after each test so a failure cannot keep the node busy. */
const openUploads: ClientRequest[] = [];

/** A chunked upload the test writes piece by piece; `response` settles when the node answers. */
function openUpload(nodeUrl: string): { req: ClientRequest; response: Promise<IncomingMessage> } {
  const url = new URL(`${nodeUrl}/v1/content`);
  let req!: ClientRequest;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent: false },
      resolve,
    );
    req.on("error", reject);
  });
  response.catch(() => undefined); // aborted uploads reject; awaited where it matters
  openUploads.push(req);
  return { req, response };
}

async function jsonOf(response: IncomingMessage): Promise<{ cid: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as { cid: string };
}

async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The holder revokes its consent; returns the revoking block's time (unix seconds). */
async function revokeAsHolder(
  chain: Chain,
  holder: ReturnType<typeof newContributor>,
  contributionId: bigint,
): Promise<number> {
  const asHolder = createDatabankClient({
    publicClient: chain.publicClient,
    walletClient: chain.localWallet(holder.account),
    address: chain.databank.address,
  });
  const revocation = await chain.publicClient.waitForTransactionReceipt({
    hash: await asHolder.contract.write.revokeConsent([contributionId]),
  });
  expect(revocation.status).to.equal("success");
  return Number(
    (await chain.publicClient.getBlock({ blockNumber: revocation.blockNumber })).timestamp,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("service: garbage collection of unreferenced content", function () {
  this.timeout(120_000);
  let chain: Chain;
  let t: TestNode;

  before(async function () {
    chain = await deployChain();
    t = await startNode(chain, {
      env: {
        DATABANK_GC_GRACE_SECONDS: String(GRACE_SECONDS),
        DATABANK_MAX_UPLOAD_BYTES: String(8 * 1024 * 1024),
      },
    });
  });
  afterEach(function () {
    for (const req of openUploads.splice(0)) req.destroy();
  });
  after(async function () {
    await t?.cleanup();
  });

  it("collects an aborted upload's blocks and, after the grace, an unreferenced upload; never referenced content", async function () {
    // An upload aborted after twelve full chunks: the importer writes leaves ten at a time, so at
    // least the first three are on disk, unpinned, under no CID.
    const aborted = bytesOf(16 * CHUNK_SIZE_BYTES, 1);
    const leaves = await Promise.all(
      [0, 1, 2].map((i) =>
        computeCid(aborted.subarray(i * CHUNK_SIZE_BYTES, (i + 1) * CHUNK_SIZE_BYTES)),
      ),
    );
    const partial = openUpload(t.node.url);
    partial.req.write(aborted.subarray(0, 12 * CHUNK_SIZE_BYTES + 10));
    await eventually(() => t.node.store.has(leaves[2]!), 10_000, "the aborted upload's leaves");
    partial.req.destroy();

    // Content nothing references, and content each kind of reference keeps.
    const unreferenced = await upload(t.node, bytesOf(2 * CHUNK_SIZE_BYTES + 5, 2));
    const poolId = await createPool(chain, t.node);
    const contributionData = bytesOf(3_000, 3);
    const contributionCid = await upload(t.node, contributionData);
    await submitOnChain(chain, newContributor(), poolId, contributionCid);
    const manifest = bytesOf(CHUNK_SIZE_BYTES + 99, 4);
    const manifestCid = await upload(t.node, manifest);
    t.node.db
      .prepare(
        `INSERT INTO delivery_purchases (purchase_id, pool_id, buyer, amount, deadline, erasure_mark,
           buyer_key, created_block, status, manifest_cid, updated_at)
         VALUES ('1', ?, '0x0000000000000000000000000000000000000001', '1', 0, 0, '0x00', '0',
           'delivering', ?, 0)`,
      )
      .run(poolId, manifestCid);

    // Within the grace: only the never-pinned blocks of the aborted upload go.
    const first = await t.node.gc.runOnce();
    expect(first.ran).to.equal(true);
    expect(first.unpinned).to.deep.equal([]);
    expect(first.removedBlocks).to.be.at.least(3);
    for (const leaf of leaves) expect(await t.node.store.has(leaf), leaf).to.equal(false);
    expect(await t.node.store.has(unreferenced)).to.equal(true);

    await sleep(GRACE_SECONDS * 1000 + 200);
    const second = await t.node.gc.runOnce();
    expect(second.unpinned).to.deep.equal([unreferenced]);
    expect(second.removedBlocks).to.equal(4); // its three leaves and root
    expect(await t.node.store.has(unreferenced)).to.equal(false);

    // Referenced content is whole and served.
    for (const [cid, bytes] of [
      [contributionCid, contributionData],
      [manifestCid, manifest],
    ] as const) {
      expect(await t.node.store.has(cid), cid).to.equal(true);
      expect(Buffer.from(await t.node.store.get(cid)).equals(Buffer.from(bytes))).to.equal(true);
    }
    const poolView = (await (await fetch(`${t.node.url}/v1/pools/${poolId}`)).json()) as {
      schemaCid: string;
      termsCid: string;
      schema: unknown;
      terms: unknown;
    };
    expect(await t.node.store.has(poolView.schemaCid)).to.equal(true);
    expect(await t.node.store.has(poolView.termsCid)).to.equal(true);
    expect(poolView.schema).not.to.equal(null);
    expect(poolView.terms).not.to.equal(null);

    // A third round changes nothing.
    const third = await t.node.gc.runOnce();
    expect(third.unpinned).to.deep.equal([]);
  });

  it("keeps a revoked and a rejected contribution's ciphertext through the grace after it ended, then unpins and collects it", async function () {
    // A node of its own whose garbage collection runs on a clock the test sets (no sleeping, no
    // race with a loaded machine): uploads an hour back, then rounds just after the contributions
    // ended and just past the grace.
    const graceSeconds = 60;
    let clockMs = Date.now() - 3_600_000;
    const own = await startNode(chain, {
      env: { DATABANK_GC_GRACE_SECONDS: String(graceSeconds) },
      hooks: { gcNow: () => clockMs },
    });
    try {
      const poolId = await createPool(chain, own.node);
      // A valid record (accepted, then revoked by its holder) and one the custodian cannot open
      // (rejected Undecryptable), both uploaded to the node and submitted on-chain.
      const holder = newContributor();
      const revokedCid = await upload(own.node, await seal(own.node, holder, resume(1), poolId));
      const revokedId = await submitOnChain(chain, holder, poolId, revokedCid);
      const rejectedCid = await upload(own.node, bytesOf(2_000, 5));
      await submitOnChain(chain, newContributor(), poolId, rejectedCid);
      await own.node.acceptance.pollOnce();
      const endedAt = await revokeAsHolder(chain, holder, revokedId);

      // At the end (the rejection came a block or so earlier): both kept whole, although both
      // were uploaded long before the grace.
      clockMs = endedAt * 1000;
      const within = await own.node.gc.runOnce();
      expect(within.unpinned).to.deep.equal([]);
      for (const cid of [revokedCid, rejectedCid]) {
        expect(await own.node.store.has(cid), cid).to.equal(true);
      }

      // Past the grace: unpinned, and the blocks are gone.
      clockMs = (endedAt + graceSeconds) * 1000 + 1_000;
      const after = await own.node.gc.runOnce();
      expect(after.unpinned).to.have.members([revokedCid, rejectedCid]);
      for (const cid of [revokedCid, rejectedCid]) {
        expect(await own.node.store.has(cid), cid).to.equal(false);
      }
    } finally {
      await own.cleanup();
    }
  });

  it("keeps the envelope of a contribution accepted from another IPFS node (pinned before accepting) while it is active, and collects it after its grace once ended", async function () {
    // The envelope is uploaded to another IPFS node only, and submitted on-chain directly: the
    // acceptance worker fetches it over the network (real Helia nodes on 127.0.0.1).
    const graceSeconds = 60;
    let clockMs = Date.now();
    const elsewhere = await createHeliaStore();
    const own = await startNode(chain, {
      env: { DATABANK_GC_GRACE_SECONDS: String(graceSeconds) },
      hooks: { gcNow: () => clockMs },
      store: (dataDir) => createHeliaStore({ dataDir, peers: elsewhere.multiaddrs() }),
    });
    try {
      const poolId = await createPool(chain, own.node);
      const holder = newContributor();
      const envelope = await seal(own.node, holder, resume(7), poolId);
      const dataCid = await elsewhere.put(envelope);
      expect(await own.node.store.has(dataCid)).to.equal(false);
      const contributionId = await submitOnChain(chain, holder, poolId, dataCid);
      await own.node.acceptance.pollOnce();
      const reader = createDatabankClient({
        publicClient: chain.publicClient,
        address: chain.databank.address,
      });
      expect((await reader.contract.read.getPool([poolId])).recordsActive).to.equal(1);

      // The other node goes away; rounds long past the grace keep the active contribution's data.
      await elsewhere.stop();
      clockMs += 10 * graceSeconds * 1000;
      const active = await own.node.gc.runOnce();
      expect(active.ran).to.equal(true);
      expect(active.unpinned).to.not.include(dataCid);
      expect(await own.node.store.has(dataCid)).to.equal(true);
      expect(Buffer.from(await own.node.store.get(dataCid)).equals(Buffer.from(envelope))).to.equal(
        true,
      );

      // Once its consent ends and the grace has passed, it is the node's own to collect.
      const endedAt = await revokeAsHolder(chain, holder, contributionId);
      clockMs = Math.max(clockMs, (endedAt + graceSeconds) * 1000 + 1_000);
      const ended = await own.node.gc.runOnce();
      expect(ended.unpinned).to.include(dataCid);
      expect(await own.node.store.has(dataCid)).to.equal(false);
    } finally {
      await own.cleanup();
      await elsewhere.stop();
    }
  });

  it("never deletes an upload in flight: a round waits for it, or skips when it stalls", async function () {
    const bytes = bytesOf(16 * CHUNK_SIZE_BYTES + 7, 5);
    const firstLeaf = await computeCid(bytes.subarray(0, CHUNK_SIZE_BYTES));
    const inFlight = openUpload(t.node.url);
    inFlight.req.write(bytes.subarray(0, 12 * CHUNK_SIZE_BYTES + 1));
    await eventually(() => t.node.store.has(firstLeaf), 10_000, "the first leaf on disk");

    // The upload stalls longer than a round waits (2 s): the round skips, removing nothing.
    const skipped = await t.node.gc.runOnce();
    expect(skipped.ran).to.equal(false);
    expect(await t.node.store.has(firstLeaf)).to.equal(true);

    // A round that starts while the upload is in flight waits for it to finish.
    const round = t.node.gc.runOnce();
    await sleep(300);
    expect(await t.node.store.has(firstLeaf)).to.equal(true);
    inFlight.req.end(bytes.subarray(12 * CHUNK_SIZE_BYTES + 1));
    const response = await inFlight.response;
    expect(response.statusCode).to.equal(201);
    const { cid } = await jsonOf(response);
    const report = await round;
    expect(report.ran).to.equal(true);
    expect(report.unpinned).not.to.include(cid);

    expect(cid).to.equal(await computeCid(bytes));
    expect(await t.node.store.has(cid)).to.equal(true);
    expect(Buffer.from(await t.node.store.get(cid)).equals(Buffer.from(bytes))).to.equal(true);
  });
});
