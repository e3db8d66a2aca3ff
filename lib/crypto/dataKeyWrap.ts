/**
 * HPKE (RFC 9180) base-mode wrapping of a 32-byte data key to one recipient.
 * Suite: DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM. The `info` string binds the
 * envelope format version and the recipient's role, so an entry cannot be relabelled (e.g. a buyer
 * entry passed off as the contributor's) without unwrapping failing. In format v2 the associated
 * data is the envelope's binding (chain, contract, pool, contributor), so an entry copied into an
 * envelope bound elsewhere does not unwrap either.
 */
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { toExactArrayBuffer, utf8Encode } from "./bytes.js";
import { assertEnvelopeArgumentLength, EnvelopeError } from "./errors.js";
import { X25519_KEY_LENGTH } from "./keys.js";

/** Who a wrapped data key is for. */
export type RecipientRole = "custodian" | "contributor" | "buyer";

/** Length of the data key that encrypts an envelope's payload (AES-256). */
export const DATA_KEY_LENGTH = 32;
/** Length of the HPKE encapsulated key for X25519. */
export const HPKE_ENC_LENGTH = 32;
/** Length of the HPKE ciphertext of a data key: key + AES-GCM tag. */
export const WRAPPED_DATA_KEY_LENGTH = DATA_KEY_LENGTH + 16;

/** The HPKE output for one recipient, as raw bytes. */
export interface HpkeWrappedDataKey {
  /** HPKE encapsulated (ephemeral) public key. */
  enc: Uint8Array;
  /** HPKE ciphertext of the data key. */
  ciphertext: Uint8Array;
}

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

/** HPKE `info` for a role under format version `formatVersion`. */
export function hpkeInfo(formatVersion: number, role: RecipientRole): Uint8Array<ArrayBuffer> {
  return utf8Encode(`databank/envelope/v${formatVersion}/data-key/${role}`);
}

/**
 * Wraps `dataKey` to `recipientPublicKey`.
 *
 * @param aad - associated data: the envelope's binding bytes in v2, empty otherwise
 * @throws EnvelopeError INVALID_ARGUMENT when a key has the wrong length or the public key is not
 *   a usable X25519 key (e.g. a low-order point).
 */
export async function hpkeWrapDataKey(
  dataKey: Uint8Array,
  recipientPublicKey: Uint8Array,
  info: Uint8Array<ArrayBuffer>,
  aad: Uint8Array<ArrayBuffer> = new Uint8Array(0),
): Promise<HpkeWrappedDataKey> {
  assertEnvelopeArgumentLength(dataKey, DATA_KEY_LENGTH, "data key");
  assertEnvelopeArgumentLength(recipientPublicKey, X25519_KEY_LENGTH, "recipient public key");
  try {
    const publicKey = await suite.kem.importKey(
      "raw",
      toExactArrayBuffer(recipientPublicKey),
      true,
    );
    const sealed = await suite.seal(
      { recipientPublicKey: publicKey, info },
      toExactArrayBuffer(dataKey),
      aad,
    );
    return {
      enc: new Uint8Array(sealed.enc),
      ciphertext: new Uint8Array(sealed.ct),
    };
  } catch (cause) {
    throw new EnvelopeError(
      "INVALID_ARGUMENT",
      "cannot wrap the data key: recipient public key is not a usable X25519 key",
      { cause },
    );
  }
}

/**
 * Unwraps a data key with the recipient's key pair.
 *
 * @param aad - the associated data it was wrapped with: the binding bytes in v2, empty otherwise
 * @throws EnvelopeError DECRYPTION_FAILED when the entry was tampered with, relabelled (other
 *   role → other `info`), moved to an envelope with another binding or wrapped to another key.
 */
export async function hpkeUnwrapDataKey(
  wrapped: HpkeWrappedDataKey,
  recipientPrivateKey: Uint8Array,
  recipientPublicKey: Uint8Array,
  info: Uint8Array<ArrayBuffer>,
  aad: Uint8Array<ArrayBuffer> = new Uint8Array(0),
): Promise<Uint8Array> {
  try {
    // Passing the key pair spares HPKE from re-deriving the public key through a JWK round trip.
    const recipientKey: CryptoKeyPair = {
      privateKey: await suite.kem.importKey("raw", toExactArrayBuffer(recipientPrivateKey), false),
      publicKey: await suite.kem.importKey("raw", toExactArrayBuffer(recipientPublicKey), true),
    };
    const opened = await suite.open(
      { recipientKey, enc: toExactArrayBuffer(wrapped.enc), info },
      toExactArrayBuffer(wrapped.ciphertext),
      aad,
    );
    // Callers only pass 48-byte ciphertexts (header and WrappedKey decoding check), so 32 bytes.
    return new Uint8Array(opened);
  } catch (cause) {
    throw new EnvelopeError(
      "DECRYPTION_FAILED",
      "wrapped data key failed authentication (tampered, relabelled, rebound or wrapped to another key)",
      { cause },
    );
  }
}
