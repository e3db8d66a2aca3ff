/**
 * Every failure shown to a user as one plain sentence: Databank custom errors through
 * decodeDatabankError (never raw revert data), in the operation's token when the caller says which
 * (ErrorWording), wallet refusals, a balance too small for the value and gas, then viem's short
 * message.
 */
import { BaseError, InsufficientFundsError, UserRejectedRequestError } from "viem";
import { decodeDatabankError, type ErrorWording } from "../../../lib/contracts/client.js";
import { formatExactAmount, type TokenInfo } from "./format.js";

export type { ErrorWording };

/** The wording of an operation paid in `token`: its amounts in that token's units ("5 TUSD"). */
export function wordingFor(token: Pick<TokenInfo, "symbol" | "decimals">): ErrorWording {
  return { amount: (value) => formatExactAmount(value, token) };
}

/**
 * Nodes word a balance too small for value plus gas differently, and some wallets wrap it in a
 * generic "invalid parameters" error: these are the phrases that say it.
 */
const INSUFFICIENT_FUNDS =
  /insufficient funds|doesn't have enough funds|sender doesn't have enough|exceeds (?:the )?balance/i;

function isInsufficientFunds(error: BaseError): boolean {
  return Boolean(
    error.walk(
      (inner) =>
        inner instanceof InsufficientFundsError ||
        (inner instanceof Error && INSUFFICIENT_FUNDS.test(inner.message)),
    ),
  );
}

/**
 * A readable sentence for any error thrown while reading, signing or sending.
 *
 * @param wording - how to word amounts of the operation's token (see wordingFor); without it,
 *   amounts of a custom error are given in base units and say so
 */
export function describeError(error: unknown, wording?: ErrorWording): string {
  const decoded = decodeDatabankError(error, wording);
  if (decoded) return decoded.message;
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError)) {
      return "You declined the request in your wallet.";
    }
    if (isInsufficientFunds(error)) {
      return "Insufficient ETH: your account cannot pay this amount and the network fee (gas).";
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
