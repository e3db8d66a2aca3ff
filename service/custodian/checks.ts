/**
 * Runs the custodian's checks (lib/custodian `checkContribution`) on an envelope held in the
 * content store: shared by the relay route, the dry-run route and the acceptance worker. Every
 * path names the submitter, so every path refuses an envelope sealed for someone else (NotBound).
 */
import type { Address } from "viem";
import {
  checkContribution,
  type AcceptanceResult,
  type AcceptanceRejectionReason,
  type FieldError,
} from "../../lib/custodian/index.js";
import type { CustodianSecrets } from "../../lib/config/index.js";
import { parseCanonicalCid, type ContentStore } from "../../lib/storage/index.js";
import { ServiceError } from "../errors.js";
import { storageToServiceError } from "../storageErrors.js";
import type { PoolDirectory } from "./pools.js";
import type { AcceptanceRecords } from "./records.js";

/** A failed check, as the API reports it (422 REJECTED). */
export interface Rejection {
  ok: false;
  reason: AcceptanceRejectionReason | "Expired";
  message: string;
  fieldErrors?: FieldError[];
}

/** A passed check: the record's duplicate fingerprint (the record itself is dropped). */
export interface Acceptance {
  ok: true;
  fingerprint: string;
  /**
   * The envelope's data key, only when the submission asked for it (`keepDataKey`): the caller
   * hands it to the key custody once the contribution is accepted (`AcceptedKeys`, ./acceptedKeys.ts) and
   * zeroes it whatever happens.
   */
  dataKey?: Uint8Array;
}

/** Outcome of {@link ContributionChecker.check}. */
export type CheckOutcome = Acceptance | Rejection;

/** One submission to check. */
export interface SubmissionToCheck {
  /** The pool submitted to. */
  poolId: number;
  /** The envelope's CID, in the canonical spelling (anything else is a 400 INVALID_CID). */
  dataCid: string;
  /**
   * Who submits it: the relayed consent's signer, or the sender of `submitContribution`. The
   * envelope must be bound to this address (and to this pool and deployment).
   */
  contributor: Address;
  /**
   * The pending contribution being checked (the acceptance worker); undefined for a relay. A
   * reservation left by this very submission (a crash) is then not taken for a duplicate.
   */
  contributionId?: bigint;
  /**
   * Whether a passed check returns the envelope's data key (the relay and the acceptance worker,
   * which keep it at rest); default false (the dry-run check).
   */
  keepDataKey?: boolean;
}

/** Checks envelopes for pools this node custodies. */
export interface ContributionChecker {
  /**
   * Fetches the envelope and the pool's schema and runs the checks.
   *
   * @throws ServiceError 400 INVALID_CID for a CID not in the canonical spelling, 404
   *   CONTENT_NOT_FOUND when the envelope is not held by the node, 503 when it or the schema
   *   cannot be read, 413 when it is over the upload limit.
   */
  check(submission: SubmissionToCheck): Promise<CheckOutcome>;
}

/** How long reading an envelope may take. */
export const ENVELOPE_FETCH_TIMEOUT_MS = 10_000;

/** Creates the checker. */
export function createContributionChecker(params: {
  /** The chain the node's Databank is on: envelopes must be bound to it. */
  chainId: number;
  /** The node's Databank contract: envelopes must be bound to it. */
  databank: Address;
  store: ContentStore;
  pools: PoolDirectory;
  records: AcceptanceRecords;
  secrets: CustodianSecrets;
  maxEnvelopeBytes: number;
  /** When true (API requests) an envelope the node does not hold is a 404 at once, never a network fetch. */
  localOnly: boolean;
}): ContributionChecker {
  const { store, pools, records, secrets } = params;
  return {
    async check({ poolId, dataCid, contributor, contributionId, keepDataKey }) {
      const schema = await pools.schema(poolId);
      const envelope = await readEnvelope(
        store,
        dataCid,
        params.maxEnvelopeBytes,
        params.localOnly,
      );
      let result: AcceptanceResult;
      try {
        result = await checkContribution({
          envelope,
          submission: { chainId: params.chainId, databank: params.databank, poolId, contributor },
          custodianPrivateKey: secrets.x25519PrivateKey,
          schema,
          duplicateKey: secrets.fingerprintKey,
          isDuplicate: (fingerprint) =>
            records.isDuplicate(poolId, fingerprint, { contributionId, contributor, dataCid }),
          keepDataKey,
        });
      } catch (error) {
        // ajv refusing the pool's schema is the curator's problem, not grounds to reject data.
        if (
          error instanceof Error &&
          !(error instanceof TypeError) &&
          /schema/i.test(error.message)
        ) {
          throw new ServiceError(
            503,
            "POOL_DOCUMENT_UNAVAILABLE",
            `the schema of pool ${poolId} is not a valid JSON Schema: ${error.message}`,
            {},
            { cause: error },
          );
        }
        throw error;
      }
      if (!result.ok) return result;
      // Only the fingerprint (and the data key when asked) leaves this function: the decrypted
      // record is not kept.
      return {
        ok: true,
        fingerprint: result.fingerprint,
        ...(result.dataKey === undefined ? {} : { dataKey: result.dataKey }),
      };
    },
  };
}

async function readEnvelope(
  store: ContentStore,
  dataCid: string,
  maxBytes: number,
  localOnly: boolean,
): Promise<Uint8Array> {
  try {
    parseCanonicalCid(dataCid);
    if (localOnly && !(await store.has(dataCid))) {
      throw new ServiceError(
        404,
        "CONTENT_NOT_FOUND",
        `the node does not hold ${dataCid}: upload the envelope with POST /v1/content first`,
      );
    }
    return await store.get(dataCid, {
      maxBytes,
      signal: AbortSignal.timeout(ENVELOPE_FETCH_TIMEOUT_MS),
    });
  } catch (error) {
    throw storageToServiceError(error, `the envelope ${dataCid}`);
  }
}
