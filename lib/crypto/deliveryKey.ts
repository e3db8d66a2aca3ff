/**
 * The per-purchase delivery key of a v2 delivery manifest (docs/data-bank-node.md, "Delivery
 * manifest (v2)").
 *
 * The custodian draws a random 32-byte delivery key K per purchase and seals every record's data
 * key under it with AES-256-GCM; the manifest (whose CID is public as soon as `fulfill` is sent)
 * holds only those sealed keys. K itself is sealed to the buyer's X25519 key with one HPKE
 * operation and released by the node only once `fulfill` is mined and confirmed, so a manifest
 * seen in a pending transaction's calldata opens nothing.
 *
 * Bindings, so that nothing sealed can be moved elsewhere without failing authentication:
 * - a sealed record key's AES-GCM associated data names the chain, the Databank, the purchase,
 *   the record's token id and its data CID;
 * - K sealed to the buyer has an HPKE `info` naming the chain, the Databank, the purchase and the
 *   manifest CID (K sealed to the custodian, for crash recovery, names all but the CID, which is
 *   not known until the manifest is built).
 *
 * Only audited primitives: AES-GCM (node:crypto in Node, WebCrypto in a browser: ./aesGcm.ts), and the project's HPKE suite (lib/crypto/dataKeyWrap:
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM). Browser-safe: no `node:` imports.
 */
import { getAddress, type Address, type Hex } from "viem";
import { bytesToHex, hexToBytes, randomBytes, utf8Encode } from "./bytes.js";
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  importAesGcmKey,
  type AesGcmEngine,
  type AesGcmKey,
} from "./aesGcm.js";
import { DATA_KEY_LENGTH, hpkeUnwrapDataKey, hpkeWrapDataKey } from "./dataKeyWrap.js";
import { publicKeyFromPrivate, X25519_KEY_LENGTH } from "./keys.js";

/** Length of the delivery key K (AES-256). */
export const DELIVERY_KEY_LENGTH = 32;
/** Length of a sealed record key's AES-GCM nonce (96 bits, drawn at random per record). */
export const RECORD_KEY_NONCE_LENGTH = 12;
/** Length of a sealed record key's ciphertext: the 32-byte data key and the 16-byte GCM tag. */
export const SEALED_RECORD_KEY_LENGTH = DATA_KEY_LENGTH + 16;
/** Length of K sealed by HPKE: the 32-byte encapsulated key, then K and its 16-byte tag. */
export const SEALED_DELIVERY_KEY_LENGTH = 32 + DELIVERY_KEY_LENGTH + 16;

/** Why a delivery key or a record key sealed under it could not be sealed or opened. */
export type DeliveryKeyErrorCode =
  /** A key or binding field has the wrong length or form. */
  | "INVALID_ARGUMENT"
  /** A sealed value is not of the documented form (wrong length, not hex). */
  | "MALFORMED"
  /** Authentication failed: a wrong key, tampering, or a value moved to another record/purchase. */
  | "DECRYPTION_FAILED";

/** The one error type of this module. Callers branch on `code`. */
export class DeliveryKeyError extends Error {
  /** Machine-readable reason. */
  readonly code: DeliveryKeyErrorCode;

  /**
   * @param code - machine-readable reason
   * @param message - one line saying what is wrong
   * @param options - the underlying cause (kept for debugging)
   */
  constructor(code: DeliveryKeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DeliveryKeyError";
    this.code = code;
  }
}

/** What a delivery belongs to: bound into every seal so it cannot serve another purchase. */
export interface PurchaseBinding {
  /** Chain the purchase was made on. */
  chainId: number;
  /** The Databank contract. */
  databank: Address;
  /** The purchase (uint64). */
  purchaseId: bigint;
}

/** One record's data key sealed under K, as the v2 manifest carries it (0x-hex, lowercase). */
export interface SealedRecordKey {
  /** The random 12-byte AES-GCM nonce. */
  nonce: Hex;
  /** AES-256-GCM ciphertext of the 32-byte data key, tag appended (48 bytes). */
  ciphertext: Hex;
}

/** Arguments of {@link sealRecordKey} and {@link openRecordKey} besides the key material. */
export interface RecordBinding extends PurchaseBinding {
  /** The record's consent token id. */
  tokenId: bigint;
  /** CID of the record's envelope. */
  dataCid: string;
}

/** Who K is sealed to, with HPKE. */
export type DeliveryKeyRecipient =
  /** The buyer: the form the node releases once the delivery is final; names the manifest CID. */
  | { role: "buyer"; manifestCid: string }
  /** The custodian itself: the form kept while a delivery is built, to resume after a crash. */
  | { role: "custodian" };

/** A fresh random delivery key K (WebCrypto's CSPRNG). */
export function generateDeliveryKey(): Uint8Array {
  return randomBytes(DELIVERY_KEY_LENGTH);
}

/**
 * Imports K once for the AES-GCM seals of a whole delivery (importing per record would repeat the
 * same work for every record). node:crypto in Node, WebCrypto in a browser (./aesGcm.ts).
 *
 * @param engine - which AES-GCM engine; default the fastest the runtime has (tests compare both)
 * @throws DeliveryKeyError INVALID_ARGUMENT when K is not 32 bytes.
 */
export async function importDeliveryKey(
  deliveryKey: Uint8Array,
  engine?: AesGcmEngine,
): Promise<AesGcmKey> {
  assertLength(deliveryKey, DELIVERY_KEY_LENGTH, "delivery key");
  return importAesGcmKey(deliveryKey, engine);
}

/**
 * Seals one record's data key under K, bound to its record and purchase.
 *
 * @param key - K, from {@link importDeliveryKey}
 * @throws DeliveryKeyError INVALID_ARGUMENT for a data key that is not 32 bytes.
 */
export async function sealRecordKey(
  key: AesGcmKey,
  dataKey: Uint8Array,
  binding: RecordBinding,
): Promise<SealedRecordKey> {
  assertLength(dataKey, DATA_KEY_LENGTH, "data key");
  const nonce = freshNonce();
  const ciphertext = await aesGcmEncrypt(
    key,
    { nonce, associatedData: recordAssociatedData(binding) },
    dataKey,
  );
  return { nonce: bytesToHex(nonce), ciphertext: bytesToHex(ciphertext) };
}

/**
 * Opens one record's sealed data key with K.
 *
 * @param key - K, from {@link importDeliveryKey}
 * @throws DeliveryKeyError MALFORMED for a nonce or ciphertext of the wrong length;
 *   DECRYPTION_FAILED when K is not the key it was sealed under, it was tampered with, or it was
 *   sealed for another record or purchase.
 */
export async function openRecordKey(
  key: AesGcmKey,
  sealed: SealedRecordKey,
  binding: RecordBinding,
): Promise<Uint8Array> {
  const nonce = field(sealed.nonce, RECORD_KEY_NONCE_LENGTH, "sealed record key nonce");
  const ciphertext = field(sealed.ciphertext, SEALED_RECORD_KEY_LENGTH, "sealed record key");
  try {
    return await aesGcmDecrypt(
      key,
      { nonce, associatedData: recordAssociatedData(binding) },
      ciphertext,
    );
  } catch (cause) {
    throw new DeliveryKeyError(
      "DECRYPTION_FAILED",
      "the sealed record key does not open with this delivery key for this record (tampered, moved from another record or purchase, or another delivery key)",
      { cause },
    );
  }
}

/**
 * Seals K to an X25519 public key with one HPKE operation.
 *
 * @returns enc ‖ ciphertext as 0x-hex ({@link SEALED_DELIVERY_KEY_LENGTH} bytes).
 * @throws DeliveryKeyError INVALID_ARGUMENT for a key of the wrong length or an unusable public key.
 */
export async function sealDeliveryKey(
  deliveryKey: Uint8Array,
  recipientPublicKey: Uint8Array,
  binding: PurchaseBinding,
  recipient: DeliveryKeyRecipient,
): Promise<Hex> {
  assertLength(deliveryKey, DELIVERY_KEY_LENGTH, "delivery key");
  assertLength(recipientPublicKey, X25519_KEY_LENGTH, "recipient public key");
  try {
    const { enc, ciphertext } = await hpkeWrapDataKey(
      deliveryKey,
      recipientPublicKey,
      deliveryKeyInfo(binding, recipient),
    );
    const sealed = new Uint8Array(SEALED_DELIVERY_KEY_LENGTH);
    sealed.set(enc, 0);
    sealed.set(ciphertext, enc.length);
    return bytesToHex(sealed);
  } catch (cause) {
    throw new DeliveryKeyError(
      "INVALID_ARGUMENT",
      "cannot seal the delivery key: the recipient public key is not a usable X25519 key",
      { cause },
    );
  }
}

/**
 * Opens K sealed by {@link sealDeliveryKey} with the recipient's private key.
 *
 * @throws DeliveryKeyError MALFORMED when `sealed` is not 80 bytes of hex; INVALID_ARGUMENT for a
 *   private key that is not 32 bytes; DECRYPTION_FAILED when it is sealed to another key, for
 *   another purchase or manifest, or tampered with.
 */
export async function openDeliveryKey(
  sealed: string,
  recipientPrivateKey: Uint8Array,
  binding: PurchaseBinding,
  recipient: DeliveryKeyRecipient,
): Promise<Uint8Array> {
  const bytes = field(sealed, SEALED_DELIVERY_KEY_LENGTH, "sealed delivery key");
  assertLength(recipientPrivateKey, X25519_KEY_LENGTH, "recipient private key");
  try {
    return await hpkeUnwrapDataKey(
      { enc: bytes.subarray(0, 32), ciphertext: bytes.subarray(32) },
      recipientPrivateKey,
      publicKeyFromPrivate(recipientPrivateKey),
      deliveryKeyInfo(binding, recipient),
    );
  } catch (cause) {
    throw new DeliveryKeyError(
      "DECRYPTION_FAILED",
      "the sealed delivery key does not open with this private key for this purchase and manifest (sealed to another key, for another purchase or manifest, or tampered)",
      { cause },
    );
  }
}

/**
 * Random bytes drawn ahead for record-key nonces: one CSPRNG call per 256 nonces instead of one
 * per record (a WebCrypto call costs several microseconds, as much as the seal itself). Each byte
 * is handed out once, so every nonce is still fresh CSPRNG output never used twice.
 */
const NONCES_PER_DRAW = 256;
let nonceStock = new Uint8Array(0);
let nonceOffset = 0;

function freshNonce(): Uint8Array {
  if (nonceOffset + RECORD_KEY_NONCE_LENGTH > nonceStock.length) {
    nonceStock = randomBytes(RECORD_KEY_NONCE_LENGTH * NONCES_PER_DRAW);
    nonceOffset = 0;
  }
  const nonce = nonceStock.slice(nonceOffset, nonceOffset + RECORD_KEY_NONCE_LENGTH);
  nonceStock.fill(0, nonceOffset, nonceOffset + RECORD_KEY_NONCE_LENGTH);
  nonceOffset += RECORD_KEY_NONCE_LENGTH;
  return nonce;
}

/** The purchase part of the last record binding encoded (a delivery encodes 100,000 in a row). */
let lastPurchase:
  { chainId: number; databank: string; purchaseId: bigint; json: string } | undefined;

/**
 * The AES-GCM associated data of a record key: a JSON array, so that no two different bindings
 * can encode to the same bytes. The purchase's part (with its checksummed address) is encoded once
 * per purchase and reused while records of the same purchase follow.
 */
function recordAssociatedData(binding: RecordBinding): Uint8Array<ArrayBuffer> {
  if (
    lastPurchase === undefined ||
    lastPurchase.chainId !== binding.chainId ||
    lastPurchase.databank !== binding.databank ||
    lastPurchase.purchaseId !== binding.purchaseId
  ) {
    const json = JSON.stringify([
      "databank/delivery/v2/record-key",
      binding.chainId,
      getAddress(binding.databank),
      binding.purchaseId.toString(),
    ]);
    const { chainId, databank, purchaseId } = binding;
    // Without its closing bracket: the record's fields are appended to it.
    lastPurchase = { chainId, databank, purchaseId, json: json.slice(0, -1) };
  }
  return utf8Encode(
    `${lastPurchase.json},${JSON.stringify(binding.tokenId.toString())},${JSON.stringify(binding.dataCid)}]`,
  );
}

/** The HPKE `info` of a sealed K: purpose, recipient role, purchase and (for the buyer) manifest. */
function deliveryKeyInfo(
  binding: PurchaseBinding,
  recipient: DeliveryKeyRecipient,
): Uint8Array<ArrayBuffer> {
  return utf8Encode(
    JSON.stringify([
      `databank/delivery/v2/delivery-key/${recipient.role}`,
      binding.chainId,
      getAddress(binding.databank),
      binding.purchaseId.toString(),
      recipient.role === "buyer" ? recipient.manifestCid : null,
    ]),
  );
}

function assertLength(value: unknown, length: number, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new DeliveryKeyError("INVALID_ARGUMENT", `${what} must be ${length} bytes`);
  }
}

function field(value: unknown, length: number, what: string): Uint8Array {
  const bytes = typeof value === "string" ? hexToBytes(value, length) : undefined;
  if (bytes === undefined) {
    throw new DeliveryKeyError("MALFORMED", `${what} must be ${length} bytes of 0x-hex`);
  }
  return bytes;
}
