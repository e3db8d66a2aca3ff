/**
 * The Databank crypto envelope: how a contributor's record is encrypted at rest and shared.
 *
 * Format v2 (all integers big-endian; full specification in docs/envelope-format.md):
 *
 * ```text
 * offset      size        field
 * 0           4           magic "DBEV" (44 42 45 56)
 * 4           1           version = 0x02
 * 5           1           flags = 0x00 (reserved; readers reject any other value)
 * 6           4           chunkSize: plaintext bytes per chunk, 1024 ≤ chunkSize ≤ 16 MiB
 * 10          8           plaintextLength (≤ 2^53 − 1)
 * 18          7           noncePrefix (random)
 * 25          52          binding: what the record is contributed to, and by whom
 *                           8   chainId (uint64, 1..2^53 − 1)
 *                           20  Databank contract address
 *                           4   poolId (uint32)
 *                           20  contributor address
 * 77          1           contentTypeLength = c (≤ 255)
 * 78          c           contentType (UTF-8, e.g. "application/json")
 * 78+c        1           recipientCount = r (1..255)
 * 79+c        113·r       recipient entries, each:
 *                           1   role: 0x01 custodian, 0x02 contributor, 0x03 buyer
 *                           32  recipient X25519 public key (distinct across entries)
 *                           32  HPKE enc
 *                           48  HPKE ciphertext of the 32-byte data key
 * H = 79+c+113·r           payload: n = max(1, ⌈plaintextLength / chunkSize⌉) chunks, each
 *                         AES-256-GCM(chunk plaintext) ‖ 16-byte tag; every chunk but the last
 *                         holds exactly chunkSize plaintext bytes
 * ```
 *
 * Format v1 is the same without the binding (contentTypeLength at offset 25, H = 27+c+113·r). It is
 * still opened, so records sealed before v2 stay readable; only v2 is written.
 *
 * Total length is exactly H + plaintextLength + 16·n; anything shorter is TRUNCATED, longer is
 * MALFORMED.
 *
 * Cryptography:
 * - A fresh random 32-byte data key per envelope encrypts the payload.
 * - Data key wrapping: HPKE base mode (RFC 9180), DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 /
 *   AES-256-GCM, info = "databank/envelope/v<version>/data-key/<role>"; aad = the 52 binding
 *   bytes in v2, empty in v1.
 * - Chunk i (0-based) nonce = noncePrefix ‖ uint32be(i) ‖ (0x01 if i = n − 1 else 0x00);
 *   associated data = SHA-256(header bytes [0, H)). The header digest covers magic, version,
 *   sizes, the binding, content type and every recipient entry, so changing any byte of the
 *   envelope makes opening fail.
 *
 * The binding is what lets a custodian refuse a copy: an envelope is public once its CID is, and
 * without the binding anyone could submit it as theirs, or to another pool. Rebinding needs the
 * data key, which only the recipients hold.
 *
 * Sharing with a buyer does not touch the envelope: the custodian unwraps the data key
 * ({@link unwrapDataKey}), wraps it to the buyer ({@link wrapDataKey}), and the buyer decrypts
 * with {@link unwrapWrappedKey} + {@link openWithDataKey}.
 *
 * Runs unchanged in Node 22 and in browsers whose WebCrypto supports X25519 (which HPKE here
 * relies on): no `node:` imports.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { Hex } from "viem";
import { bytesToHex, equalBytes, hexToBytes, randomBytes, utf8Encode } from "./bytes.js";
import {
  decryptPayload,
  encryptPayload,
  importPayloadKey,
  payloadLayout,
  type PayloadLayout,
} from "./chunkedPayload.js";
import {
  DATA_KEY_LENGTH,
  HPKE_ENC_LENGTH,
  hpkeInfo,
  hpkeUnwrapDataKey,
  hpkeWrapDataKey,
  WRAPPED_DATA_KEY_LENGTH,
  type HpkeWrappedDataKey,
  type RecipientRole,
} from "./dataKeyWrap.js";
import { encodeBinding, type EnvelopeBinding } from "./envelopeBinding.js";
import {
  decodeHeader,
  encodeHeader,
  ENVELOPE_FORMAT_VERSION,
  MAX_CHUNK_SIZE,
  MAX_CONTENT_TYPE_LENGTH,
  MAX_RECIPIENTS,
  MIN_CHUNK_SIZE,
  NONCE_PREFIX_LENGTH,
  RECIPIENT_ROLES,
  type DecodedHeader,
  type RecipientEntry,
} from "./envelopeHeader.js";
import { assertEnvelopeArgumentLength, EnvelopeError } from "./errors.js";
import { publicKeyFromPrivate, X25519_KEY_LENGTH } from "./keys.js";

export type { RecipientRole } from "./dataKeyWrap.js";
export { ENVELOPE_BINDING_LENGTH, type EnvelopeBinding } from "./envelopeBinding.js";
export {
  ENVELOPE_FORMAT_VERSION,
  MAX_CHUNK_SIZE,
  MIN_CHUNK_SIZE,
  RECIPIENT_ROLES,
  UNBOUND_ENVELOPE_FORMAT_VERSION,
} from "./envelopeHeader.js";

/**
 * Version of the {@link WrappedKey} JSON (a grant to a buyer). It has no binding of its own: the
 * envelope it opens carries one, so it stays at 1 and keeps v1's HPKE `info` and empty aad.
 */
export const WRAPPED_KEY_FORMAT_VERSION = 1;

/**
 * Chunk size used when the caller does not choose one. Per-call WebCrypto overhead dominates small
 * chunks (in Node 22, 64 KiB chunks encrypt at about a third of the speed of 1 MiB chunks).
 */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

/** Content type recorded when the caller does not give one. */
export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

/** A party the data key is wrapped to. */
export interface EnvelopeRecipient {
  /** Why this party may read the record. */
  role: RecipientRole;
  /** The party's 32-byte X25519 public key. */
  publicKey: Uint8Array;
}

/** Arguments of {@link sealEnvelope}. */
export interface SealEnvelopeParams {
  /** The record: JSON bytes or a file's contents. */
  plaintext: Uint8Array;
  /**
   * Who can open the envelope; normally the pool custodian and the contributor itself, so the
   * contributor can always read and export its own data. At least one, public keys distinct.
   */
  recipients: EnvelopeRecipient[];
  /**
   * The deployment (chain id, Databank address), pool and contributor the record is for. Written
   * into the authenticated header and the wrapped keys' associated data, so a custodian can refuse
   * the envelope when anyone else submits it, or when it is submitted to another pool.
   */
  binding: EnvelopeBinding;
  /** Media type of the plaintext, at most 255 UTF-8 bytes; defaults to application/octet-stream. */
  contentType?: string;
  /**
   * Plaintext bytes per chunk, {@link MIN_CHUNK_SIZE}..{@link MAX_CHUNK_SIZE}; defaults to
   * {@link DEFAULT_CHUNK_SIZE}. Only tests and benchmarks have a reason to change it.
   */
  chunkSize?: number;
}

/** What {@link parseEnvelopeHeader} reveals without any key. */
export interface EnvelopeHeader {
  /** Format version (2, or 1 for a record sealed before bindings existed). */
  version: number;
  /**
   * What the record was sealed for (v2); undefined for v1. Not yet authenticated when read from
   * the header alone: only opening the envelope (or unwrapping its data key) proves it.
   */
  binding?: EnvelopeBinding;
  /** Media type of the plaintext. */
  contentType: string;
  /** Roles and public keys of the recipients, in envelope order. */
  recipients: EnvelopeRecipient[];
  /** Plaintext bytes per chunk. */
  chunkSize: number;
  /** Number of payload chunks. */
  chunkCount: number;
  /** Plaintext length in bytes. */
  plaintextLength: number;
  /** Header length in bytes (where the payload starts). */
  headerLength: number;
  /** Length in bytes a complete envelope with this header must have. */
  envelopeLength: number;
}

/**
 * A data key wrapped to one recipient outside any envelope (e.g. the custodian's grant to a
 * buyer). JSON-serialisable; byte fields are 0x-prefixed lowercase hex.
 */
export interface WrappedKey {
  /** {@link WRAPPED_KEY_FORMAT_VERSION}: the version in the HPKE `info` (1). */
  version: number;
  /** The role bound into the HPKE `info`. */
  role: RecipientRole;
  /** The recipient's X25519 public key (32 bytes). */
  recipientPublicKey: Hex;
  /** HPKE encapsulated key (32 bytes). */
  enc: Hex;
  /** HPKE ciphertext of the data key (48 bytes). */
  ciphertext: Hex;
}

/**
 * Encrypts a record under a fresh data key and wraps that key to every recipient.
 *
 * @returns the complete v2 envelope.
 * @throws EnvelopeError INVALID_ARGUMENT for no/duplicate recipients, a bad role or key, an
 *   over-long content type, an out-of-range chunk size or an invalid binding.
 */
export async function sealEnvelope(params: SealEnvelopeParams): Promise<Uint8Array> {
  const contentType = params.contentType ?? DEFAULT_CONTENT_TYPE;
  const chunkSize = params.chunkSize ?? DEFAULT_CHUNK_SIZE;
  validateSealParams(params.plaintext, params.recipients, contentType, chunkSize);
  const bindingBytes = encodeBinding(params.binding);

  const dataKey = randomBytes(DATA_KEY_LENGTH);
  try {
    const recipients = await Promise.all(
      params.recipients.map(async ({ role, publicKey }): Promise<RecipientEntry> => ({
        role,
        publicKey: new Uint8Array(publicKey),
        ...(await hpkeWrapDataKey(
          dataKey,
          publicKey,
          hpkeInfo(ENVELOPE_FORMAT_VERSION, role),
          bindingBytes,
        )),
      })),
    );
    const layout = payloadLayout(params.plaintext.length, chunkSize);
    const noncePrefix = randomBytes(NONCE_PREFIX_LENGTH);
    const header = encodeHeader({
      chunkSize,
      plaintextLength: params.plaintext.length,
      noncePrefix,
      binding: params.binding,
      contentType,
      recipients,
    });
    // One allocation of the final size: no intermediate chunk list, no concatenation copy.
    const envelope = new Uint8Array(header.length + layout.ciphertextLength);
    envelope.set(header, 0);
    await encryptPayload({
      key: await importPayloadKey(dataKey),
      noncePrefix,
      associatedData: sha256(header),
      layout,
      plaintext: params.plaintext,
      output: envelope.subarray(header.length),
    });
    return envelope;
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Decrypts an envelope with one recipient's private key.
 *
 * @throws EnvelopeError NOT_A_RECIPIENT when the key's public key has no entry; MALFORMED,
 *   UNSUPPORTED_VERSION, TRUNCATED or DECRYPTION_FAILED when the envelope is damaged or tampered.
 */
export async function openEnvelope(
  envelope: Uint8Array,
  recipientPrivateKey: Uint8Array,
): Promise<Uint8Array> {
  const header = decodeCompleteEnvelope(envelope);
  const dataKey = await unwrapFromHeader(header, recipientPrivateKey);
  try {
    return await decryptWithHeader(envelope, header, dataKey);
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Recovers an envelope's 32-byte data key with one recipient's private key (the custodian's first
 * step when granting a buyer access). Only the header has to be present.
 *
 * @throws EnvelopeError NOT_A_RECIPIENT, DECRYPTION_FAILED, MALFORMED, UNSUPPORTED_VERSION or
 *   TRUNCATED.
 */
export async function unwrapDataKey(
  envelope: Uint8Array,
  recipientPrivateKey: Uint8Array,
): Promise<Uint8Array> {
  return unwrapFromHeader(decodeEnvelopeHeader(envelope), recipientPrivateKey);
}

/**
 * Wraps a data key to a recipient, e.g. the custodian re-wrapping a contributor's data key for a
 * buyer without re-encrypting the record.
 *
 * @throws EnvelopeError INVALID_ARGUMENT for a bad key length, role or unusable public key.
 */
export async function wrapDataKey(
  dataKey: Uint8Array,
  recipientPublicKey: Uint8Array,
  role: RecipientRole,
): Promise<WrappedKey> {
  assertRole(role);
  const wrapped = await hpkeWrapDataKey(
    dataKey,
    recipientPublicKey,
    hpkeInfo(WRAPPED_KEY_FORMAT_VERSION, role),
  );
  return {
    version: WRAPPED_KEY_FORMAT_VERSION,
    role,
    recipientPublicKey: bytesToHex(recipientPublicKey),
    enc: bytesToHex(wrapped.enc),
    ciphertext: bytesToHex(wrapped.ciphertext),
  };
}

/**
 * Recovers the data key from a {@link WrappedKey} (the buyer's first step).
 *
 * @throws EnvelopeError NOT_A_RECIPIENT when it is wrapped to another key; MALFORMED or
 *   UNSUPPORTED_VERSION for a bad object; DECRYPTION_FAILED when it was tampered with.
 */
export async function unwrapWrappedKey(
  wrapped: WrappedKey,
  recipientPrivateKey: Uint8Array,
): Promise<Uint8Array> {
  const decoded = decodeWrappedKey(wrapped);
  const recipientPublicKey = recipientPublicKeyOf(recipientPrivateKey);
  if (!equalBytes(decoded.recipientPublicKey, recipientPublicKey)) {
    throw new EnvelopeError("NOT_A_RECIPIENT", "this wrapped key is for a different public key");
  }
  return hpkeUnwrapDataKey(
    decoded,
    recipientPrivateKey,
    recipientPublicKey,
    hpkeInfo(decoded.version, decoded.role),
  );
}

/**
 * Decrypts an envelope with its data key (the buyer's second step).
 *
 * @throws EnvelopeError DECRYPTION_FAILED for a wrong key or tampering; MALFORMED,
 *   UNSUPPORTED_VERSION or TRUNCATED for a damaged envelope.
 */
export async function openWithDataKey(
  envelope: Uint8Array,
  dataKey: Uint8Array,
): Promise<Uint8Array> {
  return (await openRecordWithDataKey(envelope, dataKey)).plaintext;
}

/**
 * As {@link openWithDataKey}, with the media type the header records: one header decode for both
 * (a buyer opening 100,000 records needs each record's type too).
 *
 * @throws EnvelopeError as {@link openWithDataKey}.
 */
export async function openRecordWithDataKey(
  envelope: Uint8Array,
  dataKey: Uint8Array,
): Promise<{ contentType: string; plaintext: Uint8Array }> {
  assertEnvelopeArgumentLength(dataKey, DATA_KEY_LENGTH, "data key");
  const header = decodeCompleteEnvelope(envelope);
  const plaintext = await decryptWithHeader(envelope, header, dataKey);
  return { contentType: header.contentType, plaintext };
}

/**
 * Reads an envelope's header without decrypting anything. Only the header has to be present, so
 * the first bytes of a large file suffice; `envelopeLength` says how long the whole must be.
 *
 * @throws EnvelopeError MALFORMED, UNSUPPORTED_VERSION or TRUNCATED.
 */
export function parseEnvelopeHeader(envelope: Uint8Array): EnvelopeHeader {
  const header = decodeEnvelopeHeader(envelope);
  const layout = layoutOf(header);
  return {
    version: header.version,
    ...(header.binding === undefined ? {} : { binding: { ...header.binding } }),
    contentType: header.contentType,
    recipients: header.recipients.map(({ role, publicKey }) => ({
      role,
      publicKey: new Uint8Array(publicKey),
    })),
    chunkSize: layout.chunkSize,
    chunkCount: layout.chunkCount,
    plaintextLength: layout.plaintextLength,
    headerLength: header.headerBytes.length,
    envelopeLength: header.headerBytes.length + layout.ciphertextLength,
  };
}

function decodeEnvelopeHeader(envelope: Uint8Array): DecodedHeader {
  if (!(envelope instanceof Uint8Array)) {
    throw new EnvelopeError(
      "INVALID_ARGUMENT",
      `envelope must be a Uint8Array, got ${typeof envelope}`,
    );
  }
  return decodeHeader(envelope);
}

/** Decodes the header and checks the envelope has exactly the length the header implies. */
function decodeCompleteEnvelope(envelope: Uint8Array): DecodedHeader {
  const header = decodeEnvelopeHeader(envelope);
  const expectedLength = header.headerBytes.length + layoutOf(header).ciphertextLength;
  if (envelope.length < expectedLength) {
    throw new EnvelopeError(
      "TRUNCATED",
      `envelope is ${envelope.length} bytes but its header requires ${expectedLength}`,
    );
  }
  if (envelope.length > expectedLength) {
    throw new EnvelopeError(
      "MALFORMED",
      `envelope has ${envelope.length - expectedLength} unexpected bytes after its last chunk`,
    );
  }
  return header;
}

function layoutOf(header: DecodedHeader): PayloadLayout {
  return payloadLayout(header.plaintextLength, header.chunkSize);
}

async function unwrapFromHeader(
  header: DecodedHeader,
  recipientPrivateKey: Uint8Array,
): Promise<Uint8Array> {
  const recipientPublicKey = recipientPublicKeyOf(recipientPrivateKey);
  const entry = header.recipients.find((candidate) =>
    equalBytes(candidate.publicKey, recipientPublicKey),
  );
  if (entry === undefined) {
    throw new EnvelopeError(
      "NOT_A_RECIPIENT",
      `no recipient entry for public key ${bytesToHex(recipientPublicKey)}`,
    );
  }
  return hpkeUnwrapDataKey(
    entry,
    recipientPrivateKey,
    recipientPublicKey,
    hpkeInfo(header.version, entry.role),
    // v1 entries were wrapped with empty associated data; v2 ones with the binding.
    new Uint8Array(header.bindingBytes ?? []),
  );
}

async function decryptWithHeader(
  envelope: Uint8Array,
  header: DecodedHeader,
  dataKey: Uint8Array,
): Promise<Uint8Array> {
  return decryptPayload({
    key: await importPayloadKey(dataKey),
    noncePrefix: header.noncePrefix,
    associatedData: sha256(header.headerBytes),
    layout: layoutOf(header),
    ciphertext: envelope.subarray(header.headerBytes.length),
  });
}

function recipientPublicKeyOf(recipientPrivateKey: Uint8Array): Uint8Array {
  assertEnvelopeArgumentLength(recipientPrivateKey, X25519_KEY_LENGTH, "recipient private key");
  return publicKeyFromPrivate(recipientPrivateKey);
}

function validateSealParams(
  plaintext: Uint8Array,
  recipients: EnvelopeRecipient[],
  contentType: string,
  chunkSize: number,
): void {
  if (!(plaintext instanceof Uint8Array)) {
    throw new EnvelopeError(
      "INVALID_ARGUMENT",
      `plaintext must be a Uint8Array, got ${typeof plaintext}`,
    );
  }
  if (!Array.isArray(recipients) || recipients.length === 0 || recipients.length > MAX_RECIPIENTS) {
    throw new EnvelopeError("INVALID_ARGUMENT", `need 1..${MAX_RECIPIENTS} recipients`);
  }
  recipients.forEach(({ role, publicKey }, index) => {
    assertRole(role);
    assertEnvelopeArgumentLength(publicKey, X25519_KEY_LENGTH, `recipient ${index} public key`);
    if (recipients.slice(0, index).some((earlier) => equalBytes(earlier.publicKey, publicKey))) {
      throw new EnvelopeError("INVALID_ARGUMENT", `recipient ${index} repeats a public key`);
    }
  });
  if (utf8Encode(contentType).length > MAX_CONTENT_TYPE_LENGTH) {
    throw new EnvelopeError("INVALID_ARGUMENT", "content type is longer than 255 UTF-8 bytes");
  }
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new EnvelopeError(
      "INVALID_ARGUMENT",
      `chunk size must be an integer in ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}, got ${chunkSize}`,
    );
  }
}

function assertRole(role: unknown): asserts role is RecipientRole {
  if (!RECIPIENT_ROLES.includes(role as RecipientRole)) {
    throw new EnvelopeError("INVALID_ARGUMENT", `unknown recipient role ${JSON.stringify(role)}`);
  }
}

function decodeWrappedKey(wrapped: WrappedKey): HpkeWrappedDataKey & {
  version: number;
  role: RecipientRole;
  recipientPublicKey: Uint8Array;
} {
  if (typeof wrapped !== "object" || wrapped === null) {
    throw new EnvelopeError("MALFORMED", "wrapped key must be an object");
  }
  if (wrapped.version !== WRAPPED_KEY_FORMAT_VERSION) {
    throw new EnvelopeError(
      "UNSUPPORTED_VERSION",
      `wrapped key version ${String(wrapped.version)} is not supported`,
    );
  }
  if (!RECIPIENT_ROLES.includes(wrapped.role)) {
    throw new EnvelopeError(
      "MALFORMED",
      `wrapped key has unknown role ${JSON.stringify(wrapped.role)}`,
    );
  }
  return {
    version: wrapped.version,
    role: wrapped.role,
    recipientPublicKey: wrappedKeyField(
      wrapped.recipientPublicKey,
      X25519_KEY_LENGTH,
      "recipientPublicKey",
    ),
    enc: wrappedKeyField(wrapped.enc, HPKE_ENC_LENGTH, "enc"),
    ciphertext: wrappedKeyField(wrapped.ciphertext, WRAPPED_DATA_KEY_LENGTH, "ciphertext"),
  };
}

function wrappedKeyField(value: unknown, length: number, field: string): Uint8Array {
  const bytes = typeof value === "string" ? hexToBytes(value, length) : undefined;
  if (bytes === undefined) {
    throw new EnvelopeError("MALFORMED", `wrapped key ${field} must be ${length} bytes of hex`);
  }
  return bytes;
}
