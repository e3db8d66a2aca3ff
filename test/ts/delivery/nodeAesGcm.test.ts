import { expect } from "chai";
import { randomBytes } from "node:crypto";
import {
  DeliveryKeyError,
  importDeliveryKey,
  openRecordKey,
  recordAssociatedData,
  sealRecordKey,
  type RecordBinding,
} from "../../../lib/crypto/deliveryKey.js";
import {
  aesGcmOpen,
  aesGcmSeal,
  aesKey,
  sealRecordKeyOnNode,
} from "../../../service/custodian/delivery/nodeAesGcm.js";

describe("service/custodian/delivery/nodeAesGcm: the node's AES-GCM seals, in lib/crypto's formats", function () {
  const binding: RecordBinding = {
    chainId: 31337,
    databank: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    purchaseId: 7n,
    tokenId: 42n,
    dataCid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
  };

  it("a record key sealed on the node opens with lib/crypto openRecordKey (the buyer's), for its binding only", async function () {
    const deliveryKey = new Uint8Array(randomBytes(32));
    const dataKey = new Uint8Array(randomBytes(32));
    const sealed = sealRecordKeyOnNode(aesKey(deliveryKey), dataKey, binding);
    expect(sealed.nonce).to.match(/^0x[0-9a-f]{24}$/);
    expect(sealed.ciphertext).to.match(/^0x[0-9a-f]{96}$/);
    const key = await importDeliveryKey(deliveryKey);
    const opened = await openRecordKey(key, sealed, binding);
    expect(Buffer.from(opened).equals(Buffer.from(dataKey))).to.equal(true);
    for (const moved of [{ tokenId: 43n }, { purchaseId: 8n }, { dataCid: `${binding.dataCid}x` }]) {
      let failure: unknown;
      try {
        await openRecordKey(key, sealed, { ...binding, ...moved });
      } catch (error) {
        failure = error;
      }
      expect(failure, JSON.stringify(moved, (_, v) => (typeof v === "bigint" ? `${v}` : v)))
        .to.be.instanceOf(DeliveryKeyError)
        .with.property("code", "DECRYPTION_FAILED");
    }
  });

  it("opens what WebCrypto sealed, and refuses another key, nonce or associated data", async function () {
    const raw = new Uint8Array(randomBytes(32));
    const dataKey = new Uint8Array(randomBytes(32));
    // lib/crypto's seal (WebCrypto) reopened by the node's primitive with the same inputs.
    const sealed = await sealRecordKey(await importDeliveryKey(raw), dataKey, binding);
    const nonce = Buffer.from(sealed.nonce.slice(2), "hex");
    const ciphertext = Buffer.from(sealed.ciphertext.slice(2), "hex");
    const params = { key: aesKey(raw), nonce, associatedData: recordAssociatedData(binding) };
    expect(Buffer.from(aesGcmOpen(params, ciphertext)).equals(Buffer.from(dataKey))).to.equal(true);

    const roundTrip = aesGcmSeal(params, dataKey);
    expect(Buffer.from(aesGcmOpen(params, roundTrip)).equals(Buffer.from(dataKey))).to.equal(true);
    for (const wrong of [
      { ...params, key: aesKey(new Uint8Array(randomBytes(32))) },
      { ...params, nonce: randomBytes(12) },
      { ...params, associatedData: new Uint8Array([1]) },
    ]) {
      expect(() => aesGcmOpen(wrong, roundTrip)).to.throw();
    }
    expect(() => aesKey(new Uint8Array(16))).to.throw(RangeError);
  });
});
