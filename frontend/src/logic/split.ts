/**
 * The revenue split a buyer sees before paying, with the contract's arithmetic
 * (contracts/libraries/RevenueSplit.sol): platform = amount × fee / 10⁴, net = amount − platform,
 * contributors = net × share / 10⁴, curator = net − contributors. Each active contribution gets
 * (contributors + carry) / active; the remainder carries to the next sale.
 */

/** Basis points in 100%. */
export const BPS = 10_000n;

/** Who receives what from one sale, in the pool token's smallest unit. */
export interface SplitPreview {
  total: bigint;
  platform: bigint;
  curator: bigint;
  contributors: bigint;
  /** What each active contribution is credited (0 with no active contribution). */
  perContribution: bigint;
  /** Remainder kept for the next sale. */
  carry: bigint;
}

/** Inputs of {@link splitPreview}. */
export interface SplitInputs {
  price: bigint;
  platformFeeBps: number;
  contributorShareBps: number;
  activeCount: number;
  /** The pool's current carry (remainder of the last sale). */
  carry?: bigint;
}

/** The split of one sale at `price`. */
export function splitPreview(inputs: SplitInputs): SplitPreview {
  const { price, activeCount } = inputs;
  const platform = (price * BigInt(inputs.platformFeeBps)) / BPS;
  const net = price - platform;
  const contributors = (net * BigInt(inputs.contributorShareBps)) / BPS;
  const curator = net - contributors;
  const distributable = contributors + (inputs.carry ?? 0n);
  const active = BigInt(activeCount);
  const perContribution = active > 0n ? distributable / active : 0n;
  const carry = active > 0n ? distributable % active : distributable;
  return { total: price, platform, curator, contributors, perContribution, carry };
}

/** "12.5%" from basis points. */
export function formatBps(bps: number | bigint): string {
  const value = Number(bps) / 100;
  return `${Number.isInteger(value) ? value.toFixed(0) : value.toFixed(2).replace(/0$/, "")}%`;
}

/** Basis points from a percentage typed by a user ("70", "12.5"); undefined when invalid. */
export function parsePercentToBps(text: string): number | undefined {
  if (!/^\s*\d{1,3}(\.\d{1,2})?\s*$/.test(text)) return undefined;
  const bps = Math.round(Number(text) * 100);
  return bps <= 10_000 ? bps : undefined;
}
