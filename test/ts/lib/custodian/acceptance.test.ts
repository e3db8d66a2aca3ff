import { expect } from "chai";
import { readFileSync } from "node:fs";
import {
  generateKeyPair,
  sealEnvelope,
  type EnvelopeBinding,
} from "../../../../lib/crypto/index.js";
import {
  checkContribution,
  normaliseRecord,
  recordFingerprint,
  rejectionReasonCode,
  type AcceptanceResult,
  type CheckContributionParams,
} from "../../../../lib/custodian/index.js";
import { V1_CUSTODIAN_PRIVATE_KEY, V1_ENVELOPE } from "../crypto/v1Fixture.js";

const resumeSchema = JSON.parse(
  readFileSync(
    new URL("../../../../lib/custodian/schemas/resume.schema.json", import.meta.url),
    "utf8",
  ),
) as object;

const custodian = generateKeyPair();
const contributor = generateKeyPair();
const otherContributor = generateKeyPair();
const duplicateKey = new Uint8Array(32).fill(7);

/** The submission checked by default: the envelopes below are sealed for it. */
const SUBMISSION: EnvelopeBinding = {
  chainId: 31337,
  databank: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  poolId: 1,
  contributor: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
};
/** Someone who saw the CID and submits the same envelope as theirs. */
const SQUATTER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

const resume = {
  title: "Senior Software Engineer",
  yearsOfExperience: 8,
  skills: ["TypeScript", "Solidity", "Go"],
  city: "Lisbon",
  education: "master",
  salaryExpectation: { amount: 90000, currency: "EUR" },
};

async function seal(
  plaintext: Uint8Array | unknown,
  contributorKey: Uint8Array = contributor.publicKey,
  binding: EnvelopeBinding = SUBMISSION,
): Promise<Uint8Array> {
  const bytes =
    plaintext instanceof Uint8Array
      ? plaintext
      : new TextEncoder().encode(JSON.stringify(plaintext));
  return sealEnvelope({
    plaintext: bytes,
    recipients: [
      { role: "custodian", publicKey: custodian.publicKey },
      { role: "contributor", publicKey: contributorKey },
    ],
    contentType: "application/json",
    binding,
  });
}

async function check(
  envelope: Uint8Array,
  overrides: Partial<CheckContributionParams> = {},
): Promise<AcceptanceResult> {
  return checkContribution({
    envelope,
    submission: SUBMISSION,
    custodianPrivateKey: custodian.privateKey,
    contributorPublicKey: contributor.publicKey,
    schema: resumeSchema,
    duplicateKey,
    isDuplicate: () => false,
    ...overrides,
  });
}

function expectRejected(result: AcceptanceResult, reason: string) {
  if (result.ok) throw new Error(`expected rejection ${reason}, got acceptance`);
  expect(result.reason).to.equal(reason);
  return result;
}

describe("lib/custodian acceptance checks", function () {
  it("accepts a valid resume sealed to custodian and contributor", async function () {
    const result = await check(await seal(resume));
    if (!result.ok) throw new Error(`rejected: ${result.reason} ${result.message}`);
    expect(result.record).to.deep.equal(resume);
    expect(result.fingerprint).to.match(/^[0-9a-f]{64}$/);
    expect(result.fingerprint).to.equal(recordFingerprint(resume, duplicateKey));
  });

  it("accepts a resume without the optional salaryExpectation", async function () {
    const { salaryExpectation: _omitted, ...rest } = resume;
    const result = await check(await seal(rest));
    expect(result.ok).to.equal(true);
  });

  it("rejects as Undecryptable when the custodian key is not a recipient", async function () {
    const result = await check(await seal(resume), {
      custodianPrivateKey: generateKeyPair().privateKey,
    });
    const rejected = expectRejected(result, "Undecryptable");
    expect(rejected.message).to.be.a("string").and.not.equal("");
  });

  it("rejects as Undecryptable when one ciphertext byte is tampered with", async function () {
    const envelope = await seal(resume);
    const tampered = new Uint8Array(envelope);
    tampered[tampered.length - 20] ^= 0x01;
    expectRejected(await check(tampered), "Undecryptable");
  });

  it("rejects a missing required field as SchemaMismatch naming the path", async function () {
    const { yearsOfExperience: _omitted, ...rest } = resume;
    const rejected = expectRejected(await check(await seal(rest)), "SchemaMismatch");
    expect(rejected.fieldErrors).to.be.an("array");
    expect(rejected.fieldErrors!.map((e) => e.path)).to.include("/yearsOfExperience");
  });

  it("rejects a wrong type as SchemaMismatch and reports every error", async function () {
    const bad = { ...resume, yearsOfExperience: "eight", skills: [], extra: true };
    const rejected = expectRejected(await check(await seal(bad)), "SchemaMismatch");
    const paths = rejected.fieldErrors!.map((e) => e.path);
    expect(paths).to.include.members(["/yearsOfExperience", "/skills", "/extra"]);
    for (const e of rejected.fieldErrors!) expect(e.message).to.be.a("string").and.not.equal("");
    // the rejection must not echo record values
    expect(rejected.message).to.not.include("eight");
  });

  it("rejects an out-of-range integer and a value outside the education enum", async function () {
    const bad = { ...resume, yearsOfExperience: 61, education: "phd" };
    const rejected = expectRejected(await check(await seal(bad)), "SchemaMismatch");
    const paths = rejected.fieldErrors!.map((e) => e.path);
    expect(paths).to.include.members(["/yearsOfExperience", "/education"]);
  });

  it("rejects non-JSON and non-UTF-8 plaintext as SchemaMismatch", async function () {
    const notJson = await seal(new TextEncoder().encode("title,years\nengineer,8"));
    expectRejected(await check(notJson), "SchemaMismatch");
    const notUtf8 = await seal(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d));
    expectRejected(await check(notUtf8), "SchemaMismatch");
  });

  it("gives equivalent resumes the same fingerprint and rejects them as Duplicate", async function () {
    const withEmail = { ...resume, email: " Alice@Example.com" };
    const variant = {
      email: "alice@example.com ",
      salaryExpectation: { currency: "eur", amount: 90000 },
      education: "master",
      city: "  lisbon",
      skills: ["typescript", "SOLIDITY ", "go"],
      yearsOfExperience: 8,
      title: "senior software engineer",
    };
    const fp = recordFingerprint(withEmail, duplicateKey);
    expect(recordFingerprint(variant, duplicateKey)).to.equal(fp);
    expect(
      recordFingerprint({ ...withEmail, email: "bob@example.com" }, duplicateKey),
    ).to.not.equal(fp);

    const seen = new Set<string>();
    const first = await check(await seal(resume), { isDuplicate: (f) => seen.has(f) });
    if (!first.ok) throw new Error(`rejected: ${first.message}`);
    seen.add(first.fingerprint);

    const reordered = {
      skills: [" typescript", "solidity", "GO"],
      salaryExpectation: { currency: "eur", amount: 90000 },
      city: "LISBON ",
      education: "master",
      yearsOfExperience: 8,
      title: " senior software engineer",
    };
    const second = await check(await seal(reordered), {
      isDuplicate: async (f) => seen.has(f),
    });
    expectRejected(second, "Duplicate");
  });

  it("normalises composed and decomposed Unicode to the same record", function () {
    const composed = { city: "Malmö" };
    const decomposed = { city: "Malmo\u0308" };
    expect(normaliseRecord(decomposed)).to.deep.equal(normaliseRecord(composed));
    expect(recordFingerprint(decomposed, duplicateKey)).to.equal(
      recordFingerprint(composed, duplicateKey),
    );
    expect(normaliseRecord({ b: [" X "], a: 1.5 })).to.deep.equal({ a: 1.5, b: ["x"] });
    expect(Object.keys(normaliseRecord({ b: 1, a: 2 }) as object)).to.deep.equal(["a", "b"]);
  });

  it('keeps the number type: 8 and "8" do not collide', function () {
    expect(recordFingerprint({ y: 8 }, duplicateKey)).to.not.equal(
      recordFingerprint({ y: "8" }, duplicateKey),
    );
  });

  it("gives a different fingerprint under a different duplicate key", function () {
    const otherKey = new Uint8Array(32).fill(8);
    expect(recordFingerprint(resume, otherKey)).to.not.equal(
      recordFingerprint(resume, duplicateKey),
    );
    expect(() => recordFingerprint(resume, new Uint8Array(31))).to.throw(TypeError);
  });

  it("rejects as Other an envelope not sealed to the claimed contributor key", async function () {
    const someoneElses = await seal(resume, otherContributor.publicKey);
    const rejected = expectRejected(await check(someoneElses), "Other");
    expect(rejected.message).to.equal(
      "the envelope is not sealed to the submitting contributor's key",
    );
    // the claimed key listed under a role other than contributor does not count either
    const asBuyer = await sealEnvelope({
      plaintext: new TextEncoder().encode(JSON.stringify(resume)),
      recipients: [
        { role: "custodian", publicKey: custodian.publicKey },
        { role: "buyer", publicKey: contributor.publicKey },
      ],
      binding: SUBMISSION,
    });
    expectRejected(await check(asBuyer), "Other");
    // without a claimed key the check is skipped
    expect((await check(someoneElses, { contributorPublicKey: undefined })).ok).to.equal(true);
  });

  it("validates draft-07 schemas as well", async function () {
    const draft07 = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: { n: { type: "integer" } },
      required: ["n"],
    };
    expect((await check(await seal({ n: 1 }), { schema: draft07 })).ok).to.equal(true);
    const rejected = expectRejected(
      await check(await seal({ n: "x" }), { schema: draft07 }),
      "SchemaMismatch",
    );
    expect(rejected.fieldErrors).to.deep.equal([{ path: "/n", message: "must be integer" }]);
  });

  it("does not confuse two schemas that share an $id", async function () {
    const v1 = { $id: "urn:pool:1", type: "object", required: ["a"] };
    const v2 = { $id: "urn:pool:1", type: "object", required: ["b"] };
    const envelope = await seal({ a: 1 });
    expect((await check(envelope, { schema: v1 })).ok).to.equal(true);
    expect((await check(envelope, { schema: v1 })).ok).to.equal(true);
    const rejected = expectRejected(await check(envelope, { schema: v2 }), "SchemaMismatch");
    expect(rejected.fieldErrors!.map((e) => e.path)).to.deep.equal(["/b"]);
  });

  it("maps rejection reasons to the Solidity enum IDatabank.RejectionReason", function () {
    expect(rejectionReasonCode("Undecryptable")).to.equal(0);
    expect(rejectionReasonCode("SchemaMismatch")).to.equal(1);
    expect(rejectionReasonCode("Duplicate")).to.equal(2);
    expect(rejectionReasonCode("Expired")).to.equal(3);
    expect(rejectionReasonCode("Other")).to.equal(4);
    expect(rejectionReasonCode("NotBound")).to.equal(5);
  });

  describe("binding to the submission (format v2)", function () {
    /** A duplicate lookup that fails the test if it runs: a copy must not get that far. */
    const mustNotLookUp = () => {
      throw new Error("the duplicate lookup ran for an envelope not bound to the submitter");
    };

    it("rejects the victim's envelope submitted by someone else as NotBound, before any duplicate lookup", async function () {
      const victims = await seal(resume);
      const rejected = expectRejected(
        await check(victims, {
          submission: { ...SUBMISSION, contributor: SQUATTER },
          isDuplicate: mustNotLookUp,
        }),
        "NotBound",
      );
      expect(rejected.message).to.equal(
        `the envelope was sealed for contributor ${SUBMISSION.contributor}, not for the submitter ${SQUATTER}`,
      );
      // The victim's own submission of the same envelope passes.
      expect((await check(victims)).ok).to.equal(true);
    });

    it("rejects an envelope copied to another pool, Databank or chain as NotBound", async function () {
      const envelope = await seal(resume);
      const elsewhere: Array<[Partial<EnvelopeBinding>, RegExp]> = [
        [{ poolId: 2 }, /sealed for pool 1, not pool 2/],
        [{ databank: "0x000000000000000000000000000000000000dEaD" }, /sealed for the Databank/],
        [{ chainId: 1 }, /on chain 31337, not .* on chain 1$/],
      ];
      for (const [change, message] of elsewhere) {
        const rejected = expectRejected(
          await check(envelope, {
            submission: { ...SUBMISSION, ...change },
            isDuplicate: mustNotLookUp,
          }),
          "NotBound",
        );
        expect(rejected.message).to.match(message);
      }
    });

    it("compares addresses whatever their case", async function () {
      const lowercase = { ...SUBMISSION, contributor: SUBMISSION.contributor.toLowerCase() };
      expect(
        (await check(await seal(resume), { submission: lowercase as EnvelopeBinding })).ok,
      ).to.equal(true);
    });

    it("rejects a binding rewritten to the submitter's address: it no longer opens (Undecryptable)", async function () {
      const victims = await seal(resume);
      const rebound = new Uint8Array(victims);
      rebound.set(Buffer.from(SQUATTER.slice(2), "hex"), 57); // the binding's contributor field
      expectRejected(
        await check(rebound, {
          submission: { ...SUBMISSION, contributor: SQUATTER },
          isDuplicate: mustNotLookUp,
        }),
        "Undecryptable",
      );
    });

    it("rejects a v1 (unbound) envelope as NotBound, naming the format to use", async function () {
      const rejected = expectRejected(
        await check(V1_ENVELOPE, {
          custodianPrivateKey: V1_CUSTODIAN_PRIVATE_KEY,
          contributorPublicKey: undefined,
          isDuplicate: mustNotLookUp,
        }),
        "NotBound",
      );
      expect(rejected.message).to.match(/format v1, which is not bound .* \(format v2\)$/);
    });
  });
});
