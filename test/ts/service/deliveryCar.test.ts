import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { CarBlockIterator } from "@ipld/car/iterator";
import { CID } from "multiformats/cid";
import { createNodeApiClient, NodeApiError, type NodeApiClient } from "../../../lib/api/index.js";
import {
  assertBytesMatchCid,
  computeCid,
  isStorageError,
  type ContentBlock,
  type GetOptions,
} from "../../../lib/storage/index.js";
import { createEnvelopeLists } from "../../../service/content/deliveryCar.js";
import type { DeliveryStatusView } from "../../../service/app.js";
import { deployChain, startNode, type Chain, type TestNode } from "./helpers.js";

/** The error a promise rejects with, which must be a NodeApiError with a one-line message. */
async function apiError(action: Promise<unknown>): Promise<NodeApiError> {
  try {
    await action;
  } catch (error) {
    expect(error).to.be.instanceOf(NodeApiError);
    expect((error as Error).message)
      .to.be.a("string")
      .and.not.equal("");
    return error as NodeApiError;
  }
  throw new Error("expected a NodeApiError");
}

const status = (
  purchaseId: bigint,
  view: Partial<DeliveryStatusView> & Pick<DeliveryStatusView, "status">,
): DeliveryStatusView => ({ purchaseId: purchaseId.toString(), ...view });

describe("service: GET /v1/purchases/{id}/delivery/car (real node, store and HTTP; delivery statuses from a stand-in hook)", function () {
  this.timeout(180_000);
  let chain: Chain;
  let t: TestNode;
  let api: NodeApiClient;
  let manifestCid: string;
  /** A manifest over 256 KiB: a UnixFS DAG, whose CID is still the CAR's root. */
  let largeManifestCid: string;
  /** The raw envelopes the node holds, in manifest order: what the stream must carry. */
  const held: { cid: string; bytes: Uint8Array }[] = [];
  let largeCid: string;
  let notHeldCid: string;
  let notHeldManifestCid: string;

  before(async function () {
    chain = await deployChain();
    // The delivery worker is a stand-in here: building a real delivery needs a whole purchase.
    const statuses = new Map<bigint, DeliveryStatusView>();
    t = await startNode(chain, {
      hooks: { deliveries: { status: async (id) => statuses.get(id) } },
    });
    const store = t.node.store;
    for (let i = 0; i < 4; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(100 + i * 37));
      held.push({ cid: await store.put(bytes), bytes });
    }
    largeCid = await store.put(new Uint8Array(randomBytes(300 * 1024)));
    notHeldCid = await computeCid(crypto.getRandomValues(new Uint8Array(64)));
    const order = [held[0]!.cid, largeCid, held[1]!.cid, notHeldCid, held[2]!.cid, held[3]!.cid];
    const records = order.map((dataCid) => ({ dataCid }));
    manifestCid = await store.put(new TextEncoder().encode(JSON.stringify({ records })));
    largeManifestCid = await store.put(
      new TextEncoder().encode(JSON.stringify({ records, padding: "x".repeat(300 * 1024) })),
    );
    notHeldManifestCid = await computeCid(new TextEncoder().encode('{"records":[]}'));
    statuses.set(1n, status(1n, { status: "delivered", deliveryCid: manifestCid }));
    statuses.set(2n, status(2n, { status: "delivering" }));
    statuses.set(3n, status(3n, { status: "delivered", deliveryCid: notHeldManifestCid }));
    statuses.set(5n, status(5n, { status: "delivered", deliveryCid: largeManifestCid }));
    api = createNodeApiClient({ baseUrl: t.node.url });
  });
  after(async function () {
    await t?.cleanup();
  });

  it("the setup is what the test means: raw small envelopes, a dag-pb large one", function () {
    for (const { cid } of held) expect(CID.parse(cid).code).to.equal(0x55);
    expect(CID.parse(largeCid).code).to.equal(0x70);
    expect(CID.parse(notHeldCid).code).to.equal(0x55);
    expect(CID.parse(largeManifestCid).code).to.equal(0x70);
  });

  it("streams exactly the raw envelopes held, in manifest order, under the manifest's CID", async function () {
    for (const [purchase, root] of [
      [1n, manifestCid],
      [5n, largeManifestCid],
    ] as const) {
      const stream = await api.openDeliveryStream(purchase);
      expect(stream.manifestCid).to.equal(root);
      const envelopes: ContentBlock[] = [];
      for await (const envelope of stream.envelopes) envelopes.push(envelope);
      expect(envelopes.map((each) => each.cid.toString())).to.deep.equal(held.map((h) => h.cid));
      envelopes.forEach((each, i) => expect(each.bytes).to.deep.equal(held[i]!.bytes));
    }
  });

  it("is a valid CARv1 for a standard reader: one root, every block hashing to its CID", async function () {
    const response = await fetch(`${t.node.url}/v1/purchases/5/delivery/car`);
    const car = await CarBlockIterator.fromBytes(new Uint8Array(await response.arrayBuffer()));
    expect(car.version).to.equal(1);
    expect((await car.getRoots()).map(String)).to.deep.equal([largeManifestCid]);
    let blocks = 0;
    for await (const { cid, bytes } of car) {
      await assertBytesMatchCid(cid, bytes, "the stream");
      blocks++;
    }
    expect(blocks).to.equal(held.length);
  });

  it("answers with the CAR media type", async function () {
    const response = await fetch(`${t.node.url}/v1/purchases/1/delivery/car`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.equal("application/vnd.ipld.car; version=1");
    await response.body?.cancel();
  });

  it("refuses a purchase not delivered (409), unknown (404) or a bad id (400), with a message", async function () {
    const delivering = await apiError(api.openDeliveryStream(2n));
    expect([delivering.status, delivering.code]).to.deep.equal([409, "NOT_DELIVERED"]);
    expect(delivering.message).to.include("delivering");
    const unknown = await apiError(api.openDeliveryStream(4n));
    expect([unknown.status, unknown.code]).to.deep.equal([404, "PURCHASE_NOT_FOUND"]);
    expect(unknown.message).to.include("purchase 4");
    const badId = await apiError(api.openDeliveryStream(-1));
    expect(badId.status).to.equal(400);
  });

  it("answers 404 when the node does not hold the delivery's manifest", async function () {
    const missing = await apiError(api.openDeliveryStream(3n));
    expect([missing.status, missing.code]).to.deep.equal([404, "CONTENT_NOT_FOUND"]);
  });

  it("keeps the last manifests' envelope lists parsed: one read for repeated streams, none kept after a failure", async function () {
    const reads: string[] = [];
    const counting = {
      get: (cid: string, options?: GetOptions) => {
        reads.push(cid);
        return t.node.store.get(cid, options);
      },
    };
    const lists = createEnvelopeLists(counting);
    const first = await lists.of(manifestCid);
    expect(first.map(String)).to.include.members(held.map((h) => h.cid));
    expect(await lists.of(manifestCid)).to.equal(first);
    expect(reads).to.deep.equal([manifestCid]);

    // A manifest not held: NOT_FOUND each time, never a kept failure.
    for (let attempt = 0; attempt < 2; attempt++) {
      let failure: unknown;
      await lists.of(notHeldManifestCid).catch((error: unknown) => (failure = error));
      expect(isStorageError(failure, "NOT_FOUND"), String(failure)).to.equal(true);
    }
    expect(reads.filter((cid) => cid === notHeldManifestCid)).to.have.length(2);

    // Four other manifests later, the first is read again (only the last four are kept).
    for (let i = 0; i < 4; i++) {
      const other = await t.node.store.put(
        new TextEncoder().encode(JSON.stringify({ records: [{ dataCid: held[i]!.cid }] })),
      );
      await lists.of(other);
    }
    await lists.of(manifestCid);
    expect(reads.filter((cid) => cid === manifestCid)).to.have.length(2);
  });
});
