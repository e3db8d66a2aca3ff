/**
 * A list of pools as people look for one: each pool's name with its number, a search over name,
 * description and category, and an order (newest, price, contributors, earnings).
 */
import type { PoolProfileReading } from "../../../lib/pools/profile.js";
import { POOL_CATEGORIES, poolTitle } from "../../../lib/pools/words.js";

/** "Software engineers in Guiyang · pool 3", or "Pool 3" for a pool without a profile. */
export function poolNameText(poolId: number, reading: PoolProfileReading | undefined): string {
  return reading?.status === "valid"
    ? `${poolTitle(poolId, reading)} · pool ${poolId}`
    : poolTitle(poolId, reading);
}

/** The orders a pool list offers, with the words of the choice. */
export const POOL_ORDERS = {
  newest: "Newest first",
  price: "Lowest price first",
  contributors: "Most contributors first",
  earnings: "Most earned by contributors first",
} as const;

export type PoolOrder = keyof typeof POOL_ORDERS;

/** What the list needs of a pool to search and order it. */
export interface ListedPool {
  id: number;
  /** The payment token's address: amounts of different tokens are never compared. */
  token: string;
  /** Price of a record sale, or of a question for a pool selling only questions (base units). */
  price: bigint;
  /** Active contributions (of the scope the pool sells most of). */
  contributors: number;
  /** What contributors earned from the pool's sales so far (base units of its token). */
  earnings: bigint;
  profile: PoolProfileReading | undefined;
}

/** Whether a pool matches every word of `query` in its name, number, description or category. */
export function poolMatches(pool: ListedPool, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const profile = pool.profile?.status === "valid" ? pool.profile.profile : undefined;
  const haystack = [
    poolNameText(pool.id, pool.profile),
    profile?.description ?? "",
    profile ? `${profile.category} ${POOL_CATEGORIES[profile.category]}` : "",
  ]
    .join(" ")
    .toLowerCase();
  return words.every((word) => haystack.includes(word));
}

const compare = (a: bigint | number | string, b: bigint | number | string) =>
  a < b ? -1 : a > b ? 1 : 0;
const byToken = (a: ListedPool, b: ListedPool) =>
  compare(a.token.toLowerCase(), b.token.toLowerCase());

/**
 * The pools matching `query`, in `order`; ties keep the newest first. Prices and earnings in
 * different tokens cannot be compared, so those orders group pools by token (the native coin,
 * address(0), first), then order within each. Does not change `pools`.
 */
export function searchPools<P extends ListedPool>(
  pools: readonly P[],
  query: string,
  order: PoolOrder,
): P[] {
  const byOrder: Record<PoolOrder, (a: P, b: P) => number> = {
    newest: () => 0,
    price: (a, b) => byToken(a, b) || compare(a.price, b.price),
    contributors: (a, b) => compare(b.contributors, a.contributors),
    earnings: (a, b) => byToken(a, b) || compare(b.earnings, a.earnings),
  };
  return pools
    .filter((pool) => poolMatches(pool, query))
    .sort((a, b) => byOrder[order](a, b) || b.id - a.id);
}
