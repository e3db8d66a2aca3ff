/**
 * Every failure shown to a user as one plain sentence: Databank custom errors through
 * decodeDatabankError (never raw revert data), wallet refusals, then viem's short message.
 */
import { BaseError, UserRejectedRequestError } from "viem";
import { decodeDatabankError } from "../../../lib/contracts/client.js";

/** A readable sentence for any error thrown while reading, signing or sending. */
export function describeError(error: unknown): string {
  const decoded = decodeDatabankError(error);
  if (decoded) return decoded.message;
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError)) {
      return "You declined the request in your wallet.";
    }
    const hex = /0x[0-9a-fA-F]{16,}/g;
    return error.shortMessage.replace(hex, (match) => `${match.slice(0, 10)}…`);
  }
  if (error instanceof Error && error.name === "ProviderNotFoundError") {
    return "No browser wallet was found: install one (e.g. MetaMask) or use another connection.";
  }
  // wagmi's errors are not viem's but carry the same one-line summary.
  const shortMessage = (error as { shortMessage?: unknown } | null)?.shortMessage;
  if (typeof shortMessage === "string" && shortMessage) return shortMessage;
  if (error instanceof Error) return error.message;
  return String(error);
}
