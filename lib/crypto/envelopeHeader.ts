/**
 * Binary encoding of the envelope header (format v2, and v1 for reading). The layout is specified
 * in envelope.ts and docs/envelope-format.md; this module only turns fields into bytes and back,
 * validating every field so that later stages never see an impossible value.
 */
import { equalBytes, utf8DecodeStrict, utf8Encode } from "./bytes.js";
import {
  HPKE_ENC_LENGTH,
  WRAPPED_DATA_KEY_LENGTH,
  type HpkeWrappedDataKey,
  type RecipientRole,
} from "./dataKeyWrap.js";
import {
  decodeBinding,
  encodeBinding,
  ENVELOPE_BINDING_LENGTH,
  type EnvelopeBinding,
} from "./envelopeBinding.js";
import { EnvelopeError } from "./errors.js";
import { X25519_KEY_LENGTH } from "./keys.js";

/** First four bytes of every envelope: ASCII "DBEV". */
export const ENVELOPE_MAGIC: Uint8Array = Uint8Array.of(0x44, 0x42, 0x45, 0x56);
/** The format version written by this implementation: v2, bound to a contributor and pool. */
export const ENVELOPE_FORMAT_VERSION = 2;
/**
 * The unbound format of records sealed before v2. Still read, so that records accepted then can be
 * delivered and exported; a custodian refuses it for new submissions (see lib/custodian).
 */
export const UNBOUND_ENVELOPE_FORMAT_VERSION = 1;
/** Smallest plaintext chunk size a reader accepts. */
export const MIN_CHUNK_SIZE = 1024;
/** Largest plaintext chunk size a reader accepts; bounds a reader's per-chunk memory. */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
/** Length of the random per-envelope nonce prefix. */
export const NONCE_PREFIX_LENGTH = 7;
/** Longest content type, in UTF-8 bytes. */
export const MAX_CONTENT_TYPE_LENGTH = 255;
/** Most recipient entries one envelope can hold. */
export const MAX_RECIPIENTS = 255;
/** Bytes per recipient entry: role, public key, HPKE enc, wrapped data key. */
export const RECIPIENT_ENTRY_LENGTH =
  1 + X25519_KEY_LENGTH + HPKE_ENC_LENGTH + WRAPPED_DATA_KEY_LENGTH;

/** Every role, in wire-code order (code = index + 1). */
export const RECIPIENT_ROLES: readonly RecipientRole[] = ["custodian", "contributor", "buyer"];

/** One recipient entry of the header. */
export interface RecipientEntry extends HpkeWrappedDataKey {
  /** Why this recipient may read the record. */
  role: RecipientRole;
  /** The recipient's 32-byte X25519 public key (how a reader finds its entry). */
  publicKey: Uint8Array;
}

/** Everything the header records, in decoded form. */
export interface HeaderFields {
  /**
   * Who and where the record is contributed (v2). Undefined only for a v1 header, which has none;
   * the encoder always writes v2 and requires it.
   */
  binding?: EnvelopeBinding;
  /** Plaintext bytes per chunk (the last chunk may be shorter). */
  chunkSize: number;
  /** Total plaintext bytes. */
  plaintextLength: number;
  /** Random prefix of every chunk nonce. */
  noncePrefix: Uint8Array;
  /** Media type of the plaintext, e.g. "application/json". */
  contentType: string;
  /** At least one entry; public keys are distinct. */
  recipients: RecipientEntry[];
}

/** A decoded header plus where it sits in the envelope. */
export interface DecodedHeader extends HeaderFields {
  /** Format version read from the envelope. */
  version: number;
  /** The exact header bytes (a view into the envelope); their digest authenticates the payload. */
  headerBytes: Uint8Array;
  /** The binding's 52 wire bytes (v2): the associated data of every wrapped data key. */
  bindingBytes?: Uint8Array;
}

const FIXED_PREFIX_LENGTH = 4 + 1 + 1 + 4 + 8 + NONCE_PREFIX_LENGTH + 1;

/**
 * Encodes validated header fields as a v2 header. Callers validate arguments first (see
 * envelope.ts).
 *
 * @throws EnvelopeError INVALID_ARGUMENT when the binding is missing or out of range.
 */
export function encodeHeader(fields: HeaderFields): Uint8Array {
  if (fields.binding === undefined) {
    throw new EnvelopeError("INVALID_ARGUMENT", "a v2 header needs a binding");
  }
  const binding = encodeBinding(fields.binding);
  const contentType = utf8Encode(fields.contentType);
  const length =
    FIXED_PREFIX_LENGTH +
    binding.length +
    contentType.length +
    1 +
    fields.recipients.length * RECIPIENT_ENTRY_LENGTH;
  const header = new Uint8Array(length);
  const view = new DataView(header.buffer);
  let offset = 0;
  const put = (bytes: Uint8Array): void => {
    header.set(bytes, offset);
    offset += bytes.length;
  };
  put(ENVELOPE_MAGIC);
  header[offset++] = ENVELOPE_FORMAT_VERSION;
  header[offset++] = 0; // flags: reserved
  view.setUint32(offset, fields.chunkSize);
  offset += 4;
  view.setBigUint64(offset, BigInt(fields.plaintextLength));
  offset += 8;
  put(fields.noncePrefix);
  put(binding);
  header[offset++] = contentType.length;
  put(contentType);
  header[offset++] = fields.recipients.length;
  for (const recipient of fields.recipients) {
    header[offset++] = roleCode(recipient.role);
    put(recipient.publicKey);
    put(recipient.enc);
    put(recipient.ciphertext);
  }
  return header;
}

/**
 * Decodes and validates the header at the start of `envelope`. Only the header needs to be present,
 * so a reader can inspect the first few hundred bytes of a large file.
 *
 * @throws EnvelopeError MALFORMED, UNSUPPORTED_VERSION or TRUNCATED.
 */
export function decodeHeader(envelope: Uint8Array): DecodedHeader {
  assertMagic(envelope);
  const reader = new HeaderReader(envelope, ENVELOPE_MAGIC.length);
  const version = reader.u8("version");
  if (version !== ENVELOPE_FORMAT_VERSION && version !== UNBOUND_ENVELOPE_FORMAT_VERSION) {
    throw new EnvelopeError(
      "UNSUPPORTED_VERSION",
      `envelope format version ${version} is not supported (this reader supports ${UNBOUND_ENVELOPE_FORMAT_VERSION} and ${ENVELOPE_FORMAT_VERSION})`,
    );
  }
  const flags = reader.u8("flags");
  if (flags !== 0) throw malformed(`reserved flags byte must be 0, got ${flags}`);
  const chunkSize = reader.u32("chunk size");
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw malformed(`chunk size ${chunkSize} is outside ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}`);
  }
  const plaintextLength = reader.u64("plaintext length");
  const noncePrefix = reader.bytes(NONCE_PREFIX_LENGTH, "nonce prefix");
  const bindingBytes =
    version === ENVELOPE_FORMAT_VERSION
      ? reader.bytes(ENVELOPE_BINDING_LENGTH, "binding")
      : undefined;
  const binding = bindingBytes === undefined ? undefined : decodeBinding(bindingBytes);
  const contentType = utf8DecodeStrict(
    reader.bytes(reader.u8("content type length"), "content type"),
  );
  if (contentType === undefined) throw malformed("content type is not valid UTF-8");
  const recipients = readRecipients(reader);
  return {
    version,
    chunkSize,
    plaintextLength,
    noncePrefix,
    contentType,
    recipients,
    headerBytes: envelope.subarray(0, reader.offset),
    ...(binding === undefined ? {} : { binding, bindingBytes }),
  };
}

/** The role's wire code (1 = custodian, 2 = contributor, 3 = buyer). */
function roleCode(role: RecipientRole): number {
  return RECIPIENT_ROLES.indexOf(role) + 1;
}

function readRecipients(reader: HeaderReader): RecipientEntry[] {
  const count = reader.u8("recipient count");
  if (count === 0) throw malformed("envelope has no recipients");
  const recipients: RecipientEntry[] = [];
  for (let index = 0; index < count; index++) {
    const code = reader.u8(`recipient ${index} role`);
    const role = RECIPIENT_ROLES[code - 1];
    if (role === undefined) throw malformed(`recipient ${index} has unknown role code ${code}`);
    const publicKey = reader.bytes(X25519_KEY_LENGTH, `recipient ${index} public key`);
    if (recipients.some((earlier) => equalBytes(earlier.publicKey, publicKey))) {
      throw malformed(`recipient ${index} repeats an earlier recipient's public key`);
    }
    const enc = reader.bytes(HPKE_ENC_LENGTH, `recipient ${index} HPKE enc`);
    const ciphertext = reader.bytes(WRAPPED_DATA_KEY_LENGTH, `recipient ${index} wrapped key`);
    recipients.push({ role, publicKey, enc, ciphertext });
  }
  return recipients;
}

function assertMagic(envelope: Uint8Array): void {
  const available = envelope.subarray(0, ENVELOPE_MAGIC.length);
  if (!equalBytes(available, ENVELOPE_MAGIC.subarray(0, available.length))) {
    throw malformed('not a Databank envelope (magic is not "DBEV")');
  }
  if (available.length < ENVELOPE_MAGIC.length) {
    throw new EnvelopeError("TRUNCATED", "envelope ends inside the magic bytes");
  }
}

function malformed(message: string): EnvelopeError {
  return new EnvelopeError("MALFORMED", message);
}

/** Sequential big-endian reader that reports which field ran past the end. */
class HeaderReader {
  private readonly view: DataView;

  constructor(
    private readonly source: Uint8Array,
    public offset: number,
  ) {
    this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  }

  bytes(length: number, field: string): Uint8Array {
    this.require(length, field);
    const bytes = this.source.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  u8(field: string): number {
    this.require(1, field);
    return this.view.getUint8(this.offset++);
  }

  u32(field: string): number {
    this.require(4, field);
    const value = this.view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  u64(field: string): number {
    this.require(8, field);
    const value = this.view.getBigUint64(this.offset);
    this.offset += 8;
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(`${field} ${value} is too large`);
    return Number(value);
  }

  private require(length: number, field: string): void {
    if (this.offset + length > this.source.length) {
      throw new EnvelopeError("TRUNCATED", `envelope ends inside the header (${field})`);
    }
  }
}
