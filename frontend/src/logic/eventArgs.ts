/**
 * A decoded Databank event's arguments in words, for the transaction view: amounts in the
 * operation's token units with its symbol ("25 TUSD", never base units), durations in words
 * ("7 days"), times as dates, shares in percent and ε in ε.
 */
import { formatDuration, formatExactAmount, formatTime, type TokenInfo } from "./format.js";
import { formatEpsilonText } from "./privacy.js";
import { formatBps } from "./split.js";

/** Argument names that hold an amount of the pool's payment token. */
const AMOUNTS = new Set([
  "amount",
  "price",
  "oldPrice",
  "newPrice",
  "queryPrice",
  "perContribution",
  "platformAmount",
  "curatorAmount",
  "contributorsAmount",
  "bounty",
  "bountyPerContribution",
]);
/** Argument names that hold a duration in seconds. */
const DURATIONS = new Set(["deliveryWindow"]);
/** Argument names that hold a unix time. */
const TIMES = new Set(["deadline", "expiresAt"]);
/** Argument names that hold micro-ε. */
const EPSILONS = new Set(["epsilon", "epsilonBudget", "maxEpsilonPerQuery"]);

/** The address of the token an event's amounts are in, when the event names it. */
export function eventToken(args: Record<string, unknown>): string | undefined {
  const params = args.params as Record<string, unknown> | undefined;
  const named = args.token ?? args.paymentToken ?? params?.paymentToken;
  return typeof named === "string" ? named : undefined;
}

/**
 * One argument's value in words.
 *
 * @param units - the token the event's amounts are in; without it amounts say "base units"
 */
export function describeArg(
  name: string,
  value: unknown,
  units: Pick<TokenInfo, "symbol" | "decimals"> | undefined,
): string {
  if (typeof value === "bigint" || typeof value === "number") {
    if (AMOUNTS.has(name)) {
      return units ? formatExactAmount(BigInt(value), units) : `${value.toString()} base units`;
    }
    if (DURATIONS.has(name)) return formatDuration(Number(value));
    if (TIMES.has(name)) return Number(value) === 0 ? "never" : formatTime(value);
    if (EPSILONS.has(name)) return formatEpsilonText(value);
    if (name.endsWith("Bps")) return formatBps(Number(value));
    return value.toString();
  }
  if (Array.isArray(value))
    return `[${value.map((item) => describeArg("", item, units)).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    return `{ ${Object.entries(value)
      .map(([key, inner]) => `${key}: ${describeArg(key, inner, units)}`)
      .join(", ")} }`;
  }
  return String(value);
}
