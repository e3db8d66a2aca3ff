import { FsBlockstore } from "blockstore-fs";
import { expect } from "chai";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { join } from "node:path";
import {
  CHUNK_SIZE_BYTES,
  computeCid,
  createContentStore,
  createHeliaStore,
  parseCanonicalCid,
} from "../../../../lib/storage/index.js";
import type { HeliaContentStore } from "../../../../lib/storage/index.js";
import { deterministicBytes } from "./fixtures/deterministic-bytes.js";
import { expectStorageError, makeTempDir, removeDir } from "./helpers.js";

const FIVE_MB = 5 * 1024 * 1024;
/** Short enough to keep the suite fast, long enough for loopback bitswap on a busy CI box. */
const SHORT_FETCH_TIMEOUT_MS = 1_500;

/** Overwrites one block on disk with other bytes, as corruption or an attacker would. */
async function tamperWithBlock(dataDir: string, cid: CID, wrongBytes: Uint8Array): Promise<void> {
  const blockstore = new FsBlockstore(join(dataDir, "blocks"));
  await blockstore.open();
  try {
    expect(await blockstore.has(cid), "the block to tamper with must exist").to.equal(true);
    await blockstore.put(cid, wrongBytes);
  } finally {
    await blockstore.close();
  }
}

async function firstLeafCid(bytes: Uint8Array): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(bytes.subarray(0, CHUNK_SIZE_BYTES)));
}

async function* inPieces(bytes: Uint8Array, pieceBytes: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += pieceBytes) {
    yield bytes.subarray(offset, offset + pieceBytes);
  }
}

describe("storage/helia: embedded Helia content store", function () {
  this.timeout(60_000);

  /** Every store a test opens is stopped here, even when the test fails. */
  const openStores: HeliaContentStore[] = [];
  const tempDirs: string[] = [];

  async function openStore(options: Parameters<typeof createHeliaStore>[0] = {}) {
    const store = await createHeliaStore(options);
    openStores.push(store);
    return store;
  }

  async function newDataDir(): Promise<string> {
    const dir = await makeTempDir("helia");
    tempDirs.push(dir);
    return dir;
  }

  afterEach(async function () {
    await Promise.all(openStores.splice(0).map((store) => store.stop()));
    await Promise.all(tempDirs.splice(0).map((dir) => removeDir(dir)));
  });

  it("round-trips small content under its CIDv1 raw CID, identical to computeCid", async function () {
    const store = await openStore();
    const bytes = new TextEncoder().encode("a contributor's data, encrypted elsewhere");

    const cid = await store.put(bytes);

    expect(cid).to.equal(await computeCid(bytes));
    expect(parseCanonicalCid(cid).version).to.equal(1);
    expect(cid.startsWith("bafkrei"), cid).to.equal(true);
    expect(await store.get(cid)).to.deep.equal(bytes);
    expect(await store.has(cid)).to.equal(true);
  });

  it("round-trips 5 MB multi-chunk content (dag-pb root), also when put as a stream", async function () {
    const store = await openStore();
    const bytes = deterministicBytes(FIVE_MB, 1);

    const cid = await store.put(bytes);
    const streamedCid = await store.put(inPieces(bytes, 65_537));

    expect(cid).to.equal(await computeCid(bytes));
    expect(streamedCid).to.equal(cid);
    expect(cid.startsWith("bafybei"), cid).to.equal(true);
    expect(Buffer.from(await store.get(cid)).equals(Buffer.from(bytes))).to.equal(true);
  });

  it("listens on loopback only, on a free port, and names its peer id", async function () {
    const store = await openStore();
    const addresses = store.multiaddrs();
    expect(addresses).to.have.length.greaterThan(0);
    for (const address of addresses) {
      expect(address).to.match(/^\/ip4\/127\.0\.0\.1\/tcp\/[1-9]\d*\/p2p\//);
      expect(address.endsWith(`/p2p/${store.peerId}`)).to.equal(true);
    }
  });

  it("refuses to listen on or dial a non-loopback address (UNAVAILABLE)", async function () {
    await expectStorageError(createHeliaStore({ listen: ["/ip4/0.0.0.0/tcp/0"] }), "UNAVAILABLE");
    await expectStorageError(
      createHeliaStore({
        peers: ["/ip4/192.0.2.1/tcp/4001/p2p/12D3KooWQYV9dGMFoRzNStwpXztXaBUjtPqi6aU76ZgUriHhKust"],
      }),
      "UNAVAILABLE",
    );
    const store = await openStore();
    const error = await expectStorageError(store.dial("/dns4/example.com/tcp/4001"), "UNAVAILABLE");
    expect(error.message).to.include("loopback");
  });

  it("keeps content, pins and peer id on disk across a restart on the same dataDir", async function () {
    const dataDir = await newDataDir();
    const bytes = deterministicBytes(3 * CHUNK_SIZE_BYTES + 99, 2);
    const first = await openStore({ dataDir });
    const cid = await first.put(bytes);
    const firstPeerId = first.peerId;
    await first.stop();

    const second = await openStore({ dataDir });

    expect(second.peerId).to.equal(firstPeerId);
    expect(await second.has(cid)).to.equal(true);
    expect(await second.get(cid)).to.deep.equal(bytes);
    await second.pin(cid); // already pinned from put(): must be a no-op, not an error
  });

  it("reports unknown content as NOT_FOUND within the fetch timeout", async function () {
    const store = await openStore({ fetchTimeoutMs: SHORT_FETCH_TIMEOUT_MS });
    const unknown = await computeCid(new TextEncoder().encode("nobody stored this"));
    const started = Date.now();

    const error = await expectStorageError(store.get(unknown), "NOT_FOUND");

    expect(Date.now() - started).to.be.lessThan(SHORT_FETCH_TIMEOUT_MS + 3_000);
    expect(error.message).to.include(unknown);
    expect(await store.has(unknown)).to.equal(false);
    await expectStorageError(store.pin(unknown), "NOT_FOUND");
  });

  it("rejects a garbage CID with INVALID_CID on get, has and pin", async function () {
    const store = await openStore();
    await expectStorageError(store.get("definitely not a cid"), "INVALID_CID");
    await expectStorageError(store.has("bafy"), "INVALID_CID");
    await expectStorageError(
      store.pin("QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB"),
      "INVALID_CID",
    );
  });

  it("refuses content over maxBytes with TOO_LARGE and accepts it at exactly maxBytes", async function () {
    const store = await openStore();
    const large = deterministicBytes(FIVE_MB, 3);
    const small = deterministicBytes(1_000, 4);
    const largeCid = await store.put(large);
    const smallCid = await store.put(small);

    await expectStorageError(store.get(largeCid, { maxBytes: FIVE_MB - 1 }), "TOO_LARGE");
    await expectStorageError(store.get(smallCid, { maxBytes: 999 }), "TOO_LARGE");
    expect(await store.get(smallCid, { maxBytes: 1_000 })).to.deep.equal(small);
    expect((await store.get(largeCid, { maxBytes: FIVE_MB })).byteLength).to.equal(FIVE_MB);
  });

  it("passes the caller's abort reason through instead of a storage error", async function () {
    const store = await openStore({ fetchTimeoutMs: 10_000 });
    const unknown = await computeCid(new TextEncoder().encode("still nobody"));
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    setTimeout(() => controller.abort(reason), 100);

    let caught: unknown;
    try {
      await store.get(unknown, { signal: controller.signal });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.equal(reason);
  });

  it("rejects a tampered single-block content on disk with INTEGRITY", async function () {
    const dataDir = await newDataDir();
    const bytes = new TextEncoder().encode("original bytes");
    const writer = await openStore({ dataDir });
    const cid = await writer.put(bytes);
    await writer.stop();

    await tamperWithBlock(
      dataDir,
      parseCanonicalCid(cid),
      new TextEncoder().encode("forged bytes!!"),
    );

    const reader = await openStore({ dataDir });
    const error = await expectStorageError(reader.get(cid), "INTEGRITY");
    expect(error.message).to.include(cid);
  });

  it("rejects multi-chunk content whose leaf block was replaced on disk with INTEGRITY", async function () {
    const dataDir = await newDataDir();
    const bytes = deterministicBytes(2 * CHUNK_SIZE_BYTES + 10, 5);
    const writer = await openStore({ dataDir });
    const cid = await writer.put(bytes);
    await writer.stop();

    // Same length, different content: only hashing can notice.
    await tamperWithBlock(dataDir, await firstLeafCid(bytes), new Uint8Array(CHUNK_SIZE_BYTES));

    const reader = await openStore({ dataDir });
    await expectStorageError(reader.get(cid), "INTEGRITY");
  });

  it("streams content in order without buffering it, each block verified", async function () {
    const store = await openStore();
    const bytes = deterministicBytes(3 * CHUNK_SIZE_BYTES + 123, 41);
    const cid = await store.put(bytes);

    const chunks: Uint8Array[] = [];
    for await (const chunk of store.stream(cid)) chunks.push(chunk);

    expect(chunks.length, "one chunk per leaf, not one blob").to.be.greaterThan(1);
    expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).to.equal(true);
  });

  it("ends a stream with INTEGRITY at a tampered leaf, having yielded only verified bytes before it", async function () {
    const dataDir = await newDataDir();
    const bytes = deterministicBytes(3 * CHUNK_SIZE_BYTES, 42);
    const writer = await openStore({ dataDir });
    const cid = await writer.put(bytes);
    await writer.stop();
    const secondLeaf = CID.createV1(
      raw.code,
      await sha256.digest(bytes.subarray(CHUNK_SIZE_BYTES, 2 * CHUNK_SIZE_BYTES)),
    );
    await tamperWithBlock(dataDir, secondLeaf, new Uint8Array(CHUNK_SIZE_BYTES));

    const reader = await openStore({ dataDir });
    const received: Uint8Array[] = [];
    const error = await expectStorageError(
      (async () => {
        for await (const chunk of reader.stream(cid)) received.push(chunk);
      })(),
      "INTEGRITY",
    );
    expect(error.message).to.include(secondLeaf.toString());
    expect(
      Buffer.concat(received).equals(Buffer.from(bytes.subarray(0, CHUNK_SIZE_BYTES))),
    ).to.equal(true);
  });

  it("refuses to stream a tampered single block: INTEGRITY before any byte", async function () {
    const dataDir = await newDataDir();
    const bytes = new TextEncoder().encode("one raw block");
    const writer = await openStore({ dataDir });
    const cid = await writer.put(bytes);
    await writer.stop();
    await tamperWithBlock(
      dataDir,
      parseCanonicalCid(cid),
      new TextEncoder().encode("two raw block"),
    );

    const reader = await openStore({ dataDir });
    let yielded = 0;
    await expectStorageError(
      (async () => {
        for await (const chunk of reader.stream(cid)) yielded += chunk.byteLength;
      })(),
      "INTEGRITY",
    );
    expect(yielded).to.equal(0);
  });

  it("unpins, and collectGarbage then deletes blocks no pin holds, keeping pinned content", async function () {
    const store = await openStore({ dataDir: await newDataDir() });
    const kept = deterministicBytes(2 * CHUNK_SIZE_BYTES + 1, 43);
    const dropped = deterministicBytes(2 * CHUNK_SIZE_BYTES + 2, 44);
    const keptCid = await store.put(kept);
    const droppedCid = await store.put(dropped);

    await store.unpin(droppedCid);
    await store.unpin(droppedCid); // not pinned any more: a no-op
    const { removedBlocks } = await store.collectGarbage();

    expect(removedBlocks).to.equal(4); // three leaves and the root
    expect(await store.has(droppedCid)).to.equal(false);
    expect(await store.has(keptCid)).to.equal(true);
    expect(Buffer.from(await store.get(keptCid)).equals(Buffer.from(kept))).to.equal(true);
  });

  it("never accepts blocks from a peer that serves wrong bytes (bitswap verification)", async function () {
    const dataDir = await newDataDir();
    const bytes = deterministicBytes(2 * CHUNK_SIZE_BYTES + 10, 6);
    const writer = await openStore({ dataDir });
    const cid = await writer.put(bytes);
    await writer.stop();
    await tamperWithBlock(dataDir, await firstLeafCid(bytes), new Uint8Array(CHUNK_SIZE_BYTES));
    const lyingPeer = await openStore({ dataDir });

    const fetcher = await openStore({
      fetchTimeoutMs: SHORT_FETCH_TIMEOUT_MS,
      peers: lyingPeer.multiaddrs(),
    });

    await expectStorageError(fetcher.get(cid), "NOT_FOUND");
    expect(await fetcher.has(cid)).to.equal(false);
    // The connection itself works: an untampered leaf from the same peer arrives intact.
    const secondChunk = bytes.subarray(CHUNK_SIZE_BYTES, 2 * CHUNK_SIZE_BYTES);
    const secondLeaf = await computeCid(secondChunk);
    expect(await fetcher.get(secondLeaf)).to.deep.equal(secondChunk);
  });

  it("fetches content from an explicitly dialled in-process peer over bitswap", async function () {
    const holder = await openStore();
    const bytes = deterministicBytes(FIVE_MB, 8);
    const cid = await holder.put(bytes);
    const fetcher = await openStore({ fetchTimeoutMs: 20_000 });

    expect(await fetcher.has(cid)).to.equal(false);
    await fetcher.dial(holder.multiaddrs()[0]);
    await fetcher.pin(cid);

    expect(await fetcher.has(cid)).to.equal(true);
    await holder.stop(); // served from the fetcher's own blocks from now on
    expect(Buffer.from(await fetcher.get(cid)).equals(Buffer.from(bytes))).to.equal(true);
  });

  it("is what createContentStore({ backend: 'helia' }) returns", async function () {
    const store = await createContentStore({ backend: "helia" });
    openStores.push(store as HeliaContentStore);
    expect(store.kind).to.equal("helia");
    const cid = await store.put(new Uint8Array([1, 2, 3]));
    expect(await store.get(cid)).to.deep.equal(new Uint8Array([1, 2, 3]));
  });
});
