import { expect } from "chai";
import { bases } from "multiformats/basics";
import { CID } from "multiformats/cid";
import { getAddress } from "viem";
import { V1_ENVELOPE } from "../lib/crypto/v1Fixture.js";
import {
  createPool,
  deployChain,
  expectNoSecrets,
  getJson,
  keptKeyOpens,
  newContributor,
  postJson,
  relayBody,
  responseTexts,
  resume,
  seal,
  signConsent,
  startNode,
  upload,
  type Chain,
  type TestNode,
} from "./helpers.js";

describe("service: gasless relay of signed consents", function () {
  this.timeout(180_000);
  let chain: Chain;
  let t: TestNode;
  let other: TestNode;
  let poolId: number;
  let otherPoolId: number;
  let relayUrl: string;

  before(async function () {
    chain = await deployChain();
    t = await startNode(chain, { env: { DATABANK_RELAY_RATE_LIMIT: "3" } });
    other = await startNode(chain);
    poolId = await createPool(chain, t.node);
    otherPoolId = await createPool(chain, other.node);
    relayUrl = `${t.node.url}/v1/contributions/relay`;
  });
  after(async function () {
    await t?.cleanup();
    await other?.cleanup();
  });

  const custodianNonce = () => chain.publicClient.getTransactionCount({ address: t.node.address });
  const contributionCount = () => chain.reader.contract.read.contributionCount();

  /** A contributor with an uploaded envelope of `record` and a signed consent. */
  async function prepared(record: unknown, contributor = newContributor()) {
    const dataCid = await upload(t.node, await seal(t.node, contributor, record, poolId));
    const signed = await signConsent(chain, contributor, poolId, dataCid);
    return { contributor, dataCid, signed };
  }

  it("relays a valid consent: the token is minted and the contributor pays no gas", async function () {
    const { contributor, dataCid, signed } = await prepared(resume(1));
    const address = contributor.account.address;
    const balanceBefore = await chain.publicClient.getBalance({ address });

    const { status, body } = await postJson(relayUrl, relayBody(signed));
    expect(status, JSON.stringify(body)).to.equal(201);
    expect(body.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    const id = BigInt(body.contributionId);
    expect(await chain.reader.contract.read.ownerOf([id])).to.equal(getAddress(address));
    expect(await chain.publicClient.getBalance({ address })).to.equal(balanceBefore);
    const receipt = await chain.publicClient.getTransactionReceipt({ hash: body.transactionHash });
    expect(getAddress(receipt.from)).to.equal(t.node.address);

    const view = await getJson(`${t.node.url}/v1/contributions/${id}`);
    expect(view.status).to.equal(200);
    expect(view.body).to.deep.equal({
      id: id.toString(),
      poolId,
      contributor: getAddress(address),
      status: "active",
    });
    // Its data key is kept at acceptance: its first delivery opens no envelope.
    expect(await keptKeyOpens(chain, t.node, { poolId, tokenId: id, dataCid })).to.equal(true);
  });

  it("refuses a signature by someone else with 400 INVALID_SIGNATURE and sends nothing", async function () {
    const { signed } = await prepared(resume(2));
    const impostor = newContributor();
    const forged = {
      ...signed,
      signature: await impostor.account.signTypedData(
        await chain.reader.consentTypedData(signed.request),
      ),
    };
    const nonceBefore = await custodianNonce();
    const { status, body } = await postJson(relayUrl, relayBody(forged));
    expect(status).to.equal(400);
    expect(body.error.code).to.equal("INVALID_SIGNATURE");
    expect(await custodianNonce()).to.equal(nonceBefore);
  });

  it("refuses a replayed signature with 409 SIGNATURE_ALREADY_USED and changes nothing", async function () {
    const { signed } = await prepared(resume(3));
    const first = await postJson(relayUrl, relayBody(signed));
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    const nonceBefore = await custodianNonce();
    const countBefore = await contributionCount();

    const replay = await postJson(relayUrl, relayBody(signed));
    expect(replay.status).to.equal(409);
    expect(replay.body.error.code).to.equal("SIGNATURE_ALREADY_USED");
    expect(replay.body.error.message).to.include("already relayed");
    expect(await custodianNonce()).to.equal(nonceBefore);
    expect(await contributionCount()).to.equal(countBefore);
  });

  it("rejects a record that breaks the schema with 422, naming the fields, and sends nothing", async function () {
    const { yearsOfExperience: _omitted, ...rest } = resume(4);
    const { signed } = await prepared({ ...rest, skills: [] });
    const nonceBefore = await custodianNonce();
    const { status, body } = await postJson(relayUrl, relayBody(signed));
    expect(status).to.equal(422);
    expect(body.error.code).to.equal("REJECTED");
    expect(body.error.reason).to.equal("SchemaMismatch");
    const paths = (body.error.fieldErrors as { path: string }[]).map((e) => e.path);
    expect(paths).to.include.members(["/yearsOfExperience", "/skills"]);
    expect(await custodianNonce()).to.equal(nonceBefore);
  });

  it("rejects an equivalent record already in the pool as 422 Duplicate", async function () {
    const first = await prepared(resume(11));
    expect((await postJson(relayUrl, relayBody(first.signed))).status).to.equal(201);
    // The same record sealed again by another contributor (another CID), with case and
    // whitespace changes the fingerprint normalises away.
    const { signed } = await prepared({ ...resume(11), city: "  LISBON " });
    const { status, body } = await postJson(relayUrl, relayBody(signed));
    expect(status).to.equal(422);
    expect(body.error.reason).to.equal("Duplicate");
  });

  it("answers 404 when the envelope was never uploaded", async function () {
    const contributor = newContributor();
    const sealed = await seal(t.node, contributor, resume(5), poolId);
    const { computeCid } = await import("../../../lib/storage/index.js");
    const signed = await signConsent(chain, contributor, poolId, await computeCid(sealed));
    const { status, body } = await postJson(relayUrl, relayBody(signed));
    expect(status).to.equal(404);
    expect(body.error.code).to.equal("CONTENT_NOT_FOUND");
  });

  it("refuses an expired deadline (400), an unknown pool (404) and another node's pool (409)", async function () {
    const { contributor, dataCid, signed } = await prepared(resume(6));
    const expired = await postJson(relayUrl, {
      ...relayBody(signed),
      request: { ...relayBody(signed).request, deadline: "1" },
    });
    expect(expired.status).to.equal(400);
    expect(expired.body.error.code).to.equal("SIGNATURE_EXPIRED");

    const unknown = await postJson(relayUrl, {
      ...relayBody(signed),
      request: { ...relayBody(signed).request, poolId: 9_999 },
    });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error.code).to.equal("POOL_NOT_FOUND");

    const elsewhere = await signConsent(chain, contributor, otherPoolId, dataCid);
    const notOurs = await postJson(relayUrl, relayBody(elsewhere));
    expect(notOurs.status).to.equal(409);
    expect(notOurs.body.error.code).to.equal("NOT_CUSTODIAN");
  });

  it("turns a contract refusal into 422 with the contract's plain words, sending nothing", async function () {
    const contributor = newContributor();
    const dataCid = await upload(t.node, await seal(t.node, contributor, resume(12), poolId));
    // A consent that already expired: valid signature and data, but the contract refuses it.
    const signed = await signConsent(chain, contributor, poolId, dataCid, { expiresAt: 1 });
    const nonceBefore = await custodianNonce();
    const { status, body } = await postJson(relayUrl, relayBody(signed));
    expect(status).to.equal(422);
    expect(body.error).to.deep.include({ code: "CONTRACT_REVERTED", revert: "InvalidExpiry" });
    expect(body.error.message).to.equal(
      "The consent expiry (1970-01-01T00:00:01Z) is not in the future.",
    );
    expect(await custodianNonce()).to.equal(nonceBefore);
    // The reserved fingerprint was released: the same record can still be relayed properly.
    const retry = await signConsent(chain, contributor, poolId, dataCid);
    expect((await postJson(relayUrl, relayBody(retry))).status).to.equal(201);
  });

  it("answers 400 naming the field for malformed JSON and bad fields", async function () {
    const malformed = await postJson(relayUrl, "{ not json");
    expect(malformed.status).to.equal(400);
    expect(malformed.body.error.code).to.equal("INVALID_JSON");

    const { signed } = await prepared(resume(7));
    const body = relayBody(signed);
    const bad = await postJson(relayUrl, {
      request: { ...body.request, contributor: "0x1234", deadline: -1, extra: true },
      signature: "nothex",
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.code).to.equal("INVALID_REQUEST");
    const paths = (bad.body.error.issues as { path: string }[]).map((issue) => issue.path);
    expect(paths).to.include.members([
      "request.contributor",
      "request.deadline",
      "request.extra",
      "signature",
    ]);
    expect(bad.body.error.message).to.include("request.deadline");

    const huge = await postJson(relayUrl, { ...body, padding: "x".repeat(100_000) });
    expect(huge.status).to.equal(413);
    expect(huge.body.error.code).to.equal("BODY_TOO_LARGE");

    const badCid = await postJson(relayUrl, {
      ...body,
      request: { ...body.request, dataCid: "QmNotACidV1" },
    });
    expect(badCid.status).to.equal(400);
    expect(badCid.body.error.issues[0].path).to.equal("request.dataCid");
  });

  it("rate-limits relays per contributor with 429 and Retry-After", async function () {
    const contributor = newContributor();
    const { computeCid } = await import("../../../lib/storage/index.js");
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      // Valid signatures over envelopes never uploaded: each counts, then fails cheaply with 404.
      const cid = await computeCid(new TextEncoder().encode(`envelope ${i}`));
      last = await postJson(
        relayUrl,
        relayBody(await signConsent(chain, contributor, poolId, cid)),
      );
      statuses.push(last.status);
    }
    expect(statuses).to.deep.equal([404, 404, 404, 429]);
    expect(last!.body.error.code).to.equal("RATE_LIMITED");
    expect(Number(last!.headers.get("retry-after"))).to.be.within(1, 60);

    // Another contributor is not affected.
    const { signed } = await prepared(resume(8));
    expect((await postJson(relayUrl, relayBody(signed))).status).to.equal(201);
  });

  it("rate-limits relay and check requests per client IP before any chain read, bad signatures included", async function () {
    // The outer budget (DATABANK_REQUEST_RATE_LIMIT); failFast.test.ts shows the inner one is spared.
    const limited = await startNode(chain, { env: { DATABANK_REQUEST_RATE_LIMIT: "2" } });
    try {
      const url = `${limited.node.url}/v1/contributions/relay`;
      const limitedPool = await createPool(chain, limited.node);
      const { computeCid } = await import("../../../lib/storage/index.js");
      const cid = await computeCid(new TextEncoder().encode("never uploaded"));
      const signed = await signConsent(chain, newContributor(), limitedPool, cid);
      const forged = { ...relayBody(signed), signature: `0x${"11".repeat(65)}` };
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 3; i++) {
        last = await postJson(url, forged);
        statuses.push(last.status);
      }
      expect(statuses).to.deep.equal([400, 400, 429]);
      expect(last!.body.error.code).to.equal("RATE_LIMITED");
      expect(last!.body.error.message).to.match(/at most 2 per minute/);
      const check = await postJson(`${limited.node.url}/v1/contributions/check`, {
        poolId: limitedPool,
        dataCid: cid,
        contributor: signed.request.contributor,
      });
      expect(check.status).to.equal(429);
    } finally {
      await limited.cleanup();
    }
  });

  it("checks data without relaying: 200 when it passes, 422 Undecryptable when sealed to another key", async function () {
    const contributor = newContributor();
    const checkUrl = `${t.node.url}/v1/contributions/check`;
    const submitter = contributor.account.address;
    const good = await upload(t.node, await seal(t.node, contributor, resume(9), poolId));
    const nonceBefore = await custodianNonce();
    const ok = await postJson(checkUrl, { poolId, dataCid: good, contributor: submitter });
    expect(ok.status).to.equal(200);
    expect(ok.body).to.deep.equal({ ok: true });

    const sealedElsewhere = await upload(
      t.node,
      await seal(other.node, contributor, resume(10), poolId),
    );
    const rejected = await postJson(checkUrl, {
      poolId: String(poolId),
      dataCid: sealedElsewhere,
      contributor: submitter,
    });
    expect(rejected.status).to.equal(422);
    expect(rejected.body.error.reason).to.equal("Undecryptable");
    expect(await custodianNonce()).to.equal(nonceBefore);
  });

  /** The fingerprint reservations the node holds for `dataCid` (a copy must never make one). */
  function reservationsOf(dataCid: string): unknown[] {
    return t.node.db
      .prepare("SELECT * FROM acceptance_fingerprints WHERE data_cid = ?")
      .all(dataCid);
  }

  it("refuses a squatter relaying the victim's CID with 422 NotBound before any gas or reservation; the victim then relays it", async function () {
    const victim = newContributor();
    const squatter = newContributor();
    const dataCid = await upload(t.node, await seal(t.node, victim, resume(20), poolId));
    const nonceBefore = await custodianNonce();

    const squatted = await postJson(
      relayUrl,
      relayBody(await signConsent(chain, squatter, poolId, dataCid)),
    );
    expect(squatted.status, JSON.stringify(squatted.body)).to.equal(422);
    expect(squatted.body.error).to.include({ code: "REJECTED", reason: "NotBound" });
    expect(squatted.body.error.message).to.equal(
      `the envelope was sealed for contributor ${getAddress(victim.account.address)}, not for the submitter ${getAddress(squatter.account.address)}`,
    );
    expect(await custodianNonce()).to.equal(nonceBefore);
    expect(reservationsOf(dataCid)).to.deep.equal([]);

    // Not Duplicate: the squatter reserved nothing, so the victim's own relay goes through.
    const own = await postJson(
      relayUrl,
      relayBody(await signConsent(chain, victim, poolId, dataCid)),
    );
    expect(own.status, JSON.stringify(own.body)).to.equal(201);
    expect(await chain.reader.contract.read.ownerOf([BigInt(own.body.contributionId)])).to.equal(
      getAddress(victim.account.address),
    );
  });

  it("refuses an active record copied into another pool of the same custodian with 422 NotBound", async function () {
    const secondPool = await createPool(chain, t.node);
    const { contributor, dataCid, signed } = await prepared(resume(21));
    expect((await postJson(relayUrl, relayBody(signed))).status).to.equal(201);
    const nonceBefore = await custodianNonce();

    const copy = await postJson(
      relayUrl,
      relayBody(await signConsent(chain, contributor, secondPool, dataCid)),
    );
    expect(copy.status).to.equal(422);
    expect(copy.body.error.reason).to.equal("NotBound");
    expect(copy.body.error.message).to.match(
      new RegExp(`sealed for pool ${poolId}, not pool ${secondPool}`),
    );
    const checked = await postJson(`${t.node.url}/v1/contributions/check`, {
      poolId: secondPool,
      dataCid,
      contributor: contributor.account.address,
    });
    expect([checked.status, checked.body.error.reason]).to.deep.equal([422, "NotBound"]);
    expect(await custodianNonce()).to.equal(nonceBefore);
  });

  it("refuses a v1 (unbound) envelope as a new contribution with 422 NotBound", async function () {
    const dataCid = await upload(t.node, V1_ENVELOPE);
    const { status, body } = await postJson(
      relayUrl,
      relayBody(await signConsent(chain, newContributor(), poolId, dataCid)),
    );
    expect(status).to.equal(422);
    expect(body.error.reason).to.equal("NotBound");
    expect(body.error.message).to.match(/format v1, which is not bound/);
  });

  it("refuses every other spelling of a CID with 400 on the relay, check and content routes, storing nothing", async function () {
    const contributor = newContributor();
    const canonical = await upload(t.node, await seal(t.node, contributor, resume(22), poolId));
    const cid = CID.parse(canonical);
    const spellings = [
      cid.toString(bases.base58btc), // z…
      cid.toString(bases.base36), // k…
      cid.toString(bases.base32upper), // B…
      canonical.toUpperCase(),
      ` ${canonical}`,
      `${canonical} `,
    ];
    const nonceBefore = await custodianNonce();
    const countBefore = await contributionCount();
    for (const spelling of spellings) {
      const relayed = await postJson(
        relayUrl,
        relayBody(await signConsent(chain, contributor, poolId, spelling)),
      );
      expect(relayed.status, spelling).to.equal(400);
      expect(relayed.body.error.code).to.equal("INVALID_REQUEST");
      expect(relayed.body.error.issues[0].path).to.equal("request.dataCid");
      expect(relayed.body.error.issues[0].message).to.include(`write it as ${canonical}`);

      const checked = await postJson(`${t.node.url}/v1/contributions/check`, {
        poolId,
        dataCid: spelling,
        contributor: contributor.account.address,
      });
      expect(checked.status, spelling).to.equal(400);
      expect(checked.body.error.issues[0].path).to.equal("dataCid");

      const content = await getJson(`${t.node.url}/v1/content/${encodeURIComponent(spelling)}`);
      expect(content.status, spelling).to.equal(400);
      expect(content.body.error.code).to.equal("INVALID_CID");
      expect(content.body.error.message).to.include(`write it as ${canonical}`);
    }
    // CIDv0 (Qm…) exists for dag-pb content only: a large envelope's CID.
    const large = await upload(t.node, new Uint8Array(300_000).fill(7));
    const v0 = CID.parse(large).toV0().toString();
    const v0Content = await getJson(`${t.node.url}/v1/content/${v0}`);
    expect([v0Content.status, v0Content.body.error.code]).to.deep.equal([400, "INVALID_CID"]);
    const v0Relay = await postJson(
      relayUrl,
      relayBody(await signConsent(chain, contributor, poolId, v0)),
    );
    expect(v0Relay.status).to.equal(400);

    expect(await custodianNonce()).to.equal(nonceBefore);
    expect(await contributionCount()).to.equal(countBefore);
    const stored = t.node.db
      .prepare("SELECT data_cid FROM acceptance_contributions WHERE data_cid != ?")
      .all(canonical) as { data_cid: string }[];
    for (const spelling of [...spellings, v0]) {
      expect(stored.map((row) => row.data_cid)).to.not.include(spelling);
      expect(reservationsOf(spelling)).to.deep.equal([]);
    }
  });

  it("never shows a secret in a response or a log line", async function () {
    expect(responseTexts.length).to.be.above(10);
    expectNoSecrets(responseTexts, t.custodian.secrets);
    expectNoSecrets(t.logs, t.custodian.secrets);
    expect(t.logs.some((line) => line.includes("relay: consent relayed"))).to.equal(true);
  });
});
