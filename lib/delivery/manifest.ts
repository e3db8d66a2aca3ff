/**
 * The delivery manifest (docs/data-bank-node.md, "Delivery manifest (v2)"): the custodian uploads
 * one per fulfilled purchase and commits its CID, records root and record count on-chain with
 * `fulfill`. Per record it holds the consent token id, the data CID, the data commitment and the
 * record's data key:
 * - v2 (written now): sealed with AES-256-GCM under the purchase's delivery key K
 *   (lib/crypto/deliveryKey). The manifest holds nothing usable without K, which the node releases,
 *   sealed to the buyer, only once `fulfill` is mined and confirmed: the manifest CID is public in
 *   the pending transaction's calldata, so the manifest itself must not open anything.
 * - v1 (read only, for deliveries made before v2): wrapped by HPKE straight to the buyer's key.
 *
 * {@link parseManifest} accepts only a self-consistent manifest: well-formed fields, records
 * sorted by token id, the count equal to the records, every commitment equal to keccak256 of its
 * CID, (v1) every wrapped key addressed to the manifest's buyer key, and the root recomputed from
 * the records equal to the manifest's root. {@link verifyManifest} then compares it with what the
 * chain says (`PurchaseCreated`, `PurchaseFulfilled`).
 *
 * Browser-safe: no `node:` imports.
 */
import { getAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { dataCommitment } from "../contracts/client.js";
import { recordsRoot } from "../contracts/recordsMerkle.js";
import type { SealedRecordKey } from "../crypto/deliveryKey.js";
import type { WrappedKey } from "../crypto/envelope.js";
import { DeliveryError } from "./errors.js";

/** The `format` field of every manifest. */
export const MANIFEST_FORMAT = "databank-delivery-manifest";
/** The manifest version this module writes. */
export const MANIFEST_VERSION = 2;
/** The manifest versions this module reads. */
export const MANIFEST_VERSIONS = [1, 2] as const;

/** What every delivered record carries, whatever the version. */
interface ManifestRecordBase {
  /** The consent token id (= contribution id). */
  tokenId: bigint;
  /** CID of the record's encrypted envelope. */
  dataCid: string;
  /** keccak256 of `dataCid` (as in `ContributionSubmitted`), the Merkle leaf's second field. */
  dataCommitment: Hex;
}

/** One delivered record of a v1 manifest. */
export interface ManifestRecordV1 extends ManifestRecordBase {
  /** The record's data key wrapped by HPKE to the buyer key (role "buyer"). */
  wrappedKey: WrappedKey;
}

/** One delivered record of a v2 manifest. */
export interface ManifestRecordV2 extends ManifestRecordBase {
  /** The record's data key sealed under the purchase's delivery key K. */
  sealedKey: SealedRecordKey;
}

/** One delivered record. */
export type ManifestRecord = ManifestRecordV1 | ManifestRecordV2;

/** The fields every manifest has besides its version and records. */
interface ManifestHeader {
  format: typeof MANIFEST_FORMAT;
  /** Chain the purchase was made on. */
  chainId: number;
  /** The Databank contract. */
  databank: Address;
  /** The purchase delivered (uint64). */
  purchaseId: bigint;
  /** Its pool (uint32). */
  poolId: number;
  /** The buyer's wallet. */
  buyer: Address;
  /**
   * The buyer's X25519 public key from `PurchaseCreated` (32 bytes): v1 keys are wrapped to it, v2's
   * delivery key is sealed to it.
   */
  buyerKey: Hex;
  /** Merkle root over (tokenId, dataCommitment) of the records (lib/contracts/recordsMerkle). */
  recordsRoot: Hex;
  /** Number of records. */
  recordCount: number;
}

/** A delivery manifest v1, decoded (ids as bigint, hex lowercase, addresses checksummed). */
export interface DeliveryManifestV1 extends ManifestHeader {
  version: 1;
  /** The records, by token id ascending. */
  records: ManifestRecordV1[];
}

/** A delivery manifest v2, decoded (ids as bigint, hex lowercase, addresses checksummed). */
export interface DeliveryManifestV2 extends ManifestHeader {
  version: 2;
  /** The records, by token id ascending. */
  records: ManifestRecordV2[];
}

/** A delivery manifest of any version this module reads. */
export type DeliveryManifest = DeliveryManifestV1 | DeliveryManifestV2;

/** The purchase fields of {@link buildManifest} and {@link buildManifestV1}. */
interface BuildManifestHeader {
  /** Chain the purchase was made on. */
  chainId: number;
  /** The Databank contract. */
  databank: Address;
  /** The purchase delivered. */
  purchaseId: bigint;
  /** Its pool. */
  poolId: number;
  /** The buyer's wallet. */
  buyer: Address;
  /** The buyer's X25519 public key from `PurchaseCreated`. */
  buyerKey: Hex;
}

/** What {@link buildManifest} needs; the commitments, root, count and order are computed. */
export interface BuildManifestParameters extends BuildManifestHeader {
  /**
   * The records in any order; token ids distinct, each data key sealed under the purchase's
   * delivery key with this record's and this purchase's binding (lib/crypto/deliveryKey).
   */
  records: readonly {
    tokenId: bigint;
    dataCid: string;
    sealedKey: SealedRecordKey;
    /** keccak256 of `dataCid` when the caller has it already (computed here when absent). */
    dataCommitment?: Hex;
  }[];
  /**
   * The records root of exactly these records when the caller computed it already (the delivery
   * worker does, from the active set, to tell whether the set changed); computed here when absent.
   * A root that is not these records' makes a manifest every buyer refuses (ROOT_MISMATCH).
   */
  recordsRoot?: Hex;
}

/** What {@link buildManifestV1} needs (v1 is no longer written by the node; tests and tools). */
export interface BuildManifestV1Parameters extends BuildManifestHeader {
  /** The records in any order; token ids distinct, keys wrapped to `buyerKey` with role "buyer". */
  records: readonly { tokenId: bigint; dataCid: string; wrappedKey: WrappedKey }[];
}

/** What the chain says about a purchase, to check a manifest against. */
export interface ExpectedDelivery {
  /** `recordsRoot` of `PurchaseFulfilled`. */
  recordsRoot: Hex;
  /** `recordCount` of `PurchaseFulfilled`. */
  recordCount: number;
  /** `buyerKey` of `PurchaseCreated`. */
  buyerKey: Hex;
  /** When given, the manifest must be for this purchase. */
  purchaseId?: bigint;
  /** When given, the manifest must name this Databank. */
  databank?: Address;
  /** When given, the manifest must name this chain. */
  chainId?: number;
  /**
   * `deliveryCid` of `PurchaseFulfilled`: when given, {@link openDelivery} checks the manifest's
   * bytes hash to it.
   */
  deliveryCid?: string;
}

const UINT64_MAX = 2n ** 64n - 1n;
const UINT256_MAX = 2n ** 256n - 1n;
const UINT32_MAX = 2 ** 32 - 1;

const hexOf = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `must be ${bytes} bytes of 0x-hex`)
    .transform((value) => value.toLowerCase() as Hex);
const decimal = (max: bigint) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/, "must be a decimal string")
    .transform((value) => BigInt(value))
    .refine((value) => value <= max, "is out of range");
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be an address")
  .transform((value) => getAddress(value.toLowerCase()));
const uint32 = z.number().int().min(0).max(UINT32_MAX);

const wrappedKeySchema = z.strictObject({
  version: z.literal(1),
  role: z.literal("buyer"),
  recipientPublicKey: hexOf(32),
  enc: hexOf(32),
  ciphertext: hexOf(48),
});

const sealedKeySchema = z.strictObject({
  nonce: hexOf(12),
  ciphertext: hexOf(48),
});

const recordFields = {
  tokenId: decimal(UINT256_MAX),
  dataCid: z.string().min(1).max(512),
  dataCommitment: hexOf(32),
};

const headerFields = {
  format: z.literal(MANIFEST_FORMAT),
  chainId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  databank: address,
  purchaseId: decimal(UINT64_MAX),
  poolId: uint32,
  buyer: address,
  buyerKey: hexOf(32),
  recordsRoot: hexOf(32),
  recordCount: uint32,
};

const manifestV1Schema = z.strictObject({
  ...headerFields,
  version: z.literal(1),
  records: z.array(z.strictObject({ ...recordFields, wrappedKey: wrappedKeySchema })),
});

const manifestV2Schema = z.strictObject({
  ...headerFields,
  version: z.literal(2),
  records: z.array(z.strictObject({ ...recordFields, sealedKey: sealedKeySchema })),
});

/**
 * Builds a v2 manifest: sorts the records by token id and computes their commitments, the root
 * and the count.
 *
 * @throws DeliveryError INVALID_MANIFEST when token ids repeat.
 */
export function buildManifest(params: BuildManifestParameters): DeliveryManifestV2 {
  const records = sortRecords(params.records).map((record): ManifestRecordV2 => ({
    tokenId: record.tokenId,
    dataCid: record.dataCid,
    dataCommitment: (record.dataCommitment?.toLowerCase() ?? dataCommitment(record.dataCid)) as Hex,
    sealedKey: {
      nonce: record.sealedKey.nonce.toLowerCase() as Hex,
      ciphertext: record.sealedKey.ciphertext.toLowerCase() as Hex,
    },
  }));
  assertDistinct(records);
  return { ...manifestHeader(params, records, params.recordsRoot), version: 2, records };
}

/**
 * Builds a v1 manifest (keys HPKE-wrapped straight to the buyer). The node no longer writes v1:
 * its keys open as soon as the manifest CID is seen in a pending `fulfill`. Kept for tests and for
 * tools that must reproduce old deliveries.
 *
 * @throws DeliveryError WRONG_BUYER when a key is not wrapped to `buyerKey` with role "buyer";
 *   INVALID_MANIFEST when token ids repeat.
 */
export function buildManifestV1(params: BuildManifestV1Parameters): DeliveryManifestV1 {
  const buyerKey = params.buyerKey.toLowerCase() as Hex;
  const records = sortRecords(params.records).map((record): ManifestRecordV1 => ({
    tokenId: record.tokenId,
    dataCid: record.dataCid,
    dataCommitment: dataCommitment(record.dataCid),
    wrappedKey: { ...record.wrappedKey },
  }));
  assertDistinct(records);
  records.forEach((record) => assertWrappedToBuyer(record, buyerKey));
  return { ...manifestHeader(params, records), version: 1, records };
}

function sortRecords<T extends { tokenId: bigint }>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => (a.tokenId < b.tokenId ? -1 : a.tokenId > b.tokenId ? 1 : 0));
}

function assertDistinct(records: readonly { tokenId: bigint }[]): void {
  records.forEach((record, index) => {
    if (index > 0 && records[index - 1]!.tokenId === record.tokenId) {
      throw new DeliveryError("INVALID_MANIFEST", `token id ${record.tokenId} appears twice`, {
        tokenId: record.tokenId,
      });
    }
  });
}

function manifestHeader(
  params: BuildManifestHeader,
  records: readonly ManifestRecordBase[],
  root: Hex = recordsRoot(records),
): ManifestHeader {
  return {
    format: MANIFEST_FORMAT,
    chainId: params.chainId,
    databank: getAddress(params.databank),
    purchaseId: params.purchaseId,
    poolId: params.poolId,
    buyer: getAddress(params.buyer),
    buyerKey: params.buyerKey.toLowerCase() as Hex,
    recordsRoot: root.toLowerCase() as Hex,
    recordCount: records.length,
  };
}

/** The manifest as UTF-8 JSON bytes (ids as decimal strings, fields in the documented order). */
export function encodeManifest(manifest: DeliveryManifest): Uint8Array {
  const json = {
    format: manifest.format,
    version: manifest.version,
    chainId: manifest.chainId,
    databank: manifest.databank,
    purchaseId: manifest.purchaseId.toString(),
    poolId: manifest.poolId,
    buyer: manifest.buyer,
    buyerKey: manifest.buyerKey,
    recordsRoot: manifest.recordsRoot,
    recordCount: manifest.recordCount,
    records: (manifest.records as readonly ManifestRecord[]).map((record) => ({
      tokenId: record.tokenId.toString(),
      dataCid: record.dataCid,
      dataCommitment: record.dataCommitment,
      ...("sealedKey" in record
        ? { sealedKey: { nonce: record.sealedKey.nonce, ciphertext: record.sealedKey.ciphertext } }
        : {
            wrappedKey: {
              version: record.wrappedKey.version,
              role: record.wrappedKey.role,
              recipientPublicKey: record.wrappedKey.recipientPublicKey,
              enc: record.wrappedKey.enc,
              ciphertext: record.wrappedKey.ciphertext,
            },
          }),
    })),
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

/**
 * Decodes and checks a manifest (see the module comment for what "self-consistent" covers).
 *
 * @throws DeliveryError INVALID_MANIFEST, COUNT_MISMATCH, COMMITMENT_MISMATCH, WRONG_BUYER or
 *   ROOT_MISMATCH.
 */
export function parseManifest(bytes: Uint8Array): DeliveryManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new DeliveryError("INVALID_MANIFEST", "the delivery manifest is not UTF-8 JSON", {
      cause,
    });
  }
  // The version picks the schema; an unknown one is reported against the newest.
  const version = (json as { version?: unknown } | null)?.version;
  const parsed = (version === 1 ? manifestV1Schema : manifestV2Schema).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length === 0 ? "(root)" : issue.path.join(".");
    const what = version === 1 ? "a v1" : "a v2 (or v1)";
    throw new DeliveryError(
      "INVALID_MANIFEST",
      `the delivery manifest is not ${what} manifest: ${path}: ${issue.message}`,
      { cause: parsed.error },
    );
  }
  const manifest = parsed.data as DeliveryManifest;
  checkConsistency(manifest);
  return manifest;
}

/**
 * Checks a parsed manifest against the chain: the on-chain root and count, the buyer key and,
 * when given, the purchase, contract and chain.
 *
 * @throws DeliveryError ROOT_MISMATCH, COUNT_MISMATCH, WRONG_BUYER or WRONG_PURCHASE. (The
 *   manifest's CID is checked by {@link openDelivery}, which has its bytes.)
 */
export function verifyManifest(manifest: DeliveryManifest, expected: ExpectedDelivery): void {
  if (expected.purchaseId !== undefined && manifest.purchaseId !== expected.purchaseId) {
    throw new DeliveryError(
      "WRONG_PURCHASE",
      `the manifest is for purchase ${manifest.purchaseId}, not purchase ${expected.purchaseId}`,
    );
  }
  if (expected.chainId !== undefined && manifest.chainId !== expected.chainId) {
    throw new DeliveryError(
      "WRONG_PURCHASE",
      `the manifest is for chain ${manifest.chainId}, not chain ${expected.chainId}`,
    );
  }
  if (
    expected.databank !== undefined &&
    manifest.databank.toLowerCase() !== expected.databank.toLowerCase()
  ) {
    throw new DeliveryError(
      "WRONG_PURCHASE",
      `the manifest is for Databank ${manifest.databank}, not ${expected.databank}`,
    );
  }
  if (manifest.buyerKey !== expected.buyerKey.toLowerCase()) {
    throw new DeliveryError(
      "WRONG_BUYER",
      `the manifest's keys are for ${manifest.buyerKey}, not for the purchase's buyer key ${expected.buyerKey}`,
    );
  }
  if (manifest.recordCount !== expected.recordCount) {
    throw new DeliveryError(
      "COUNT_MISMATCH",
      `the manifest holds ${manifest.recordCount} records but ${expected.recordCount} were delivered on-chain`,
    );
  }
  if (manifest.recordsRoot !== expected.recordsRoot.toLowerCase()) {
    throw new DeliveryError(
      "ROOT_MISMATCH",
      `the manifest's records root ${manifest.recordsRoot} differs from the on-chain root ${expected.recordsRoot}`,
    );
  }
}

function checkConsistency(manifest: DeliveryManifest): void {
  const records: readonly ManifestRecord[] = manifest.records;
  if (records.length !== manifest.recordCount) {
    throw new DeliveryError(
      "COUNT_MISMATCH",
      `the manifest says ${manifest.recordCount} records but lists ${records.length}`,
    );
  }
  records.forEach((record, index) => {
    if (index > 0 && records[index - 1]!.tokenId >= record.tokenId) {
      throw new DeliveryError(
        "INVALID_MANIFEST",
        `the manifest's records are not sorted by token id with no repeat (token id ${record.tokenId} at index ${index})`,
        { tokenId: record.tokenId },
      );
    }
    if (dataCommitment(record.dataCid) !== record.dataCommitment) {
      throw new DeliveryError(
        "COMMITMENT_MISMATCH",
        `record ${record.tokenId}: data commitment ${record.dataCommitment} is not keccak256 of its data CID ${record.dataCid}`,
        { tokenId: record.tokenId },
      );
    }
    if ("wrappedKey" in record) assertWrappedToBuyer(record, manifest.buyerKey);
  });
  const root = recordsRoot(records);
  if (root !== manifest.recordsRoot) {
    throw new DeliveryError(
      "ROOT_MISMATCH",
      `the records hash to root ${root}, not to the manifest's root ${manifest.recordsRoot}`,
    );
  }
}

function assertWrappedToBuyer(record: ManifestRecordV1, buyerKey: Hex): void {
  const { wrappedKey } = record;
  if (wrappedKey.role !== "buyer" || wrappedKey.recipientPublicKey.toLowerCase() !== buyerKey) {
    throw new DeliveryError(
      "WRONG_BUYER",
      `record ${record.tokenId}: its key is wrapped to ${wrappedKey.recipientPublicKey} (role ${wrappedKey.role}), not to the buyer key ${buyerKey}`,
      { tokenId: record.tokenId },
    );
  }
}
