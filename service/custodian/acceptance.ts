/**
 * The acceptance worker: finds contributions submitted on-chain (`submitContribution`) to pools
 * this node custodies, checks them (CID spelling, binding to the submitter, decryption, schema,
 * duplicate) and accepts or rejects them on-chain.
 *
 * Durability: the scan cursor and the submissions found are committed together, so a restart
 * neither misses nor re-scans a block range; before sending, the worker re-reads the contribution
 * on-chain (`pendingContributor`), so a contribution already accepted or rejected (e.g. just before
 * a crash) is only recorded, never sent twice. A record's fingerprint is reserved together with its
 * signed acceptance before that is sent (./reservations.ts: a crash in between is settled from the
 * chain at the next poll) and released when the consent is revoked (`ConsentRevoked`).
 */
import { getAddress, type Address } from "viem";
import {
  REJECTION_REASONS,
  rejectionReasonCode,
  type RejectionReason,
} from "../../lib/custodian/index.js";
import { parseCanonicalCid, type ContentStore } from "../../lib/storage/index.js";
import {
  confirm,
  custodianAddress,
  gasWithinCeiling,
  revertToServiceError,
  type CustodianDatabank,
} from "../chain.js";
import { ServiceError } from "../errors.js";
import type { Logger } from "../log.js";
import type { TransactionQueue } from "../transactions.js";
import type { AcceptedKeys } from "./acceptedKeys.js";
import type { CheckOutcome, ContributionChecker } from "./checks.js";
import type { PoolDirectory } from "./pools.js";
import {
  recoverReservations,
  resolveReservation,
  sendWithReservation,
  type ContributionCheckpointHook,
} from "./reservations.js";
import type {
  AcceptanceRecords,
  ContributionOutcome,
  ContributionRecord,
  NewSubmission,
} from "./records.js";

/** Blocks scanned per `eth_getLogs` call (public RPCs cap the range). */
export const SCAN_BLOCK_RANGE = 2_000n;
/** Failed checks (envelope or schema unavailable) after which a submission is rejected as Other. */
export const MAX_CHECK_ATTEMPTS = 5;
/** Pending submissions checked per poll. */
const BATCH_SIZE = 20;
const MAX_RETRY_DELAY_MS = 5 * 60_000;

/** Parameters of {@link createAcceptanceWorker}. */
export interface AcceptanceWorkerParams {
  databank: CustodianDatabank;
  records: AcceptanceRecords;
  pools: PoolDirectory;
  /** The checker; for on-chain submissions it may fetch the envelope from the network. */
  checker: ContributionChecker;
  /**
   * The node's (tracked) store: the envelope of a contribution is pinned there before it is
   * accepted. Fetched from another IPFS node, its blocks would otherwise sit unpinned, and content
   * garbage collection removes every block no pin holds; pinned through the tracked store it is
   * listed as the node's own, kept while the contribution is referenced (service/content).
   */
  store: Pick<ContentStore, "pin">;
  exclusive: TransactionQueue["exclusive"];
  logger: Logger;
  pollIntervalMs: number;
  /**
   * Gas ceiling of `acceptContribution` and `rejectContribution` (DATABANK_ACCEPTANCE_GAS_LIMIT):
   * a transaction estimated above it is not sent (the submission is retried later, with the
   * reason as its message), and each is sent with this gas limit.
   */
  gasLimit: bigint;
  /** First block scanned when the database has no cursor yet; default 0. */
  fromBlock?: bigint;
  /** Test hook awaited after each durable step of an acceptance ("accept-reserved", "accept-sent"). */
  checkpoint?: ContributionCheckpointHook;
  /**
   * Where the data key of each accepted contribution is kept (the node's key custody), so its
   * first delivery opens no envelope; without it the key is dropped after the check.
   */
  acceptedKeys?: AcceptedKeys;
}

/** The running worker. */
export interface AcceptanceWorker {
  /** Starts polling (the first poll runs at once). */
  start(): void;
  /** Runs one scan and one round of checks; resolves when both are done (tests, and each poll). */
  pollOnce(): Promise<void>;
  /** Stops polling and waits for the poll in progress. */
  stop(): Promise<void>;
}

/** Creates the acceptance worker (not started). */
export function createAcceptanceWorker(params: AcceptanceWorkerParams): AcceptanceWorker {
  const { databank, records, pools, checker, exclusive, logger } = params;
  const me = custodianAddress(databank).toLowerCase();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function scan(): Promise<void> {
    const latest = await databank.publicClient.getBlockNumber({ cacheTime: 0 });
    let from = records.cursor(databank.address) ?? params.fromBlock ?? 0n;
    while (from <= latest && !stopped) {
      const to = from + SCAN_BLOCK_RANGE - 1n < latest ? from + SCAN_BLOCK_RANGE - 1n : latest;
      const logs = await databank.publicClient.getContractEvents({
        abi: databank.abi,
        address: databank.address,
        fromBlock: from,
        toBlock: to,
        strict: true,
      });
      const submitted: NewSubmission[] = [];
      const revoked: bigint[] = [];
      for (const log of logs) {
        if (log.eventName === "ContributionSubmitted") {
          const { contributionId, poolId, contributor, dataCid, expiresAt } = log.args;
          if ((await pools.custodianOf(poolId))?.toLowerCase() !== me) continue;
          submitted.push({ contributionId, poolId, contributor, dataCid, expiresAt });
        } else if (log.eventName === "ConsentRevoked") {
          revoked.push(log.args.contributionId);
        }
      }
      records.commitScan(databank.address, to + 1n, { submitted, revoked });
      from = to + 1n;
    }
  }

  async function processDue(): Promise<void> {
    for (const record of records.duePending(Date.now(), BATCH_SIZE)) {
      if (stopped) return;
      try {
        await process(record);
      } catch (error) {
        // One contribution's trouble (RPC hiccup, a revert) must not stop the others.
        postpone(record, error instanceof Error ? error.message : String(error));
      }
    }
  }

  function postpone(record: ContributionRecord, message: string): void {
    const delay = Math.min(params.pollIntervalMs * 2 ** (record.attempts + 1), MAX_RETRY_DELAY_MS);
    records.postpone(record.contributionId, Date.now() + delay, message);
    logger.warn("acceptance: check postponed", {
      contributionId: record.contributionId,
      attempt: record.attempts + 1,
      problem: message,
    });
  }

  /** Re-reads the chain: the contribution may have been settled already (before a crash, or withdrawn). */
  async function stillPending(record: ContributionRecord): Promise<boolean> {
    const contributor: Address = await databank.contract.read.pendingContributor([
      record.contributionId,
    ]);
    if (!/^0x0{40}$/.test(contributor)) return true;
    const outcome = await settledOutcome(databank, record.contributionId);
    records.setOutcome(record, outcome);
    logger.info("acceptance: already settled on-chain", {
      contributionId: record.contributionId,
      status: outcome.status,
    });
    return false;
  }

  async function process(record: ContributionRecord): Promise<void> {
    if (!(await stillPending(record))) return;

    let outcome: CheckOutcome;
    const now = (await databank.publicClient.getBlock({ blockTag: "latest" })).timestamp;
    const cidProblem = nonCanonicalCid(record.dataCid);
    if (record.expiresAt !== 0 && BigInt(record.expiresAt) <= now) {
      outcome = {
        ok: false,
        reason: "Expired",
        message: "the consent expired before it was checked",
      };
    } else if (cidProblem !== undefined) {
      // The contract commits to keccak256 of the CID string, so another spelling of a record's
      // CID is a second commitment to the same data: the way a revoked record would be submitted
      // again, or a record copied to another pool. Such a submission is not bound to the record's
      // one identity: NotBound (not Undecryptable, which says nothing about the submitter).
      outcome = { ok: false, reason: "NotBound", message: cidProblem };
    } else {
      try {
        outcome = await checker.check({
          poolId: record.poolId,
          dataCid: record.dataCid,
          // The sender of `submitContribution`: the envelope must be sealed for it.
          contributor: getAddress(record.contributor),
          // Its own reservation, if a crash left one, is not a duplicate of it.
          contributionId: record.contributionId,
          keepDataKey: params.acceptedKeys !== undefined,
        });
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        const retriable = error.status >= 500 || error.code === "CONTENT_NOT_FOUND";
        if (retriable && record.attempts + 1 < MAX_CHECK_ATTEMPTS) {
          postpone(record, error.message);
          return;
        }
        // The envelope cannot be had (or is not a valid CID / too large): the contributor's problem.
        outcome = { ok: false, reason: "Other", message: error.message };
      }
    }
    try {
      // Before the accepting transaction: an accepted contribution's envelope is never left
      // unpinned (a failure here postpones the check, as an unreachable envelope does).
      if (outcome.ok) await params.store.pin(record.dataCid);
      await exclusive(() => settle(record, outcome));
    } finally {
      // Kept (and zeroed) on acceptance; any other ending drops it here.
      if (outcome.ok) outcome.dataKey?.fill(0);
    }
  }

  /** The refusal of an accept or reject estimated above the ceiling (nothing is sent). */
  function tooCostly(doing: string) {
    return (needed: string | undefined, limit: string) =>
      `${doing} this contribution would cost ${needed === undefined ? "more than" : `${needed} gas, over`} the node's limit of ${limit} gas (DATABANK_ACCEPTANCE_GAS_LIMIT); nothing was sent, it will be retried`;
  }

  /** Sends the accept or reject; runs in the transaction queue. */
  async function settle(record: ContributionRecord, outcome: CheckOutcome): Promise<void> {
    const id = record.contributionId;
    if (outcome.ok) {
      const held = records.reservation(record.poolId, outcome.fingerprint);
      if (held !== undefined && held.state !== "confirmed") {
        // Left by a crash (this queue runs one send at a time), possibly this contribution's own
        // acceptance: the chain says what became of it before anything is sent again.
        await resolveReservation({
          databank,
          records,
          reservation: held,
          waitForPending: true,
          logger,
        });
      }
    }
    if (!(await stillPending(record))) return;
    const claimant = {
      contributionId: id,
      contributor: record.contributor,
      dataCid: record.dataCid,
    };
    if (outcome.ok && records.isDuplicate(record.poolId, outcome.fingerprint, claimant)) {
      outcome = {
        ok: false,
        reason: "Duplicate",
        message: "an equivalent record is already in the pool",
      };
    }
    if (outcome.ok) {
      try {
        await databank.contract.simulate.acceptContribution([id]);
        const gas = await gasWithinCeiling({
          limit: params.gasLimit,
          estimate: () => databank.contract.estimateGas.acceptContribution([id]),
          simulateAtLimit: () =>
            databank.contract.simulate.acceptContribution([id], { gas: params.gasLimit }),
          message: tooCostly("accepting"),
        });
        const sent = await sendWithReservation({
          databank,
          records,
          reservation: {
            poolId: record.poolId,
            fingerprint: outcome.fingerprint,
            dataCid: record.dataCid,
            contributionId: id,
          },
          call: { functionName: "acceptContribution", args: [id] },
          gas,
          checkpoint: params.checkpoint,
        });
        if (sent.sent) {
          records.confirmFingerprint(record.poolId, outcome.fingerprint, id);
          records.setOutcome(record, { status: "active", transactionHash: sent.hash });
          logger.info("acceptance: accepted", { contributionId: id, transactionHash: sent.hash });
          if (outcome.dataKey !== undefined) {
            await params.acceptedKeys?.keep({
              poolId: record.poolId,
              tokenId: id,
              dataCid: record.dataCid,
              dataKey: outcome.dataKey,
            });
          }
          return;
        }
        // Its own confirmed reservation would have made it not pending: this one is someone else's.
        outcome = {
          ok: false,
          reason: "Duplicate",
          message: "an equivalent record is already in the pool",
        };
      } catch (error) {
        const revert = revertToServiceError(error);
        if (revert?.details.revert !== "InvalidExpiry") throw revert ?? error;
        outcome = { ok: false, reason: "Expired", message: revert.message };
      }
    }
    const reason: RejectionReason = outcome.reason;
    const args = [id, rejectionReasonCode(reason)] as const;
    await databank.contract.simulate.rejectContribution(args);
    const gas = await gasWithinCeiling({
      limit: params.gasLimit,
      estimate: () => databank.contract.estimateGas.rejectContribution(args),
      simulateAtLimit: () =>
        databank.contract.simulate.rejectContribution(args, { gas: params.gasLimit }),
      message: tooCostly("rejecting"),
    });
    const { hash } = await confirm(
      databank,
      await databank.contract.write.rejectContribution(args, { gas }),
    );
    records.setOutcome(record, {
      status: "rejected",
      reason,
      message: outcome.message,
      fieldErrors: outcome.fieldErrors,
      transactionHash: hash,
    });
    logger.info("acceptance: rejected", { contributionId: id, reason, transactionHash: hash });
  }

  async function pollOnce(): Promise<void> {
    if (running) return running;
    running = (async () => {
      try {
        // Reservations a crash left unconfirmed are settled first, so none counts as a duplicate.
        await recoverReservations({ databank, records, exclusive, logger });
        await scan();
        await processDue();
      } catch (error) {
        logger.error("acceptance: poll failed", {
          problem: error instanceof Error ? error.message : String(error),
        });
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void pollOnce().finally(schedule);
    }, params.pollIntervalMs);
  }

  return {
    start() {
      stopped = false;
      void pollOnce().finally(schedule);
    },
    pollOnce,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}

/** Why `dataCid` is not in the canonical spelling (the parser's plain-words message), or undefined. */
function nonCanonicalCid(dataCid: string): string | undefined {
  try {
    parseCanonicalCid(dataCid);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The outcome of a contribution that is no longer pending, read from the chain. */
export async function settledOutcome(
  databank: CustodianDatabank,
  contributionId: bigint,
): Promise<ContributionOutcome> {
  const consent = await databank.contract.read.consentOf([contributionId]);
  if (consent.status === 2) return { status: "active" };
  if (consent.status === 3) return { status: "revoked" };
  // Gone: rejected by the custodian, or withdrawn by the contributor while pending.
  const [rejected] = await databank.publicClient.getContractEvents({
    abi: databank.abi,
    address: databank.address,
    eventName: "ContributionRejected",
    args: { contributionId },
    fromBlock: 0n,
    strict: true,
  });
  if (rejected !== undefined) {
    return {
      status: "rejected",
      reason: REJECTION_REASONS[rejected.args.reason] ?? "Other",
      transactionHash: rejected.transactionHash,
    };
  }
  return { status: "revoked" };
}
