/**
 * Builds a contributor's export bundle from the chain's events and its own encrypted records. No
 * trust in the node: events come from the chain, content is verified against its CID by the
 * caller's `fetchContent`, and records are opened with the contributor's own key (every envelope
 * is sealed to it, see lib/contributor).
 */
import type { Address, Chain, Hex, PublicClient, Transport } from "viem";
import { getAddress } from "viem";
import { databankAbi } from "../contracts/index.js";
import { openEnvelope, parseEnvelopeHeader } from "../crypto/index.js";
import {
  EXPORT_BUNDLE_SCHEMA_ID,
  purposeNames,
  scopeName,
  type ExportBundle,
  type ExportedContribution,
  type ExportedPayout,
} from "./bundle.js";
import { REJECTION_REASONS } from "../custodian/acceptance.js";
import type { ReplayCache } from "../audit/replayCache.js";
import { buildPassbook } from "../passbook/passbook.js";

/** Arguments of {@link buildExportBundle}. */
export interface BuildExportBundleParams {
  publicClient: PublicClient<Transport, Chain | undefined>;
  databank: Address;
  wallet: Address;
  /** The wallet's X25519 private key (deriveWalletKeyPair); without it records stay encrypted. */
  contributorPrivateKey?: Uint8Array;
  /** Returns the content of a CID, verified against it (e.g. lib/api's getContent). */
  fetchContent: (cid: string) => Promise<Uint8Array>;
  fromBlock?: bigint;
  onProgress?: (done: number, total: number) => void;
  /** Defaults to now; fixed by tests. */
  now?: Date;
  /** Transaction links of the passbook (see lib/audit's `txUrlBuilder`); default the chain's explorer. */
  explorerUrl?: string;
  /**
   * The dApp's replay cache (lib/audit/replayCache.ts), so the passbook in the bundle reads only
   * the blocks its views have not read yet; the CLI passes none and reads everything.
   */
  cache?: ReplayCache;
}

/** Reads every event of `wallet` and decrypts its records into one bundle. */
export async function buildExportBundle(params: BuildExportBundleParams): Promise<ExportBundle> {
  const { publicClient, databank } = params;
  const wallet = getAddress(params.wallet);
  const fromBlock = params.fromBlock ?? 0n;
  const events = <N extends WalletEventName>(eventName: N, args: Record<string, Address>) =>
    publicClient.getContractEvents({
      abi: databankAbi,
      address: databank,
      eventName,
      args,
      fromBlock,
      toBlock: "latest",
    } as never) as Promise<WalletEventLog<N>[]>;

  const [submitted, granted, rejected, ended, settled, credited, withdrawn] = await Promise.all([
    events("ContributionSubmitted", { contributor: wallet }),
    events("ConsentGranted", { contributor: wallet }),
    events("ContributionRejected", { contributor: wallet }),
    events("ConsentRevoked", { contributor: wallet }),
    events("ContributionSettled", { account: wallet }),
    events("Credited", { account: wallet }),
    events("Withdrawn", { account: wallet }),
  ]);
  const byId = <T extends { args: { contributionId?: bigint } }>(logs: T[]) =>
    new Map(logs.map((log) => [log.args.contributionId!, log]));
  const grantedById = byId(granted);
  const rejectedById = byId(rejected);
  const endedById = byId(ended);

  const poolCache = new Map<number, Promise<PoolTerms>>();
  const poolTerms = (poolId: number) => {
    if (!poolCache.has(poolId)) poolCache.set(poolId, readPoolTerms(params, poolId));
    return poolCache.get(poolId)!;
  };

  const contributions: ExportedContribution[] = [];
  for (const [index, log] of submitted.entries()) {
    const { contributionId, poolId, dataCommitment, dataCid, expiresAt, scope } = log.args;
    const id = contributionId!;
    const grant = grantedById.get(id);
    const rejection = rejectedById.get(id);
    const end = endedById.get(id);
    const contribution: ExportedContribution = {
      contributionId: id.toString(),
      poolId: Number(poolId),
      status: end
        ? end.args.expired
          ? "expired"
          : "revoked"
        : rejection
          ? "rejected"
          : grant
            ? "active"
            : "pending",
      dataCid: dataCid!,
      dataCommitment: dataCommitment!,
      expiresAt: Number(expiresAt),
      scope: scopeName(scope ?? 1),
      submittedTx: log.transactionHash,
    };
    if (grant) {
      const terms = await poolTerms(Number(poolId));
      contribution.consent = {
        grantedTx: grant.transactionHash,
        termsCid: terms.termsCid,
        termsDigest: terms.termsDigest,
        ...(terms.terms === undefined ? {} : { terms: terms.terms }),
        purposes: purposeNames(terms.purposes),
        bounty: grant.args.bounty!.toString(),
      };
    }
    if (end) contribution.endedTx = end.transactionHash;
    if (rejection)
      contribution.rejectionReason = REJECTION_REASONS[rejection.args.reason!] ?? "Other";
    if (params.contributorPrivateKey) {
      try {
        contribution.record = await openRecord(
          await params.fetchContent(dataCid!),
          params.contributorPrivateKey,
        );
      } catch (error) {
        contribution.recordError = error instanceof Error ? error.message : String(error);
      }
    }
    contributions.push(contribution);
    params.onProgress?.(index + 1, submitted.length);
  }

  const payouts: ExportedPayout[] = [
    ...settled.map((log) => ({
      kind: "settled" as const,
      poolId: Number(log.args.poolId),
      contributionId: log.args.contributionId!.toString(),
      amount: log.args.amount!.toString(),
      tx: log.transactionHash,
      blockNumber: log.blockNumber.toString(),
    })),
    ...credited.map((log) => ({
      kind: "credited" as const,
      token: log.args.token!,
      poolId: Number(log.args.poolId),
      amount: log.args.amount!.toString(),
      tx: log.transactionHash,
      blockNumber: log.blockNumber.toString(),
    })),
    ...withdrawn.map((log) => ({
      kind: "withdrawn" as const,
      token: log.args.token!,
      amount: log.args.amount!.toString(),
      tx: log.transactionHash,
      blockNumber: log.blockNumber.toString(),
    })),
  ].sort((a, b) => Number(BigInt(a.blockNumber) - BigInt(b.blockNumber)));

  const passbook = await buildPassbook({
    client: publicClient,
    databank,
    wallet,
    fromBlock,
    explorerUrl: params.explorerUrl,
    cache: params.cache,
  });
  return {
    $schema: EXPORT_BUNDLE_SCHEMA_ID,
    format: "databank-export",
    version: 1,
    exportedAt: (params.now ?? new Date()).toISOString(),
    wallet,
    chainId: await publicClient.getChainId(),
    databank: getAddress(databank),
    contributions,
    payouts,
    passbook,
  };
}

type WalletEventName =
  | "ContributionSubmitted"
  | "ConsentGranted"
  | "ContributionRejected"
  | "ConsentRevoked"
  | "ContributionSettled"
  | "Credited"
  | "Withdrawn";

/** A decoded log of one of the wallet's events (viem's shape, args loosely typed). */
type WalletEventLog<_N extends WalletEventName> = {
  transactionHash: Hex;
  blockNumber: bigint;
  args: {
    contributionId?: bigint;
    poolId?: number;
    dataCommitment?: Hex;
    dataCid?: string;
    expiresAt?: number;
    scope?: number;
    bounty?: bigint;
    reason?: number;
    expired?: boolean;
    amount?: bigint;
    token?: Address;
  };
};

interface PoolTerms {
  termsCid: string;
  termsDigest: Hex;
  terms: string | undefined;
  purposes: number;
}

async function readPoolTerms(params: BuildExportBundleParams, poolId: number): Promise<PoolTerms> {
  const read = { abi: databankAbi, address: params.databank } as const;
  const [pool, [, termsCid]] = await Promise.all([
    params.publicClient.readContract({ ...read, functionName: "getPool", args: [poolId] }),
    params.publicClient.readContract({ ...read, functionName: "poolDocuments", args: [poolId] }),
  ]);
  const terms = await params
    .fetchContent(termsCid)
    .then((bytes) => new TextDecoder().decode(bytes))
    .catch(() => undefined);
  return { termsCid, termsDigest: pool.termsDigest, terms, purposes: pool.purposes };
}

async function openRecord(
  envelope: Uint8Array,
  privateKey: Uint8Array,
): Promise<NonNullable<ExportedContribution["record"]>> {
  const { contentType } = parseEnvelopeHeader(envelope);
  const plaintext = await openEnvelope(envelope, privateKey);
  if (contentType === "application/json") {
    return { contentType, json: JSON.parse(new TextDecoder().decode(plaintext)) };
  }
  let binary = "";
  for (const byte of plaintext) binary += String.fromCharCode(byte);
  return { contentType, base64: btoa(binary) };
}
