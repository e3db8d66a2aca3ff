/**
 * The Merkle tree over the records of one delivery. The custodian commits its root on-chain with
 * `fulfill(purchase, deliveryCid, recordsRoot, recordCount)`; a buyer or auditor holding a record
 * and its proof checks that the record was part of the delivery paid for.
 *
 * Construction (enough to reproduce the root independently):
 *
 * 1. Records are `(tokenId, dataCommitment)`: the consent token id (uint256) and its data
 *    commitment (bytes32, keccak256 of the data CID, as in `ContributionSubmitted`). Token ids must
 *    be distinct.
 * 2. Leaf of a record, double-hashed like OpenZeppelin's StandardMerkleTree (so a 64-byte internal
 *    node can never pass for a leaf):
 *    `leaf = keccak256(bytes.concat(keccak256(abi.encode(uint256 tokenId, bytes32 dataCommitment))))`.
 * 3. Leaves are ordered by tokenId, ascending (so the root does not depend on the input order).
 * 4. Levels are built bottom-up: level 0 is the ordered leaves; each next level hashes adjacent
 *    pairs (0,1), (2,3), … with the sorted-pair hash `H(a, b) = keccak256(min(a, b) ‖ max(a, b))`
 *    (bytes32 compared as unsigned integers, as OpenZeppelin's `Hashes.commutativeKeccak256`);
 *    a last unpaired node is carried up to the next level unchanged. The root is the single node
 *    left. One record: the root is its leaf. No records: the root is bytes32(0).
 * 5. A proof is the list of siblings from the leaf up, skipping levels where the node was carried
 *    up unpaired. It verifies with OpenZeppelin's `MerkleProof.verify(proof, root, leaf)`.
 *
 * The leaf hash is StandardMerkleTree's, but the tree layout is not (StandardMerkleTree orders
 * leaves by hash and lays them out as a heap), so roots differ from StandardMerkleTree's; proofs of
 * both verify with the same `MerkleProof.verify`.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes, type Hex } from "viem";

/** One delivered record. */
export interface DeliveredRecord {
  /** The consent token id (= contribution id). */
  tokenId: bigint;
  /** keccak256 of the record's data CID (see `dataCommitment` in ./client.ts). */
  dataCommitment: Hex;
}

/** The root of an empty delivery. */
export const EMPTY_RECORDS_ROOT: Hex = `0x${"0".repeat(64)}`;

/*
 * The tree is computed over bytes, not hex strings: a delivery of 100,000 records hashes about
 * 300,000 nodes, and hex conversions around each hash cost more than the hash itself.
 */

const UINT256_MAX = 2n ** 256n - 1n;

/** The leaf bytes of a record (see the module comment, step 2). */
function leafBytes(record: DeliveredRecord): Uint8Array {
  if (record.tokenId < 0n || record.tokenId > UINT256_MAX) {
    throw new RangeError(`token id ${record.tokenId} is not a uint256`);
  }
  const commitment = hexToBytes(record.dataCommitment);
  if (commitment.length !== 32) {
    throw new RangeError(`data commitment ${record.dataCommitment} is not 32 bytes`);
  }
  // abi.encode(uint256, bytes32): both words big-endian, 64 bytes.
  const encoded = new Uint8Array(64);
  let id = record.tokenId;
  for (let i = 31; i >= 0 && id > 0n; i--) {
    encoded[i] = Number(id & 0xffn);
    id >>= 8n;
  }
  encoded.set(commitment, 32);
  return keccak_256(keccak_256(encoded));
}

/** Unsigned comparison of two 32-byte nodes (the order of bytes32 as integers). */
function compareNodes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return 0;
}

/** Sorted-pair hash over bytes (OpenZeppelin's `Hashes.commutativeKeccak256`). */
function hashPairBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const pair = new Uint8Array(64);
  const [low, high] = compareNodes(a, b) <= 0 ? [a, b] : [b, a];
  pair.set(low, 0);
  pair.set(high, 32);
  return keccak_256(pair);
}

/** The leaf of a record: `keccak256(bytes.concat(keccak256(abi.encode(tokenId, dataCommitment))))`. */
export function recordLeaf(record: DeliveredRecord): Hex {
  return bytesToHex(leafBytes(record));
}

/** Sorted-pair hash of two nodes (OpenZeppelin's `Hashes.commutativeKeccak256`). */
export function hashPair(a: Hex, b: Hex): Hex {
  return bytesToHex(hashPairBytes(hexToBytes(a), hexToBytes(b)));
}

/** The records ordered by tokenId; throws on a repeated tokenId. */
function sortRecords(records: readonly DeliveredRecord[]): DeliveredRecord[] {
  const sorted = [...records].sort((x, y) =>
    x.tokenId < y.tokenId ? -1 : x.tokenId > y.tokenId ? 1 : 0,
  );
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.tokenId === sorted[i - 1]!.tokenId) {
      throw new Error(`token id ${sorted[i]!.tokenId} appears twice among the records`);
    }
  }
  return sorted;
}

/** Every level of the tree, leaves first, root last. */
function buildLevels(leaves: Uint8Array[]): Uint8Array[][] {
  const levels = [leaves];
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? hashPairBytes(level[i]!, level[i + 1]!) : level[i]!);
    }
    levels.push(next);
    level = next;
  }
  return levels;
}

/** The records root committed by `fulfill` (bytes32(0) for no records). */
export function recordsRoot(records: readonly DeliveredRecord[]): Hex {
  if (records.length === 0) return EMPTY_RECORDS_ROOT;
  const levels = buildLevels(sortRecords(records).map(leafBytes));
  return bytesToHex(levels[levels.length - 1]![0]!);
}

/** The proof that the record with `tokenId` is among `records`; throws if it is not. */
export function recordProof(records: readonly DeliveredRecord[], tokenId: bigint): Hex[] {
  const sorted = sortRecords(records);
  let index = sorted.findIndex((record) => record.tokenId === tokenId);
  if (index < 0) throw new Error(`token id ${tokenId} is not among the records`);
  const levels = buildLevels(sorted.map(leafBytes));
  const proof: Hex[] = [];
  for (const level of levels.slice(0, -1)) {
    const sibling = index ^ 1;
    if (sibling < level.length) proof.push(bytesToHex(level[sibling]!));
    index >>= 1;
  }
  return proof;
}

/** Whether `proof` shows `record` is in the delivery with root `root` (as `MerkleProof.verify`). */
export function verifyRecord(root: Hex, record: DeliveredRecord, proof: readonly Hex[]): boolean {
  if (BigInt(root) === 0n) return false;
  const computed = proof.reduce<Hex>(
    (node, sibling) => hashPair(node, sibling),
    recordLeaf(record),
  );
  return computed.toLowerCase() === root.toLowerCase();
}
