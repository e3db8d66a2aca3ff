/**
 * The delivery manifest (v1 or v2, docs/data-bank-node.md) as the auditor needs it: parsed and checked
 * against the `PurchaseFulfilled` event it belongs to and against the contributions active at that
 * moment, replayed from events. The contract only checks the record count; this is where a
 * custodian that drops a record, or delivers a revoked one, is caught. The two versions differ only
 * in how each record's key is carried (v1 wrapped to the buyer, v2 sealed under a delivery key the
 * auditor never sees); the audit does not open keys and needs none, so it reads both alike.
 */
import { getAddress, isAddress, isHex, keccak256, toBytes, type Address, type Hex } from "viem";
import { z } from "zod";
import { recordsRoot } from "../contracts/recordsMerkle.js";
import { ManifestFormatError } from "./errors.js";
import {
  allowsRecords,
  allowsStatistics,
  scopeLabel,
  wasActiveAt,
  type ContributionLedger,
  type Ledger,
  type PurchaseLedger,
} from "./ledger.js";

/** The `format` field of a delivery manifest. */
export const MANIFEST_FORMAT = "databank-delivery-manifest";

const decimal = z.string().regex(/^\d+$/, "a decimal string");
const bytes32 = z.string().refine((value) => isHex(value) && value.length === 66, "32 bytes hex");

const manifestSchema = z.looseObject({
  format: z.literal(MANIFEST_FORMAT),
  version: z.union([z.literal(1), z.literal(2)]),
  chainId: z.number().int().nonnegative(),
  databank: z.string().refine((value) => isAddress(value), "an address"),
  purchaseId: decimal,
  poolId: z.number().int().nonnegative(),
  buyer: z.string().refine((value) => isAddress(value), "an address"),
  recordsRoot: bytes32,
  recordCount: z.number().int().nonnegative(),
  records: z.array(
    z.looseObject({ tokenId: decimal, dataCid: z.string().min(1), dataCommitment: bytes32 }),
  ),
});

/** One delivered record, as far as the audit is concerned (its wrapped or sealed key is not checked). */
export interface ManifestRecord {
  /** Consent token (contribution) id. */
  tokenId: bigint;
  /** CID of the encrypted data envelope. */
  dataCid: string;
  /** keccak256 of `dataCid`. */
  dataCommitment: Hex;
}

/** The fields of a delivery manifest the audit checks. */
export interface DeliveryManifest {
  /** The manifest version (1 or 2). */
  version: 1 | 2;
  /** Chain the delivery was made on. */
  chainId: number;
  /** The Databank contract. */
  databank: Address;
  /** The purchase delivered. */
  purchaseId: bigint;
  /** Its pool. */
  poolId: number;
  /** Its buyer. */
  buyer: Address;
  /** Merkle root over the records (as committed on-chain). */
  recordsRoot: Hex;
  /** Number of records (as committed on-chain). */
  recordCount: number;
  /** The records. */
  records: ManifestRecord[];
}

/**
 * Parses manifest bytes (UTF-8 JSON).
 *
 * @throws {ManifestFormatError} when the bytes are not a v1 or v2 delivery manifest.
 */
export function parseManifest(bytes: Uint8Array): DeliveryManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ManifestFormatError(`not UTF-8 JSON: ${(error as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "manifest";
    throw new ManifestFormatError(`not a v1 or v2 delivery manifest: ${where}: ${issue?.message}`);
  }
  const manifest = parsed.data;
  return {
    version: manifest.version,
    chainId: manifest.chainId,
    databank: getAddress(manifest.databank),
    purchaseId: BigInt(manifest.purchaseId),
    poolId: manifest.poolId,
    buyer: getAddress(manifest.buyer),
    recordsRoot: manifest.recordsRoot as Hex,
    recordCount: manifest.recordCount,
    records: manifest.records.map((record) => ({
      tokenId: BigInt(record.tokenId),
      dataCid: record.dataCid,
      dataCommitment: record.dataCommitment as Hex,
    })),
  };
}

/** Where a manifest is expected to come from. */
export interface ManifestContext {
  /** The audited chain. */
  chainId: number;
  /** The audited contract. */
  databank: Address;
  /**
   * The contributions of each pool (see {@link contributionsByPool}); computed from the ledger when
   * absent. Pass it when checking many manifests, to avoid scanning every contribution each time.
   */
  poolContributions?: Map<number, ContributionLedger[]>;
}

/** The ledger's contributions grouped by pool. */
export function contributionsByPool(ledger: Ledger): Map<number, ContributionLedger[]> {
  const byPool = new Map<number, ContributionLedger[]>();
  for (const contribution of ledger.contributions.values()) {
    const list = byPool.get(contribution.poolId);
    if (list) list.push(contribution);
    else byPool.set(contribution.poolId, [contribution]);
  }
  return byPool;
}

/**
 * Whether a contribution belongs to the set a fulfilled sale used: the active contributions of its
 * product's scope at the fulfilment (records for a record sale, statistics for a query), plus those
 * whose consent ended while it was in flight (after the set was taken), which were used (and, for a
 * record sale, are owed erasure). A statistics-only consent is never delivered; a records-only one
 * never answers a query.
 */
function usedSetMember(purchase: PurchaseLedger): (contribution: ContributionLedger) => boolean {
  const fulfilment = purchase.fulfilment!;
  const allowed = purchase.product === "query" ? allowsStatistics : allowsRecords;
  const inFlight = new Set(fulfilment.endedInFlight);
  return (contribution) =>
    contribution.poolId === purchase.poolId &&
    allowed(contribution.scope) &&
    (wasActiveAt(contribution, fulfilment.seq) || inFlight.has(contribution.id));
}

/**
 * Everything wrong with an answered query's records used (empty when it is honest). A query has no
 * manifest (its answer is sealed to the buyer), but `QueryAnswered` commits the count and the
 * Merkle root of the records used (lib/contracts/recordsMerkle.ts): both must be those of exactly
 * the contributions allowing statistics that were active when the set was taken, replayed from
 * the events. A root that differs means the answer was computed over another set (a records-only
 * contribution used, a statistics one left out or swapped), whatever the count says.
 */
export function queryRecordsProblems(
  purchase: PurchaseLedger,
  ledger: Ledger,
  context: Pick<ManifestContext, "poolContributions">,
): string[] {
  const fulfilment = purchase.fulfilment;
  if (!fulfilment) return [`query #${purchase.id} is not answered`];
  const inSet = usedSetMember(purchase);
  const used = (
    (context.poolContributions ?? contributionsByPool(ledger)).get(purchase.poolId) ?? []
  )
    .filter(inSet)
    .map((contribution) => ({
      tokenId: contribution.id,
      dataCommitment: contribution.dataCommitment,
    }));
  const problems: string[] = [];
  if (fulfilment.recordCount !== used.length) {
    problems.push(
      `the answer says it used ${fulfilment.recordCount} records, ${used.length} contributions allowing statistics were active`,
    );
  }
  const expected = recordsRoot(used);
  if (expected.toLowerCase() !== fulfilment.recordsRoot.toLowerCase()) {
    problems.push(
      `root of the records used ${fulfilment.recordsRoot} is not the root of the ${used.length} contributions allowing statistics active at the answer (${expected}): the answer was computed over another set`,
    );
  }
  return problems;
}

/**
 * Everything wrong with a fulfilled purchase's manifest, as messages (empty when it is honest):
 * it must be the manifest of this purchase, its root and count must be the event's (the root is
 * recomputed from its records), and its records must be exactly the contributions active at the
 * fulfilment, with their committed data: no revoked or foreign record, none missing.
 */
export function manifestProblems(
  manifest: DeliveryManifest,
  purchase: PurchaseLedger,
  ledger: Ledger,
  context: ManifestContext,
): string[] {
  const fulfilment = purchase.fulfilment;
  if (!fulfilment) return [`purchase #${purchase.id} is not fulfilled`];
  const problems: string[] = [];
  if (
    manifest.chainId !== context.chainId ||
    manifest.databank !== getAddress(context.databank) ||
    manifest.purchaseId !== purchase.id ||
    manifest.poolId !== purchase.poolId ||
    manifest.buyer !== purchase.buyer
  ) {
    problems.push(
      `manifest is for purchase #${manifest.purchaseId} of pool ${manifest.poolId} to ${manifest.buyer} on chain ${manifest.chainId}, not this purchase`,
    );
  }
  if (manifest.recordCount !== fulfilment.recordCount) {
    problems.push(
      `manifest says ${manifest.recordCount} records, the event ${fulfilment.recordCount}`,
    );
  }
  if (manifest.records.length !== fulfilment.recordCount) {
    problems.push(
      `manifest lists ${manifest.records.length} records, the event commits to ${fulfilment.recordCount}`,
    );
  }
  if (manifest.recordsRoot.toLowerCase() !== fulfilment.recordsRoot.toLowerCase()) {
    problems.push(
      `manifest root ${manifest.recordsRoot} differs from the event's ${fulfilment.recordsRoot}`,
    );
  }
  let computedRoot: Hex | undefined;
  try {
    computedRoot = recordsRoot(manifest.records);
  } catch (error) {
    problems.push(`manifest records: ${(error as Error).message}`);
  }
  if (computedRoot && computedRoot.toLowerCase() !== fulfilment.recordsRoot.toLowerCase()) {
    problems.push(
      `root recomputed from the manifest's records ${computedRoot} differs from the event's ${fulfilment.recordsRoot}`,
    );
  }

  const inSet = usedSetMember(purchase);
  const listed = new Set<bigint>();
  for (const record of manifest.records) {
    listed.add(record.tokenId);
    const contribution = ledger.contributions.get(record.tokenId);
    if (!contribution || contribution.poolId !== purchase.poolId) {
      problems.push(
        `manifest lists #${record.tokenId}, not a contribution of pool ${purchase.poolId}`,
      );
      continue;
    }
    if (inSet(contribution)) {
      // listed, as it should be
    } else if (!allowsRecords(contribution.scope)) {
      problems.push(
        `manifest lists #${record.tokenId}, whose consent (${scopeLabel(contribution.scope)}) does not allow its record to be delivered`,
      );
    } else if (
      contribution.revokedSeq !== undefined &&
      contribution.revokedSeq < fulfilment.seq &&
      contribution.status === "revoked"
    ) {
      problems.push(
        `manifest lists #${record.tokenId}, revoked before this delivery (tx ${contribution.revoked?.transactionHash})`,
      );
    } else {
      problems.push(`manifest lists #${record.tokenId}, not active at this delivery`);
    }
    if (
      record.dataCommitment.toLowerCase() !== contribution.dataCommitment.toLowerCase() ||
      keccak256(toBytes(record.dataCid)) !== contribution.dataCommitment
    ) {
      problems.push(`manifest record #${record.tokenId} does not carry the committed data CID`);
    }
  }
  const poolContributions = (context.poolContributions ?? contributionsByPool(ledger)).get(
    purchase.poolId,
  );
  for (const contribution of poolContributions ?? []) {
    if (inSet(contribution) && !listed.has(contribution.id)) {
      problems.push(`manifest misses #${contribution.id}, active at this delivery`);
    }
  }
  return problems;
}
