/**
 * Types of the node's chain access: the Databank client with the custodian's wallet, and helpers
 * to send one custodian transaction (simulate, send, wait) with revert decoding.
 */
import type {
  Account,
  Address,
  Chain,
  Hash,
  PublicClient,
  TransactionReceipt,
  Transport,
  WalletClient,
} from "viem";
import { decodeDatabankError, type DatabankClient } from "../lib/contracts/index.js";
import { ServiceError } from "./errors.js";

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
