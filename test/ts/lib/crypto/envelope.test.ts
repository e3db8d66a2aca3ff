import { expect } from "chai";
import {
  DEFAULT_CHUNK_SIZE,
  generateKeyPair,
  openEnvelope,
  openWithDataKey,
  parseEnvelopeHeader,
  sealEnvelope,
  UNBOUND_ENVELOPE_FORMAT_VERSION,
  unwrapDataKey,
  unwrapWrappedKey,
  wrapDataKey,
  type EnvelopeBinding,
  type EnvelopeRecipient,
  type SealEnvelopeParams,
  type WrappedKey,
  type X25519KeyPair,
} from "../../../../lib/crypto/index.js";
import {
  expectEnvelopeError,
  expectSameBytes,
  patternedBytes,
  TEST_BINDING,
  withFlippedByte,
} from "./helpers.js";
import {
  V1_CONTRIBUTOR_PRIVATE_KEY,
  V1_CUSTODIAN_PRIVATE_KEY,
  V1_ENVELOPE,
  V1_PLAINTEXT,
} from "./v1Fixture.js";

const SMALL_CHUNK_SIZE = 1024;
const TAG_LENGTH = 16;
const RECIPIENT_ENTRY_LENGTH = 113;
/** Where the v2 binding starts, and its fields' offsets within the header. */
const BINDING_OFFSET = 25;
const BINDING_FIELDS = { chainId: 25, databank: 33, poolId: 53, contributor: 57 } as const;
/** Fixed v2 header bytes before the content type: magic … nonce prefix, binding, its length byte. */
const V2_FIXED_LENGTH = 78;

const custodian = generateKeyPair();
const contributor = generateKeyPair();
const buyer = generateKeyPair();
const outsider = generateKeyPair();

const custodianAndContributor: EnvelopeRecipient[] = [
  { role: "custodian", publicKey: custodian.publicKey },
  { role: "contributor", publicKey: contributor.publicKey },
];

/** 2500 bytes in 1 KiB chunks: a first, a middle and a short last chunk. */
async function sealThreeChunkRecord(): Promise<{ plaintext: Uint8Array; envelope: Uint8Array }> {
  const plaintext = patternedBytes(2500);
  const envelope = await sealEnvelope({
    binding: TEST_BINDING,
    plaintext,
    recipients: custodianAndContributor,
    chunkSize: SMALL_CHUNK_SIZE,
  });
  return { plaintext, envelope };
}

/** Byte offsets of a three-chunk envelope's regions, from the documented v2 layout. */
function regionsOf(envelope: Uint8Array) {
  const header = parseEnvelopeHeader(envelope);
  const contentTypeLength = new TextEncoder().encode(header.contentType).length;
  const entryStart = (index: number): number =>
    V2_FIXED_LENGTH + 1 + contentTypeLength + index * RECIPIENT_ENTRY_LENGTH;
  const chunkStart = (index: number): number =>
    header.headerLength + index * (SMALL_CHUNK_SIZE + TAG_LENGTH);
  return { header, entryStart, chunkStart };
}

describe("lib/crypto envelope", function () {
  this.timeout(120_000);

  describe("round trip", function () {
    it("seals and opens an empty record as one authenticated empty chunk", async function () {
      const envelope = await sealEnvelope({
        binding: TEST_BINDING,
        plaintext: new Uint8Array(0),
        recipients: custodianAndContributor,
      });
      const header = parseEnvelopeHeader(envelope);
      expect(header.chunkCount).to.equal(1);
      expect(envelope.length).to.equal(header.headerLength + TAG_LENGTH);
      expect((await openEnvelope(envelope, contributor.privateKey)).length).to.equal(0);
    });

    it("seals and opens a small JSON record and records its content type", async function () {
      const record = { schema: "databank/steps/v1", steps: [8123, 10456], device: "watch" };
      const plaintext = new TextEncoder().encode(JSON.stringify(record));
      const envelope = await sealEnvelope({
        binding: TEST_BINDING,
        plaintext,
        recipients: custodianAndContributor,
        contentType: "application/json",
      });
      expect(parseEnvelopeHeader(envelope).contentType).to.equal("application/json");
      const opened = await openEnvelope(envelope, custodian.privateKey);
      expect(JSON.parse(new TextDecoder().decode(opened))).to.deep.equal(record);
    });

    it("seals and opens a 50 MB record in default-size chunks", async function () {
      const plaintext = patternedBytes(50 * 1024 * 1024, 7);
      const envelope = await sealEnvelope({
        plaintext,
        recipients: custodianAndContributor,
        binding: TEST_BINDING,
      });
      const header = parseEnvelopeHeader(envelope);
      expect(header.chunkSize).to.equal(DEFAULT_CHUNK_SIZE);
      expect(header.chunkCount).to.equal(50);
      expect(envelope.length).to.equal(header.headerLength + plaintext.length + 50 * TAG_LENGTH);
      expectSameBytes(await openEnvelope(envelope, contributor.privateKey), plaintext);
    });

    for (const length of [
      1,
      SMALL_CHUNK_SIZE - 1,
      SMALL_CHUNK_SIZE,
      SMALL_CHUNK_SIZE + 1,
      3 * SMALL_CHUNK_SIZE,
    ]) {
      it(`round-trips ${length} bytes at chunk boundaries`, async function () {
        const plaintext = patternedBytes(length, length);
        const envelope = await sealEnvelope({
          binding: TEST_BINDING,
          plaintext,
          recipients: custodianAndContributor,
          chunkSize: SMALL_CHUNK_SIZE,
        });
        expect(parseEnvelopeHeader(envelope).chunkCount).to.equal(
          Math.ceil(length / SMALL_CHUNK_SIZE),
        );
        expectSameBytes(await openEnvelope(envelope, custodian.privateKey), plaintext);
      });
    }

    it("uses a fresh data key and nonce prefix for every envelope", async function () {
      const plaintext = patternedBytes(100);
      const first = await sealEnvelope({
        plaintext,
        recipients: custodianAndContributor,
        binding: TEST_BINDING,
      });
      const second = await sealEnvelope({
        plaintext,
        recipients: custodianAndContributor,
        binding: TEST_BINDING,
      });
      expect(Buffer.compare(first, second)).to.not.equal(0);
      const firstKey = await unwrapDataKey(first, custodian.privateKey);
      const secondKey = await unwrapDataKey(second, custodian.privateKey);
      expect(Buffer.compare(firstKey, secondKey)).to.not.equal(0);
    });
  });

  describe("recipients", function () {
    it("lets every recipient open, and no one else", async function () {
      const plaintext = patternedBytes(3000);
      const envelope = await sealEnvelope({
        binding: TEST_BINDING,
        plaintext,
        recipients: [...custodianAndContributor, { role: "buyer", publicKey: buyer.publicKey }],
        chunkSize: SMALL_CHUNK_SIZE,
      });
      for (const recipient of [custodian, contributor, buyer]) {
        expectSameBytes(await openEnvelope(envelope, recipient.privateKey), plaintext);
      }
      await expectEnvelopeError(
        () => openEnvelope(envelope, outsider.privateKey),
        "NOT_A_RECIPIENT",
      );
      await expectEnvelopeError(
        () => unwrapDataKey(envelope, outsider.privateKey),
        "NOT_A_RECIPIENT",
      );
    });

    it("exposes roles, public keys and sizes in the header without decrypting", async function () {
      const { envelope } = await sealThreeChunkRecord();
      const header = parseEnvelopeHeader(envelope);
      expect(header.version).to.equal(2);
      expect(header.binding).to.deep.equal(TEST_BINDING);
      expect(header.contentType).to.equal("application/octet-stream");
      expect(header.recipients.map((recipient) => recipient.role)).to.deep.equal([
        "custodian",
        "contributor",
      ]);
      expectSameBytes(header.recipients[0]!.publicKey, custodian.publicKey);
      expectSameBytes(header.recipients[1]!.publicKey, contributor.publicKey);
      expect(header).to.include({
        chunkSize: SMALL_CHUNK_SIZE,
        chunkCount: 3,
        plaintextLength: 2500,
      });
      expect(header.headerLength).to.equal(
        V2_FIXED_LENGTH + 1 + "application/octet-stream".length + 2 * RECIPIENT_ENTRY_LENGTH,
      );
      expect(header.envelopeLength).to.equal(envelope.length);
    });

    it("rejects unusable seal arguments with INVALID_ARGUMENT", async function () {
      const plaintext = patternedBytes(10);
      const key = custodian.publicKey;
      const invalidSeals: Array<Omit<SealEnvelopeParams, "binding">> = [
        { plaintext, recipients: [] },
        { plaintext, recipients: [{ role: "custodian", publicKey: key.subarray(1) }] },
        { plaintext, recipients: [{ role: "auditor" as "buyer", publicKey: key }] },
        {
          plaintext,
          recipients: [
            { role: "custodian", publicKey: key },
            { role: "buyer", publicKey: key },
          ],
        },
        { plaintext, recipients: custodianAndContributor, contentType: "x".repeat(256) },
        { plaintext, recipients: custodianAndContributor, chunkSize: 512 },
        { plaintext, recipients: [{ role: "custodian", publicKey: new Uint8Array(32) }] },
      ];
      for (const params of invalidSeals) {
        await expectEnvelopeError(
          () => sealEnvelope({ ...params, binding: TEST_BINDING }),
          "INVALID_ARGUMENT",
        );
      }
      const invalidBindings: EnvelopeBinding[] = [
        { ...TEST_BINDING, chainId: 0 },
        { ...TEST_BINDING, chainId: 1.5 },
        { ...TEST_BINDING, poolId: 2 ** 32 },
        { ...TEST_BINDING, poolId: -1 },
        { ...TEST_BINDING, databank: "0x1234" },
        { ...TEST_BINDING, contributor: "0x70997970c51812dc3a010c7d01b50e0d17dc79C8" }, // bad checksum
      ];
      for (const binding of invalidBindings) {
        await expectEnvelopeError(
          () => sealEnvelope({ plaintext, recipients: custodianAndContributor, binding }),
          "INVALID_ARGUMENT",
        );
      }
      await expectEnvelopeError(
        () =>
          sealEnvelope({
            plaintext,
            recipients: custodianAndContributor,
          } as unknown as SealEnvelopeParams),
        "INVALID_ARGUMENT",
      );
    });

    it("rejects a private key that is not 32 bytes with INVALID_ARGUMENT", async function () {
      const { envelope } = await sealThreeChunkRecord();
      await expectEnvelopeError(
        () => openEnvelope(envelope, custodian.privateKey.subarray(0, 31)),
        "INVALID_ARGUMENT",
      );
    });
  });

  describe("tamper detection", function () {
    let plaintext: Uint8Array;
    let envelope: Uint8Array;
    let dataKey: Uint8Array;

    before(async function () {
      ({ plaintext, envelope } = await sealThreeChunkRecord());
      dataKey = await unwrapDataKey(envelope, custodian.privateKey);
    });

    it("opens the untampered fixture (so failures below are caused by the tampering)", async function () {
      expectSameBytes(await openEnvelope(envelope, custodian.privateKey), plaintext);
      expectSameBytes(await openWithDataKey(envelope, dataKey), plaintext);
    });

    it("fails with the right code when one byte of each region is flipped", async function () {
      const { header, entryStart, chunkStart } = regionsOf(envelope);
      // The expected code follows from the documented layout and the validation order: header
      // structure first, then length, then recipient lookup, then authentication.
      const regions: Array<{ name: string; offset: number; codes: string[] }> = [
        { name: "magic", offset: 0, codes: ["MALFORMED"] },
        { name: "version", offset: 4, codes: ["UNSUPPORTED_VERSION"] },
        { name: "flags", offset: 5, codes: ["MALFORMED"] },
        { name: "chunk size (16 MiB + 1 KiB)", offset: 6, codes: ["MALFORMED"] },
        { name: "plaintext length (2501)", offset: 17, codes: ["TRUNCATED"] },
        { name: "nonce prefix", offset: 20, codes: ["DECRYPTION_FAILED"] },
        {
          name: "binding chain id",
          offset: BINDING_FIELDS.databank - 1,
          codes: ["DECRYPTION_FAILED"],
        },
        { name: "binding databank", offset: BINDING_FIELDS.databank, codes: ["DECRYPTION_FAILED"] },
        {
          name: "binding pool id",
          offset: BINDING_FIELDS.poolId + 3,
          codes: ["DECRYPTION_FAILED"],
        },
        {
          name: "binding contributor",
          offset: BINDING_FIELDS.contributor + 19,
          codes: ["DECRYPTION_FAILED"],
        },
        { name: "content type", offset: V2_FIXED_LENGTH + 2, codes: ["DECRYPTION_FAILED"] },
        // 2 → 3 recipients: ciphertext bytes are read as a third entry (random role byte).
        { name: "recipient count", offset: entryStart(0) - 1, codes: ["MALFORMED", "TRUNCATED"] },
        { name: "custodian role (1 → 0)", offset: entryStart(0), codes: ["MALFORMED"] },
        { name: "custodian public key", offset: entryStart(0) + 1, codes: ["NOT_A_RECIPIENT"] },
        { name: "custodian HPKE enc", offset: entryStart(0) + 33, codes: ["DECRYPTION_FAILED"] },
        { name: "custodian wrapped key", offset: entryStart(0) + 65, codes: ["DECRYPTION_FAILED"] },
        { name: "contributor role (2 → 3)", offset: entryStart(1), codes: ["DECRYPTION_FAILED"] },
        { name: "contributor public key", offset: entryStart(1) + 1, codes: ["DECRYPTION_FAILED"] },
        { name: "contributor HPKE enc", offset: entryStart(1) + 40, codes: ["DECRYPTION_FAILED"] },
        {
          name: "contributor wrapped key",
          offset: entryStart(1) + 100,
          codes: ["DECRYPTION_FAILED"],
        },
        { name: "first chunk", offset: chunkStart(0) + 10, codes: ["DECRYPTION_FAILED"] },
        { name: "middle chunk", offset: chunkStart(1) + 500, codes: ["DECRYPTION_FAILED"] },
        { name: "last chunk", offset: chunkStart(2), codes: ["DECRYPTION_FAILED"] },
        { name: "last tag", offset: envelope.length - 1, codes: ["DECRYPTION_FAILED"] },
      ];
      expect(entryStart(2)).to.equal(header.headerLength);
      for (const region of regions) {
        const error = await expectEnvelopeError(() =>
          openEnvelope(withFlippedByte(envelope, region.offset), custodian.privateKey),
        );
        expect(region.codes, `${region.name} (byte ${region.offset}): ${error.message}`).to.include(
          error.code,
        );
      }
    });

    it("fails with EnvelopeError for a flip of any single byte, with a private key or the data key", async function () {
      for (let offset = 0; offset < envelope.length; offset++) {
        const tampered = withFlippedByte(envelope, offset);
        await expectEnvelopeError(() => openEnvelope(tampered, custodian.privateKey));
        await expectEnvelopeError(() => openWithDataKey(tampered, dataKey));
      }
    });

    it("detects a recipient entry relabelled to another role (role is bound into HPKE info)", async function () {
      const { entryStart } = regionsOf(envelope);
      const relabelled = withFlippedByte(envelope, entryStart(1)); // contributor (2) → buyer (3)
      expect(parseEnvelopeHeader(relabelled).recipients[1]!.role).to.equal("buyer");
      await expectEnvelopeError(
        () => unwrapDataKey(relabelled, contributor.privateKey),
        "DECRYPTION_FAILED",
      );
    });

    it("detects truncation: dropped last chunk, dropped last byte, header only, cut header", async function () {
      const { header, chunkStart } = regionsOf(envelope);
      for (const length of [chunkStart(2), envelope.length - 1, header.headerLength, 30, 2, 0]) {
        await expectEnvelopeError(
          () => openEnvelope(envelope.subarray(0, length), custodian.privateKey),
          "TRUNCATED",
        );
      }
    });

    it("detects dropping the last chunk even when the length field is rewritten to match", async function () {
      const { chunkStart } = regionsOf(envelope);
      const truncated = new Uint8Array(envelope.subarray(0, chunkStart(2)));
      new DataView(truncated.buffer).setBigUint64(10, BigInt(2 * SMALL_CHUNK_SIZE));
      await expectEnvelopeError(() => openWithDataKey(truncated, dataKey), "DECRYPTION_FAILED");
    });

    it("rejects trailing bytes after the last chunk as MALFORMED", async function () {
      const extended = new Uint8Array(envelope.length + 1);
      extended.set(envelope);
      await expectEnvelopeError(() => openEnvelope(extended, custodian.privateKey), "MALFORMED");
    });

    it("detects reordered chunks", async function () {
      const { chunkStart } = regionsOf(envelope);
      const chunkLength = SMALL_CHUNK_SIZE + TAG_LENGTH;
      const reordered = new Uint8Array(envelope);
      reordered.set(envelope.subarray(chunkStart(1), chunkStart(1) + chunkLength), chunkStart(0));
      reordered.set(envelope.subarray(chunkStart(0), chunkStart(0) + chunkLength), chunkStart(1));
      await expectEnvelopeError(
        () => openEnvelope(reordered, custodian.privateKey),
        "DECRYPTION_FAILED",
      );
    });

    it("detects a chunk swapped in from another envelope sealed to the same recipients", async function () {
      const { envelope: other } = await sealThreeChunkRecord();
      const { chunkStart } = regionsOf(envelope);
      const spliced = new Uint8Array(envelope);
      spliced.set(other.subarray(chunkStart(1), chunkStart(2)), chunkStart(1));
      await expectEnvelopeError(
        () => openEnvelope(spliced, custodian.privateKey),
        "DECRYPTION_FAILED",
      );
    });

    it("detects a recipient entry swapped in from another envelope", async function () {
      const { envelope: other } = await sealThreeChunkRecord();
      const { entryStart } = regionsOf(envelope);
      const spliced = new Uint8Array(envelope);
      spliced.set(other.subarray(entryStart(1), entryStart(2)), entryStart(1));
      await expectEnvelopeError(
        () => openEnvelope(spliced, contributor.privateKey),
        "DECRYPTION_FAILED",
      );
      await expectEnvelopeError(
        () => openEnvelope(spliced, custodian.privateKey),
        "DECRYPTION_FAILED",
      );
    });

    it("rejects bytes that are not an envelope", async function () {
      await expectEnvelopeError(
        () => openEnvelope(patternedBytes(500), custodian.privateKey),
        "MALFORMED",
      );
      await expectEnvelopeError(
        () => parseEnvelopeHeader(new TextEncoder().encode("{}")),
        "MALFORMED",
      );
    });
  });

  describe("re-wrapping for a buyer", function () {
    let plaintext: Uint8Array;
    let envelope: Uint8Array;

    before(async function () {
      ({ plaintext, envelope } = await sealThreeChunkRecord());
    });

    async function grantToBuyer(): Promise<WrappedKey> {
      const dataKey = await unwrapDataKey(envelope, custodian.privateKey);
      const grant = await wrapDataKey(dataKey, buyer.publicKey, "buyer");
      return JSON.parse(JSON.stringify(grant)) as WrappedKey;
    }

    it("custodian unwraps, wraps to the buyer, buyer unwraps and decrypts the unchanged envelope", async function () {
      const grant = await grantToBuyer();
      expect(grant).to.include({ version: 1, role: "buyer" });
      expect(grant.recipientPublicKey).to.equal(
        `0x${Buffer.from(buyer.publicKey).toString("hex")}`,
      );
      const buyerDataKey = await unwrapWrappedKey(grant, buyer.privateKey);
      expectSameBytes(buyerDataKey, await unwrapDataKey(envelope, contributor.privateKey));
      expectSameBytes(await openWithDataKey(envelope, buyerDataKey), plaintext);
      await expectEnvelopeError(() => openEnvelope(envelope, buyer.privateKey), "NOT_A_RECIPIENT");
    });

    it("unwraps the data key from the header alone", async function () {
      const headerOnly = envelope.subarray(0, parseEnvelopeHeader(envelope).headerLength);
      expectSameBytes(
        await unwrapDataKey(headerOnly, custodian.privateKey),
        await unwrapDataKey(envelope, custodian.privateKey),
      );
    });

    it("refuses a grant to anyone but its recipient", async function () {
      const grant = await grantToBuyer();
      await expectEnvelopeError(
        () => unwrapWrappedKey(grant, outsider.privateKey),
        "NOT_A_RECIPIENT",
      );
      const redirected = {
        ...grant,
        recipientPublicKey: `0x${Buffer.from(outsider.publicKey).toString("hex")}`,
      };
      await expectEnvelopeError(
        () => unwrapWrappedKey(redirected as WrappedKey, outsider.privateKey),
        "DECRYPTION_FAILED",
      );
    });

    it("detects a tampered or relabelled grant", async function () {
      const grant = await grantToBuyer();
      const flipLastHexDigit = (hex: string): `0x${string}` =>
        `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}` as `0x${string}`;
      const tamperedGrants: Array<[WrappedKey, string]> = [
        [{ ...grant, enc: flipLastHexDigit(grant.enc) }, "DECRYPTION_FAILED"],
        [{ ...grant, ciphertext: flipLastHexDigit(grant.ciphertext) }, "DECRYPTION_FAILED"],
        [{ ...grant, role: "contributor" }, "DECRYPTION_FAILED"],
        [
          { ...grant, recipientPublicKey: flipLastHexDigit(grant.recipientPublicKey) },
          "NOT_A_RECIPIENT",
        ],
        [{ ...grant, version: 2 }, "UNSUPPORTED_VERSION"],
        [{ ...grant, ciphertext: "0xzz" }, "MALFORMED"],
        [{ ...grant, role: "owner" as "buyer" }, "MALFORMED"],
      ];
      for (const [tampered, code] of tamperedGrants) {
        const error = await expectEnvelopeError(() => unwrapWrappedKey(tampered, buyer.privateKey));
        expect(error.code, error.message).to.equal(code);
      }
    });

    it("fails to open with a wrong data key, and rejects a data key that is not 32 bytes", async function () {
      const wrongKey: X25519KeyPair["privateKey"] = patternedBytes(32, 99);
      await expectEnvelopeError(() => openWithDataKey(envelope, wrongKey), "DECRYPTION_FAILED");
      await expectEnvelopeError(
        () => openWithDataKey(envelope, wrongKey.subarray(1)),
        "INVALID_ARGUMENT",
      );
      await expectEnvelopeError(
        () => wrapDataKey(wrongKey.subarray(1), buyer.publicKey, "buyer"),
        "INVALID_ARGUMENT",
      );
    });
  });

  describe("binding (format v2)", function () {
    let plaintext: Uint8Array;
    let envelope: Uint8Array;
    let dataKey: Uint8Array;
    const squatter = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

    before(async function () {
      ({ plaintext, envelope } = await sealThreeChunkRecord());
      dataKey = await unwrapDataKey(envelope, custodian.privateKey);
    });

    /** `envelope` with the 20 contributor bytes of its binding replaced by `address`. */
    function rebound(address: string): Uint8Array {
      const copy = new Uint8Array(envelope);
      copy.set(Buffer.from(address.slice(2), "hex"), BINDING_FIELDS.contributor);
      return copy;
    }

    it("writes the binding at offset 25 in 52 bytes: chain id, Databank, pool, contributor", async function () {
      const bytes = Buffer.from(envelope.subarray(BINDING_OFFSET, BINDING_OFFSET + 52));
      expect(bytes.readBigUInt64BE(0)).to.equal(BigInt(TEST_BINDING.chainId));
      expect(`0x${bytes.subarray(8, 28).toString("hex")}`).to.equal(
        TEST_BINDING.databank.toLowerCase(),
      );
      expect(bytes.readUInt32BE(28)).to.equal(TEST_BINDING.poolId);
      expect(`0x${bytes.subarray(32, 52).toString("hex")}`).to.equal(
        TEST_BINDING.contributor.toLowerCase(),
      );
    });

    it("fails to open a v2 envelope whose binding was changed to another contributor, pool or deployment", async function () {
      const alterations: Array<[string, Uint8Array]> = [
        ["contributor → the squatter", rebound(squatter)],
        [
          "pool 1 → 2",
          withFlippedByte(
            withFlippedByte(envelope, BINDING_FIELDS.poolId + 3),
            BINDING_FIELDS.poolId + 2,
          ),
        ],
        ["chain id", withFlippedByte(envelope, BINDING_FIELDS.databank - 1)],
        ["Databank address", withFlippedByte(envelope, BINDING_FIELDS.databank + 7)],
      ];
      for (const [what, altered] of alterations) {
        // The header still parses and shows the altered binding: only opening proves it.
        expect(parseEnvelopeHeader(altered).binding, what).to.not.deep.equal(TEST_BINDING);
        // Three independent guards: the wrapped keys' HPKE aad (header-only unwrap, as the
        // custodian does for a delivery), and the header digest in every chunk's GCM tag.
        for (const reader of [custodian, contributor]) {
          await expectEnvelopeError(
            () => unwrapDataKey(altered, reader.privateKey),
            "DECRYPTION_FAILED",
          );
          await expectEnvelopeError(
            () => openEnvelope(altered, reader.privateKey),
            "DECRYPTION_FAILED",
          );
        }
        await expectEnvelopeError(() => openWithDataKey(altered, dataKey), "DECRYPTION_FAILED");
      }
      expect(parseEnvelopeHeader(rebound(squatter)).binding?.contributor).to.equal(squatter);
      expectSameBytes(await openEnvelope(envelope, custodian.privateKey), plaintext);
    });

    it("does not unwrap a recipient entry moved into an envelope with another binding", async function () {
      const elsewhere = await sealEnvelope({
        plaintext,
        recipients: custodianAndContributor,
        chunkSize: SMALL_CHUNK_SIZE,
        binding: { ...TEST_BINDING, poolId: 2 },
      });
      const { entryStart } = regionsOf(envelope);
      const spliced = new Uint8Array(elsewhere);
      spliced.set(envelope.subarray(entryStart(0), entryStart(1)), entryStart(0));
      await expectEnvelopeError(
        () => unwrapDataKey(spliced, custodian.privateKey),
        "DECRYPTION_FAILED",
      );
    });
  });

  describe("format v1 (sealed before bindings; still read)", function () {
    it("opens a v1 envelope written by the pre-v2 implementation, for every recipient", async function () {
      const header = parseEnvelopeHeader(V1_ENVELOPE);
      expect(header.version).to.equal(UNBOUND_ENVELOPE_FORMAT_VERSION);
      expect(header.binding).to.equal(undefined);
      expect(header).to.include({
        contentType: "application/json",
        envelopeLength: V1_ENVELOPE.length,
      });
      for (const key of [V1_CUSTODIAN_PRIVATE_KEY, V1_CONTRIBUTOR_PRIVATE_KEY]) {
        const opened = await openEnvelope(V1_ENVELOPE, key);
        expect(new TextDecoder().decode(opened)).to.equal(V1_PLAINTEXT);
      }
    });

    it("delivers a v1 record: the custodian re-wraps its data key and the buyer decrypts", async function () {
      const dataKey = await unwrapDataKey(V1_ENVELOPE, V1_CUSTODIAN_PRIVATE_KEY);
      const grant = await wrapDataKey(dataKey, buyer.publicKey, "buyer");
      const buyerKey = await unwrapWrappedKey(grant, buyer.privateKey);
      const opened = await openWithDataKey(V1_ENVELOPE, buyerKey);
      expect(new TextDecoder().decode(opened)).to.equal(V1_PLAINTEXT);
    });

    it("still detects tampering in a v1 envelope", async function () {
      for (const offset of [20, 30, V1_ENVELOPE.length - 1]) {
        await expectEnvelopeError(
          () => openEnvelope(withFlippedByte(V1_ENVELOPE, offset), V1_CUSTODIAN_PRIVATE_KEY),
          "DECRYPTION_FAILED",
        );
      }
    });
  });
});
