/**
 * A record's duplicate fingerprint and the transaction that brings the record in
 * (`contributeWithSignature` for a relay, `acceptContribution` for an on-chain submission), as one
 * recoverable step.
 *
 * The transaction is signed first (its hash is then known before anything is sent), and the
 * reservation is written with the signed transaction in one statement; only then is it broadcast.
 * A crash at any point leaves either nothing, or a reservation whose transaction a restart can
 * look up: {@link resolveReservation} asks the chain (is the contribution active? was the
 * transaction mined, is it still pending, was its nonce used by another?) and then confirms the
 * reservation, releases it, or resends the same signed transaction. So a crash can neither strand
 * a fingerprint (the record then refused as a duplicate forever) nor free one whose record got in.
 */
import {
  encodeFunctionData,
  isAddressEqual,
  keccak256,
  parseEventLogs,
  parseTransaction,
  type Hash,
  type TransactionReceipt,
} from "viem";
import { custodianAddress, type CustodianDatabank } from "../chain.js";
import { ServiceError } from "../errors.js";
import type { Logger } from "../log.js";
import type {
  AcceptanceRecords,
  FingerprintReservation,
  NewReservation,
  ReservedTransaction,
} from "./records.js";

/**
 * Names of the durable steps of a relay and an acceptance, passed to the test hook
 * {@link ContributionCheckpointHook}: after `*-reserved` the reservation and the signed
 * transaction are in SQLite and nothing is sent; after `*-sent` the transaction is broadcast and
 * its outcome not yet recorded.
 */
export type ContributionCheckpoint =
  "relay-reserved" | "relay-sent" | "accept-reserved" | "accept-sent";

/** Test hook awaited after each durable step (a test halts or kills the node there). */
export type ContributionCheckpointHook = (
  name: ContributionCheckpoint,
  info: Record<string, unknown>,
) => Promise<void>;

/** How long a restart waits for a transaction it found in the mempool or sent again. */
export const PENDING_WAIT_MS = 120_000;

/** The contract calls that bring a record in. */
export type ReservedCall =
  | {
      functionName: "contributeWithSignature";
      args: Parameters<CustodianDatabank["contract"]["write"]["contributeWithSignature"]>[0];
    }
  | {
      functionName: "acceptContribution";
      args: Parameters<CustodianDatabank["contract"]["write"]["acceptContribution"]>[0];
    };

/** Parameters of {@link sendWithReservation}. */
export interface SendWithReservationParams {
  databank: CustodianDatabank;
  records: AcceptanceRecords;
  /** The reservation, written with the signed transaction. */
  reservation: Omit<NewReservation, "transaction">;
  /** The call to sign and send (already simulated by the caller). */
  call: ReservedCall;
  /** Gas limit to sign it with (the ceiling checked by the caller). */
  gas: bigint;
  /** Test hook; see {@link ContributionCheckpoint}. */
  checkpoint?: ContributionCheckpointHook;
}

/** What {@link sendWithReservation} did. */
export type ReservedSend =
  | { sent: true; hash: Hash; receipt: TransactionReceipt }
  /** The fingerprint is already reserved: nothing was sent. */
  | { sent: false };

/**
 * Signs the call, reserves the fingerprint with the signed transaction, sends it and waits for its
 * receipt. Must run in the custodian's transaction queue, after any unsettled reservation of the
 * same fingerprint was resolved ({@link resolveReservation}).
 *
 * @throws ServiceError 409 TRANSACTION_REVERTED when it reverted (the reservation is released);
 *   an RPC failure after the reservation was written leaves it 'sending', for the recovery.
 */
export async function sendWithReservation(
  params: SendWithReservationParams,
): Promise<ReservedSend> {
  const { databank, records, reservation } = params;
  const checkpoint = params.checkpoint ?? (async () => undefined);
  const kind = params.call.functionName === "acceptContribution" ? "accept" : "relay";
  const transaction = await signCall(databank, params.call, params.gas);
  if (!records.reserveFingerprint({ ...reservation, transaction })) return { sent: false };
  await checkpoint(`${kind}-reserved`, { hash: transaction.hash, nonce: transaction.nonce });

  try {
    await databank.publicClient.sendRawTransaction({ serializedTransaction: transaction.raw });
  } catch (error) {
    // Whether it reached the mempool is unknown: the chain decides, now or at the next poll.
    await resolveQuietly(params);
    throw error;
  }
  await checkpoint(`${kind}-sent`, { hash: transaction.hash });
  const receipt = await databank.publicClient.waitForTransactionReceipt({ hash: transaction.hash });
  if (receipt.status !== "success") {
    records.releaseFingerprint(reservation.poolId, reservation.fingerprint);
    throw new ServiceError(409, "TRANSACTION_REVERTED", `transaction ${transaction.hash} reverted`);
  }
  return { sent: true, hash: transaction.hash, receipt };
}

async function resolveQuietly(params: SendWithReservationParams): Promise<void> {
  const held = params.records.reservation(
    params.reservation.poolId,
    params.reservation.fingerprint,
  );
  if (held === undefined) return;
  try {
    await resolveReservation({
      databank: params.databank,
      records: params.records,
      reservation: held,
      waitForPending: false,
    });
  } catch {
    // The chain cannot be asked either: the reservation stays 'sending' for the next poll.
  }
}

/** Signs `call` from the custodian's account with the next nonce; nothing is sent. */
async function signCall(
  databank: CustodianDatabank,
  call: ReservedCall,
  gas: bigint,
): Promise<ReservedTransaction> {
  const { walletClient, publicClient } = databank;
  const data = encodeFunctionData({
    abi: databank.abi,
    functionName: call.functionName,
    args: call.args,
  } as Parameters<typeof encodeFunctionData<typeof databank.abi>>[0]);
  const nonce = await publicClient.getTransactionCount({
    address: custodianAddress(databank),
    blockTag: "pending",
  });
  const request = await walletClient.prepareTransactionRequest({
    account: walletClient.account,
    chain: walletClient.chain,
    to: databank.address,
    data,
    gas,
    nonce,
  });
  const raw = await walletClient.signTransaction(
    request as Parameters<typeof walletClient.signTransaction>[0],
  );
  return { hash: keccak256(raw), nonce, raw };
}

/** Parameters of {@link resolveReservation}. */
export interface ResolveReservationParams {
  databank: CustodianDatabank;
  records: AcceptanceRecords;
  reservation: FingerprintReservation;
  /** Whether to wait (up to {@link PENDING_WAIT_MS}) for a transaction found in the mempool. */
  waitForPending: boolean;
  logger?: Logger;
}

/** Outcome of {@link resolveReservation}. */
export type ReservationResolution =
  /** The record is active on-chain as this contribution; the reservation is kept, confirmed. */
  | { state: "confirmed"; contributionId: bigint; transactionHash?: Hash }
  /** Its transaction failed or can never be mined: the reservation is gone. */
  | { state: "released"; why: string }
  /** Its transaction is still pending: asked again later. */
  | { state: "pending"; transactionHash: Hash };

/**
 * Settles a reservation left unconfirmed (by a crash, or by a version that recorded no
 * transaction), asking the chain before anything else. Must run in the custodian's transaction
 * queue: a transaction resent here must not race another for its nonce.
 */
export async function resolveReservation(
  params: ResolveReservationParams,
): Promise<ReservationResolution> {
  const { records, reservation } = params;
  const resolution = await decide(params);
  if (resolution.state === "confirmed") {
    records.confirmFingerprint(
      reservation.poolId,
      reservation.fingerprint,
      resolution.contributionId,
    );
  } else if (resolution.state === "released") {
    records.releaseFingerprint(reservation.poolId, reservation.fingerprint);
  }
  params.logger?.info(`reservation: ${resolution.state}`, {
    poolId: reservation.poolId,
    dataCid: reservation.dataCid,
    ...(resolution.state === "confirmed" ? { contributionId: resolution.contributionId } : {}),
    ...(resolution.state === "released" ? { why: resolution.why } : {}),
    ...(reservation.transaction ? { transactionHash: reservation.transaction.hash } : {}),
  });
  return resolution;
}

async function decide(params: ResolveReservationParams): Promise<ReservationResolution> {
  const { databank, reservation } = params;
  const id = reservation.contributionId;
  if (id !== undefined) {
    // An acceptance (or a relay the scan already bound): the contribution's status is the answer.
    const status = (await databank.contract.read.consentOf([id])).status;
    if (status === 2) {
      return {
        state: "confirmed",
        contributionId: id,
        transactionHash: reservation.transaction?.hash,
      };
    }
    if (status !== 1) return { state: "released", why: `contribution ${id} is no longer pending` };
    if (reservation.transaction === undefined) {
      // An older version reserved it and died before accepting: the worker checks it again.
      return { state: "released", why: `contribution ${id} was never accepted` };
    }
  } else if (reservation.transaction === undefined) {
    return legacyRelay(databank, reservation);
  }
  return settleTransaction(params, reservation.transaction);
}

/** A relay reservation of an older version (no transaction recorded): the relay's log decides. */
async function legacyRelay(
  databank: CustodianDatabank,
  reservation: FingerprintReservation,
): Promise<ReservationResolution> {
  const logs = await databank.publicClient.getContractEvents({
    abi: databank.abi,
    address: databank.address,
    eventName: "ContributionSubmitted",
    args: { poolId: reservation.poolId },
    fromBlock: 0n,
    strict: true,
  });
  for (const log of logs) {
    if (log.args.dataCid !== reservation.dataCid) continue;
    const consent = await databank.contract.read.consentOf([log.args.contributionId]);
    if (consent.status === 2) {
      return {
        state: "confirmed",
        contributionId: log.args.contributionId,
        transactionHash: log.transactionHash,
      };
    }
  }
  return { state: "released", why: "no active contribution of this data CID on-chain" };
}

/** Finds the reserved transaction on-chain (or in the mempool), or resends it if it can still be mined. */
async function settleTransaction(
  params: ResolveReservationParams,
  transaction: ReservedTransaction,
): Promise<ReservationResolution> {
  const { databank } = params;
  const { publicClient } = databank;
  const { hash } = transaction;
  let receipt = await receiptOf(databank, hash);
  if (receipt === undefined) {
    if (await inMempool(databank, hash)) {
      if (!params.waitForPending) return { state: "pending", transactionHash: hash };
      receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: PENDING_WAIT_MS });
    } else {
      const mined = await publicClient.getTransactionCount({
        address: custodianAddress(databank),
        blockTag: "latest",
      });
      if (mined > transaction.nonce) {
        // Another transaction took its nonce: this one can never be mined.
        return {
          state: "released",
          why: `its nonce ${transaction.nonce} was used by another transaction`,
        };
      }
      // Never sent, or dropped: it may still be mined if anyone holds a copy, so finish it rather
      // than guess, unless it would revert now (an expired signature, a settled contribution).
      const parsed = parseTransaction(transaction.raw);
      try {
        await publicClient.call({
          account: custodianAddress(databank),
          to: parsed.to ?? undefined,
          data: parsed.data,
          gas: parsed.gas,
        });
      } catch (error) {
        return { state: "released", why: `it would revert now: ${shortMessage(error)}` };
      }
      try {
        await publicClient.sendRawTransaction({ serializedTransaction: transaction.raw });
      } catch (error) {
        // The RPC refused it outright (not an outage): it is not in the mempool, so it cannot be mined.
        if (isRefusal(error))
          return { state: "released", why: `the RPC refused it: ${shortMessage(error)}` };
        throw error;
      }
      params.logger?.info("reservation: transaction sent again", { transactionHash: hash });
      receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: PENDING_WAIT_MS });
    }
  }
  return fromReceipt(params, receipt);
}

/** Confirms from a receipt of the reserved transaction (a relay's id is in its log). */
function fromReceipt(
  params: ResolveReservationParams,
  receipt: TransactionReceipt,
): ReservationResolution {
  const { databank, records, reservation } = params;
  if (receipt.status !== "success") {
    return { state: "released", why: `transaction ${receipt.transactionHash} reverted` };
  }
  const [submitted] = parseEventLogs({
    abi: databank.abi,
    eventName: "ContributionSubmitted",
    logs: receipt.logs.filter((log) => isAddressEqual(log.address, databank.address)),
  });
  if (reservation.contributionId === undefined || submitted !== undefined) {
    // A relay: its contribution is minted active by this very transaction.
    if (submitted === undefined)
      throw new Error(`no ContributionSubmitted in ${receipt.transactionHash}`);
    const { contributionId, poolId, contributor, dataCid, expiresAt } = submitted.args;
    records.setOutcome(
      {
        contributionId,
        poolId,
        contributor,
        dataCid,
        expiresAt: Number(expiresAt),
        origin: "relay",
      },
      { status: "active", transactionHash: receipt.transactionHash },
    );
    return { state: "confirmed", contributionId, transactionHash: receipt.transactionHash };
  }
  const record = records.contribution(reservation.contributionId);
  if (record !== undefined) {
    records.setOutcome(record, { status: "active", transactionHash: receipt.transactionHash });
  }
  return {
    state: "confirmed",
    contributionId: reservation.contributionId,
    transactionHash: receipt.transactionHash,
  };
}

async function receiptOf(
  databank: CustodianDatabank,
  hash: Hash,
): Promise<TransactionReceipt | undefined> {
  try {
    return await databank.publicClient.getTransactionReceipt({ hash });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function inMempool(databank: CustodianDatabank, hash: Hash): Promise<boolean> {
  try {
    await databank.publicClient.getTransaction({ hash });
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /NotFound/.test(error.name);
}

/** An answer of the RPC refusing the transaction (JSON-RPC error), as opposed to an outage. */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof Error &&
    !/HttpRequestError|TimeoutError|WebSocket/.test(error.name) &&
    !/fetch failed|ECONNREFUSED|timed out/i.test(error.message)
  );
}

function shortMessage(error: unknown): string {
  if (error instanceof Error) {
    const short = (error as { shortMessage?: string }).shortMessage;
    return short ?? error.message.split("\n")[0]!;
  }
  return String(error);
}

/** Parameters of {@link recoverReservations}. */
export interface RecoverReservationsParams {
  databank: CustodianDatabank;
  records: AcceptanceRecords;
  exclusive: <T>(task: () => Promise<T>) => Promise<T>;
  logger: Logger;
}

/**
 * Resolves every unconfirmed reservation (at start and at each acceptance poll), in the
 * transaction queue; a pending transaction is not waited for (it is asked about again next time).
 * One reservation's trouble does not stop the others.
 */
export async function recoverReservations(params: RecoverReservationsParams): Promise<void> {
  const { records } = params;
  if (records.unsettledReservations().length === 0) return;
  await params.exclusive(async () => {
    for (const reservation of records.unsettledReservations()) {
      try {
        await resolveReservation({ ...params, reservation, waitForPending: false });
      } catch (error) {
        params.logger.warn("reservation: could not be resolved yet", {
          poolId: reservation.poolId,
          dataCid: reservation.dataCid,
          problem: shortMessage(error),
        });
      }
    }
  });
}
