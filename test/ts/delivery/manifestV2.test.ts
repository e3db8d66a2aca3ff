/**
 * The v2 manifest and its delivery key: the manifest alone opens nothing, the released key opens
 * every record, and nothing sealed can be moved to another record, purchase or manifest.
 */
import { expect } from "chai";
import { bytesToHex, getAddress, hexToBytes } from "viem";
import { aesGcmDecrypt, importAesGcmKey } from "../../../lib/crypto/aesGcm.js";
import {
  DeliveryKeyError,
  generateDeliveryKey,
  importDeliveryKey,
  openDeliveryKey,
  openRecordKey,
  sealDeliveryKey,
  sealRecordKey,
} from "../../../lib/crypto/index.js";
import {
  encodeManifest,
  MANIFEST_VERSION,
  openDelivery,
  parseManifest,
  waitForDeliveryKey,
} from "../../../lib/delivery/index.js";
import { computeCid } from "../../../lib/storage/cid.js";
import {
  DATABANK,
  encodeJson,
  expectDeliveryError,
  offChainDeliveryV2,
  type OffChainDeliveryV2,
} from "./helpers.js";

interface V2Json {
  version: number;
  purchaseId: string;
  records: { tokenId: string; sealedKey: { nonce: string; ciphertext: string } }[];
}

describe("delivery/manifest v2: records sealed under a delivery key released after fulfilment", function () {
  this.timeout(60_000);

  let delivery: OffChainDeliveryV2;
  before(async () => {
    delivery = await offChainDeliveryV2(5);
  });

  const open = (overrides: Partial<Parameters<typeof openDelivery>[0]> = {}) =>
    openDelivery({
      manifest: delivery.bytes,
      expected: delivery.expected,
      fetchContent: delivery.fetchContent,
      buyerPrivateKey: delivery.buyer.privateKey,
      deliveryKey: delivery.sealedDeliveryKey,
      ...overrides,
    });

  const json = (bytes = delivery.bytes): V2Json => JSON.parse(new TextDecoder().decode(bytes));

  it("encodes the documented v2 JSON: a sealedKey {nonce, ciphertext} per record, no wrapped key", () => {
    const manifest = json();
    expect(MANIFEST_VERSION).to.equal(2);
    expect(manifest.version).to.equal(2);
    expect(Object.keys(manifest.records[0]!)).to.deep.equal([
      "tokenId",
      "dataCid",
      "dataCommitment",
      "sealedKey",
    ]);
    for (const record of manifest.records) {
      expect(Object.keys(record.sealedKey)).to.deep.equal(["nonce", "ciphertext"]);
      expect(record.sealedKey.nonce).to.match(/^0x[0-9a-f]{24}$/);
      expect(record.sealedKey.ciphertext).to.match(/^0x[0-9a-f]{96}$/);
    }
    // Random nonces: no two records share one.
    expect(new Set(manifest.records.map((r) => r.sealedKey.nonce)).size).to.equal(5);
    // Neither K nor its sealed form is in the manifest.
    const text = new TextDecoder().decode(delivery.bytes);
    expect(text).to.not.include(bytesToHex(delivery.deliveryKey).slice(2));
    expect(text).to.not.include(delivery.sealedDeliveryKey.slice(2));
    expect(text).to.not.include("wrappedKey");
  });

  it("parses back to the same manifest", () => {
    const parsed = parseManifest(delivery.bytes);
    expect(parsed).to.deep.equal(delivery.manifest);
    expect(encodeManifest(parsed)).to.deep.equal(delivery.bytes);
  });

  it("opens every record with the released key, the CID computed from the bytes when not given", async () => {
    const progress: number[] = [];
    const records = await open({ onProgress: ({ done }) => progress.push(done) });
    expect(records.map((r) => r.tokenId)).to.deep.equal(
      delivery.manifest.records.map((r) => r.tokenId),
    );
    const byId = new Map(delivery.records.map((r) => [r.tokenId, r.plaintext]));
    for (const record of records) expect(record.plaintext).to.deep.equal(byId.get(record.tokenId));
    expect(progress).to.deep.equal([1, 2, 3, 4, 5]);

    const { deliveryCid: _, ...withoutCid } = delivery.expected;
    const again = await open({
      expected: withoutCid,
      deliveryKey: async () => delivery.sealedDeliveryKey,
    });
    expect(again).to.have.length(5);
  });

  it("KEY_NOT_RELEASED, in plain words, and no envelope fetched, while the node withholds the key", async () => {
    let fetched = 0;
    const fetchContent = async (cid: string) => {
      fetched++;
      return delivery.fetchContent(cid);
    };
    for (const deliveryKey of [undefined, async () => undefined]) {
      const error = await expectDeliveryError(
        () => open({ deliveryKey, fetchContent }),
        "KEY_NOT_RELEASED",
      );
      expect(error.message).to.match(
        /^the custodian has not released the delivery key yet: the delivery of purchase 7 is not final/,
      );
    }
    expect(fetched).to.equal(0);
  });

  it("UNDECRYPTABLE: a delivery key sealed for another manifest, another purchase or another buyer", async () => {
    const binding = { chainId: 31337, databank: DATABANK, purchaseId: 7n };
    const otherCid = await computeCid(encodeJson({ another: "manifest" }));
    const forOtherManifest = await sealDeliveryKey(
      delivery.deliveryKey,
      delivery.buyer.publicKey,
      binding,
      { role: "buyer", manifestCid: otherCid },
    );
    const forOtherPurchase = await sealDeliveryKey(
      delivery.deliveryKey,
      delivery.buyer.publicKey,
      { ...binding, purchaseId: 8n },
      { role: "buyer", manifestCid: delivery.manifestCid },
    );
    const forCustodian = await sealDeliveryKey(
      delivery.deliveryKey,
      delivery.buyer.publicKey,
      binding,
      { role: "custodian" },
    );
    const toOtherKey = await sealDeliveryKey(
      delivery.deliveryKey,
      delivery.custodian.publicKey,
      binding,
      { role: "buyer", manifestCid: delivery.manifestCid },
    );
    for (const sealed of [forOtherManifest, forOtherPurchase, forCustodian, toOtherKey]) {
      await expectDeliveryError(() => open({ deliveryKey: sealed }), "UNDECRYPTABLE");
    }
    const tampered = `${delivery.sealedDeliveryKey.slice(0, -2)}${delivery.sealedDeliveryKey.endsWith("00") ? "01" : "00"}`;
    await expectDeliveryError(() => open({ deliveryKey: tampered }), "UNDECRYPTABLE");
  });

  it("UNDECRYPTABLE naming the token: a sealed key moved to another record of the manifest", async () => {
    const edited = json();
    const [a, b] = [edited.records[1]!, edited.records[3]!];
    [a.sealedKey, b.sealedKey] = [b.sealedKey, a.sealedKey];
    // The sealed keys are not in the Merkle root, so the manifest still verifies: only the AEAD
    // binding to (token id, data CID) catches the move.
    const bytes = encodeJson(edited);
    const manifestCid = await computeCid(bytes);
    const sealed = await sealDeliveryKey(
      delivery.deliveryKey,
      delivery.buyer.publicKey,
      { chainId: 31337, databank: DATABANK, purchaseId: 7n },
      { role: "buyer", manifestCid },
    );
    await expectDeliveryError(
      () =>
        open({
          manifest: bytes,
          expected: { ...delivery.expected, deliveryCid: manifestCid },
          deliveryKey: sealed,
        }),
      "UNDECRYPTABLE",
      BigInt(a.tokenId),
    );
  });

  it("UNDECRYPTABLE naming the token: sealed keys copied into another purchase's manifest under the same K", async () => {
    // The same K and records, but the manifest says purchase 8: the record keys' AAD named 7.
    const edited = json();
    edited.purchaseId = "8";
    const bytes = encodeJson(edited);
    const manifestCid = await computeCid(bytes);
    const sealed = await sealDeliveryKey(
      delivery.deliveryKey,
      delivery.buyer.publicKey,
      { chainId: 31337, databank: DATABANK, purchaseId: 8n },
      { role: "buyer", manifestCid },
    );
    await expectDeliveryError(
      () =>
        open({
          manifest: bytes,
          expected: { ...delivery.expected, purchaseId: 8n, deliveryCid: manifestCid },
          deliveryKey: sealed,
        }),
      "UNDECRYPTABLE",
      delivery.manifest.records[0]!.tokenId,
    );
  });

  it("lib/crypto: a record key opens only with its own binding and K; K only with its own", async () => {
    const deliveryKey = generateDeliveryKey();
    const key = await importDeliveryKey(deliveryKey);
    const dataKey = generateDeliveryKey();
    const binding = {
      chainId: 1,
      databank: DATABANK,
      purchaseId: 1n,
      tokenId: 5n,
      dataCid: "bafy1",
    };
    const sealed = await sealRecordKey(key, dataKey, binding);
    expect(await openRecordKey(key, sealed, binding)).to.deep.equal(dataKey);
    const again = await sealRecordKey(key, dataKey, binding);
    expect(again.nonce).to.not.equal(sealed.nonce);
    for (const other of [
      { ...binding, tokenId: 6n },
      { ...binding, dataCid: "bafy2" },
      { ...binding, purchaseId: 2n },
      { ...binding, chainId: 2 },
      { ...binding, databank: "0x0000000000000000000000000000000000000001" as const },
    ]) {
      const error = await openRecordKey(key, sealed, other).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(DeliveryKeyError);
      expect((error as DeliveryKeyError).code).to.equal("DECRYPTION_FAILED");
    }
    const otherKey = await importDeliveryKey(generateDeliveryKey());
    const wrongK = await openRecordKey(otherKey, sealed, binding).catch((e: unknown) => e);
    expect((wrongK as DeliveryKeyError).code).to.equal("DECRYPTION_FAILED");
    const short = await openRecordKey(key, { ...sealed, nonce: "0x00" }, binding).catch(
      (e: unknown) => e,
    );
    expect((short as DeliveryKeyError).code).to.equal("MALFORMED");

    const purchase = { chainId: 1, databank: DATABANK, purchaseId: 1n };
    const toBuyer = await sealDeliveryKey(deliveryKey, delivery.buyer.publicKey, purchase, {
      role: "buyer",
      manifestCid: "bafyM",
    });
    expect(toBuyer).to.match(/^0x[0-9a-f]{160}$/);
    expect(
      await openDeliveryKey(toBuyer, delivery.buyer.privateKey, purchase, {
        role: "buyer",
        manifestCid: "bafyM",
      }),
    ).to.deep.equal(deliveryKey);
  });

  it("lib/crypto: record keys are bound to the documented JSON associated data, with a fresh nonce each", async () => {
    const deliveryKey = generateDeliveryKey();
    const key = await importDeliveryKey(deliveryKey);
    const raw = await importAesGcmKey(deliveryKey);
    const nonces = new Set<string>();
    // Records of two purchases interleaved, more than one draw of nonces (256 per draw).
    for (let i = 0; i < 300; i++) {
      const binding = {
        chainId: 31337,
        databank: DATABANK.toLowerCase() as typeof DATABANK,
        purchaseId: BigInt(1 + (i % 2)),
        tokenId: BigInt(1000 + i),
        dataCid: `bafy-${i}`,
      };
      const dataKey = generateDeliveryKey();
      const sealed = await sealRecordKey(key, dataKey, binding);
      nonces.add(sealed.nonce);
      const associatedData = new TextEncoder().encode(
        JSON.stringify([
          "databank/delivery/v2/record-key",
          binding.chainId,
          getAddress(binding.databank),
          binding.purchaseId.toString(),
          binding.tokenId.toString(),
          binding.dataCid,
        ]),
      );
      const opened = await aesGcmDecrypt(
        raw,
        { nonce: hexToBytes(sealed.nonce), associatedData },
        hexToBytes(sealed.ciphertext),
      );
      expect(opened).to.deep.equal(dataKey);
    }
    expect(nonces.size).to.equal(300);
  });

  it("waitForDeliveryKey polls until the node releases the key, and gives up in plain words", async () => {
    const answers = [
      { status: "delivering" },
      { status: "delivered" },
      { status: "delivered", deliveryKey: "0xabc" },
    ];
    const waited: string[] = [];
    const key = await waitForDeliveryKey({
      purchaseId: 7n,
      fetchStatus: async () => answers.shift()!,
      intervalMs: 10,
      onWaiting: (status) => waited.push(status.status),
    });
    expect(key).to.equal("0xabc");
    expect(waited).to.deep.equal(["delivering", "delivered"]);

    const timedOut = await expectDeliveryError(
      () =>
        waitForDeliveryKey({
          purchaseId: 7n,
          fetchStatus: async () => ({ status: "delivering" }),
          timeoutMs: 50,
          intervalMs: 10,
        }),
      "KEY_NOT_RELEASED",
    );
    expect(timedOut.message).to.match(
      /^the custodian has not released the delivery key yet: the delivery of purchase 7 is not final/,
    );
    const refunded = await expectDeliveryError(
      () =>
        waitForDeliveryKey({
          purchaseId: 7n,
          fetchStatus: async () => ({ status: "refunded" }),
          timeoutMs: 60_000,
        }),
      "KEY_NOT_RELEASED",
    );
    expect(refunded.message).to.include("no delivery key will be released");
  });
});
