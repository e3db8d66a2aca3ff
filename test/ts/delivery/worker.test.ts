import { expect } from "chai";
import { createWalletClient, custom } from "viem";
import { databankAbi } from "../../../lib/contracts/abis.js";
import { generateKeyPair } from "../../../lib/crypto/index.js";
import {
  createChainFixture,
  plaintextsById,
  type ChainFixture,
  type Contribution,
  useDeliveryTestEnv,
} from "./chainFixture.js";

describe("service/custodian/delivery: the delivery worker on a real chain and Helia store", function () {
  this.timeout(180_000);

  const env = useDeliveryTestEnv("worker");

  async function withContributions(fixture: ChainFixture, count: number): Promise<Contribution[]> {
    const made: Contribution[] = [];
    for (let i = 0; i < count; i++) made.push(await fixture.contribute(i));
    return made;
  }

  it("delivers a purchase of N contributions; the buyer decrypts exactly those N records", async () => {
    const fixture = await createChainFixture(env.store);
    const contributions = await withContributions(fixture, 6);
    const { purchase, keys } = await fixture.buy();
    const events: { event: string; fields: Record<string, unknown> }[] = [];
    const worker = fixture.worker(env.openDb(), {
      log: (event, fields) => events.push({ event, fields }),
    });

    expect(await worker.status(purchase.id)).to.equal(undefined);
    await worker.deliverPending();

    const status = await worker.status(purchase.id);
    const [fulfilled] = await fixture.fulfilledEvents(purchase.id);
    expect(status).to.deep.equal({
      purchaseId: purchase.id.toString(),
      status: "delivered",
      deliveryCid: fulfilled!.args.deliveryCid,
      recordsRoot: fulfilled!.args.recordsRoot,
      recordCount: 6,
      transactionHash: fulfilled!.transactionHash,
      // Mined with one confirmation (the default): the delivery key sealed to the buyer is out.
      deliveryKey: status!.deliveryKey,
    });
    expect(status!.deliveryKey).to.match(/^0x[0-9a-f]{160}$/);
    expect(await fixture.reader.contract.read.purchaseStatus([purchase.id])).to.equal(2);
    const records = await fixture.openAsBuyer(purchase.id, keys, worker);
    expect(plaintextsById(records)).to.deep.equal(plaintextsById(contributions));
    // Logs carry ids, CIDs and counts, never keys or plaintext.
    const logged = JSON.stringify(events, (_, v) => (typeof v === "bigint" ? v.toString() : v));
    expect(logged).to.include("delivery.fulfilled");
    expect(logged).to.not.include(Buffer.from(contributions[0]!.plaintext).toString());
    expect(logged).to.not.include(Buffer.from(fixture.custodianKeys.privateKey).toString("hex"));
    expect(logged).to.not.include(status!.deliveryKey!.slice(2));
  });

  it("excludes a contribution revoked before a later purchase", async () => {
    const fixture = await createChainFixture(env.store);
    const contributions = await withContributions(fixture, 4);
    const worker = fixture.worker(env.openDb());
    const first = await fixture.buy(0);
    await worker.deliverPending();
    expect((await fixture.openAsBuyer(first.purchase.id, first.keys, worker)).length).to.equal(4);

    await fixture.revoke(contributions[1]!);
    const second = await fixture.buy(1);
    await worker.deliverPending();
    const records = await fixture.openAsBuyer(second.purchase.id, second.keys, worker);
    expect(records.map((r) => r.tokenId)).to.deep.equal(
      [contributions[0]!, contributions[2]!, contributions[3]!].map((c) => c.tokenId),
    );
    expect((await worker.status(second.purchase.id))?.recordCount).to.equal(3);
  });

  it("retires expired consents before delivering, and does not deliver them", async () => {
    const fixture = await createChainFixture(env.store);
    const now = await fixture.networkHelpers.time.latest();
    const kept = await withContributions(fixture, 2);
    const expiring = await fixture.contribute(9, { expiresAt: now + 1_000 });
    const { purchase, keys } = await fixture.buy();
    await fixture.networkHelpers.time.increase(2_000);
    const events: string[] = [];
    const worker = fixture.worker(env.openDb(), { log: (event) => events.push(event) });

    await worker.deliverPending();

    const revoked = await fixture.reader.contract.getEvents.ConsentRevoked(
      { contributionId: expiring.tokenId },
      { fromBlock: fixture.deployBlock },
    );
    expect(revoked).to.have.length(1);
    expect(revoked[0]!.args.expired).to.equal(true);
    expect(events).to.include("delivery.retired-expired");
    const records = await fixture.openAsBuyer(purchase.id, keys, worker);
    expect(records.map((r) => r.tokenId)).to.deep.equal(kept.map((c) => c.tokenId));
  });

  it("marks a purchase past its deadline failed (refundable) instead of fulfilling it", async () => {
    const fixture = await createChainFixture(env.store);
    await withContributions(fixture, 2);
    const { purchase } = await fixture.buy();
    await fixture.networkHelpers.time.increase(86_400 + 10);
    const worker = fixture.worker(env.openDb());

    await worker.deliverPending();

    const status = await worker.status(purchase.id);
    expect(status?.status).to.equal("failed");
    expect(status?.error).to.match(/deadline passed .* refund/);
    expect(await fixture.fulfilTransactions()).to.deep.equal([]);

    // Once the buyer takes its refund, the status follows the chain.
    await fixture.custodian.publicClient.waitForTransactionReceipt({
      hash: await fixture.custodian.contract.write.refund([purchase]),
    });
    await worker.deliverPending();
    expect((await worker.status(purchase.id))?.status).to.equal("refunded");
  });

  it("keeps delivering other purchases when one fails, and records the failing record's error", async () => {
    const fixture = await createChainFixture(env.store);
    await withContributions(fixture, 2);
    const brokenPool = await fixture.createPool();
    // Accepted by mistake: sealed to another key, so the custodian cannot re-wrap it.
    const broken = await fixture.contribute(5, { poolId: brokenPool, sealTo: generateKeyPair() });
    const bad = await fixture.buy(0, brokenPool);
    const good = await fixture.buy(1);
    const worker = fixture.worker(env.openDb());

    await worker.deliverPending();

    expect((await worker.status(good.purchase.id))?.status).to.equal("delivered");
    expect((await fixture.openAsBuyer(good.purchase.id, good.keys, worker)).length).to.equal(2);
    const status = await worker.status(bad.purchase.id);
    expect(status?.status).to.equal("pending");
    expect(status?.error).to.include(`record ${broken.tokenId}`);
    expect(await fixture.fulfilledEvents(bad.purchase.id)).to.deep.equal([]);
  });

  it("sends no fulfil estimated above its gas ceiling, and sends each with the ceiling as gas limit", async () => {
    const fixture = await createChainFixture(env.store);
    await withContributions(fixture, 2);
    const { purchase } = await fixture.buy();
    const db = env.openDb();

    // fulfill needs about 64k gas (more before refunds): a 40k ceiling refuses it.
    await fixture.worker(db, { gasLimit: 40_000n }).deliverPending();
    const refused = await fixture.worker(db).status(purchase.id);
    expect(refused?.status).to.not.equal("delivered");
    expect(refused?.error).to.match(
      new RegExp(
        `^fulfilling purchase ${purchase.id} would cost [\\d,]+ gas, over the node's limit of 40,000 gas \\(DATABANK_DELIVERY_GAS_LIMIT\\); nothing was sent$`,
      ),
    );
    expect(await fixture.fulfilTransactions()).to.deep.equal([]);

    // The default ceiling (200k) lets it through, sent with exactly that gas limit.
    const worker = fixture.worker(db);
    await worker.deliverPending();
    const delivered = await worker.status(purchase.id);
    expect(delivered?.status).to.equal("delivered");
    const sent = await fixture.publicClient.getTransaction({ hash: delivered!.transactionHash! });
    expect(sent.gas).to.equal(200_000n);
  });

  it("ignores purchases of pools another custodian holds", async () => {
    const fixture = await createChainFixture(env.store);
    const otherCustodian = fixture.clientOf(3);
    const foreignPool = await fixture.createPool(otherCustodian.walletClient.account.address);
    await fixture.contribute(0);
    await fixture.contribute(1, { poolId: foreignPool, relayer: otherCustodian });
    const foreign = await fixture.buy(0, foreignPool);
    const ours = await fixture.buy(1);
    const worker = fixture.worker(env.openDb());

    await worker.deliverPending();

    expect((await worker.status(ours.purchase.id))?.status).to.equal("delivered");
    expect(await worker.status(foreign.purchase.id)).to.equal(undefined);
    expect(await fixture.fulfilledEvents(foreign.purchase.id)).to.deep.equal([]);
  });

  it("start() polls: a purchase made while it runs is delivered; stop() waits for the pass", async () => {
    const fixture = await createChainFixture(env.store);
    await withContributions(fixture, 3);
    const worker = fixture.worker(env.openDb(), { pollIntervalMs: 20 });
    worker.start();
    try {
      const { purchase, keys } = await fixture.buy();
      const deadline = Date.now() + 60_000;
      while ((await worker.status(purchase.id))?.status !== "delivered") {
        if (Date.now() > deadline) throw new Error("not delivered within 60 s");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await fixture.openAsBuyer(purchase.id, keys, worker)).length).to.equal(3);
    } finally {
      await worker.stop();
    }
  });
});

describe("service/custodian/delivery: a revocation racing the fulfil transaction", function () {
  this.timeout(180_000);
  const env = useDeliveryTestEnv("race");

  it("lands the delivery anyway, keeps the manifest hidden while pending, and puts the erasure on the buyer", async () => {
    const db = env.openDb();
    {
      // The buyer also holds one of the two records of a pool at its threshold of 2.
      const fixture = await createChainFixture(env.store, { minContributors: 2 });
      const [kept, raced] = [await fixture.contribute(0), await fixture.contribute(1)];
      const { purchase, keys } = await fixture.buy();
      await fixture.testClient.setBalance({
        address: raced!.contributor.address,
        value: 10n ** 18n,
      });
      const revoker = createWalletClient({
        account: raced!.contributor,
        chain: fixture.publicClient.chain,
        transport: custom(fixture.connection.provider),
      });
      let seenWhilePending: unknown;
      const worker = fixture.worker(db, {
        checkpoint: async (name) => {
          if (name !== "fulfill-sent") return;
          // The fulfil transaction sits in the mempool: nothing usable may be shown yet.
          seenWhilePending = await worker.status(purchase.id);
          // The revocation is ordered before it in the same block (a higher tip).
          await revoker.writeContract({
            address: fixture.address,
            abi: databankAbi,
            functionName: "revokeConsent",
            args: [raced!.tokenId],
            maxPriorityFeePerGas: 10n ** 11n,
            maxFeePerGas: 10n ** 12n,
          });
          await fixture.testClient.mine({ blocks: 1 });
        },
      });

      await fixture.testClient.setAutomine(false);
      try {
        await worker.deliverPending();
      } finally {
        await fixture.testClient.setAutomine(true);
      }

      expect(seenWhilePending).to.deep.equal({
        purchaseId: purchase.id.toString(),
        status: "delivering",
      });
      const [revoked] = await fixture.reader.contract.getEvents.ConsentRevoked(
        { contributionId: raced!.tokenId },
        { fromBlock: fixture.deployBlock },
      );
      const [fulfilled] = await fixture.fulfilledEvents(purchase.id);
      expect(revoked!.blockNumber).to.equal(fulfilled!.blockNumber);
      expect(revoked!.logIndex).to.be.lessThan(fulfilled!.logIndex);
      expect(fulfilled!.args.recordCount).to.equal(2);
      expect(fulfilled!.args.erasuresSeen).to.equal(0);
      expect(await fixture.reader.contract.read.purchaseStatus([purchase.id])).to.equal(2);
      expect(
        await fixture.reader.contract.read.erasuresOwed([fixture.poolId, purchase.buyer]),
      ).to.equal(1);
      // Only the record still active earns from the sale.
      expect(await fixture.reader.contract.read.pendingEarnings([kept!.tokenId])).to.be.greaterThan(
        0n,
      );
      const records = await fixture.openAsBuyer(purchase.id, keys, worker);
      expect(records.map((r) => r.tokenId)).to.deep.equal([kept!.tokenId, raced!.tokenId]);
    }
  });
});
