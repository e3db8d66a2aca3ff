/** Display of amounts, durations and addresses. */
import { formatUnits, parseUnits, zeroAddress, type Address } from "viem";

/** What the dApp knows of a pool's payment token. */
export interface TokenInfo {
  address: Address;
  symbol: string;
  decimals: number;
  /** True for the native coin (address(0)). */
  native: boolean;
}

export const NATIVE_TOKEN: TokenInfo = {
  address: zeroAddress,
  symbol: "ETH",
  decimals: 18,
  native: true,
};

/** "1.5 ETH", trimmed to at most 6 decimals for display. */
export function formatAmount(
  amount: bigint,
  token: Pick<TokenInfo, "symbol" | "decimals">,
): string {
  const [whole, fraction = ""] = formatUnits(amount, token.decimals).split(".");
  const shown = fraction.slice(0, 6).replace(/0+$/, "");
  const approx = fraction.length > 6 && /[1-9]/.test(fraction.slice(6)) ? "≈ " : "";
  return `${approx}${whole}${shown ? `.${shown}` : ""} ${token.symbol}`;
}

/**
 * "0.000000000000000001 ETH": an exact amount, never rounded, for what a person must be able to
 * check to the last unit (errors, transaction arguments, what a claim paid). The same words as
 * lib/audit/money.ts formatTokenAmount, which the dApp does not import: that module also reads
 * every chain's native coin, too heavy for the first page.
 */
export function formatExactAmount(
  amount: bigint,
  token: Pick<TokenInfo, "symbol" | "decimals">,
): string {
  return `${formatUnits(amount, token.decimals)} ${token.symbol}`;
}

/** Smallest units of an amount typed by a user; undefined when it is not a valid amount. */
export function parseAmount(text: string, decimals: number): bigint | undefined {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
  const fraction = trimmed.split(".")[1] ?? "";
  if (fraction.length > decimals) return undefined;
  return parseUnits(trimmed, decimals);
}

/** An amount typed by a user, checked: its base units, or the one sentence saying what to fix. */
export type AmountCheck = { ok: true; value: bigint } | { ok: false; problem: string };

/**
 * Checks an amount typed by a user and names the real problem: not a number, more decimals than
 * the token has, zero where it must be above 0, or more than the contract can hold.
 *
 * @param text - what the user typed, e.g. "25.5"
 * @param token - the token's symbol and decimals (the words and the scale)
 * @param limits - `max`: the largest amount in base units (e.g. a uint96); `allowZero`: whether 0 is
 *   a valid answer (a bounty of 0 means none)
 */
export function checkAmount(
  text: string,
  token: Pick<TokenInfo, "symbol" | "decimals">,
  limits: { max?: bigint; allowZero?: boolean } = {},
): AmountCheck {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) {
    return { ok: false, problem: `Enter an amount in ${token.symbol} as a number, e.g. 1.5.` };
  }
  const fraction = trimmed.split(".")[1] ?? "";
  if (fraction.length > token.decimals) {
    return {
      ok: false,
      problem: `Too many decimals: ${token.symbol} has ${token.decimals}, this amount has ${fraction.length}.`,
    };
  }
  const value = parseUnits(trimmed, token.decimals);
  if (value === 0n && !limits.allowZero) {
    return { ok: false, problem: `Enter an amount above 0 ${token.symbol}.` };
  }
  if (limits.max !== undefined && value > limits.max) {
    return {
      ok: false,
      problem: `Too large: at most ${formatUnits(limits.max, token.decimals)} ${token.symbol}.`,
    };
  }
  return { ok: true, value };
}

/** "0x1234…abcd" */
export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

export { formatDuration } from "../../../lib/format/duration.js";

/** Local date and time of a unix timestamp. */
export function formatTime(unixSeconds: number | bigint): string {
  return new Date(Number(unixSeconds) * 1000).toLocaleString();
}
