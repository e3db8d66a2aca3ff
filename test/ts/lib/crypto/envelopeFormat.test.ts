/**
 * Conformance with docs/envelope-format.md: an independent reader and writer built only from the
 * document, node:crypto and @hpke/core must interoperate with lib/crypto/envelope.ts.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { expect } from "chai";
import {
  generateKeyPair,
  openEnvelope,
  parseEnvelopeHeader,
  sealEnvelope,
} from "../../../../lib/crypto/index.js";
import { expectSameBytes, patternedBytes, TEST_BINDING } from "./helpers.js";

const hpke = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

const CHUNK_SIZE = 1024;
const TAG_LENGTH = 16;

function chunkNonce(noncePrefix: Uint8Array, index: number, isLast: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.set(noncePrefix, 0);
  nonce.writeUInt32BE(index, 7);
  nonce[11] = isLast ? 1 : 0;
  return nonce;
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash("sha256").update(bytes).digest();
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

/** The 52 binding bytes of docs/envelope-format.md, written independently of lib/crypto. */
function bindingBytes(binding: typeof TEST_BINDING): Buffer {
  const bytes = Buffer.alloc(52);
  bytes.writeBigUInt64BE(BigInt(binding.chainId), 0);
  Buffer.from(binding.databank.slice(2), "hex").copy(bytes, 8);
  bytes.writeUInt32BE(binding.poolId, 28);
  Buffer.from(binding.contributor.slice(2), "hex").copy(bytes, 32);
  return bytes;
}

/**
 * An envelope written from the document alone: v2 with `binding`, or v1 without one (the v1
 * writer is how records were sealed before v2; readers must keep opening them).
 */
async function independentlyWritten(
  version: 1 | 2,
  recipientPublicKey: Uint8Array,
  plaintext: Uint8Array,
): Promise<Buffer> {
  const contentType = Buffer.from("application/json");
  const dataKey = randomBytes(32);
  const noncePrefix = randomBytes(7);
  const binding = version === 2 ? bindingBytes(TEST_BINDING) : Buffer.alloc(0);
  const sealedKey = await hpke.seal(
    {
      recipientPublicKey: await hpke.kem.importKey("raw", toArrayBuffer(recipientPublicKey), true),
      info: new TextEncoder().encode(`databank/envelope/v${version}/data-key/contributor`),
    },
    toArrayBuffer(dataKey),
    toArrayBuffer(binding),
  );
  const fixed = Buffer.alloc(25);
  fixed.write("DBEV", 0, "ascii");
  fixed[4] = version;
  fixed.writeUInt32BE(CHUNK_SIZE, 6);
  fixed.writeBigUInt64BE(BigInt(plaintext.length), 10);
  fixed.set(noncePrefix, 18);
  const header = Buffer.concat([
    fixed,
    binding,
    Buffer.from([contentType.length]),
    contentType,
    Buffer.from([1, 0x02]),
    recipientPublicKey,
    new Uint8Array(sealedKey.enc),
    new Uint8Array(sealedKey.ct),
  ]);
  const associatedData = sha256(header);
  const chunkCount = Math.ceil(plaintext.length / CHUNK_SIZE);
  const sealedChunks = Array.from({ length: chunkCount }, (_, index) => {
    const cipher = createCipheriv(
      "aes-256-gcm",
      dataKey,
      chunkNonce(noncePrefix, index, index === chunkCount - 1),
    );
    cipher.setAAD(associatedData);
    const body = cipher.update(plaintext.subarray(index * CHUNK_SIZE, (index + 1) * CHUNK_SIZE));
    return Buffer.concat([body, cipher.final(), cipher.getAuthTag()]);
  });
  return Buffer.concat([header, ...sealedChunks]);
}

describe("lib/crypto envelope format v2 and v1 (docs/envelope-format.md)", function () {
  const contributor = generateKeyPair();

  it("an independent reader decrypts what sealEnvelope writes (v2, binding in header and HPKE aad)", async function () {
    const plaintext = patternedBytes(2500, 3);
    const envelope = Buffer.from(
      await sealEnvelope({
        plaintext,
        recipients: [{ role: "contributor", publicKey: contributor.publicKey }],
        contentType: "text/csv",
        chunkSize: CHUNK_SIZE,
        binding: TEST_BINDING,
      }),
    );

    expect(envelope.subarray(0, 4).toString("ascii")).to.equal("DBEV");
    expect(envelope[4]).to.equal(2);
    expect(envelope[5]).to.equal(0);
    const chunkSize = envelope.readUInt32BE(6);
    const plaintextLength = Number(envelope.readBigUInt64BE(10));
    const noncePrefix = envelope.subarray(18, 25);
    const binding = envelope.subarray(25, 77);
    expectSameBytes(binding, bindingBytes(TEST_BINDING));
    const contentTypeLength = envelope[77]!;
    const contentType = envelope.subarray(78, 78 + contentTypeLength).toString("utf8");
    const recipientCount = envelope[78 + contentTypeLength]!;
    const entry = 79 + contentTypeLength;
    const headerLength = entry + 113 * recipientCount;
    expect({ chunkSize, plaintextLength, contentType, recipientCount }).to.deep.equal({
      chunkSize: CHUNK_SIZE,
      plaintextLength: 2500,
      contentType: "text/csv",
      recipientCount: 1,
    });
    expect(envelope[entry]).to.equal(0x02); // contributor
    expectSameBytes(envelope.subarray(entry + 1, entry + 33), contributor.publicKey);

    const dataKey = await hpke.open(
      {
        recipientKey: await hpke.kem.importKey("raw", toArrayBuffer(contributor.privateKey), false),
        enc: toArrayBuffer(envelope.subarray(entry + 33, entry + 65)),
        info: new TextEncoder().encode("databank/envelope/v2/data-key/contributor"),
      },
      toArrayBuffer(envelope.subarray(entry + 65, entry + 113)),
      toArrayBuffer(binding),
    );

    const associatedData = sha256(envelope.subarray(0, headerLength));
    const chunkCount = Math.max(1, Math.ceil(plaintextLength / chunkSize));
    const chunks: Buffer[] = [];
    let offset = headerLength;
    for (let index = 0; index < chunkCount; index++) {
      const length = Math.min(chunkSize, plaintextLength - index * chunkSize);
      const decipher = createDecipheriv(
        "aes-256-gcm",
        Buffer.from(dataKey),
        chunkNonce(noncePrefix, index, index === chunkCount - 1),
      );
      decipher.setAAD(associatedData);
      decipher.setAuthTag(envelope.subarray(offset + length, offset + length + TAG_LENGTH));
      chunks.push(decipher.update(envelope.subarray(offset, offset + length)), decipher.final());
      offset += length + TAG_LENGTH;
    }
    expect(offset).to.equal(envelope.length);
    expectSameBytes(Buffer.concat(chunks), plaintext);
  });

  it("openEnvelope reads what an independent v2 writer produces, binding included", async function () {
    const plaintext = patternedBytes(2100, 5);
    const envelope = await independentlyWritten(2, contributor.publicKey, plaintext);
    expect(parseEnvelopeHeader(envelope)).to.deep.include({
      version: 2,
      binding: TEST_BINDING,
      contentType: "application/json",
      chunkCount: 3,
      envelopeLength: envelope.length,
    });
    expectSameBytes(await openEnvelope(envelope, contributor.privateKey), plaintext);
  });

  it("openEnvelope still reads what an independent v1 writer produces (no binding)", async function () {
    const plaintext = patternedBytes(2100, 6);
    const envelope = await independentlyWritten(1, contributor.publicKey, plaintext);
    const header = parseEnvelopeHeader(envelope);
    expect(header).to.include({ version: 1, chunkCount: 3, envelopeLength: envelope.length });
    expect(header.binding).to.equal(undefined);
    expectSameBytes(await openEnvelope(envelope, contributor.privateKey), plaintext);
  });
});
