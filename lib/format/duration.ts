/**
 * Durations in words, the one way every part of Databank shows them (the dApp, the CLIs, the
 * audit, revert messages): never "604800 s". Browser-safe.
 */

const UNITS: [name: string, seconds: number][] = [
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
  ["second", 1],
];

/**
 * A whole number of seconds in words, exactly: "7 days", "1 day 1 hour", "1 minute 30 seconds",
 * "0 seconds". Exact rather than rounded, because a delivery window or a grace period is a term
 * someone relies on to the second.
 */
export function formatDuration(seconds: number | bigint): string {
  let rest = BigInt(seconds) < 0n ? 0n : BigInt(seconds);
  const parts: string[] = [];
  for (const [name, size] of UNITS) {
    const count = rest / BigInt(size);
    rest -= count * BigInt(size);
    if (count > 0n) parts.push(`${count} ${name}${count === 1n ? "" : "s"}`);
  }
  return parts.join(" ") || "0 seconds";
}
