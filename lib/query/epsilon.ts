/**
 * ε as an exact integer count of micro-ε, the unit the contracts store it in. Decimal strings
 * ("0.5") are what people type and what the query document holds; bigint micro-ε is what the
 * chain and the mechanism use. No floating point: 0.1 + 0.2 must make exactly 0.3 of a budget.
 */
import { QueryError } from "./errors.js";

/** micro-ε per 1 ε: the contracts store ε as an integer number of millionths. */
export const EPSILON_UNIT = 1_000_000n;

/** Decimals an ε may carry: one micro-ε is the smallest amount. */
export const EPSILON_DECIMALS = 6;

/** A decimal ε as the query format writes it: "0.5", "1", "0.000125" (at most 6 decimals). */
export const EPSILON_PATTERN = /^(0|[1-9][0-9]*)(\.[0-9]{1,6})?$/;

/**
 * ε in micro-ε, from bigint micro-ε (as stored on-chain) or a decimal string in ε ("0.5").
 *
 * @param what - names the value in the error message, e.g. "the query's ε"
 * @throws QueryError BAD_EPSILON for a negative, zero, malformed or over-precise value
 */
export function parseEpsilon(value: bigint | string, what = "ε"): bigint {
  let micro: bigint;
  if (typeof value === "bigint") {
    micro = value;
  } else {
    const text = value.trim();
    if (!EPSILON_PATTERN.test(text)) {
      throw new QueryError(
        "BAD_EPSILON",
        `${what} must be a decimal number of ε with at most ${EPSILON_DECIMALS} decimals, such as "0.5"; got ${JSON.stringify(value)}`,
      );
    }
    const [whole, fraction = ""] = text.split(".");
    micro = BigInt(whole!) * EPSILON_UNIT + BigInt(fraction.padEnd(EPSILON_DECIMALS, "0"));
  }
  if (micro <= 0n) {
    throw new QueryError("BAD_EPSILON", `${what} must be more than 0, got ${formatEpsilon(micro)}`);
  }
  return micro;
}

/** micro-ε as a decimal string of ε without trailing zeros: 500000n → "0.5". */
export function formatEpsilon(micro: bigint): string {
  const sign = micro < 0n ? "-" : "";
  const magnitude = micro < 0n ? -micro : micro;
  const whole = magnitude / EPSILON_UNIT;
  const fraction = (magnitude % EPSILON_UNIT)
    .toString()
    .padStart(EPSILON_DECIMALS, "0")
    .replace(/0+$/, "");
  return `${sign}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}
