/**
 * Types of the node's chain access: the Databank client with the custodian's wallet, and helpers
 * to send one custodian transaction (simulate, check its gas against its ceiling, send with that
 * ceiling as gas limit, wait) with revert decoding.
 */
import {
  type Account,
  type Address,
  type Chain,
  type Hash,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { decodeDatabankError, type DatabankClient } from "../lib/contracts/index.js";
import { ServiceError } from "./errors.js";
import { isRpcUnavailable } from "./rpc.js";

/** A public client on any chain. */
export type NodePublicClient = PublicClient<Transport, Chain>;
/** The custodian's wallet client: its account is always set. */
export type CustodianWalletClient = WalletClient<Transport, Chain, Account>;
/** The Databank client the node uses: reads, simulations and the custodian's writes. */
export type CustodianDatabank = DatabankClient<CustodianWalletClient>;

/** The custodian's account address. */
export function custodianAddress(databank: CustodianDatabank): Address {
  return databank.walletClient.account.address;
}

/** A transaction that was mined and succeeded. */
export interface SentTransaction {
  hash: Hash;
  receipt: TransactionReceipt;
}

/**
 * Waits for a sent transaction and fails if it reverted (e.g. the state changed between the
 * simulation and the block).
 */
export async function confirm(databank: CustodianDatabank, hash: Hash): Promise<SentTransaction> {
  const receipt = await databank.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new ServiceError(409, "TRANSACTION_REVERTED", `transaction ${hash} reverted`);
  }
  return { hash, receipt };
}

/** Custom errors that mean the request itself is wrong (422) rather than the chain's state (409). */
const UNPROCESSABLE_REVERTS = new Set([
  "EmptyCid",
  "InvalidExpiry",
  "SignatureExpired",
  "InvalidSignature",
  "InvalidPurposes",
]);

/**
 * Turns a Databank revert into a 409/422 ServiceError with the contract's plain-words message;
 * returns undefined for anything that is not a revert (RPC down, bug), which must stay a 5xx.
 */
export function revertToServiceError(error: unknown): ServiceError | undefined {
  const decoded = decodeDatabankError(error);
  if (decoded === undefined) return undefined;
  if (decoded.name === "UnknownPool") {
    return new ServiceError(404, "POOL_NOT_FOUND", decoded.message, {}, { cause: error });
  }
  const status = UNPROCESSABLE_REVERTS.has(decoded.name) ? 422 : 409;
  return new ServiceError(
    status,
    "CONTRACT_REVERTED",
    decoded.message,
    { revert: decoded.name },
    { cause: error },
  );
}

/** Parameters of {@link gasWithinCeiling}. */
export interface GasCeilingCheck {
  /** The most gas the transaction may use; it is sent with exactly this gas limit. */
  limit: bigint;
  /** The transaction's gas estimate (`eth_estimateGas`, as the custodian's account). */
  estimate: () => Promise<bigint>;
  /**
   * The transaction simulated with `limit` as its gas (`eth_call`), used only when the estimate
   * fails without a contract revert (e.g. it hit the RPC's own cap): it tells whether it fits.
   */
  simulateAtLimit: () => Promise<unknown>;
  /** The plain-words refusal; `needed` is undefined when the RPC could not estimate it. */
  message: (needed: string | undefined, limit: string) => string;
}

/**
 * Checks, before anything is sent, that a custodian transaction fits its gas ceiling, and returns
 * the gas limit to send it with (the ceiling itself, so a contract that behaves differently at
 * sending time than when estimated still cannot cost more).
 *
 * @throws ServiceError 422 GAS_LIMIT_EXCEEDED (`gasNeeded`, `gasLimit`) when it needs more; the
 *   estimate's own revert or RPC failure as is (the caller maps reverts with
 *   {@link revertToServiceError}).
 */
export async function gasWithinCeiling(check: GasCeilingCheck): Promise<bigint> {
  const { limit } = check;
  let needed: bigint | undefined;
  try {
    needed = await check.estimate();
  } catch (error) {
    if (decodeDatabankError(error) !== undefined || isRpcUnavailable(error)) throw error;
    // Not a revert and not an outage: most likely the estimate needed more than the RPC allows.
    try {
      await check.simulateAtLimit();
    } catch (atLimit) {
      if (isRpcUnavailable(atLimit)) throw atLimit;
      throw gasLimitExceeded(check, undefined);
    }
    throw error;
  }
  if (needed > limit) throw gasLimitExceeded(check, needed);
  return limit;
}

function gasLimitExceeded(check: GasCeilingCheck, needed: bigint | undefined): ServiceError {
  const format = (gas: bigint) => gas.toLocaleString("en-US");
  return new ServiceError(
    422,
    "GAS_LIMIT_EXCEEDED",
    check.message(needed === undefined ? undefined : format(needed), format(check.limit)),
    {
      ...(needed === undefined ? {} : { gasNeeded: Number(needed) }),
      gasLimit: Number(check.limit),
    },
  );
}
