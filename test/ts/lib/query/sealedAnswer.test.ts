import { expect } from "chai";
import { computeCid } from "../../../../lib/storage/cid.js";
import { generateKeyPair, toHex32 } from "../../../../lib/crypto/index.js";
import {
  answerKeyForBuyer,
  answerQuery,
  assertQuery,
  openAnswer,
  sealAnswer,
  type AnswerBinding,
} from "../../../../lib/query/index.js";
import { demoResume } from "../../../../scripts/demo/resumes.js";
import { exampleQuery, resumePolicy, resumeSchema } from "./helpers.js";

const binding: AnswerBinding = {
  chainId: 31337,
  databank: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  purchaseId: 7n,
  poolId: 2,
  buyer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
};

describe("lib/query/sealedAnswer: the answer sealed to its buyer", () => {
  async function sealed() {
    const custodian = generateKeyPair();
    const buyer = generateKeyPair();
    const query = assertQuery({
      query: exampleQuery,
      recordSchema: resumeSchema,
      policy: resumePolicy(),
    });
    const result = await answerQuery({
      records: Array.from({ length: 50 }, (_, i) => demoResume(i)),
      query,
    });
    const envelope = await sealAnswer({ result, binding, custodianPublicKey: custodian.publicKey });
    const answerCid = await computeCid(envelope);
    const sealedKey = await answerKeyForBuyer({
      envelope,
      answerCid,
      custodianPrivateKey: custodian.privateKey,
      buyerKey: toHex32(buyer.publicKey),
      binding,
    });
    return { custodian, buyer, result, envelope, answerCid, sealedKey };
  }

  it("opens for the buyer with the released key: the same answer and CSV", async () => {
    const { buyer, result, envelope, answerCid, sealedKey } = await sealed();
    const bundle = await openAnswer({
      envelope,
      answerCid,
      sealedKey,
      buyerPrivateKey: buyer.privateKey,
      binding,
    });
    expect(bundle.answer).to.deep.equal(result.answer);
    expect(bundle.csv).to.equal(result.csv);
  });

  it("opens for nobody else, for no other purchase, pool or answer CID", async () => {
    const { envelope, answerCid, sealedKey, buyer } = await sealed();
    const open = (overrides: Partial<Parameters<typeof openAnswer>[0]>) =>
      openAnswer({
        envelope,
        answerCid,
        sealedKey,
        buyerPrivateKey: buyer.privateKey,
        binding,
        ...overrides,
      });
    await expectRejected(open({ buyerPrivateKey: generateKeyPair().privateKey }));
    await expectRejected(open({ binding: { ...binding, purchaseId: 8n } }));
    await expectRejected(open({ binding: { ...binding, poolId: 3 } }));
    await expectRejected(open({ answerCid: await computeCid(new Uint8Array([1, 2, 3])) }));
  });
});

async function expectRejected(promise: Promise<unknown>): Promise<void> {
  let failed = false;
  try {
    await promise;
  } catch {
    failed = true;
  }
  expect(failed, "opened where it must not").to.equal(true);
}
