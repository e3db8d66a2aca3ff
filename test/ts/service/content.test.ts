import { expect } from "chai";
import { request as httpRequest } from "node:http";
import { computeCid } from "../../../lib/storage/index.js";
import { deployChain, getJson, startNode, type Chain, type TestNode } from "./helpers.js";

const LIMIT = 300 * 1024; // more than one 256 KiB chunk: multi-block uploads are exercised

/** Deterministic pseudo-random bytes. */
function bytesOf(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A body sent in chunks with no Content-Length (Transfer-Encoding: chunked). */
function chunkedBody(bytes: Uint8Array, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

describe("service: content upload and download", function () {
  this.timeout(120_000);
  let chain: Chain;
  let t: TestNode;

  before(async function () {
    chain = await deployChain();
    t = await startNode(chain, { env: { DATABANK_MAX_UPLOAD_BYTES: String(LIMIT) } });
  });
  after(async function () {
    await t?.cleanup();
  });

  it("stores an upload and serves the same bytes, which hash to the CID", async function () {
    const bytes = bytesOf(LIMIT - 10);
    const response = await fetch(`${t.node.url}/v1/content`, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: bytes,
    });
    expect(response.status).to.equal(201);
    const body = (await response.json()) as { cid: string; size: number };
    expect(body.size).to.equal(bytes.length);
    expect(body.cid).to.equal(await computeCid(bytes));
    expect(await t.node.store.has(body.cid)).to.equal(true);

    const fetched = await fetch(`${t.node.url}/v1/content/${body.cid}`);
    expect(fetched.status).to.equal(200);
    expect(fetched.headers.get("content-type")).to.equal("application/octet-stream");
    expect(new Uint8Array(await fetched.arrayBuffer())).to.deep.equal(bytes);
  });

  it("also accepts a chunked upload without Content-Length under the limit", async function () {
    const bytes = bytesOf(100_000, 2);
    const response = await fetch(`${t.node.url}/v1/content`, {
      method: "POST",
      body: chunkedBody(bytes, 10_000),
      duplex: "half",
    } as RequestInit);
    expect(response.status).to.equal(201);
    expect(((await response.json()) as { cid: string }).cid).to.equal(await computeCid(bytes));
  });

  it("refuses a declared Content-Length over the limit with 413 before reading the body", async function () {
    const bytes = bytesOf(LIMIT + 1, 3);
    const url = new URL(`${t.node.url}/v1/content`);
    // Only the header is sent: a 413 that waited for the body would never come.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { "Content-Length": String(bytes.length) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.flushHeaders();
    });
    expect(status).to.equal(413);
    expect(await t.node.store.has(await computeCid(bytes))).to.equal(false);
  });

  it("aborts a chunked upload with 413 as soon as it passes the limit, storing nothing", async function () {
    const bytes = bytesOf(LIMIT * 3, 4);
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        const chunk = bytes.slice(offset, offset + 16 * 1024);
        offset += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${t.node.url}/v1/content`, {
      method: "POST",
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).to.equal(413);
    const error = ((await response.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).to.equal("CONTENT_TOO_LARGE");
    expect(error.message).to.include(String(LIMIT));
    expect(await t.node.store.has(await computeCid(bytes))).to.equal(false);
    expect(await t.node.store.has(await computeCid(bytes.subarray(0, LIMIT)))).to.equal(false);
  });

  it("answers 400 for an invalid CID and 404 for a CID it does not hold, at once", async function () {
    const invalid = await getJson(`${t.node.url}/v1/content/not-a-cid`);
    expect(invalid.status).to.equal(400);
    expect(invalid.body.error.code).to.equal("INVALID_CID");

    const unknown = await computeCid(bytesOf(1000, 99));
    const started = Date.now();
    const missing = await getJson(`${t.node.url}/v1/content/${unknown}`);
    expect(missing.status).to.equal(404);
    expect(missing.body.error.code).to.equal("CONTENT_NOT_FOUND");
    expect(Date.now() - started, "no network search").to.be.below(2_000);
  });

  it("refuses an empty upload with 400", async function () {
    const response = await fetch(`${t.node.url}/v1/content`, {
      method: "POST",
      body: new Uint8Array(0),
    });
    expect(response.status).to.equal(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).to.equal(
      "EMPTY_BODY",
    );
  });
});
