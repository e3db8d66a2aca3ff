/**
 * `npm run buyer` as a real child process, against the in-process chain (served over loopback
 * JSON-RPC) and a stand-in for the node's routes backed by the Helia store: `GET /v1/content/{cid}`,
 * the delivery status, and `GET /v1/purchases/{id}/delivery/car` written by the node's own
 * `deliveryCar` (switched off to play a node without the route).
 */
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  deriveKeyPairFromSignature,
  keyDerivationMessage,
  toHex32,
} from "../../../lib/crypto/index.js";
import {
  createHeliaStore,
  type GetOptions,
  type HeliaContentStore,
} from "../../../lib/storage/index.js";
import {
  CAR_CONTENT_TYPE,
  createEnvelopeLists,
  deliveryCar,
} from "../../../service/content/deliveryCar.js";
import type { DeliveryWorker } from "../../../service/custodian/delivery.js";
import {
  createChainFixture,
  tempDir,
  type ChainFixture,
  type Contribution,
} from "./chainFixture.js";
import { answerJsonRpc, runScript, type Run } from "../cli/harness.js";
import { sampleRecord } from "./helpers.js";

/** Runs scripts/buyer.ts as `npm run buyer` does. */
const runBuyer = (args: string[], env: Record<string, string>) => runScript("buyer", args, env);

/** Lines the CLI wrote to stderr, without Node's warnings. */
function errorLines(run: Run): string[] {
  return run.stderr.split(/[\r\n]+/).filter((line) => line.startsWith("buyer:"));
}

describe("scripts/buyer.ts: npm run buyer", function () {
  this.timeout(180_000);

  let store: HeliaContentStore;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let fixture: ChainFixture;
  let server: Server;
  let baseUrl: string;
  const tampered = new Set<string>();
  /** Whether the stand-in serves the delivery stream. */
  let streaming = true;
  /** `GET /v1/content/{cid}` requests served, by CID. */
  const contentRequests: string[] = [];
  const buyerKey = generatePrivateKey();
  const otherKey = generatePrivateKey();
  let contributions: Contribution[];
  let delivered: bigint;
  let undelivered: bigint;
  let worker: DeliveryWorker;
  /** When set, the node answers as before the delivery is final: no delivery key. */
  let withholdKey = false;
  let db: DatabaseSync;

  /** The store as the stand-in serves it: envelopes in `tampered` have their last byte flipped. */
  const tamperingStore = {
    get: async (cid: string, options?: GetOptions) => {
      const bytes = new Uint8Array(await store.get(cid, options));
      if (tampered.has(cid)) bytes[bytes.length - 1]! ^= 1;
      return bytes;
    },
  };

  before(async () => {
    store = await createHeliaStore();
    dir = await tempDir();
    fixture = await createChainFixture(store);
    const provider = fixture.connection.provider;
    server = createServer(async (request, response) => {
      try {
        const content = /^\/v1\/content\/([^/]+)$/.exec(request.url ?? "");
        if (request.method === "GET" && content) {
          const cid = decodeURIComponent(content[1]!);
          contentRequests.push(cid);
          const bytes = await tamperingStore.get(cid);
          response.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes);
          return;
        }
        const car = /^\/v1\/purchases\/([0-9]+)\/delivery\/car$/.exec(request.url ?? "");
        if (request.method === "GET" && car && streaming) {
          const view = await worker.status(BigInt(car[1]!));
          response.writeHead(200, { "content-type": CAR_CONTENT_TYPE });
          const blocks = deliveryCar({
            store: tamperingStore,
            envelopeLists: createEnvelopeLists(tamperingStore),
            manifestCid: view!.deliveryCid!,
            signal: new AbortController().signal,
          });
          for await (const chunk of blocks) response.write(chunk);
          response.end();
          return;
        }
        // The node's delivery status, where the buyer CLI gets the released delivery key.
        const purchase = /^\/v1\/purchases\/([0-9]+)\/delivery$/.exec(request.url ?? "");
        if (request.method === "GET" && purchase) {
          const view = await worker.status(BigInt(purchase[1]!));
          if (view === undefined) throw new Error(`purchase ${purchase[1]} is unknown`);
          if (withholdKey) delete view.deliveryKey;
          response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(view));
          return;
        }
        let body = "";
        for await (const chunk of request) body += chunk;
        await answerJsonRpc(provider, body, response);
      } catch (error) {
        response.writeHead(404).end(String(error));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    baseUrl = `http://127.0.0.1:${port}`;

    contributions = [];
    for (let i = 0; i < 4; i++) contributions.push(await fixture.contribute(i));
    const buyer = privateKeyToAccount(buyerKey);
    const keys = deriveKeyPairFromSignature(
      await buyer.signMessage({ message: keyDerivationMessage(buyer.address) }),
    );
    delivered = (await fixture.buyAs(buyer, toHex32(keys.publicKey))).id;
    db = new DatabaseSync(join(dir.path, "node.sqlite"));
    worker = fixture.worker(db);
    await worker.deliverPending();
    undelivered = (await fixture.buyAs(buyer, toHex32(keys.publicKey))).id;
  });

  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (db?.isOpen) db.close();
    await store?.stop();
    await dir?.dispose();
  });

  const env = (overrides: Record<string, string> = {}) => ({
    DATABANK_RPC_URL: baseUrl,
    DATABANK_ADDRESS: fixture.address,
    DATABANK_BUYER_PRIVATE_KEY: buyerKey,
    ...overrides,
  });

  it("verifies, decrypts and writes purchase-<id>.jsonl and .csv, with a progress line and a summary", async () => {
    const out = join(dir.path, "out");
    contentRequests.length = 0;
    const run = await runBuyer(
      ["--purchase", delivered.toString(), "--out", out, "--node-url", baseUrl],
      env(),
    );
    expect(run.code, run.stderr).to.equal(0);
    // Every envelope came in the one stream: only the manifest was fetched by CID.
    expect(contentRequests).to.have.length(1);
    expect(run.stderr).to.not.include("one by one");
    expect(run.stderr).to.include(`purchase ${delivered}: 4/4 records verified and decrypted`);
    expect(run.stdout).to.match(
      new RegExp(`^purchase ${delivered}: 4 records verified against root 0x[0-9a-f]{64}`),
    );
    const jsonl = (await readFile(join(out, `purchase-${delivered}.jsonl`), "utf8"))
      .trim()
      .split("\n");
    expect(jsonl.map((line) => JSON.parse(line).data)).to.deep.equal(
      [0, 1, 2, 3].map(sampleRecord),
    );
    expect(jsonl.map((line) => JSON.parse(line).tokenId)).to.deep.equal(
      contributions.map((c) => c.tokenId.toString()),
    );
    const csv = (await readFile(join(out, `purchase-${delivered}.csv`), "utf8")).split("\r\n");
    expect(csv[0]).to.equal("tokenId,dataCid,name,email,skills,years");
    expect(csv[1]).to.equal(
      `${contributions[0]!.tokenId},${contributions[0]!.dataCid},Contributor 0,c0@example.org,typescript; solidity,0`,
    );
  });

  it("fetches each envelope by CID, saying so, from a node that does not stream deliveries", async () => {
    const out = join(dir.path, "one-by-one");
    streaming = false;
    contentRequests.length = 0;
    try {
      const run = await runBuyer(
        ["--purchase", delivered.toString(), "--out", out, "--node-url", baseUrl],
        env(),
      );
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr).to.include(
        `purchase ${delivered}: the node does not stream this delivery (`,
      );
      expect(run.stderr).to.include("fetching records one by one");
      // The manifest, then every envelope by its CID.
      const manifestCid = (await worker.status(delivered))!.deliveryCid!;
      expect(contentRequests).to.have.members([
        manifestCid,
        ...contributions.map((c) => c.dataCid),
      ]);
      const jsonl = await readFile(join(out, `purchase-${delivered}.jsonl`), "utf8");
      expect(
        jsonl
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line).data),
      ).to.deep.equal([0, 1, 2, 3].map(sampleRecord));
    } finally {
      streaming = true;
    }
  });

  it("--format jsonl writes only the JSON Lines file", async () => {
    const out = join(dir.path, "jsonl-only");
    const run = await runBuyer(
      [
        "--purchase",
        delivered.toString(),
        "--out",
        out,
        "--format",
        "jsonl",
        "--node-url",
        baseUrl,
      ],
      env(),
    );
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include(`purchase-${delivered}.jsonl`);
    expect(run.stdout).to.not.include(".csv");
  });

  it("exits 1 naming the record when the node serves a tampered envelope", async () => {
    const victim = contributions[2]!;
    tampered.add(victim.dataCid);
    try {
      const run = await runBuyer(
        ["--purchase", delivered.toString(), "--out", join(dir.path, "bad"), "--node-url", baseUrl],
        env(),
      );
      expect(run.code).to.equal(1);
      const lines = errorLines(run);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include("verification failed (INTEGRITY)");
      expect(lines[0]).to.include(`record ${victim.tokenId}`);
    } finally {
      tampered.delete(victim.dataCid);
    }
  });

  it("waits for the delivery key, then exits 1 with KEY_NOT_RELEASED in plain words while the node withholds it", async () => {
    withholdKey = true;
    try {
      const run = await runBuyer(
        [
          ...["--purchase", delivered.toString(), "--out", join(dir.path, "withheld")],
          ...["--node-url", baseUrl, "--wait", "1"],
        ],
        env(),
      );
      expect(run.code, run.stderr).to.equal(1);
      expect(run.stderr).to.include("waiting for the custodian to release the delivery key");
      const lines = errorLines(run);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include(
        "verification failed (KEY_NOT_RELEASED): the custodian has not released the delivery key yet: the delivery of purchase",
      );
    } finally {
      withholdKey = false;
    }
  });

  it("exits 2 with one line saying what to fix on bad input", async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [[], env(), /--purchase must be a purchase id/],
      [["--purchase", "abc"], env(), /--purchase must be a purchase id/],
      [["--purchase", "1", "--format", "xml"], env(), /--format takes csv, jsonl/],
      [["--purchase", "1", "--bogus"], env(), /Unknown option '--bogus'/],
      [
        ["--purchase", "1"],
        env({ DATABANK_BUYER_PRIVATE_KEY: "" }),
        /DATABANK_BUYER_PRIVATE_KEY: set it/,
      ],
      [
        ["--purchase", "1"],
        env({ DATABANK_BUYER_PRIVATE_KEY: "0x12" }),
        /DATABANK_BUYER_PRIVATE_KEY: must be/,
      ],
      [["--purchase", "999"], env(), /there is no purchase 999/],
      [
        ["--purchase", delivered.toString()],
        env({ DATABANK_BUYER_PRIVATE_KEY: otherKey }),
        /was made by 0x[0-9a-fA-F]{40}, not by/,
      ],
      [
        ["--purchase", undelivered.toString(), "--node-url", baseUrl],
        env(),
        /is pending, not delivered yet/,
      ],
      [
        ["--purchase", "1"],
        env({ DATABANK_RPC_URL: "http://127.0.0.1:9" }),
        /DATABANK_RPC_URL: no chain answers/,
      ],
    ];
    for (const [args, environment, expected] of cases) {
      const run = await runBuyer(args, environment);
      const lines = errorLines(run);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).to.equal(2);
      expect(lines, run.stderr).to.have.length(1);
      expect(lines[0]).to.match(expected);
    }
  });

  // Last: it revokes a consent, which the cases above must not see.
  it("a re-download after a revocation leaves the revoked record out and says so", async () => {
    const revoked = contributions[1]!;
    await fixture.revoke(revoked);
    const out = join(dir.path, "after-revocation");
    const run = await runBuyer(
      ["--purchase", delivered.toString(), "--out", out, "--node-url", baseUrl],
      env(),
    );
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include(
      `1 record(s) whose consent was revoked left out (contribution ${revoked.tokenId})`,
    );
    const jsonl = (await readFile(join(out, `purchase-${delivered}.jsonl`), "utf8"))
      .trim()
      .split("\n");
    expect(jsonl.map((line) => JSON.parse(line).tokenId)).to.deep.equal(
      contributions.filter((c) => c !== revoked).map((c) => c.tokenId.toString()),
    );
    const csv = await readFile(join(out, `purchase-${delivered}.csv`), "utf8");
    expect(csv).not.to.include(revoked.dataCid);
  });
});
