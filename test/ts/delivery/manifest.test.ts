import { expect } from "chai";
import { keccak256, toHex, type Hex } from "viem";
import { recordsRoot } from "../../../lib/contracts/recordsMerkle.js";
import { computeCid } from "../../../lib/storage/cid.js";
import { generateKeyPair, toHex32, wrapDataKey } from "../../../lib/crypto/index.js";
import {
  encodeManifest,
  MANIFEST_FORMAT,
  openDelivery,
  parseManifest,
  type DeliveryProgress,
} from "../../../lib/delivery/index.js";
import {
  BUYER,
  DATABANK,
  encodeJson,
  expectDeliveryError,
  manifestJson,
  offChainDelivery,
  type OffChainDelivery,
} from "./helpers.js";

describe("delivery/manifest and buyer: verify, unwrap, decrypt", function () {
  this.timeout(60_000);

  let delivery: OffChainDelivery;
  before(async () => {
    delivery = await offChainDelivery(5);
  });

  const open = (overrides: Partial<Parameters<typeof openDelivery>[0]> = {}) =>
    openDelivery({
      manifest: delivery.bytes,
      expected: delivery.expected,
      fetchContent: delivery.fetchContent,
      buyerPrivateKey: delivery.buyer.privateKey,
      ...overrides,
    });

  describe("round trip", () => {
    it("encodes the documented v1 JSON: fields, order, decimal ids, records by token id", () => {
      const json = manifestJson(delivery.bytes);
      expect(Object.keys(json)).to.deep.equal([
        "format",
        "version",
        "chainId",
        "databank",
        "purchaseId",
        "poolId",
        "buyer",
        "buyerKey",
        "recordsRoot",
        "recordCount",
        "records",
      ]);
      expect(json.format).to.equal(MANIFEST_FORMAT);
      expect(json.version).to.equal(1);
      expect(json.purchaseId).to.equal("7");
      expect(json.databank).to.equal(DATABANK);
      expect(json.buyer).to.equal(BUYER);
      const tokenIds = json.records.map((r) => BigInt(r.tokenId));
      expect(tokenIds).to.deep.equal([...tokenIds].sort((a, b) => (a < b ? -1 : 1)));
      expect(Object.keys(json.records[0]!)).to.deep.equal([
        "tokenId",
        "dataCid",
        "dataCommitment",
        "wrappedKey",
      ]);
      expect(json.records[0]!.wrappedKey.role).to.equal("buyer");
      expect(json.records[0]!.dataCommitment).to.equal(keccak256(toHex(json.records[0]!.dataCid)));
    });

    it("parses back to the same manifest, whose root is recordsMerkle's over (tokenId, commitment)", () => {
      const parsed = parseManifest(delivery.bytes);
      expect(parsed).to.deep.equal(delivery.manifest);
      expect(encodeManifest(parsed)).to.deep.equal(delivery.bytes);
      expect(parsed.recordsRoot).to.equal(recordsRoot(parsed.records));
      expect(parsed.recordCount).to.equal(5);
    });

    it("opens every record: token id, CID, content type and the exact plaintext, with progress", async () => {
      const progress: DeliveryProgress[] = [];
      const records = await open({ concurrency: 2, onProgress: (p) => progress.push(p) });
      const expected = [...delivery.records].sort((a, b) => (a.tokenId < b.tokenId ? -1 : 1));
      expect(records.map((r) => r.tokenId)).to.deep.equal(expected.map((r) => r.tokenId));
      records.forEach((record, index) => {
        expect(record.dataCid).to.equal(expected[index]!.dataCid);
        expect(record.contentType).to.equal("application/json");
        expect(
          Buffer.from(record.plaintext).equals(Buffer.from(expected[index]!.plaintext)),
        ).to.equal(true);
      });
      expect(progress.at(-1)).to.deep.equal({ done: 5, total: 5 });
      expect(progress).to.have.length(5);
    });

    it("opens an empty delivery to no records", async () => {
      const empty = await offChainDelivery(0);
      expect(empty.manifest.recordsRoot).to.equal(`0x${"0".repeat(64)}`);
      const records = await openDelivery({
        manifest: empty.bytes,
        expected: empty.expected,
        fetchContent: empty.fetchContent,
        buyerPrivateKey: empty.buyer.privateKey,
      });
      expect(records).to.deep.equal([]);
    });
  });

  describe("tampering and mismatches: each a precise DeliveryError", () => {
    const tampered = (edit: (json: ReturnType<typeof manifestJson>) => void) => {
      const json = manifestJson(delivery.bytes);
      edit(json);
      return encodeJson(json);
    };

    it("INVALID_MANIFEST: not JSON, wrong format, missing field, bad hex, unsorted records", async () => {
      await expectDeliveryError(
        () => parseManifest(new TextEncoder().encode("{not json")),
        "INVALID_MANIFEST",
      );
      await expectDeliveryError(() => parseManifest(Uint8Array.of(0xff, 0xfe)), "INVALID_MANIFEST");
      const format = await expectDeliveryError(
        () => parseManifest(tampered((j) => (j.format = "other"))),
        "INVALID_MANIFEST",
      );
      expect(format.message).to.include("format");
      const missing = await expectDeliveryError(
        () => parseManifest(tampered((j) => delete (j as Record<string, unknown>).buyerKey)),
        "INVALID_MANIFEST",
      );
      expect(missing.message).to.include("buyerKey");
      const hex = await expectDeliveryError(
        () => parseManifest(tampered((j) => (j.records[1]!.wrappedKey.enc = "0x1234"))),
        "INVALID_MANIFEST",
      );
      expect(hex.message).to.include("records.1.wrappedKey.enc");
      await expectDeliveryError(
        () => parseManifest(tampered((j) => j.records.reverse())),
        "INVALID_MANIFEST",
      );
      await expectDeliveryError(
        () => parseManifest(tampered((j) => (j.version = 2 as never))),
        "INVALID_MANIFEST",
      );
    });

    it("ROOT_MISMATCH: the manifest's root edited, or the on-chain root differs", async () => {
      const otherRoot: Hex = keccak256(toHex("another delivery"));
      await expectDeliveryError(
        () => open({ manifest: tampered((j) => (j.recordsRoot = otherRoot)) }),
        "ROOT_MISMATCH",
      );
      const onChain = await expectDeliveryError(
        () => open({ expected: { ...delivery.expected, recordsRoot: otherRoot } }),
        "ROOT_MISMATCH",
      );
      expect(onChain.message).to.include("on-chain");
    });

    it("ROOT_MISMATCH: a record swapped for another CID with a matching commitment", async () => {
      const bytes = tampered((j) => {
        j.records[2]!.dataCid = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
        j.records[2]!.dataCommitment = keccak256(toHex(j.records[2]!.dataCid));
      });
      await expectDeliveryError(() => open({ manifest: bytes }), "ROOT_MISMATCH");
    });

    it("COUNT_MISMATCH: the manifest's count edited, a record dropped, or the on-chain count differs", async () => {
      await expectDeliveryError(
        () => open({ manifest: tampered((j) => (j.recordCount = 4)) }),
        "COUNT_MISMATCH",
      );
      await expectDeliveryError(
        () => open({ manifest: tampered((j) => j.records.pop()) }),
        "COUNT_MISMATCH",
      );
      await expectDeliveryError(
        () => open({ expected: { ...delivery.expected, recordCount: 6 } }),
        "COUNT_MISMATCH",
      );
    });

    it("COMMITMENT_MISMATCH naming the token: two records' data CIDs swapped", async () => {
      const json = manifestJson(delivery.bytes);
      const [first, second] = [json.records[0]!, json.records[1]!];
      [first.dataCid, second.dataCid] = [second.dataCid, first.dataCid];
      await expectDeliveryError(
        () => open({ manifest: encodeJson(json) }),
        "COMMITMENT_MISMATCH",
        BigInt(first.tokenId),
      );
    });

    it("WRONG_BUYER: a key wrapped to another buyer, another buyer key on-chain, or the wrong private key", async () => {
      const stranger = generateKeyPair();
      const strangerWrapped = await wrapDataKey(
        new Uint8Array(32).fill(9),
        stranger.publicKey,
        "buyer",
      );
      const json = manifestJson(delivery.bytes);
      json.records[3]!.wrappedKey = { ...strangerWrapped };
      await expectDeliveryError(
        () => open({ manifest: encodeJson(json) }),
        "WRONG_BUYER",
        BigInt(json.records[3]!.tokenId),
      );
      await expectDeliveryError(
        () => open({ expected: { ...delivery.expected, buyerKey: toHex32(stranger.publicKey) } }),
        "WRONG_BUYER",
      );
      const wrongKey = await expectDeliveryError(
        () => open({ buyerPrivateKey: stranger.privateKey }),
        "WRONG_BUYER",
      );
      expect(wrongKey.message).to.include("derive it with the wallet that bought");
    });

    it("UNDECRYPTABLE naming the token: a key wrapped to another key but labelled as the buyer's", async () => {
      const stranger = generateKeyPair();
      const wrapped = await wrapDataKey(new Uint8Array(32).fill(9), stranger.publicKey, "buyer");
      const json = manifestJson(delivery.bytes);
      json.records[1]!.wrappedKey = { ...wrapped, recipientPublicKey: delivery.expected.buyerKey };
      await expectDeliveryError(
        () => open({ manifest: encodeJson(json) }),
        "UNDECRYPTABLE",
        BigInt(json.records[1]!.tokenId),
      );
    });

    it("UNDECRYPTABLE naming the token: the wrapped key's ciphertext tampered with", async () => {
      const json = manifestJson(delivery.bytes);
      const ciphertext = json.records[4]!.wrappedKey.ciphertext as string;
      json.records[4]!.wrappedKey.ciphertext = `${ciphertext.slice(0, -2)}${ciphertext.endsWith("00") ? "01" : "00"}`;
      await expectDeliveryError(
        () => open({ manifest: encodeJson(json) }),
        "UNDECRYPTABLE",
        BigInt(json.records[4]!.tokenId),
      );
    });

    it("UNDECRYPTABLE naming the token: a valid key of another record delivered for this one", async () => {
      const json = manifestJson(delivery.bytes);
      json.records[0]!.wrappedKey = json.records[1]!.wrappedKey;
      await expectDeliveryError(
        () => open({ manifest: encodeJson(json) }),
        "UNDECRYPTABLE",
        BigInt(json.records[0]!.tokenId),
      );
    });

    it("INTEGRITY naming the token: the content source returns tampered ciphertext or another envelope", async () => {
      const victim = delivery.manifest.records[2]!;
      const flipped = (cid: string) => {
        const bytes = new Uint8Array(delivery.contents.get(cid)!);
        bytes[bytes.length - 1]! ^= 1;
        return bytes;
      };
      await expectDeliveryError(
        () =>
          open({
            fetchContent: async (cid) =>
              cid === victim.dataCid ? flipped(cid) : delivery.fetchContent(cid),
          }),
        "INTEGRITY",
        victim.tokenId,
      );
      const other = delivery.manifest.records[3]!.dataCid;
      await expectDeliveryError(
        () =>
          open({
            fetchContent: async (cid) =>
              delivery.fetchContent(cid === victim.dataCid ? other : cid),
          }),
        "INTEGRITY",
        victim.tokenId,
      );
    });

    it("FETCH_FAILED naming the token when the content cannot be fetched", async () => {
      const victim = delivery.manifest.records[1]!;
      await expectDeliveryError(
        () =>
          open({
            fetchContent: async (cid) => {
              if (cid === victim.dataCid) throw new Error("404 unknown CID");
              return delivery.fetchContent(cid);
            },
          }),
        "FETCH_FAILED",
        victim.tokenId,
      );
    });

    it("INTEGRITY: manifest bytes that do not hash to the on-chain delivery CID", async () => {
      const deliveryCid = await computeCid(delivery.bytes);
      expect(await open({ expected: { ...delivery.expected, deliveryCid } })).to.have.length(5);
      const other = manifestJson(delivery.bytes);
      other.chainId = 1;
      const error = await expectDeliveryError(
        () =>
          open({ manifest: encodeJson(other), expected: { ...delivery.expected, deliveryCid } }),
        "INTEGRITY",
      );
      expect(error.message).to.include(deliveryCid);
    });

    it("WRONG_PURCHASE: a manifest of another purchase", async () => {
      await expectDeliveryError(
        () => open({ expected: { ...delivery.expected, purchaseId: 8n } }),
        "WRONG_PURCHASE",
      );
    });
  });
});
