/**
 * Byte helpers shared by lib/crypto. Browser-safe: no `node:` imports, only WebCrypto and noble.
 */
import {
  bytesToHex as nobleBytesToHex,
  hexToBytes as nobleHexToBytes,
} from "@noble/hashes/utils.js";
import type { Hex } from "viem";

/** Encodes bytes as 0x-prefixed lowercase hex (viem's `Hex`). */
export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${nobleBytesToHex(bytes)}`;
}

/**
 * Decodes hex (with or without 0x, any case) of exactly `expectedLength` bytes.
 * Returns undefined instead of throwing so each caller can raise its own typed error.
 */
export function hexToBytes(hex: string, expectedLength: number): Uint8Array | undefined {
  const digits = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (digits.length !== expectedLength * 2) return undefined;
  try {
    return nobleHexToBytes(digits);
  } catch {
    return undefined;
  }
}

/** Compares in time independent of where the inputs differ (keys are compared with this). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= a[index]! ^ b[index]!;
  return difference === 0;
}

/** Cryptographically secure random bytes from WebCrypto. */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/**
 * WebCrypto's typings (and some engines) refuse views over SharedArrayBuffer; returns the view
 * itself when it is already over a plain ArrayBuffer so large records are never copied.
 */
export function toBufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const isPlainArrayBuffer =
    Object.prototype.toString.call(bytes.buffer) === "[object ArrayBuffer]";
  return isPlainArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** A copy that owns its own ArrayBuffer of exactly its length (what HPKE's importKey expects). */
export function toExactArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

const utf8Encoder = new TextEncoder();
// fatal: a content type that is not valid UTF-8 means the header is corrupt, not "mostly fine".
const strictUtf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 encodes a string. */
export function utf8Encode(text: string): Uint8Array<ArrayBuffer> {
  return utf8Encoder.encode(text);
}

/** UTF-8 decodes bytes; returns undefined when they are not valid UTF-8. */
export function utf8DecodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** True when `value` is a Uint8Array of exactly `length` bytes. */
export function isBytesOfLength(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

/** "N bytes" for byte arrays, the JS type otherwise; for error messages. */
export function describeByteLength(value: unknown): string {
  return value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
}
