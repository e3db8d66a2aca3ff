/**
 * Contributes the records of an export bundle to a pool of another deployment (or chain): a
 * contributor moving between data banks. Each record is sealed afresh to the new pool's custodian
 * and to the contributor, uploaded and consented to through the same path as any contribution, so
 * the new envelope is format v2 bound to the target deployment, the new pool and the signer (the
 * exported envelope, bound to the old pool or unbound v1, would be refused as NotBound).
 */
import type { ConsentScopeBits } from "../contracts/client.js";
import {
  contribute,
  type ConsentSigner,
  type ContributionDatabank,
  type ContributionNodeApi,
  type ContributionPayload,
} from "../contributor/contribute.js";
import { scopeBits, type ExportBundle, type ExportedContribution } from "./bundle.js";

/** Arguments of {@link importBundle}. */
export interface ImportBundleParams {
  bundle: ExportBundle;
  /** The target deployment's node API and contract client. */
  api: ContributionNodeApi;
  databank: ContributionDatabank;
  /** The target pool and its custodian's key. */
  poolId: number;
  custodianPublicKey: Uint8Array;
  /** The contributor's wallet; it must be the bundle's wallet (consent cannot be given for another). */
  signer: ConsentSigner;
  contributorPublicKey: Uint8Array;
  /**
   * The scope to consent to in the target pool (1 records, 2 statistics, 3 both); default: each
   * contribution's own (records for bundles made before scopes).
   */
  scope?: ConsentScopeBits;
  /** Which contributions to move; default: the active ones (revoked consent is not re-given). */
  select?: (contribution: ExportedContribution) => boolean;
  onProgress?: (done: number, total: number) => void;
}

/** What happened to one exported contribution. */
export type ImportOutcome =
  | { from: string; ok: true; contributionId: bigint; dataCid: string }
  | { from: string; ok: false; error: string };

/** Thrown before anything is sent when the bundle cannot be imported by this signer. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportError";
  }
}

/**
 * Imports the selected records one by one. A record the new custodian refuses (e.g. it breaks the
 * new pool's schema) is reported and the others go on.
 *
 * @throws ImportError when the signer is not the bundle's wallet or no record can be imported.
 */
export async function importBundle(params: ImportBundleParams): Promise<ImportOutcome[]> {
  const { bundle } = params;
  if (params.signer.address.toLowerCase() !== bundle.wallet.toLowerCase()) {
    throw new ImportError(
      `the bundle belongs to ${bundle.wallet}; sign with that wallet (got ${params.signer.address})`,
    );
  }
  const select = params.select ?? ((c: ExportedContribution) => c.status === "active");
  const chosen = bundle.contributions.filter((c) => select(c) && c.record !== undefined);
  if (chosen.length === 0) {
    throw new ImportError(
      "the bundle holds no decrypted record to import (export it with your key)",
    );
  }
  const outcomes: ImportOutcome[] = [];
  for (const [index, contribution] of chosen.entries()) {
    try {
      const receipt = await contribute({
        api: params.api,
        databank: params.databank,
        signer: params.signer,
        poolId: params.poolId,
        payload: payloadOf(contribution.record!),
        custodianPublicKey: params.custodianPublicKey,
        contributorPublicKey: params.contributorPublicKey,
        expiresAt: contribution.expiresAt,
        scope: params.scope ?? scopeBits(contribution.scope ?? "records"),
      });
      outcomes.push({
        from: contribution.contributionId,
        ok: true,
        contributionId: receipt.contributionId,
        dataCid: receipt.dataCid,
      });
    } catch (error) {
      outcomes.push({
        from: contribution.contributionId,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    params.onProgress?.(index + 1, chosen.length);
  }
  return outcomes;
}

function payloadOf(record: NonNullable<ExportedContribution["record"]>): ContributionPayload {
  if (record.base64 !== undefined) {
    const binary = atob(record.base64);
    return {
      bytes: Uint8Array.from(binary, (char) => char.charCodeAt(0)),
      contentType: record.contentType,
    };
  }
  return { json: record.json };
}
