/**
 * The binding of a v2 envelope: which deployment, pool and contributor the record was sealed for.
 *
 * A data CID is public (it is on-chain), so anyone can submit someone else's envelope under their
 * own address or to another pool. The binding makes that detectable: it sits in the header, whose
 * SHA-256 digest authenticates every payload chunk, and it is the associated data of every HPKE
 * wrapped data key, so it cannot be changed without both the data key and the payload failing to
 * open. A custodian compares it with the submission (see lib/custodian) and refuses a copy.
 *
 * Wire form (52 bytes, big-endian): uint64 chainId ‖ 20-byte Databank address ‖ uint32 poolId ‖
 * 20-byte contributor address.
 */
import { getAddress, isAddress, type Address } from "viem";
import { bytesToHex, hexToBytes } from "./bytes.js";
import { EnvelopeError } from "./errors.js";

/** Length of an encoded binding. */
export const ENVELOPE_BINDING_LENGTH = 8 + 20 + 4 + 20;

/** Largest pool id (the contracts use uint32). */
const MAX_POOL_ID = 2 ** 32 - 1;

/** Who and where a record is contributed: what a v2 envelope is bound to. */
export interface EnvelopeBinding {
  /** EIP-155 chain id of the deployment (1..2^53 − 1). */
  chainId: number;
  /** The Databank contract the record is contributed through. */
  databank: Address;
  /** The pool joined (uint32). */
  poolId: number;
  /** The contributor's EVM address: the only submitter a custodian may accept the record from. */
  contributor: Address;
}

/**
 * Encodes a binding to its 52-byte wire form.
 *
 * @throws EnvelopeError INVALID_ARGUMENT for a chain id, pool id or address out of range.
 */
export function encodeBinding(binding: EnvelopeBinding): Uint8Array<ArrayBuffer> {
  assertBinding(binding);
  const bytes = new Uint8Array(ENVELOPE_BINDING_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(binding.chainId));
  bytes.set(hexToBytes(binding.databank, 20)!, 8);
  view.setUint32(28, binding.poolId);
  bytes.set(hexToBytes(binding.contributor, 20)!, 32);
  return bytes;
}

/**
 * Decodes a 52-byte binding read from a header.
 *
 * @throws EnvelopeError MALFORMED for a zero or over-large chain id.
 */
export function decodeBinding(bytes: Uint8Array): EnvelopeBinding {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chainId = view.getBigUint64(0);
  if (chainId === 0n || chainId > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new EnvelopeError("MALFORMED", `binding chain id ${chainId} is out of range`);
  }
  return {
    chainId: Number(chainId),
    databank: getAddress(bytesToHex(bytes.subarray(8, 28))),
    poolId: view.getUint32(28),
    contributor: getAddress(bytesToHex(bytes.subarray(32, 52))),
  };
}

function assertBinding(binding: EnvelopeBinding): void {
  if (typeof binding !== "object" || binding === null) {
    throw new EnvelopeError("INVALID_ARGUMENT", "binding must be an object");
  }
  const { chainId, poolId } = binding;
  if (!Number.isSafeInteger(chainId) || chainId < 1) {
    throw new EnvelopeError(
      "INVALID_ARGUMENT",
      `binding chain id must be an integer in 1..2^53 − 1, got ${String(chainId)}`,
    );
  }
  if (!Number.isInteger(poolId) || poolId < 0 || poolId > MAX_POOL_ID) {
    throw new EnvelopeError(
      "INVALID_ARGUMENT",
      `binding pool id must be a uint32, got ${String(poolId)}`,
    );
  }
  for (const field of ["databank", "contributor"] as const) {
    const value = binding[field];
    if (typeof value !== "string" || !isAddress(value)) {
      throw new EnvelopeError(
        "INVALID_ARGUMENT",
        `binding ${field} must be a 0x-prefixed 20-byte address (EIP-55 checksum if mixed case), got ${String(value)}`,
      );
    }
  }
}
