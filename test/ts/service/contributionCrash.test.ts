/**
 * Crash recovery of the relay and the acceptance worker, in-process: a node is stopped dead at a
 * durable step (its `contributionCheckpoint` hook closes nothing: the test closes the node's
 * database under it, then the hook throws, so nothing after the step can be recorded), and a fresh
 * node on the same data directory and keys must bring the record in exactly once, leave no
 * reservation stranded, and still refuse a real duplicate. Also: reservations left by the previous
 * version (no transaction recorded with them) are settled from the chain, never taken for a
 * duplicate of their own submission. Real parts: Hardhat chain, Helia, SQLite, HTTP.
 */
import { expect } from "chai";
import { getAddress, hexToBytes, parseEventLogs, type Hex } from "viem";
import { createDatabankClient, databankAbi } from "../../../lib/contracts/index.js";
import { recordFingerprint, rejectionReasonCode } from "../../../lib/custodian/index.js";
import type { ContributionCheckpoint } from "../../../service/custodian/reservations.js";
import {
  createPool,
  deployChain,
  getJson,
  newContributor,
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

const DUPLICATE = rejectionReasonCode("Duplicate");

describe("service: crash recovery of relays and acceptances (fingerprint reservations)", function () {
  this.timeout(240_000);
  let chain: Chain;
  /** The node alive now (each crash replaces it with a fresh one on the same data directory). */
  let t: TestNode;
  let poolId: number;
  let recordNumber = 500;

  before(async function () {
    chain = await deployChain();
    t = await startNode(chain);
    poolId = await createPool(chain, t.node);
  });
  after(async function () {
    await t?.cleanup();
  });

  /** A deadline one hour after the chain's clock (which a test below moves forward). */
  async function deadline(): Promise<bigint> {
    const block = await chain.publicClient.getBlock({ blockTag: "latest" });
    return block.timestamp + 3_600n;
  }

  /**
   * Replaces the node by one whose hook halts at `at`; `crash()` then closes its database (the
   * process "died" there: nothing after the step is recorded), lets the hook throw, stops what is
   * left of it, and starts a fresh node on the same data directory and keys.
   */
  async function nodeThatDiesAt(at: ContributionCheckpoint) {
    await t.cleanup(true);
    let reached!: (info: Record<string, unknown>) => void;
    const halted = new Promise<Record<string, unknown>>((resolve) => (reached = resolve));
    let kill!: () => void;
    const killed = new Promise<void>((resolve) => (kill = resolve));
    const dying = await startNode(chain, {
      dataDir: t.dataDir,
      custodian: t.custodian,
      hooks: {
        contributionCheckpoint: async (name, info) => {
          if (name !== at) return;
          reached(info);
          await killed;
          throw new Error(`simulated crash at ${name}`);
        },
      },
    });
    t = dying;
    return {
      node: dying,
      halted,
      async crash(): Promise<TestNode> {
        dying.node.db.close();
        kill();
        await dying.cleanup(true);
        t = await startNode(chain, { dataDir: dying.dataDir, custodian: dying.custodian });
        return t;
      },
    };
  }

  /** Waits for the hook to halt at its step; fails at once if `work` ends without reaching it. */
  async function haltedDuring(
    halted: Promise<Record<string, unknown>>,
    work: Promise<unknown>,
  ): Promise<void> {
    await Promise.race([
      halted,
      work.then(
        () => Promise.reject(new Error("finished without reaching the checkpoint")),
        (error: unknown) => Promise.reject(error),
      ),
    ]);
  }

  /** An uploaded envelope of a new record and its signed consent. */
  async function prepared(record = resume(recordNumber++), contributor = newContributor()) {
    const dataCid = await upload(t.node, await seal(t.node, contributor, record, poolId));
    const signed = await signConsent(chain, contributor, poolId, dataCid, {
      deadline: await deadline(),
    });
    return { record, contributor, dataCid, signed };
  }

  /** The `ContributionSubmitted` events of `dataCid` in the pool. */
  async function submissionsOf(dataCid: string) {
    const logs = await chain.publicClient.getContractEvents({
      abi: databankAbi,
      address: chain.databank.address,
      eventName: "ContributionSubmitted",
      args: { poolId },
      fromBlock: 0n,
      strict: true,
    });
    return logs.filter((log) => log.args.dataCid === dataCid);
  }

  /** The node's fingerprint reservations of `dataCid`. */
  function reservationsOf(dataCid: string) {
    return t.node.db
      .prepare("SELECT contribution_id, state FROM acceptance_fingerprints WHERE data_cid = ?")
      .all(dataCid) as { contribution_id: string | null; state: string }[];
  }

  /** The custodian's duplicate fingerprint of `record` (as the checks compute it). */
  function fingerprintOf(record: unknown): string {
    const key = hexToBytes(t.custodian.env.DATABANK_CUSTODIAN_FINGERPRINT_KEY as Hex);
    return recordFingerprint(JSON.parse(JSON.stringify(record)), key);
  }

  /** Exactly one active contribution of `dataCid`, owned by `contributor`, its reservation confirmed. */
  async function expectInOnce(dataCid: string, contributor: Contributor): Promise<bigint> {
    const submitted = await submissionsOf(dataCid);
    expect(submitted, "contributions of the record").to.have.length(1);
    const id = submitted[0]!.args.contributionId;
    expect(await chain.reader.contract.read.ownerOf([id])).to.equal(
      getAddress(contributor.account.address),
    );
    expect(reservationsOf(dataCid)).to.deep.equal([
      { contribution_id: id.toString(), state: "confirmed" },
    ]);
    const view = await getJson(`${t.node.url}/v1/contributions/${id}`);
    expect(view.body.status).to.equal("active");
    return id;
  }

  /** Another contributor's copy of `record` is refused as a duplicate through the relay. */
  async function expectRelayedDuplicateRefused(record: ReturnType<typeof resume>): Promise<void> {
    const copy = await prepared(record);
    const { status, body } = await postJson(
      `${t.node.url}/v1/contributions/relay`,
      relayBody(copy.signed),
    );
    expect(status, JSON.stringify(body)).to.equal(422);
    expect(body.error.reason).to.equal("Duplicate");
  }

  // ------------------------------------------------------------------ relay

  for (const at of ["relay-reserved", "relay-sent"] as const) {
    it(`relay killed at "${at}": the restarted node finishes it once, the same consent is not a duplicate of itself, a copy is`, async function () {
      const dying = await nodeThatDiesAt(at);
      const { record, contributor, dataCid, signed } = await prepared();
      const request = postJson(`${dying.node.node.url}/v1/contributions/relay`, relayBody(signed));
      request.catch(() => undefined);
      await haltedDuring(dying.halted, request);
      expect(reservationsOf(dataCid).map((r) => r.state)).to.deep.equal(["sending"]);
      await dying.crash();
      await request.catch(() => undefined);

      await expectInOnce(dataCid, contributor);
      // Sent again after the restart, the same consent is known as relayed, not a duplicate.
      const again = await postJson(`${t.node.url}/v1/contributions/relay`, relayBody(signed));
      expect(again.status, JSON.stringify(again.body)).to.equal(409);
      expect(again.body.error.code).to.equal("SIGNATURE_ALREADY_USED");
      await expectRelayedDuplicateRefused(record);
      await expectInOnce(dataCid, contributor);
    });
  }

  it("a relay retried before the restarted node settled its reservation answers 201 with the one contribution", async function () {
    const dying = await nodeThatDiesAt("relay-reserved");
    const { contributor, dataCid, signed } = await prepared();
    const request = postJson(`${dying.node.node.url}/v1/contributions/relay`, relayBody(signed));
    request.catch(() => undefined);
    await haltedDuring(dying.halted, request);
    // The reservation is taken out before the kill and put back after the restart, so that the
    // restart's own recovery does not see it (as if the chain had been unreachable then).
    const db = dying.node.node.db;
    const [row] = db
      .prepare("SELECT * FROM acceptance_fingerprints WHERE data_cid = ?")
      .all(dataCid) as Record<string, string | number | null>[];
    db.prepare("DELETE FROM acceptance_fingerprints WHERE data_cid = ?").run(dataCid);
    await dying.crash();
    await request.catch(() => undefined);
    const columns = Object.keys(row!);
    t.node.db
      .prepare(
        `INSERT INTO acceptance_fingerprints (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
      )
      .run(...columns.map((column) => row![column]!));
    expect(await submissionsOf(dataCid)).to.deep.equal([]);

    // The client retries the same consent: the node finishes its first transaction and says so.
    const again = await postJson(`${t.node.url}/v1/contributions/relay`, relayBody(signed));
    expect(again.status, JSON.stringify(again.body)).to.equal(201);
    const id = await expectInOnce(dataCid, contributor);
    expect(again.body.contributionId).to.equal(id.toString());
    expect(again.body.transactionHash).to.equal(row!.tx_hash);
  });

  it("a relay reservation left by the previous version (no transaction recorded) does not refuse the record forever", async function () {
    const { record, contributor, dataCid, signed } = await prepared();
    // What a kill between the reservation and `contributeWithSignature` left on main.
    t.node.db
      .prepare(
        "INSERT INTO acceptance_fingerprints (pool_id, fingerprint, contribution_id, data_cid) VALUES (?, ?, NULL, ?)",
      )
      .run(poolId, fingerprintOf(record), dataCid);
    const { status, body } = await postJson(
      `${t.node.url}/v1/contributions/relay`,
      relayBody(signed),
    );
    expect(status, JSON.stringify(body)).to.equal(201);
    await expectInOnce(dataCid, contributor);
    await expectRelayedDuplicateRefused(record);
  });

  // ------------------------------------------------------------- acceptance

  /** `submitContribution` of a new record by a new contributor (who pays its gas). */
  async function submitOnChain(record = resume(recordNumber++)) {
    const contributor = newContributor();
    await chain.fund(contributor.account.address, "1");
    const client = createDatabankClient({
      publicClient: chain.publicClient,
      walletClient: chain.localWallet(contributor.account),
      address: chain.databank.address,
    });
    const dataCid = await upload(t.node, await seal(t.node, contributor, record, poolId));
    const receipt = await chain.publicClient.waitForTransactionReceipt({
      hash: await client.contract.write.submitContribution([poolId, dataCid, 0, 1]),
    });
    const [event] = parseEventLogs({
      abi: databankAbi,
      eventName: "ContributionSubmitted",
      logs: receipt.logs,
    });
    return { id: event!.args.contributionId, record, contributor, dataCid };
  }

  /** A copy of `record` submitted on-chain by someone else is rejected Duplicate. */
  async function expectSubmittedDuplicateRejected(
    record: ReturnType<typeof resume>,
  ): Promise<void> {
    const copy = await submitOnChain(record);
    await t.node.acceptance.pollOnce();
    const [rejected] = await chain.publicClient.getContractEvents({
      abi: databankAbi,
      address: chain.databank.address,
      eventName: "ContributionRejected",
      args: { contributionId: copy.id },
      fromBlock: 0n,
      strict: true,
    });
    expect(rejected?.args.reason, "the copy's rejection").to.equal(DUPLICATE);
    expect(reservationsOf(copy.dataCid)).to.deep.equal([]);
  }

  /** No ContributionRejected of `id`: it was accepted, never refused as its own duplicate. */
  async function expectNeverRejected(id: bigint): Promise<void> {
    const rejected = await chain.publicClient.getContractEvents({
      abi: databankAbi,
      address: chain.databank.address,
      eventName: "ContributionRejected",
      args: { contributionId: id },
      fromBlock: 0n,
    });
    expect(rejected).to.deep.equal([]);
  }

  for (const at of ["accept-reserved", "accept-sent"] as const) {
    it(`acceptance killed at "${at}": the restarted node accepts it once and still rejects a copy`, async function () {
      const dying = await nodeThatDiesAt(at);
      const submission = await submitOnChain();
      const poll = dying.node.node.acceptance.pollOnce();
      await haltedDuring(dying.halted, poll);
      expect(reservationsOf(submission.dataCid).map((r) => r.state)).to.deep.equal(["sending"]);
      await dying.crash();
      await poll;

      await t.node.acceptance.pollOnce();
      expect(await expectInOnce(submission.dataCid, submission.contributor)).to.equal(
        submission.id,
      );
      await expectNeverRejected(submission.id);
      await expectSubmittedDuplicateRejected(submission.record);
    });
  }

  it("an acceptance reservation left by the previous version: the submission is accepted, not rejected as a duplicate of itself", async function () {
    const submission = await submitOnChain();
    // What a kill between the reservation and `acceptContribution` left on main.
    t.node.db
      .prepare(
        "INSERT INTO acceptance_fingerprints (pool_id, fingerprint, contribution_id, data_cid) VALUES (?, ?, ?, ?)",
      )
      .run(poolId, fingerprintOf(submission.record), submission.id.toString(), submission.dataCid);
    await t.node.acceptance.pollOnce();
    await expectNeverRejected(submission.id);
    await expectInOnce(submission.dataCid, submission.contributor);
    await expectSubmittedDuplicateRejected(submission.record);
  });

  // Last: it moves the chain's clock forward.
  it("a relay killed before sending whose consent expired meanwhile: the reservation is released and the record relayed again", async function () {
    const dying = await nodeThatDiesAt("relay-reserved");
    const { record, contributor, dataCid, signed } = await prepared();
    const request = postJson(`${dying.node.node.url}/v1/contributions/relay`, relayBody(signed));
    request.catch(() => undefined);
    await haltedDuring(dying.halted, request);
    const testClient = await chain.viem.getTestClient();
    await testClient.increaseTime({ seconds: 7_200 });
    await testClient.mine({ blocks: 1 });
    await dying.crash();
    await request.catch(() => undefined);

    expect(await submissionsOf(dataCid)).to.deep.equal([]);
    expect(reservationsOf(dataCid)).to.deep.equal([]);
    const fresh = await signConsent(chain, contributor, poolId, dataCid, {
      deadline: await deadline(),
    });
    const { status, body } = await postJson(
      `${t.node.url}/v1/contributions/relay`,
      relayBody(fresh),
    );
    expect(status, JSON.stringify(body)).to.equal(201);
    await expectInOnce(dataCid, contributor);
    await expectRelayedDuplicateRefused(record);
  });
});
