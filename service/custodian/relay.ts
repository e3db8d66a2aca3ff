/**
 * The gasless path: a contributor signs an EIP-712 consent, the node checks the signature and the
 * data, then sends `contributeWithSignature` from the custodian's account.
 */
import {
  isAddressEqual,
  parseEventLogs,
  recoverTypedDataAddress,
  type Address,
  type Hash,
  type Hex,
} from "viem";
import { consentRequestArgs, type ConsentRequest } from "../../lib/contracts/index.js";
import { gasWithinCeiling, revertToServiceError, type CustodianDatabank } from "../chain.js";
import { ServiceError } from "../errors.js";
import type { Logger } from "../log.js";
import type { TransactionQueue } from "../transactions.js";
import type { AcceptedKeys } from "./acceptedKeys.js";
import { isOwnReservation, type AcceptanceRecords } from "./records.js";
import {
  resolveReservation,
  sendWithReservation,
  type ContributionCheckpointHook,
} from "./reservations.js";

/** Outcome of {@link verifyConsentSignature}. */
export type SignatureVerdict =
  | { valid: true }
  /** Signed by the contributor for an earlier nonce: this consent was already relayed. */
  | { valid: false; replayed: true; usedNonce: bigint }
  | { valid: false; replayed: false };

/**
 * Checks that `signature` is the contributor's over the consent with its current nonce, exactly as
 * the contract will (EIP-712 domain, terms digest, purposes, nonce). Costs reads only, never gas.
 * An EOA signature is recovered locally; a contract wallet is asked (ERC-1271) through the RPC.
 */
export async function verifyConsentSignature(
  databank: CustodianDatabank,
  request: ConsentRequest,
  signature: Hex,
): Promise<SignatureVerdict> {
  const typedData = await databank.consentTypedData(request);
  if (await signedBy(databank, request.contributor, typedData, signature)) return { valid: true };
  const nonce = typedData.message.nonce;
  if (nonce > 0n) {
    // The nonce in the typed data makes a used signature invalid; say so plainly if that is why.
    const previous = { ...typedData, message: { ...typedData.message, nonce: nonce - 1n } };
    if (await signedBy(databank, request.contributor, previous, signature)) {
      return { valid: false, replayed: true, usedNonce: nonce - 1n };
    }
  }
  return { valid: false, replayed: false };
}

type ConsentTypedData = Awaited<ReturnType<CustodianDatabank["consentTypedData"]>>;

async function signedBy(
  databank: CustodianDatabank,
  contributor: Address,
  typedData: ConsentTypedData,
  signature: Hex,
): Promise<boolean> {
  try {
    const recovered = await recoverTypedDataAddress({ ...typedData, signature });
    if (isAddressEqual(recovered, contributor)) return true;
  } catch {
    // Not a well-formed ECDSA signature: it may still be a contract wallet's.
  }
  const code = await databank.publicClient.getCode({ address: contributor });
  if (code === undefined || code === "0x") return false;
  return databank.publicClient.verifyTypedData({ ...typedData, address: contributor, signature });
}

/** Parameters of {@link sendRelayedConsent}. */
export interface SendRelayedConsentParams {
  databank: CustodianDatabank;
  records: AcceptanceRecords;
  exclusive: TransactionQueue["exclusive"];
  logger: Logger;
  request: ConsentRequest & { poolId: number; expiresAt: bigint };
  signature: Hex;
  /** The checked record's fingerprint, reserved with the signed transaction before sending. */
  fingerprint: string;
  /**
   * Gas ceiling of the relay (DATABANK_RELAY_GAS_LIMIT): a consent whose transaction would need
   * more (a contract wallet with a costly signature check) is refused, and every relay is sent
   * with this gas limit.
   */
  gasLimit: bigint;
  /** Test hook awaited after each durable step ("relay-reserved", "relay-sent"). */
  checkpoint?: ContributionCheckpointHook;
  /**
   * The checked envelope's data key and where to keep it once the consent is relayed (the node's
   * key custody), so the record's first delivery opens no envelope. Zeroed whatever happens.
   */
  acceptedKey?: { keys: AcceptedKeys; dataKey: Uint8Array };
}

const duplicate = () =>
  new ServiceError(422, "REJECTED", "an equivalent record is already in the pool", {
    reason: "Duplicate",
  });

/**
 * Settles an unconfirmed reservation of the fingerprint left by a crash, simulates, estimates the gas against the relay's ceiling, sends
 * `contributeWithSignature` (signed, and reserved with the fingerprint in one write, before it is
 * broadcast: see ./reservations.ts) with the ceiling as gas limit and records the new contribution
 * as active. Runs in the transaction queue. A relay of the same consent that a crash interrupted
 * and the restart finished answers with that contribution.
 *
 * @throws ServiceError 422 REJECTED/Duplicate when an equivalent record got in first, 409/422
 *   CONTRACT_REVERTED with the contract's message when the simulation reverts, 422
 *   GAS_LIMIT_EXCEEDED when the transaction would need more gas than the ceiling (the
 *   contributor's wallet's signature check is too costly); in all three nothing is sent.
 */
export async function sendRelayedConsent(
  params: SendRelayedConsentParams,
): Promise<{ contributionId: bigint; transactionHash: Hash }> {
  try {
    const relayed = await relayInQueue(params);
    await params.acceptedKey?.keys.keep({
      poolId: params.request.poolId,
      tokenId: relayed.contributionId,
      dataCid: params.request.dataCid,
      dataKey: params.acceptedKey.dataKey,
    });
    return relayed;
  } finally {
    params.acceptedKey?.dataKey.fill(0);
  }
}

/** The relay itself, in the transaction queue (see {@link sendRelayedConsent}). */
async function relayInQueue(
  params: SendRelayedConsentParams,
): Promise<{ contributionId: bigint; transactionHash: Hash }> {
  const { databank, records, request, fingerprint } = params;
  return params.exclusive(async () => {
    const claimant = { contributor: request.contributor, dataCid: request.dataCid };
    const held = records.reservation(request.poolId, fingerprint);
    if (held !== undefined && held.state !== "confirmed") {
      // Left by a crash (this queue runs one send at a time): the chain says what became of it.
      const own = isOwnReservation(held, claimant);
      const resolved = await resolveReservation({
        databank,
        records,
        reservation: held,
        waitForPending: true,
        logger: params.logger,
      });
      if (resolved.state === "pending") {
        throw new ServiceError(
          503,
          "TRANSACTION_PENDING",
          `an earlier transaction for this record (${resolved.transactionHash}) is still pending; retry later`,
        );
      }
      if (resolved.state === "confirmed" && own && resolved.transactionHash !== undefined) {
        return {
          contributionId: resolved.contributionId,
          transactionHash: resolved.transactionHash,
        };
      }
    }
    // Re-checked inside the queue: a concurrent relay of the same record may have just got in.
    if (records.isDuplicate(request.poolId, fingerprint, claimant)) throw duplicate();
    let sent;
    try {
      const args = [consentRequestArgs(request), params.signature] as const;
      await databank.contract.simulate.contributeWithSignature(args);
      // A contract wallet's signature check runs on the custodian's gas: refuse one that would
      // cost more than the ceiling, and send with the ceiling as limit in case it behaves
      // differently when really sent.
      const gas = await gasWithinCeiling({
        limit: params.gasLimit,
        estimate: () => databank.contract.estimateGas.contributeWithSignature(args),
        simulateAtLimit: () =>
          databank.contract.simulate.contributeWithSignature(args, { gas: params.gasLimit }),
        message: (needed, limit) =>
          `this wallet's signature check makes relaying this consent cost ${needed === undefined ? `more than the relay's limit of ${limit} gas` : `${needed} gas, more than the relay's limit of ${limit}`}; submit it on-chain yourself with submitContribution`,
      });
      sent = await sendWithReservation({
        databank,
        records,
        reservation: {
          poolId: request.poolId,
          fingerprint,
          dataCid: request.dataCid,
          contributor: request.contributor,
        },
        call: { functionName: "contributeWithSignature", args },
        gas,
        checkpoint: params.checkpoint,
      });
    } catch (error) {
      throw revertToServiceError(error) ?? error;
    }
    if (!sent.sent) throw duplicate();
    const { hash, receipt } = sent;
    const [submitted] = parseEventLogs({
      abi: databank.abi,
      eventName: "ContributionSubmitted",
      logs: receipt.logs.filter((log) => isAddressEqual(log.address, databank.address)),
    });
    if (submitted === undefined) throw new Error(`no ContributionSubmitted in ${hash}`);
    const contributionId = submitted.args.contributionId;
    records.confirmFingerprint(request.poolId, fingerprint, contributionId);
    records.setOutcome(
      {
        contributionId,
        poolId: request.poolId,
        contributor: request.contributor,
        dataCid: request.dataCid,
        expiresAt: Number(request.expiresAt),
        origin: "relay",
      },
      { status: "active", transactionHash: hash },
    );
    params.logger.info("relay: consent relayed", {
      contributionId,
      poolId: request.poolId,
      contributor: request.contributor,
      transactionHash: hash,
    });
    return { contributionId, transactionHash: hash };
  });
}
