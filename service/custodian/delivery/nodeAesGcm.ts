/**
 * AES-256-GCM through node:crypto for the custodian's per-record seals: a key kept at rest under
 * the KEK (./keyCustody.ts) and a record key sealed under a purchase's delivery key (./build.ts).
 * Each is a 32-byte value, so the cost is the call: about 4 µs here against about 25 µs for a
 * WebCrypto call, which is most of a delivery's per-record work at 100,000 records. The formats
 * are those of lib/crypto (nonce, ciphertext ‖ 16-byte tag, associated data): a record key sealed
 * here opens with lib/crypto/deliveryKey `openRecordKey`, in the buyer's browser too.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { bytesToHex, randomBytes } from "../../../lib/crypto/bytes.js";
import {
  RECORD_KEY_NONCE_LENGTH,
  recordAssociatedData,
  type RecordBinding,
  type SealedRecordKey,
} from "../../../lib/crypto/deliveryKey.js";
import { DATA_KEY_LENGTH } from "../../../lib/crypto/dataKeyWrap.js";

/** Length of the GCM authentication tag appended to every ciphertext. */
export const TAG_LENGTH = 16;

/** A 32-byte AES key held by node:crypto (the caller may zero its copy of the bytes). */
export function aesKey(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new RangeError("an AES-256 key is 32 bytes");
  return createSecretKey(raw);
}

/** Parameters of {@link aesGcmSeal} and {@link aesGcmOpen}. */
export interface AesGcmParams {
  /** The AES-256 key, from {@link aesKey}. */
  key: KeyObject;
  /** The 12-byte nonce: never twice under one key (drawn at random by the callers). */
  nonce: Uint8Array;
  /** What the ciphertext is bound to. */
  associatedData: Uint8Array;
}

/** Encrypts `plaintext`; returns ciphertext ‖ tag. */
export function aesGcmSeal(params: AesGcmParams, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-256-gcm", params.key, params.nonce);
  cipher.setAAD(params.associatedData);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const sealed = new Uint8Array(head.length + tail.length + TAG_LENGTH);
  sealed.set(head, 0);
  sealed.set(tail, head.length);
  sealed.set(cipher.getAuthTag(), head.length + tail.length);
  return sealed;
}

/**
 * Decrypts ciphertext ‖ tag.
 *
 * @throws Error when authentication fails (wrong key, tampering, other associated data).
 */
export function aesGcmOpen(params: AesGcmParams, sealed: Uint8Array): Uint8Array {
  if (sealed.length < TAG_LENGTH) throw new Error("the sealed value is shorter than its tag");
  const decipher = createDecipheriv("aes-256-gcm", params.key, params.nonce);
  decipher.setAAD(params.associatedData);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  const head = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
  const tail = decipher.final();
  const plaintext = new Uint8Array(head.length + tail.length);
  plaintext.set(head, 0);
  plaintext.set(tail, head.length);
  head.fill(0);
  return plaintext;
}

/**
 * Seals one record's data key under the delivery key K: the twin of lib/crypto/deliveryKey
 * `sealRecordKey` (same nonce length, associated data and output).
 *
 * @param key - K, from {@link aesKey}
 */
export function sealRecordKeyOnNode(
  key: KeyObject,
  dataKey: Uint8Array,
  binding: RecordBinding,
): SealedRecordKey {
  if (dataKey.length !== DATA_KEY_LENGTH) throw new RangeError("a data key is 32 bytes");
  const nonce = randomBytes(RECORD_KEY_NONCE_LENGTH);
  const ciphertext = aesGcmSeal(
    { key, nonce, associatedData: recordAssociatedData(binding) },
    dataKey,
  );
  return { nonce: bytesToHex(nonce), ciphertext: bytesToHex(ciphertext) };
}
