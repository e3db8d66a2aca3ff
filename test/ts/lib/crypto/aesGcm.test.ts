import { expect } from "chai";
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  DEFAULT_AES_GCM_ENGINE,
  importAesGcmKey,
  type AesGcmEngine,
} from "../../../../lib/crypto/aesGcm.js";
import { randomBytes } from "../../../../lib/crypto/bytes.js";
import {
  importDeliveryKey,
  openRecordKey,
  sealRecordKey,
  type RecordBinding,
} from "../../../../lib/crypto/deliveryKey.js";

const ENGINES: readonly AesGcmEngine[] = ["node", "webcrypto"];

describe("lib/crypto/aesGcm: node:crypto and WebCrypto, one format", function () {
  it("uses node:crypto by default in Node", function () {
    expect(DEFAULT_AES_GCM_ENGINE).to.equal("node");
  });

  it("each engine opens what the other sealed, and neither opens another key, nonce, associated data or a changed byte", async function () {
    const raw = randomBytes(32);
    const params = { nonce: randomBytes(12), associatedData: randomBytes(20) };
    const plaintext = randomBytes(1_200);
    for (const sealer of ENGINES) {
      const sealed = await aesGcmEncrypt(await importAesGcmKey(raw, sealer), params, plaintext);
      expect(sealed.length).to.equal(plaintext.length + 16);
      for (const opener of ENGINES) {
        const key = await importAesGcmKey(raw, opener);
        const opened = await aesGcmDecrypt(key, params, sealed);
        expect(
          Buffer.from(opened).equals(Buffer.from(plaintext)),
          `${sealer} → ${opener}`,
        ).to.equal(true);
        const tampered = new Uint8Array(sealed);
        tampered[5]! ^= 1;
        for (const [what, attempt] of [
          [
            "another key",
            () =>
              importAesGcmKey(randomBytes(32), opener).then((k) =>
                aesGcmDecrypt(k, params, sealed),
              ),
          ],
          [
            "another nonce",
            () => aesGcmDecrypt(key, { ...params, nonce: randomBytes(12) }, sealed),
          ],
          [
            "other associated data",
            () => aesGcmDecrypt(key, { ...params, associatedData: new Uint8Array(1) }, sealed),
          ],
          ["a changed byte", () => aesGcmDecrypt(key, params, tampered)],
        ] as const) {
          const failure = await attempt().catch((error: unknown) => error);
          expect(failure, `${sealer} → ${opener}: ${what}`).to.be.instanceOf(Error);
        }
      }
    }
  });

  it("a record key sealed with node:crypto opens with WebCrypto (a buyer's browser), and the reverse", async function () {
    const binding: RecordBinding = {
      chainId: 31337,
      databank: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      purchaseId: 7n,
      tokenId: 42n,
      dataCid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    };
    const deliveryKey = randomBytes(32);
    const dataKey = randomBytes(32);
    for (const [sealer, opener] of [
      ["node", "webcrypto"],
      ["webcrypto", "node"],
    ] as const) {
      const sealed = await sealRecordKey(
        await importDeliveryKey(deliveryKey, sealer),
        dataKey,
        binding,
      );
      const opened = await openRecordKey(
        await importDeliveryKey(deliveryKey, opener),
        sealed,
        binding,
      );
      expect(Buffer.from(opened).equals(Buffer.from(dataKey))).to.equal(true);
    }
  });

  it("refuses a key that is not 32 bytes", async function () {
    const failure = await importAesGcmKey(new Uint8Array(16)).catch((error: unknown) => error);
    expect(failure).to.be.instanceOf(RangeError);
  });
});
