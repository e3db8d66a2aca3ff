import { expect } from "chai";
import { getAddress, parseEventLogs, type Hash } from "viem";
import { createDatabankClient, databankAbi } from "../../../lib/contracts/index.js";
import { CID } from "multiformats/cid";
import { bases } from "multiformats/basics";
import {
  createPool,
  deployChain,
  expectNoSecrets,
  getJson,
  keptKeyOpens,
  newContributor,
  submitOnChain,
  postJson,
  relayBody,
  resume,
  seal,
  signConsent,
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
      await seal((options.sealTo ?? t).node, contributor, record, options.pool ?? poolId),
    );
    const hash = await client.contract.write.submitContribution([
      options.pool ?? poolId,
      dataCid,
      0,
      1,
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
    // The accepted record's data key is kept at acceptance (its first delivery opens no
    // envelope); the rejected one's is not.
    const kept = (s: { id: bigint; dataCid: string }) =>
      keptKeyOpens(chain, t.node, { poolId, tokenId: s.id, dataCid: s.dataCid });
    expect(await kept(good)).to.equal(true);
    expect(await kept(bad)).to.equal(false);
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
    const again = await upload(t.node, await seal(t.node, contributor, record, poolId));
    const checkUrl = `${t.node.url}/v1/contributions/check`;
    const checkBody = { poolId, dataCid: again, contributor: contributor.account.address };
    expect((await postJson(checkUrl, checkBody)).body.error.reason).to.equal("Duplicate");

    await chain.publicClient.waitForTransactionReceipt({
      hash: await first.client.contract.write.revokeConsent([first.id]),
    });
    await t.node.acceptance.pollOnce();
    expect((await postJson(checkUrl, checkBody)).status).to.equal(200);
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

describe("service: acceptance worker refuses records not bound to their submitter", function () {
  // These tests submit on-chain and need the contract to reject with RejectionReason.NotBound (5).
  // A contract without it (before the IDatabank change) reverts on reason 5: each test then skips,
  // saying so, rather than passing without having checked anything.
  this.timeout(180_000);
  let chain: Chain;
  let t: TestNode;
  let poolId: number;
  const NOT_BOUND = 5;

  before(async function () {
    chain = await deployChain();
    t = await startNode(chain);
    poolId = await createPool(chain, t.node);
  });
  after(async function () {
    await t?.cleanup();
  });

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

  const reservations = (dataCid: string) =>
    t.node.db.prepare("SELECT * FROM acceptance_fingerprints WHERE data_cid = ?").all(dataCid);

  it("squatter first: the squatter's on-chain copy of the victim's CID is rejected NotBound, then the victim's submission is accepted", async function () {
    const victim = newContributor();
    const squatter = newContributor();
    const dataCid = await upload(t.node, await seal(t.node, victim, resume(30), poolId));
    const squatted = await submitOnChain(chain, squatter, poolId, dataCid);

    await t.node.acceptance.pollOnce();
    expect(await rejectionReason(squatted)).to.equal(NOT_BOUND);
    const view = await getJson(`${t.node.url}/v1/contributions/${squatted}`);
    expect(view.body).to.include({ status: "rejected", reason: "NotBound" });
    expect(view.body.message).to.include("not for the submitter");
    expect(reservations(dataCid)).to.deep.equal([]);

    const own = await submitOnChain(chain, victim, poolId, dataCid);
    await t.node.acceptance.pollOnce();
    expect(await chain.reader.contract.read.ownerOf([own])).to.equal(
      getAddress(victim.account.address),
    );
  });

  it("victim first: after the victim's relayed record is accepted, a squatter's on-chain copy is rejected NotBound", async function () {
    const victim = newContributor();
    const squatter = newContributor();
    const dataCid = await upload(t.node, await seal(t.node, victim, resume(31), poolId));
    const relayed = await postJson(
      `${t.node.url}/v1/contributions/relay`,
      relayBody(await signConsent(chain, victim, poolId, dataCid)),
    );
    expect(relayed.status, JSON.stringify(relayed.body)).to.equal(201);

    // Submissions are keyed by contributor: the copy is not refused as a duplicate on-chain...
    const squatted = await submitOnChain(chain, squatter, poolId, dataCid);
    await t.node.acceptance.pollOnce();
    expect(await rejectionReason(squatted)).to.equal(NOT_BOUND);
    expect(
      await chain.reader.contract.read.ownerOf([BigInt(relayed.body.contributionId)]),
    ).to.equal(getAddress(victim.account.address));
  });

  it("rejects an active record submitted again to another pool of the same custodian as NotBound", async function () {
    const secondPool = await createPool(chain, t.node);
    const contributor = newContributor();
    const dataCid = await upload(t.node, await seal(t.node, contributor, resume(32), poolId));
    const relayed = await postJson(
      `${t.node.url}/v1/contributions/relay`,
      relayBody(await signConsent(chain, contributor, poolId, dataCid)),
    );
    expect(relayed.status).to.equal(201);
    const copy = await submitOnChain(chain, contributor, secondPool, dataCid);

    await t.node.acceptance.pollOnce();
    expect(await rejectionReason(copy)).to.equal(NOT_BOUND);
    const view = await getJson(`${t.node.url}/v1/contributions/${copy}`);
    expect(view.body.message).to.match(
      new RegExp(`sealed for pool ${poolId}, not pool ${secondPool}`),
    );
  });

  it("rejects a pending submission whose CID is not in the canonical spelling as NotBound", async function () {
    const contributor = newContributor();
    const canonical = await upload(t.node, await seal(t.node, contributor, resume(33), poolId));
    const cid = CID.parse(canonical);
    const submitted: bigint[] = [];
    for (const spelling of [
      cid.toString(bases.base58btc),
      cid.toString(bases.base36),
      canonical.toUpperCase(),
      ` ${canonical}`,
      // Looks canonical (lowercase base32 CIDv1) but is dag-cbor: never a Databank envelope's CID.
      "bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe",
    ]) {
      try {
        submitted.push(await submitOnChain(chain, contributor, poolId, spelling));
      } catch (error) {
        // A contract that checks the spelling itself refuses it before the node sees it.
        expect(String(error)).to.include("NonCanonicalCid");
      }
    }
    // The contract refuses every other spelling itself; the dag-cbor CID reaches the node.
    expect(submitted).to.have.length(1);
    await t.node.acceptance.pollOnce();
    for (const id of submitted) {
      expect(await rejectionReason(id)).to.equal(NOT_BOUND);
      const view = await getJson(`${t.node.url}/v1/contributions/${id}`);
      expect(view.body.message).to.match(/one way Databank accepts|not a raw\/dag-pb/);
    }
    expect(reservations(canonical)).to.deep.equal([]);
  });
});

function zero() {
  return "0x0000000000000000000000000000000000000000";
}
