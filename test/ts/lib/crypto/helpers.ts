/** Shared assertions for lib/crypto tests. */
import { expect } from "chai";
import {
  EnvelopeError,
  KeyError,
  type EnvelopeBinding,
  type EnvelopeErrorCode,
  type KeyErrorCode,
} from "../../../../lib/crypto/index.js";

/**
 * Asserts that `action` throws or rejects with an EnvelopeError (of `code`, when given) — never a
 * raw DOMException/HPKE error, and never a value.
 */
export async function expectEnvelopeError(
  action: () => unknown,
  code?: EnvelopeErrorCode,
): Promise<EnvelopeError> {
  const error = await failureOf(action);
  expect(error, `expected an EnvelopeError, got ${String(error)}`).to.be.instanceOf(EnvelopeError);
  const envelopeError = error as EnvelopeError;
  if (code !== undefined) expect(envelopeError.code, envelopeError.message).to.equal(code);
  expect(envelopeError.message).to.not.include("\n");
  return envelopeError;
}

/** Asserts that `action` throws a KeyError of `code`. */
export async function expectKeyError(action: () => unknown, code: KeyErrorCode): Promise<void> {
  const error = await failureOf(action);
  expect(error, `expected a KeyError, got ${String(error)}`).to.be.instanceOf(KeyError);
  expect((error as KeyError).code).to.equal(code);
}

/** Byte equality that stays fast on 50 MB buffers (chai's deep equal does not). */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length, "length").to.equal(expected.length);
  expect(Buffer.compare(actual, expected), "bytes differ").to.equal(0);
}

/** Deterministic, non-constant content of any size (getRandomValues caps at 64 KiB per call). */
export function patternedBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

/** A copy of `bytes` with bit 0 of byte `index` flipped. */
export function withFlippedByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index]! ^= 0x01;
  return copy;
}

async function failureOf(action: () => unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = await action();
  } catch (error) {
    return error;
  }
  const described = result instanceof Uint8Array ? `${result.length} bytes` : String(result);
  expect.fail(`expected a failure, but it succeeded with ${described}`);
}

/** A binding for tests that do not care what a v2 envelope is bound to. */
export const TEST_BINDING: EnvelopeBinding = {
  chainId: 31337,
  databank: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  poolId: 1,
  contributor: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
};
