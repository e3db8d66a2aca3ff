/**
 * The check made before anyone signs a payment: does the account hold the amount, in the pool's
 * token, and some of the native coin for the network fee? A failed check names the token
 * ("Insufficient TUSD", "Insufficient ETH"), so the wallet is never opened for a payment that
 * would fail.
 */
import { formatAmount, NATIVE_TOKEN, type TokenInfo } from "./format.js";

/** What the check needs; balances undefined while still being read. */
export interface FundsCheck {
  /** The amount to pay, in base units of `token`. */
  amount: bigint;
  token: TokenInfo;
  /** The account's balance of `token`. */
  balance: bigint | undefined;
  /** The account's balance of the native coin (the same as `balance` when paying in it). */
  nativeBalance: bigint | undefined;
}

/** The sentence saying what is missing, or undefined when the account can pay (or is unknown). */
export function fundsProblem(check: FundsCheck): string | undefined {
  const { amount, token, balance, nativeBalance } = check;
  if (balance !== undefined && balance < amount) {
    return `Insufficient ${token.symbol}: you have ${formatAmount(balance, token)}, this needs ${formatAmount(amount, token)}.`;
  }
  // Every transaction needs some native coin for its fee, whatever token it pays in.
  const leftForGas = token.native
    ? balance === undefined
      ? undefined
      : balance - amount
    : nativeBalance;
  if (leftForGas !== undefined && leftForGas <= 0n) {
    return `Insufficient ${NATIVE_TOKEN.symbol}: you need some ${NATIVE_TOKEN.symbol} for the network fee (gas).`;
  }
  return undefined;
}
