/**
 * Typed errors of lib/crypto. Callers branch on `code`, never on message text, so messages can
 * stay human-oriented (one line saying what is wrong).
 */
import { describeByteLength, isBytesOfLength } from "./bytes.js";

/** Why an envelope could not be built, parsed or opened. */
export type EnvelopeErrorCode =
  /** The bytes are not a well-formed envelope (bad magic, bad field value, trailing bytes…). */
  | "MALFORMED"
  /** The envelope declares a format version this implementation does not read. */
  | "UNSUPPORTED_VERSION"
  /** The private key's public key is not among the envelope's (or wrapped key's) recipients. */
  | "NOT_A_RECIPIENT"
  /** Authentication failed: tampered bytes, reordered chunks or a wrong key. */
  | "DECRYPTION_FAILED"
  /** The envelope ends before the header or the last chunk does. */
  | "TRUNCATED"
  /** The caller passed an unusable argument (wrong key length, no recipients…). */
  | "INVALID_ARGUMENT";

/** The only error type thrown by the envelope API; WebCrypto/HPKE failures are mapped to it. */
export class EnvelopeError extends Error {
  /** Machine-readable reason. */
  readonly code: EnvelopeErrorCode;

  /**
   * @param code - machine-readable reason
   * @param message - one line saying what is wrong
   * @param options - optional underlying cause (kept for debugging, never shown to end users)
   */
  constructor(code: EnvelopeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EnvelopeError";
    this.code = code;
  }
}

/**
 * Throws EnvelopeError INVALID_ARGUMENT unless `value` is a Uint8Array of `length` bytes.
 *
 * @param what - names the argument in the message, e.g. "data key"
 */
export function assertEnvelopeArgumentLength(
  value: unknown,
  length: number,
  what: string,
): asserts value is Uint8Array {
  if (!isBytesOfLength(value, length)) {
    const actual = describeByteLength(value);
    throw new EnvelopeError("INVALID_ARGUMENT", `${what} must be ${length} bytes, got ${actual}`);
  }
}

/** Why a key, signature or address handed to lib/crypto/keys was rejected. */
export type KeyErrorCode =
  /** The wallet signature is not a 65-byte secp256k1 signature (r ‖ s ‖ v). */
  | "INVALID_SIGNATURE"
  /** The string is not an Ethereum address (or has a wrong EIP-55 checksum). */
  | "INVALID_ADDRESS"
  /** A key is not 32 bytes, or hex is not 32 bytes of valid hex. */
  | "INVALID_KEY";

/** The only error type thrown by lib/crypto/keys. */
export class KeyError extends Error {
  /** Machine-readable reason. */
  readonly code: KeyErrorCode;

  /**
   * @param code - machine-readable reason
   * @param message - one line saying what is wrong
   */
  constructor(code: KeyErrorCode, message: string) {
    super(message);
    this.name = "KeyError";
    this.code = code;
  }
}

/**
 * Throws KeyError INVALID_KEY unless `value` is a Uint8Array of `length` bytes.
 *
 * @param what - names the argument in the message, e.g. "private key"
 */
export function assertKeyLength(
  value: unknown,
  length: number,
  what: string,
): asserts value is Uint8Array {
  if (!isBytesOfLength(value, length)) {
    throw new KeyError(
      "INVALID_KEY",
      `${what} must be ${length} bytes, got ${describeByteLength(value)}`,
    );
  }
}
