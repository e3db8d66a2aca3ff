/**
 * Bounded memory of `GET /v1/content/{cid}` (issue 10 §2): downloads stream from the store as the
 * client reads, and at most DATABANK_MAX_CONCURRENT_DOWNLOADS multi-block downloads run at once.
 * Real parts: Hardhat chain, the node with its Helia store on disk, HTTP over 127.0.0.1. The store
 * is wrapped only to count the bytes read from it and, for the cap tests, to hold a download open.
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { createHeliaStore, type ContentStore } from "../../../lib/storage/index.js";
import { deployChain, startNode, type Chain, type TestNode } from "./helpers.js";

const MiB = 1024 * 1024;

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

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A Helia store that counts what is read from it and can hold every stream after its first chunk. */
class ObservedStore {
  bytesRead = 0;
  #gate: Promise<void> | undefined;
  #openGate: (() => void) | undefined;

  constructor(readonly inner: ContentStore) {}

  /** From now on, every stream waits after its first chunk until {@link release}. */
  hold(): void {
    this.#gate = new Promise((resolve) => (this.#openGate = resolve));
  }

  release(): void {
    this.#openGate?.();
    this.#gate = undefined;
  }

  asStore(): ContentStore {
    const inner = this.inner;
    const self = this as ObservedStore;
    return {
      kind: inner.kind,
      put: (bytes, options) => inner.put(bytes, options),
      get: async (cid, options) => {
        const bytes = await inner.get(cid, options);
        self.bytesRead += bytes.byteLength;
        return bytes;
      },
      stream: async function* (cid, options) {
        let first = true;
        for await (const chunk of inner.stream(cid, options)) {
          self.bytesRead += chunk.byteLength;
          yield chunk;
          if (first && self.#gate !== undefined) await self.#gate;
          first = false;
        }
      },
      has: (cid) => inner.has(cid),
      pin: (cid) => inner.pin(cid),
      unpin: (cid) => inner.unpin(cid),
      collectGarbage: (options) => inner.collectGarbage(options),
      stop: () => inner.stop(),
    };
  }
}

/** A GET whose body the test reads (or not) at its own pace. */
function startDownload(url: string): Promise<IncomingMessage> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname, agent: false },
      resolve,
    );
    req.on("error", reject);
    req.end();
  });
}

function readAll(response: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    response.on("error", reject);
    response.on("aborted", () => reject(new Error("response aborted")));
  });
}

describe("service: bounded downloads (streaming and a concurrency cap)", function () {
  this.timeout(120_000);
  let chain: Chain;
  let t: TestNode;
  let observed: ObservedStore;

  before(async function () {
    chain = await deployChain();
    t = await startNode(chain, {
      env: { DATABANK_MAX_CONCURRENT_DOWNLOADS: "2" },
      hooks: { downloadStallTimeoutMs: 1_000 },
      store: async (dataDir) => {
        observed = new ObservedStore(await createHeliaStore({ dataDir: join(dataDir, "ipfs") }));
        return observed.asStore();
      },
    });
  });
  after(async function () {
    await t?.cleanup();
  });
  afterEach(function () {
    observed?.release();
  });

  it("streams a large download: the store has read a fraction when the client pauses, and the bytes are whole", async function () {
    const bytes = bytesOf(32 * MiB, 7);
    const cid = await t.node.store.put(bytes);
    observed.bytesRead = 0;

    const response = await startDownload(`${t.node.url}/v1/content/${cid}`);
    expect(response.statusCode).to.equal(200);
    const first = await new Promise<Buffer>((resolve) => response.once("data", resolve));
    response.pause();
    // Give a buffering server every chance to read ahead while the client does not read.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(observed.bytesRead, "bytes read from the store while the client paused").to.be.below(
      16 * MiB,
    );

    const rest = readAll(response);
    response.resume();
    const received = Buffer.concat([first, Buffer.from(await rest)]);
    expect(received.byteLength).to.equal(bytes.byteLength);
    expect(sha256Hex(received)).to.equal(sha256Hex(bytes));
  });

  it("refuses a multi-block download over DATABANK_MAX_CONCURRENT_DOWNLOADS with 503 and Retry-After; single blocks pass", async function () {
    const large = bytesOf(MiB, 8);
    const largeCid = await t.node.store.put(large);
    const small = bytesOf(1_000, 9);
    const smallCid = await t.node.store.put(small);
    observed.hold();

    const held = [
      await startDownload(`${t.node.url}/v1/content/${largeCid}`),
      await startDownload(`${t.node.url}/v1/content/${largeCid}`),
    ];
    expect(held.map((response) => response.statusCode)).to.deep.equal([200, 200]);
    const bodies = held.map(readAll);

    const refused = await fetch(`${t.node.url}/v1/content/${largeCid}`);
    expect(refused.status).to.equal(503);
    expect(refused.headers.get("retry-after")).to.equal("2");
    const error = ((await refused.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).to.equal("TOO_MANY_DOWNLOADS");
    expect(error.message).to.include("DATABANK_MAX_CONCURRENT_DOWNLOADS");

    // One raw block (at most 256 KiB) is bounded by itself and takes no slot.
    observed.release();
    const single = await fetch(`${t.node.url}/v1/content/${smallCid}`);
    expect(single.status).to.equal(200);
    expect(new Uint8Array(await single.arrayBuffer())).to.deep.equal(small);

    for (const body of bodies) expect(sha256Hex(await body)).to.equal(sha256Hex(large));
    // Finished downloads give their slots back.
    const after = await fetch(`${t.node.url}/v1/content/${largeCid}`);
    expect(after.status).to.equal(200);
    expect(sha256Hex(new Uint8Array(await after.arrayBuffer()))).to.equal(sha256Hex(large));
  });

  it("gives a slot back when the client disconnects mid-download", async function () {
    const large = bytesOf(2 * MiB, 10);
    const cid = await t.node.store.put(large);
    observed.hold();
    const first = await startDownload(`${t.node.url}/v1/content/${cid}`);
    const second = await startDownload(`${t.node.url}/v1/content/${cid}`);
    expect((await fetch(`${t.node.url}/v1/content/${cid}`)).status).to.equal(503);

    first.destroy();
    second.destroy();
    // The streams are still held inside the store: only the disconnects can have freed the slots.
    const deadline = Date.now() + 5_000;
    let status = 0;
    while (Date.now() < deadline) {
      const probe = await startDownload(`${t.node.url}/v1/content/${cid}`);
      status = probe.statusCode ?? 0;
      probe.destroy();
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).to.equal(200);
  });

  it("cuts off a client that stops reading, so it cannot hold a slot forever", async function () {
    const bytes = bytesOf(32 * MiB, 11);
    const cid = await t.node.store.put(bytes);
    const stalled = [
      await startDownload(`${t.node.url}/v1/content/${cid}`),
      await startDownload(`${t.node.url}/v1/content/${cid}`),
    ];
    for (const response of stalled) {
      response.pause(); // never reads: the server's socket fills, then it waits on the client
      response.on("error", () => undefined);
    }
    expect((await fetch(`${t.node.url}/v1/content/${cid}`)).status).to.equal(503);

    // The stall timeout is 1 s in this node; a slot must be free well before 10 s.
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline) {
      const attempt = await fetch(`${t.node.url}/v1/content/${cid}`);
      status = attempt.status;
      if (status === 200) {
        expect(sha256Hex(new Uint8Array(await attempt.arrayBuffer()))).to.equal(sha256Hex(bytes));
        break;
      }
      await attempt.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).to.equal(200);
    for (const response of stalled) response.destroy();
  });
});
