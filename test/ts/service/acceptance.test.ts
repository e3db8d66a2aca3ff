import { expect } from "chai";
import { getAddress, parseEventLogs, type Hash } from "viem";
import { createDatabankClient, databankAbi } from "../../../lib/contracts/index.js";
import {
  createPool,
  deployChain,
  expectNoSecrets,
  getJson,
  newContributor,
  postJson,
  resume,
  seal,
  startNode,
  upload,
  type Chain,
  type Contributor,
  type TestNode,
} from "./helpers.js";

describe("service: acceptance worker for on-chain submissions", function () {
  this.timeout(180_000);
  let chain: Chain;
  let t: TestNode;
  let poolId: number;
  const nodes: TestNode[] = [];

  before(async function () {
    chain = await deployChain();
    t = await startNode(chain);
    nodes.push(t);
    poolId = await createPool(chain, t.node);
  });
  after(async function () {
    for (const node of nodes.reverse()) await node.cleanup();
  });

  const custodianNonce = () => chain.publicClient.getTransactionCount({ address: t.node.address });

  /** The contributor's own client (it pays gas on this path). */
  async function contributorClient(contributor: Contributor) {
    await chain.fund(contributor.account.address, "1");
    return createDatabankClient({
      publicClient: chain.publicClient,
      walletClient: chain.localWallet(contributor.account),
      address: chain.databank.address,
    });
  }

  /** Uploads `record` sealed by a new contributor and submits it on-chain; returns the id. */
  async function submit(record: unknown, options: { sealTo?: TestNode; pool?: number } = {}) {
    const contributor = newContributor();
    const client = await contributorClient(contributor);
    const dataCid = await upload(
      t.node,
      await seal((options.sealTo ?? t).node, contributor, record),
    );
    const hash = await client.contract.write.submitContribution([
      options.pool ?? poolId,
      dataCid,
      0,
    ]);
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    const [event] = parseEventLogs({
      abi: databankAbi,
      eventName: "ContributionSubmitted",
      logs: receipt.logs,
    });
    return {
      id: event!.args.contributionId,
      contributor,
      client,
      dataCid,
      blockNumber: receipt.blockNumber,
    };
  }

  /** The reason code of the ContributionRejected event of `id`. */
  async function rejectionReason(id: bigint): Promise<number | undefined> {
    const [event] = await chain.publicClient.getContractEvents({
      abi: databankAbi,
      address: chain.databank.address,
      eventName: "ContributionRejected",
      args: { contributionId: id },
      fromBlock: 0n,
      strict: true,
    });
    return event?.args.reason;
  }

  it("accepts a valid submission and rejects a schema-breaking one with SchemaMismatch", async function () {
    const good = await submit(resume(1));
    const bad = await submit({ ...resume(2), yearsOfExperience: "many" });
    expect(await chain.reader.contract.read.pendingContributor([good.id])).to.equal(
      getAddress(good.contributor.account.address),
    );

    await t.node.acceptance.pollOnce();

    expect(await chain.reader.contract.read.ownerOf([good.id])).to.equal(
      getAddress(good.contributor.account.address),
    );
    expect(await rejectionReason(bad.id)).to.equal(1); // SchemaMismatch
    const goodView = await getJson(`${t.node.url}/v1/contributions/${good.id}`);
    expect(goodView.body.status).to.equal("active");
    const badView = await getJson(`${t.node.url}/v1/contributions/${bad.id}`);
    expect(badView.body).to.include({ status: "rejected", reason: "SchemaMismatch" });
    expect(badView.body.fieldErrors).to.deep.equal([
      { path: "/yearsOfExperience", message: "must be integer" },
    ]);
  });

  it("rejects an envelope the custodian cannot open as Undecryptable, and a duplicate as Duplicate", async function () {
    const stranger = await startNode(chain);
    nodes.push(stranger);
    const sealedElsewhere = await submit(resume(3), { sealTo: stranger });
    const original = await submit(resume(4));
    await t.node.acceptance.pollOnce();
    const duplicate = await submit({ ...resume(4), title: " engineer 4 " });
    await t.node.acceptance.pollOnce();

    expect(await rejectionReason(sealedElsewhere.id)).to.equal(0); // Undecryptable
    expect(await rejectionReason(original.id)).to.equal(undefined);
    expect(await rejectionReason(duplicate.id)).to.equal(2); // Duplicate
  });

  it("ignores submissions to pools custodied by another node", async function () {
    const stranger = await startNode(chain);
    nodes.push(stranger);
    const foreignPool = await createPool(chain, stranger.node);
    const foreign = await submit(resume(5), { sealTo: stranger, pool: foreignPool });
    const nonceBefore = await custodianNonce();
    await t.node.acceptance.pollOnce();
    expect(await custodianNonce()).to.equal(nonceBefore);
    expect(await chain.reader.contract.read.pendingContributor([foreign.id])).to.equal(
      getAddress(foreign.contributor.account.address),
    );
  });

  it("releases a revoked record's fingerprint so it can be contributed again", async function () {
    const contributor = newContributor();
    const record = resume(6);
    const first = await submit(record);
    await t.node.acceptance.pollOnce();
    const again = await upload(t.node, await seal(t.node, contributor, record));
    const checkUrl = `${t.node.url}/v1/contributions/check`;
    expect((await postJson(checkUrl, { poolId, dataCid: again })).body.error.reason).to.equal(
      "Duplicate",
    );

    await chain.publicClient.waitForTransactionReceipt({
      hash: await first.client.contract.write.revokeConsent([first.id]),
    });
    await t.node.acceptance.pollOnce();
    expect((await postJson(checkUrl, { poolId, dataCid: again })).status).to.equal(200);
    expect((await getJson(`${t.node.url}/v1/contributions/${first.id}`)).body.status).to.equal(
      "revoked",
    );
  });

  it("does not re-send for a contribution settled on-chain behind its back (crash after sending)", async function () {
    const pending = await submit(resume(7));
    // On-chain and not yet checked by the worker when the custodian's account accepts it, as a
    // run that crashed between sending and recording would have.
    await t.node.exclusive(async () => {
      const hash: Hash = await t.node.databank.contract.write.acceptContribution([pending.id]);
      await chain.publicClient.waitForTransactionReceipt({ hash });
    });
    const nonceBefore = await custodianNonce();
    await t.node.acceptance.pollOnce();
    expect(await custodianNonce()).to.equal(nonceBefore);
    expect((await getJson(`${t.node.url}/v1/contributions/${pending.id}`)).body.status).to.equal(
      "active",
    );
  });

  it("after a restart neither re-processes old submissions nor misses new ones", async function () {
    const earlier = await submit(resume(8));
    await t.node.acceptance.pollOnce();
    expect(await chain.reader.contract.read.ownerOf([earlier.id])).to.equal(
      getAddress(earlier.contributor.account.address),
    );
    // The scan cursor is persisted past the block of the submission it processed.
    const cursor = t.node.db.prepare("SELECT next_block FROM acceptance_cursor").get() as {
      next_block: string;
    };
    expect(BigInt(cursor.next_block)).to.be.greaterThan(earlier.blockNumber);
    const during = await submit(resume(9)); // submitted while the node is down

    await t.cleanup(true);
    nodes.splice(nodes.indexOf(t), 1);
    const nonceBefore = await custodianNonce();
    t = await startNode(chain, {
      dataDir: t.dataDir,
      custodian: t.custodian,
      hooks: { startWorkers: true }, // the real polling loop this time
    });
    nodes.push(t);

    const deadline = Date.now() + 20_000;
    while ((await chain.reader.contract.read.pendingContributor([during.id])) !== zero()) {
      if (Date.now() > deadline)
        throw new Error("the restarted worker did not process the submission");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await t.node.acceptance.pollOnce();
    // Exactly one transaction (accepting `during`) since the restart, none for the old ones.
    expect(await custodianNonce()).to.equal(nonceBefore + 1);
    expect(await chain.reader.contract.read.ownerOf([during.id])).to.equal(
      getAddress(during.contributor.account.address),
    );
    expectNoSecrets(t.logs, t.custodian.secrets);
  });
});

function zero() {
  return "0x0000000000000000000000000000000000000000";
}
