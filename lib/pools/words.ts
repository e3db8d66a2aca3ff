/**
 * The words of pool profiles that every page needs (category names, a pool's title), apart from
 * the profile's validation (./profile.ts, which brings zod): a page can show pool names without
 * loading the validator. ./profile.ts re-exports both.
 * Browser-safe: no `node:` imports.
 */
import type { PoolProfileReading } from "./profile.js";

/**
 * The categories a pool can be filed under, with the words lists show. A closed list, so that
 * buyers can filter on it and one kind of data is not spread over ten spellings.
 */
export const POOL_CATEGORIES = {
  employment: "Work and resumes",
  purchases: "Purchases and spending",
  preferences: "Tastes and preferences",
  mobility: "Travel and mobility",
  health: "Health and fitness",
  finance: "Money and finance",
  education: "Learning and education",
  other: "Other",
} as const;

/** One of {@link POOL_CATEGORIES}' keys. */
export type PoolCategory = keyof typeof POOL_CATEGORIES;

/** What a list shows for a pool: its profile's name, or "Pool N" when it has none. */
export function poolTitle(
  poolId: number | bigint,
  reading: PoolProfileReading | undefined,
): string {
  return reading?.status === "valid" ? reading.profile.name : `Pool ${poolId.toString()}`;
}
