/**
 * STREAM-style chunked AES-256-GCM (Hoang–Reyhanitabar–Rogaway–Vizár online AE) over WebCrypto.
 *
 * Chunk i of n is sealed under nonce = noncePrefix(7) ‖ uint32be(i) ‖ lastFlag(1), where lastFlag
 * is 0x01 only for i = n − 1. Binding the index makes reordering and swapping fail; binding the
 * last flag makes dropping trailing chunks fail even if the length field were ignored. Every chunk
 * shares one associated data value (the header digest), tying the payload to its header.
 *
 * Chunks are independent, so several are kept in flight: WebCrypto runs them on worker threads,
 * which is what lets large records exceed single-core AES-GCM throughput. In Node the chunks go
 * through node:crypto (./aesGcm.ts), whose per-call cost is a fraction of WebCrypto's: what
 * matters for the many small records of a delivery.
 */
import { aesGcmDecrypt, aesGcmEncrypt, importAesGcmKey, type AesGcmKey } from "./aesGcm.js";
import { EnvelopeError } from "./errors.js";
import { NONCE_PREFIX_LENGTH } from "./envelopeHeader.js";

/** AES-GCM authentication tag length appended to every chunk. */
export const CHUNK_TAG_LENGTH = 16;

/** Chunks in flight at once; beyond ~4 there is no gain on small machines, only more memory. */
const CHUNKS_IN_FLIGHT = 4;
/** 2^32 chunks: the nonce's counter field is 32 bits and must never wrap. */
const MAX_CHUNK_COUNT = 2 ** 32;

/** How a plaintext of a given length is cut into chunks. */
export interface PayloadLayout {
  /** Plaintext bytes per chunk; the last chunk holds the remainder (possibly 0 bytes). */
  chunkSize: number;
  /** Total plaintext bytes. */
  plaintextLength: number;
  /** Number of chunks; an empty plaintext still has one (empty, authenticated) final chunk. */
  chunkCount: number;
  /** Total payload bytes: plaintext + one tag per chunk. */
  ciphertextLength: number;
}

/** Inputs shared by payload encryption and decryption. */
export interface PayloadCipherParams {
  /** AES-256-GCM key imported from the envelope's data key. */
  key: AesGcmKey;
  /** The envelope's random 7-byte nonce prefix. */
  noncePrefix: Uint8Array;
  /** Associated data authenticated with every chunk (the header digest). */
  associatedData: Uint8Array;
  /** Chunking of the plaintext. */
  layout: PayloadLayout;
}

/**
 * Computes the chunking of `plaintextLength` bytes.
 *
 * @throws EnvelopeError MALFORMED when it would need more than 2^32 chunks.
 */
export function payloadLayout(plaintextLength: number, chunkSize: number): PayloadLayout {
  const chunkCount = Math.max(1, Math.ceil(plaintextLength / chunkSize));
  if (chunkCount > MAX_CHUNK_COUNT) {
    throw new EnvelopeError("MALFORMED", `record needs ${chunkCount} chunks, more than 2^32`);
  }
  const ciphertextLength = plaintextLength + chunkCount * CHUNK_TAG_LENGTH;
  return { chunkSize, plaintextLength, chunkCount, ciphertextLength };
}

/** Imports a 32-byte data key as an AES-256-GCM key (./aesGcm.ts; the bytes are copied). */
export async function importPayloadKey(dataKey: Uint8Array): Promise<AesGcmKey> {
  return importAesGcmKey(dataKey);
}

/** Encrypts `plaintext` chunk by chunk into `output` (exactly `layout.ciphertextLength` bytes). */
export async function encryptPayload(
  params: PayloadCipherParams & { plaintext: Uint8Array; output: Uint8Array },
): Promise<void> {
  const { layout, plaintext, output } = params;
  await forEachChunk(layout.chunkCount, async (index) => {
    const plaintextStart = index * layout.chunkSize;
    const chunkLength = chunkPlaintextLength(layout, index);
    const sealed = await aesGcmEncrypt(
      params.key,
      chunkParams(params, index),
      plaintext.subarray(plaintextStart, plaintextStart + chunkLength),
    );
    output.set(sealed, index * (layout.chunkSize + CHUNK_TAG_LENGTH));
  });
}

/**
 * Decrypts and authenticates every chunk of `ciphertext` (exactly `layout.ciphertextLength`
 * bytes). Nothing is returned unless all chunks verify, so a caller never sees partial plaintext.
 *
 * @throws EnvelopeError DECRYPTION_FAILED naming the first chunk found not to verify.
 */
export async function decryptPayload(
  params: PayloadCipherParams & { ciphertext: Uint8Array },
): Promise<Uint8Array> {
  const { layout, ciphertext } = params;
  const plaintext = new Uint8Array(layout.plaintextLength);
  try {
    await forEachChunk(layout.chunkCount, async (index) => {
      const sealedStart = index * (layout.chunkSize + CHUNK_TAG_LENGTH);
      const sealedLength = chunkPlaintextLength(layout, index) + CHUNK_TAG_LENGTH;
      const opened = await decryptChunk(
        params,
        index,
        ciphertext.subarray(sealedStart, sealedStart + sealedLength),
      );
      plaintext.set(opened, index * layout.chunkSize);
      opened.fill(0);
    });
  } catch (error) {
    plaintext.fill(0);
    throw error;
  }
  return plaintext;
}

async function decryptChunk(
  params: PayloadCipherParams,
  index: number,
  sealedChunk: Uint8Array,
): Promise<Uint8Array> {
  try {
    return await aesGcmDecrypt(params.key, chunkParams(params, index), sealedChunk);
  } catch (cause) {
    throw new EnvelopeError(
      "DECRYPTION_FAILED",
      `chunk ${index + 1} of ${params.layout.chunkCount} failed authentication ` +
        "(tampered, reordered, truncated or wrong key)",
      { cause },
    );
  }
}

function chunkPlaintextLength(layout: PayloadLayout, index: number): number {
  return Math.min(layout.chunkSize, layout.plaintextLength - index * layout.chunkSize);
}

function chunkParams(params: PayloadCipherParams, index: number) {
  return {
    nonce: chunkNonce(params.noncePrefix, index, index === params.layout.chunkCount - 1),
    associatedData: params.associatedData,
  };
}

function chunkNonce(
  noncePrefix: Uint8Array,
  index: number,
  isLast: boolean,
): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(NONCE_PREFIX_LENGTH + 4 + 1);
  nonce.set(noncePrefix, 0);
  new DataView(nonce.buffer).setUint32(NONCE_PREFIX_LENGTH, index);
  nonce[NONCE_PREFIX_LENGTH + 4] = isLast ? 1 : 0;
  return nonce;
}

/**
 * Runs `task` for chunk indexes 0..count−1 with a bounded number in flight. After the first
 * failure no new chunk starts; the first error is rethrown once in-flight chunks settle.
 */
async function forEachChunk(count: number, task: (index: number) => Promise<void>): Promise<void> {
  let nextIndex = 0;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (firstError === undefined && nextIndex < count) {
      const index = nextIndex++;
      try {
        await task(index);
      } catch (error) {
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHUNKS_IN_FLIGHT, count) }, worker));
  if (firstError !== undefined) throw firstError;
}
