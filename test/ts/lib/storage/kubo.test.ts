import { expect } from "chai";
import { importBytes } from "ipfs-unixfs-importer";
import type { CID } from "multiformats/cid";
import { unixfsImporterOptions } from "../../../../lib/storage/index.js";
import {
  CHUNK_SIZE_BYTES,
  computeCid,
  createContentStore,
  createKuboStore,
} from "../../../../lib/storage/index.js";
import type { ContentStore, KuboContentStore } from "../../../../lib/storage/index.js";
import { deterministicBytes } from "./fixtures/deterministic-bytes.js";
import {
  FakeKuboRpc,
  neverAnswer,
  sendBytes,
  sendJson,
  sendKuboError,
  sendNdjson,
  uploadedFileContent,
  versionAnswer,
} from "./fixtures/fake-kubo-rpc.js";
import type { CommandHandler } from "./fixtures/fake-kubo-rpc.js";
import { closedLoopbackPort, expectStorageError } from "./helpers.js";

const FAKE = "(fake Kubo RPC server: no Kubo binary can run here)";

async function* inPieces(bytes: Uint8Array, pieceBytes: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += pieceBytes) {
    yield bytes.subarray(offset, offset + pieceBytes);
  }
}

/** The blocks of `bytes` under the convention, keyed by CID string, as a Kubo node would hold them. */
async function blocksOf(
  bytes: Uint8Array,
): Promise<{ root: string; blocks: Map<string, Uint8Array> }> {
  const blocks = new Map<string, Uint8Array>();
  const blockstore = {
    put: async (cid: CID, block: Uint8Array) => {
      blocks.set(cid.toString(), block);
      return cid;
    },
  };
  const { cid } = await importBytes(bytes, blockstore, unixfsImporterOptions());
  return { root: cid.toString(), blocks };
}

/** `block/get` answering from `blocks`, as Kubo does. */
function blockGet(blocks: Map<string, Uint8Array>): CommandHandler {
  return (request, response) => {
    const block = blocks.get(request.query.get("arg") ?? "");
    if (block === undefined) sendKuboError(response, "block was not found locally (offline)");
    else sendBytes(response, block);
  };
}

/** An `add` answer naming `cid`, as Kubo prints it for a single file. */
function addAnswer(cid: string, size: number): CommandHandler {
  return (_request, response) => sendNdjson(response, [{ Name: cid, Hash: cid, Size: `${size}` }]);
}

describe("storage/kubo: Kubo RPC content store", function () {
  this.timeout(30_000);

  const fakes: FakeKuboRpc[] = [];
  const stores: ContentStore[] = [];

  async function startFake(commands: Record<string, CommandHandler>): Promise<FakeKuboRpc> {
    const fake = await FakeKuboRpc.start(commands);
    fakes.push(fake);
    return fake;
  }

  function storeFor(
    url: string,
    options: { headers?: Record<string, string>; timeoutMs?: number } = {},
  ): KuboContentStore {
    const store = createKuboStore({ url, ...options });
    stores.push(store);
    return store;
  }

  afterEach(async function () {
    await Promise.all(stores.splice(0).map((store) => store.stop()));
    await Promise.all(fakes.splice(0).map((fake) => fake.stop()));
  });

  describe("against an unreachable node", function () {
    it("fails put, get, has and pin with UNAVAILABLE quickly, naming the URL", async function () {
      const url = `http://127.0.0.1:${await closedLoopbackPort()}`;
      const store = storeFor(url);
      const someCid = await computeCid(new Uint8Array([1]));
      const started = Date.now();

      const errors = [
        await expectStorageError(store.put(new Uint8Array([1, 2, 3])), "UNAVAILABLE"),
        await expectStorageError(store.get(someCid), "UNAVAILABLE"),
        await expectStorageError(store.has(someCid), "UNAVAILABLE"),
        await expectStorageError(store.pin(someCid), "UNAVAILABLE"),
      ];

      expect(Date.now() - started, "connection refused must not wait for timeouts").to.be.lessThan(
        5_000,
      );
      for (const error of errors) {
        expect(error.message).to.include(url);
        expect(error.message).to.include("ECONNREFUSED");
      }
    });

    it("gives up with UNAVAILABLE after timeoutMs when the node accepts but never answers", async function () {
      const fake = await startFake({ add: neverAnswer, cat: neverAnswer, version: neverAnswer });
      const store = storeFor(fake.url, { timeoutMs: 400 });
      const started = Date.now();

      const putError = await expectStorageError(store.put(new Uint8Array([1])), "UNAVAILABLE");
      // get also probes /version (bounded by timeoutMs) to tell "node down" from "not found".
      await expectStorageError(store.get(await computeCid(new Uint8Array([2]))), "UNAVAILABLE");

      expect(Date.now() - started).to.be.lessThan(4_000);
      expect(putError.message).to.include("400 ms");
    });

    it("rejects a malformed URL with UNAVAILABLE at creation", async function () {
      await expectStorageError(
        Promise.resolve().then(() => createKuboStore({ url: "not a url" })),
        "UNAVAILABLE",
      );
    });
  });

  describe(`verify on read and on write ${FAKE}`, function () {
    it(`rejects WRONG bytes returned by /api/v0/cat with INTEGRITY ${FAKE}`, async function () {
      const genuine = new TextEncoder().encode("the bytes that were sold");
      const cid = await computeCid(genuine);
      const fake = await startFake({
        cat: (_request, response) => sendBytes(response, new TextEncoder().encode("other bytes")),
      });

      const error = await expectStorageError(storeFor(fake.url).get(cid), "INTEGRITY");

      expect(error.message).to.include(cid);
      expect(error.message).to.include(fake.url);
      expect(fake.requestsFor("cat")[0].query.get("arg")).to.equal(cid);
    });

    it(`rejects a mismatching CID returned by /api/v0/add with INTEGRITY ${FAKE}`, async function () {
      const bytes = deterministicBytes(1_000, 31);
      const otherCid = await computeCid(new TextEncoder().encode("something else"));
      const fake = await startFake({ add: addAnswer(otherCid, 1_000) });

      const error = await expectStorageError(storeFor(fake.url).put(bytes), "INTEGRITY");

      expect(error.message).to.include(otherCid);
      expect(error.message).to.include(await computeCid(bytes));
    });

    it(`rejects a mismatching CID for streamed content too ${FAKE}`, async function () {
      const bytes = deterministicBytes(2 * CHUNK_SIZE_BYTES + 7, 32);
      const fake = await startFake({
        add: addAnswer(await computeCid(bytes.subarray(1)), bytes.byteLength),
      });

      await expectStorageError(storeFor(fake.url).put(inPieces(bytes, 50_000)), "INTEGRITY");
      expect(uploadedFileContent(fake.requestsFor("add")[0]).equals(Buffer.from(bytes))).to.equal(
        true,
      );
    });

    it(`stores with the convention's add options and returns verified content ${FAKE}`, async function () {
      const bytes = deterministicBytes(3 * CHUNK_SIZE_BYTES + 11, 33);
      const cid = await computeCid(bytes);
      const fake = await startFake({
        add: addAnswer(cid, bytes.byteLength),
        cat: (_request, response) => sendBytes(response, bytes),
      });
      const store = storeFor(fake.url);

      expect(await store.put(bytes)).to.equal(cid);
      expect(Buffer.from(await store.get(cid)).equals(Buffer.from(bytes))).to.equal(true);

      const add = fake.requestsFor("add")[0];
      expect(Object.fromEntries(add.query)).to.deep.include({
        "cid-version": "1",
        "raw-leaves": "true",
        chunker: `size-${CHUNK_SIZE_BYTES}`,
        trickle: "false",
        hash: "sha2-256",
        pin: "true",
      });
      expect(uploadedFileContent(add).equals(Buffer.from(bytes))).to.equal(true);
    });

    it(`uploads a stream whole while hashing it locally ${FAKE}`, async function () {
      const bytes = deterministicBytes(5 * 1024 * 1024, 34);
      const cid = await computeCid(bytes);
      const fake = await startFake({ add: addAnswer(cid, bytes.byteLength) });

      expect(await storeFor(fake.url).put(inPieces(bytes, 70_001))).to.equal(cid);
      expect(uploadedFileContent(fake.requestsFor("add")[0]).equals(Buffer.from(bytes))).to.equal(
        true,
      );
    });

    it(`refuses content over maxBytes with TOO_LARGE and asks Kubo for at most maxBytes + 1 ${FAKE}`, async function () {
      const bytes = deterministicBytes(10_000, 35);
      const cid = await computeCid(bytes);
      // This fake ignores `length`, like a misbehaving node: the client must count anyway.
      const fake = await startFake({ cat: (_request, response) => sendBytes(response, bytes) });
      const store = storeFor(fake.url);

      await expectStorageError(store.get(cid, { maxBytes: 9_999 }), "TOO_LARGE");
      expect(fake.requestsFor("cat")[0].query.get("length")).to.equal("10000");
      expect(await store.get(cid, { maxBytes: 10_000 })).to.deep.equal(bytes);
    });
  });

  describe(`streaming reads, unpin and garbage collection ${FAKE}`, function () {
    it(`streams content block by block over block/get, verifying each block ${FAKE}`, async function () {
      const bytes = deterministicBytes(3 * CHUNK_SIZE_BYTES + 5, 36);
      const { root, blocks } = await blocksOf(bytes);
      const fake = await startFake({ "block/get": blockGet(blocks) });

      const chunks: Uint8Array[] = [];
      for await (const chunk of storeFor(fake.url).stream(root)) chunks.push(chunk);

      expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).to.equal(true);
      expect(fake.requestsFor("block/get")).to.have.length(blocks.size);
      expect(
        fake.requestsFor("cat"),
        "cat output cannot be verified block by block",
      ).to.have.length(0);
    });

    it(`ends a stream with INTEGRITY at a WRONG block, having yielded only verified bytes ${FAKE}`, async function () {
      const bytes = deterministicBytes(3 * CHUNK_SIZE_BYTES, 37);
      const { root, blocks } = await blocksOf(bytes);
      const secondLeaf = await computeCid(bytes.subarray(CHUNK_SIZE_BYTES, 2 * CHUNK_SIZE_BYTES));
      blocks.set(secondLeaf, new Uint8Array(CHUNK_SIZE_BYTES)); // same size, other bytes
      const fake = await startFake({ "block/get": blockGet(blocks) });

      const received: Uint8Array[] = [];
      const error = await expectStorageError(
        (async () => {
          for await (const chunk of storeFor(fake.url).stream(root)) received.push(chunk);
        })(),
        "INTEGRITY",
      );

      expect(error.message).to.include(secondLeaf);
      expect(error.message).to.include(fake.url);
      expect(
        Buffer.concat(received).equals(Buffer.from(bytes.subarray(0, CHUNK_SIZE_BYTES))),
      ).to.equal(true);
    });

    it(`refuses a WRONG single raw block before yielding a byte ${FAKE}`, async function () {
      const bytes = new TextEncoder().encode("a single block");
      const cid = await computeCid(bytes);
      const fake = await startFake({
        "block/get": (_request, response) =>
          sendBytes(response, new TextEncoder().encode("forged block!!")),
      });
      let yielded = 0;
      await expectStorageError(
        (async () => {
          for await (const chunk of storeFor(fake.url).stream(cid)) yielded += chunk.byteLength;
        })(),
        "INTEGRITY",
      );
      expect(yielded).to.equal(0);
    });

    it(`unpins with pin/rm (not pinned is a no-op) and collects with repo/gc ${FAKE}`, async function () {
      const cid = await computeCid(new TextEncoder().encode("unpin me"));
      const removed = await computeCid(new TextEncoder().encode("removed"));
      const fake = await startFake({
        "pin/rm": (request, response) =>
          request.query.get("arg") === cid
            ? sendJson(response, { Pins: [cid] })
            : sendKuboError(response, "not pinned or pinned indirectly"),
        "repo/gc": (_request, response) =>
          sendNdjson(response, [{ Key: { "/": removed } }, { Key: { "/": cid } }]),
      });
      const store = storeFor(fake.url);

      await store.unpin(cid);
      await store.unpin(removed);
      expect(await store.collectGarbage()).to.deep.equal({ removedBlocks: 2 });

      expect(fake.requestsFor("pin/rm").map((request) => request.query.get("arg"))).to.deep.equal([
        cid,
        removed,
      ]);
      expect(fake.requestsFor("pin/rm")[0].query.get("recursive")).to.equal("true");
      expect(fake.requestsFor("repo/gc")).to.have.length(1);
    });
  });

  describe(`other RPC behaviour ${FAKE}`, function () {
    it("sends the configured auth header and explains a 401 as UNAVAILABLE", async function () {
      const bytes = new TextEncoder().encode("pinned at a service");
      const cid = await computeCid(bytes);
      const fake = await startFake({
        cat: (request, response) =>
          request.headers.authorization === "Bearer right-token"
            ? sendBytes(response, bytes)
            : sendKuboError(response, "unauthorized", 401),
      });

      expect(
        await storeFor(fake.url, { headers: { Authorization: "Bearer right-token" } }).get(cid),
      ).to.deep.equal(bytes);
      const error = await expectStorageError(
        storeFor(fake.url, { headers: { Authorization: "Bearer wrong" } }).get(cid),
        "UNAVAILABLE",
      );
      expect(error.message).to.include("401");
      expect(error.message).to.include("Authorization");
    });

    it("answers has() from local blocks only (offline) and maps 'not found' to false", async function () {
      const held = await computeCid(new TextEncoder().encode("held"));
      const missing = await computeCid(new TextEncoder().encode("missing"));
      const fake = await startFake({
        "files/stat": (request, response) =>
          request.query.get("arg") === `/ipfs/${held}`
            ? sendJson(response, {
                Hash: held,
                Size: 4,
                CumulativeSize: 4,
                Blocks: 0,
                Type: "file",
                WithLocality: true,
                Local: true,
                SizeLocal: 4,
              })
            : sendKuboError(
                response,
                `block was not found locally (offline): ipld: could not find ${missing}`,
              ),
      });
      const store = storeFor(fake.url);

      expect(await store.has(held)).to.equal(true);
      expect(await store.has(missing)).to.equal(false);
      for (const request of fake.requestsFor("files/stat")) {
        expect(request.query.get("offline")).to.equal("true");
        expect(request.query.get("with-local")).to.equal("true");
      }
    });

    it("pins recursively, and reports content a live node cannot find in time as NOT_FOUND", async function () {
      const cid = await computeCid(new TextEncoder().encode("pin me"));
      const fake = await startFake({
        "pin/add": (request, response) =>
          sendNdjson(response, [{ Pins: [request.query.get("arg")] }]),
        cat: neverAnswer,
        version: versionAnswer,
      });
      const store = storeFor(fake.url, { timeoutMs: 400 });

      await store.pin(cid);
      const pinRequest = fake.requestsFor("pin/add")[0];
      expect(pinRequest.query.get("arg")).to.equal(cid);
      expect(pinRequest.query.get("recursive")).to.equal("true");

      await expectStorageError(store.get(cid), "NOT_FOUND");
      expect(fake.requestsFor("version")).to.have.length(1);
    });

    it("rejects garbage CIDs with INVALID_CID before any request", async function () {
      const fake = await startFake({});
      const store = storeFor(fake.url);
      await expectStorageError(store.get("garbage"), "INVALID_CID");
      await expectStorageError(store.has("bafy!"), "INVALID_CID");
      await expectStorageError(
        store.pin("QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB"),
        "INVALID_CID",
      );
      expect(fake.requests).to.have.length(0);
    });

    it("is what createContentStore({ backend: 'kubo' }) returns; URL credentials become Basic auth", async function () {
      const bytes = new TextEncoder().encode("behind basic auth");
      const cid = await computeCid(bytes);
      const expectedAuthorization = `Basic ${Buffer.from("user:s3cret").toString("base64")}`;
      const fake = await startFake({
        cat: (request, response) =>
          request.headers.authorization === expectedAuthorization
            ? sendBytes(response, bytes)
            : sendKuboError(response, "unauthorized", 401),
      });
      const store = await createContentStore({
        backend: "kubo",
        url: fake.url.replace("http://", "http://user:s3cret@"),
      });
      stores.push(store);

      expect(store.kind).to.equal("kubo");
      expect((store as KuboContentStore).url).not.to.include("s3cret");
      expect(await store.get(cid)).to.deep.equal(bytes);
    });

    it("keeps URL credentials out of error messages", async function () {
      const port = await closedLoopbackPort();
      const store = storeFor(`http://user:s3cret@127.0.0.1:${port}`);

      const error = await expectStorageError(store.put(new Uint8Array([9])), "UNAVAILABLE");

      expect(error.message).to.include(`127.0.0.1:${port}`);
      expect(error.message).to.include("ECONNREFUSED");
      expect(error.message).not.to.include("s3cret");
    });

    it("aborts requests still in flight when stopped", async function () {
      const fake = await startFake({ cat: neverAnswer });
      const store = storeFor(fake.url, { timeoutMs: 20_000 });
      const pending = store.get(await computeCid(new Uint8Array([5])));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();

      await store.stop();

      const error = await expectStorageError(pending, "UNAVAILABLE");
      expect(error.message).to.include("stopped");
      expect(Date.now() - started).to.be.lessThan(2_000);
    });
  });
});
