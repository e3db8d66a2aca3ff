/**
 * X25519 encryption keys for contributors and buyers, derived from a wallet signature so the same
 * wallet recovers the same key on any device without Databank storing anything.
 *
 * Derivation (v1), for third-party clients:
 *   1. Ask the wallet to `personal_sign` {@link keyDerivationMessage}(address).
 *   2. Canonicalise the 65-byte signature r ‖ s ‖ v: s is replaced by n − s when s > n/2 (flipping
 *      the recovery bit), and v becomes 27 + recoveryBit. Wallets disagree on v (0/1 vs 27/28) and
 *      a few emit high-s; neither may change the derived key.
 *   3. privateKey = HKDF-SHA256(ikm = canonical signature, salt = "databank/x25519/v1",
 *      info = "databank/x25519/v1/private-key", L = 32); publicKey = X25519(privateKey, 9).
 *
 * Whoever holds the signature holds the key: it must never leave the device that requested it.
 * These functions only compute; nothing here persists a key.
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { getAddress, isAddress, type Hex } from "viem";
import { bytesToHex, hexToBytes, isBytesOfLength, randomBytes, utf8Encode } from "./bytes.js";
import { assertKeyLength, KeyError } from "./errors.js";

/** Version of the signed message and of the derivation; bumping it yields unrelated keys. */
export const KEY_DERIVATION_MESSAGE_VERSION = 1;

/** Length in bytes of X25519 private and public keys. */
export const X25519_KEY_LENGTH = 32;

/** An X25519 key pair as raw 32-byte keys. */
export interface X25519KeyPair {
  /** 32-byte X25519 private scalar (unclamped; X25519 clamps on use). */
  privateKey: Uint8Array;
  /** 32-byte X25519 public key (u-coordinate). */
  publicKey: Uint8Array;
}

const DERIVATION_SALT = utf8Encode(`databank/x25519/v${KEY_DERIVATION_MESSAGE_VERSION}`);
const DERIVATION_INFO = utf8Encode(
  `databank/x25519/v${KEY_DERIVATION_MESSAGE_VERSION}/private-key`,
);

const ALL_UPPERCASE_ADDRESS = /^0x[0-9A-F]{40}$/;
const SIGNATURE_LENGTH = 65;
const SCALAR_LENGTH = 32;
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP256K1_HALF_ORDER = SECP256K1_ORDER >> 1n;

/**
 * The exact message a wallet signs to derive its Databank encryption key.
 *
 * @param address - the signing wallet's address: checksummed, all-lowercase or all-uppercase; it is
 *   normalised to EIP-55 checksum form so every spelling gives the same message (and key).
 * @throws KeyError INVALID_ADDRESS when `address` is not an address or has a wrong checksum.
 */
export function keyDerivationMessage(address: string): string {
  // EIP-55: all-uppercase, like all-lowercase, carries no checksum; viem only accepts the latter.
  const candidate = ALL_UPPERCASE_ADDRESS.test(address) ? address.toLowerCase() : address;
  if (!isAddress(candidate)) {
    throw new KeyError("INVALID_ADDRESS", `not an Ethereum address (or bad checksum): ${address}`);
  }
  return [
    `Databank encryption key v${KEY_DERIVATION_MESSAGE_VERSION}`,
    "",
    "Signing this message derives your Databank encryption key. It costs nothing and grants no access to your funds.",
    "",
    "Only sign it in a Databank app: anyone holding this signature can read your Databank data.",
    "",
    `Wallet: ${getAddress(candidate)}`,
  ].join("\n");
}

/**
 * Derives an X25519 key pair from a wallet's signature over {@link keyDerivationMessage}.
 * Deterministic: equal (canonicalised) signatures give equal key pairs.
 *
 * @param signature - 65-byte r ‖ s ‖ v signature, as 0x-hex or bytes.
 * @throws KeyError INVALID_SIGNATURE when it is not 65 bytes, or r, s or v is out of range.
 */
export function deriveKeyPairFromSignature(signature: Hex | Uint8Array): X25519KeyPair {
  const canonicalSignature = canonicaliseSignature(signatureBytes(signature));
  const privateKey = hkdf(sha256, canonicalSignature, DERIVATION_SALT, DERIVATION_INFO, 32);
  return { privateKey, publicKey: publicKeyFromPrivate(privateKey) };
}

/** A fresh random X25519 key pair (for custodians and tests; users derive theirs from a wallet). */
export function generateKeyPair(): X25519KeyPair {
  const privateKey = randomBytes(X25519_KEY_LENGTH);
  return { privateKey, publicKey: publicKeyFromPrivate(privateKey) };
}

/**
 * The X25519 public key of a private key.
 *
 * @throws KeyError INVALID_KEY when `privateKey` is not 32 bytes.
 */
export function publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array {
  assertKeyLength(privateKey, X25519_KEY_LENGTH, "private key");
  return x25519.getPublicKey(privateKey);
}

/**
 * Encodes a 32-byte key as 0x-prefixed lowercase hex.
 *
 * @throws KeyError INVALID_KEY when `key` is not 32 bytes.
 */
export function toHex32(key: Uint8Array): Hex {
  assertKeyLength(key, X25519_KEY_LENGTH, "key");
  return bytesToHex(key);
}

/**
 * Decodes a 32-byte key from hex (0x prefix optional, any case).
 *
 * @throws KeyError INVALID_KEY when it is not exactly 64 hex digits.
 */
export function fromHex32(hex: string): Uint8Array {
  const key = hexToBytes(hex, X25519_KEY_LENGTH);
  if (key === undefined) {
    throw new KeyError("INVALID_KEY", `expected 32 bytes of hex (64 digits), got "${hex}"`);
  }
  return key;
}

function signatureBytes(signature: Hex | Uint8Array): Uint8Array {
  const bytes = typeof signature === "string" ? hexToBytes(signature, SIGNATURE_LENGTH) : signature;
  if (!isBytesOfLength(bytes, SIGNATURE_LENGTH)) {
    throw new KeyError("INVALID_SIGNATURE", "signature must be 65 bytes (r ‖ s ‖ v)");
  }
  return bytes;
}

function canonicaliseSignature(signature: Uint8Array): Uint8Array {
  const r = bigIntFromBytes(signature.subarray(0, SCALAR_LENGTH));
  let s = bigIntFromBytes(signature.subarray(SCALAR_LENGTH, 2 * SCALAR_LENGTH));
  let recoveryBit = recoveryBitFromV(signature[2 * SCALAR_LENGTH]!);
  if (r === 0n || r >= SECP256K1_ORDER || s === 0n || s >= SECP256K1_ORDER) {
    throw new KeyError("INVALID_SIGNATURE", "signature r or s is outside the secp256k1 range");
  }
  if (s > SECP256K1_HALF_ORDER) {
    s = SECP256K1_ORDER - s;
    recoveryBit ^= 1;
  }
  const canonical = new Uint8Array(SIGNATURE_LENGTH);
  canonical.set(signature.subarray(0, SCALAR_LENGTH), 0);
  canonical.set(bigIntToBytes32(s), SCALAR_LENGTH);
  canonical[2 * SCALAR_LENGTH] = 27 + recoveryBit;
  return canonical;
}

function recoveryBitFromV(v: number): number {
  if (v === 0 || v === 1) return v;
  if (v === 27 || v === 28) return v - 27;
  throw new KeyError("INVALID_SIGNATURE", `signature v must be 0, 1, 27 or 28, got ${v}`);
}

function bigIntFromBytes(bytes: Uint8Array): bigint {
  return bytes.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}

function bigIntToBytes32(value: bigint): Uint8Array {
  const bytes = new Uint8Array(SCALAR_LENGTH);
  for (let index = SCALAR_LENGTH - 1, rest = value; index >= 0; index--, rest >>= 8n) {
    bytes[index] = Number(rest & 0xffn);
  }
  return bytes;
}

/** Anything that signs an EIP-191 personal message: a viem account or a wallet client with one. */
export interface MessageSigner {
  readonly address: string;
  signMessage(args: { message: string }): Promise<Hex>;
}

/**
 * The wallet's Databank encryption key pair: it signs {@link keyDerivationMessage} and the key pair
 * is derived from the signature, so the same wallet gets the same key on any device.
 */
export async function deriveWalletKeyPair(signer: MessageSigner): Promise<X25519KeyPair> {
  const signature = await signer.signMessage({ message: keyDerivationMessage(signer.address) });
  return deriveKeyPairFromSignature(signature);
}
