/**
 * How a delivery becomes final (docs/data-bank-node.md): while the node's `fulfill` sits in the
 * mempool its calldata already names the manifest, yet neither the node's answer nor the manifest
 * lets anyone open a record; the delivery key is released only once `fulfill` is mined with
 * DATABANK_DELIVERY_CONFIRMATIONS confirmations.
 */
import { expect } from "chai";
import { decodeFunctionData, type Hex } from "viem";
import { databankAbi } from "../../../lib/contracts/abis.js";
import { openDelivery } from "../../../lib/delivery/index.js";
import {
  createChainFixture,
  plaintextsById,
  type Contribution,
  useDeliveryTestEnv,
} from "./chainFixture.js";
import { expectDeliveryError } from "./helpers.js";

describe("service/custodian/delivery: the delivery key is released only once fulfil is final", function () {
  this.timeout(180_000);

  const env = useDeliveryTestEnv("release");

  it("a pending fulfil's calldata names a manifest that opens nothing; after mining and 2 confirmations every record decrypts", async () => {
    const fixture = await createChainFixture(env.store);
    const contributions: Contribution[] = [];
    for (let i = 0; i < 4; i++) contributions.push(await fixture.contribute(i));
    const { purchase, keys } = await fixture.buy();
    const db = env.openDb();

    let sent!: (hash: Hex) => void;
    const fulfilSent = new Promise<Hex>((resolve) => (sent = resolve));
    const worker = fixture.worker(db, {
      confirmations: 2,
      checkpoint: async (name, info) => {
        if (name === "fulfill-sent") sent(info.hash as Hex);
      },
    });

    // The node's fulfil stays in the mempool: nothing is mined until the test says so.
    await fixture.testClient.setAutomine(false);
    try {
      const pass = worker.deliverPending();
      const hash = await fulfilSent;
      const pending = await fixture.publicClient.getTransaction({ hash });
      expect(pending.blockNumber, "still pending").to.equal(null);

      // What the node answers (`GET /v1/purchases/{id}/delivery` returns this view as it is).
      const before = await worker.status(purchase.id);
      expect(before?.status).to.equal("delivering");
      expect(before).to.not.have.property("deliveryCid");
      expect(before).to.not.have.property("deliveryKey");

      // Anyone watching the mempool reads the manifest CID from the calldata…
      const call = decodeFunctionData({ abi: databankAbi, data: pending.input });
      expect(call.functionName).to.equal("fulfill");
      const [, deliveryCid, recordsRoot, recordCount] = call.args as unknown as readonly [
        unknown,
        string,
        Hex,
        number,
      ];
      const manifest = await env.store.get(deliveryCid);
      const json = JSON.parse(new TextDecoder().decode(manifest));
      expect(json.version).to.equal(2);
      expect(JSON.stringify(json)).to.not.include("wrappedKey");

      // …but even the buyer's own private key opens no record of it.
      let fetched = 0;
      const attempt = () =>
        openDelivery({
          manifest,
          expected: {
            recordsRoot,
            recordCount,
            buyerKey: `0x${Buffer.from(keys.publicKey).toString("hex")}`,
            purchaseId: purchase.id,
            databank: fixture.address,
            deliveryCid,
          },
          fetchContent: async (cid) => {
            fetched++;
            return env.store.get(cid);
          },
          buyerPrivateKey: keys.privateKey,
          deliveryKey: async () => (await worker.status(purchase.id))?.deliveryKey,
        });
      const withheld = await expectDeliveryError(attempt, "KEY_NOT_RELEASED");
      expect(withheld.message).to.include(
        "the custodian has not released the delivery key yet: the delivery of purchase",
      );
      expect(fetched, "no envelope fetched").to.equal(0);

      // Mined: delivered, the manifest CID shown, but one confirmation of the two required.
      await fixture.testClient.mine({ blocks: 1 });
      await pass;
      const mined = await worker.status(purchase.id);
      expect(mined?.status).to.equal("delivered");
      expect(mined?.deliveryCid).to.equal(deliveryCid);
      expect(mined).to.not.have.property("deliveryKey");
      await expectDeliveryError(
        () => fixture.openAsBuyer(purchase.id, keys, worker),
        "KEY_NOT_RELEASED",
      );

      // A second confirmation: the key is released and every record decrypts.
      await fixture.testClient.mine({ blocks: 1 });
      const final = await worker.status(purchase.id);
      expect(final?.deliveryKey).to.match(/^0x[0-9a-f]{160}$/);
      const records = await fixture.openAsBuyer(purchase.id, keys, worker);
      expect(plaintextsById(records)).to.deep.equal(plaintextsById(contributions));
      expect(await attempt()).to.have.length(4);
    } finally {
      await fixture.testClient.setAutomine(true);
    }
  });

  it("another buyer cannot use the released key: it is sealed to the purchase's buyer key", async () => {
    const fixture = await createChainFixture(env.store);
    for (let i = 0; i < 2; i++) await fixture.contribute(i);
    const first = await fixture.buy(0);
    const second = await fixture.buy(1);
    const db = env.openDb();
    const worker = fixture.worker(db);
    await worker.deliverPending();
    expect(await fixture.openAsBuyer(second.purchase.id, second.keys, worker)).to.have.length(2);
    // The first buyer's key, offered for the second purchase, does not open it.
    const firstKey = (await worker.status(first.purchase.id))?.deliveryKey;
    await expectDeliveryError(
      () =>
        fixture.openAsBuyer(second.purchase.id, second.keys, {
          status: async () => ({ purchaseId: "", status: "delivered", deliveryKey: firstKey }),
        }),
      "UNDECRYPTABLE",
    );
  });
  it("a fulfil mined after the deadline reverts: the buyer gets its refund and nothing it can open (found in review)", async () => {
    const fixture = await createChainFixture(env.store);
    for (let i = 0; i < 2; i++) await fixture.contribute(i);
    const { purchase, keys } = await fixture.buy();
    const db = env.openDb();
    // The node comes to this purchase 1 s before its deadline (a backlog, a restart, a big pool)…
    await fixture.networkHelpers.time.increaseTo(purchase.deadline - 1);
    const worker = fixture.worker(db, {
      checkpoint: async (name) => {
        if (name === "manifest-uploaded") await fixture.testClient.setAutomine(false);
        if (name === "fulfill-sent") {
          // …and the next block comes one block-time (12 s) later, past the deadline.
          await fixture.testClient.setNextBlockTimestamp({
            timestamp: BigInt(purchase.deadline + 11),
          });
          await fixture.testClient.mine({ blocks: 1 });
          await fixture.testClient.setAutomine(true);
        }
      },
    });
    try {
      await worker.deliverPending();
    } finally {
      await fixture.testClient.setAutomine(true);
    }
    const sent = await fixture.fulfilTransactions();
    expect(sent.map((s) => s.status)).to.include("reverted");
    const revertedHash = sent.find((s) => s.status === "reverted")!.hash;
    const call = decodeFunctionData({
      abi: databankAbi,
      data: (await fixture.publicClient.getTransaction({ hash: revertedHash })).input,
    });
    const [, deliveryCid, recordsRoot, recordCount] = call.args as unknown as readonly [
      unknown,
      string,
      Hex,
      number,
    ];
    // The buyer takes its refund…
    await fixture.publicClient.waitForTransactionReceipt({
      hash: await fixture.custodian.contract.write.refund([purchase]),
    });
    expect(await fixture.reader.contract.read.purchaseStatus([purchase.id])).to.equal(3);
    // …and the manifest named in the reverted calldata opens nothing: no key was released.
    expect(await worker.status(purchase.id)).to.not.have.property("deliveryKey");
    const manifest = await env.store.get(deliveryCid);
    await expectDeliveryError(
      () =>
        openDelivery({
          manifest,
          expected: {
            recordsRoot,
            recordCount,
            buyerKey: `0x${Buffer.from(keys.publicKey).toString("hex")}`,
            purchaseId: purchase.id,
            databank: fixture.address,
            deliveryCid,
          },
          fetchContent: (cid) => env.store.get(cid),
          buyerPrivateKey: keys.privateKey,
          deliveryKey: async () => (await worker.status(purchase.id))?.deliveryKey,
        }),
      "KEY_NOT_RELEASED",
    );
  });
});
