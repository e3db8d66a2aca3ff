/**
 * Whether a pool can take a contribution now, and what a contributor should know before typing or
 * signing: full (the contract would refuse it), sales paused (it joins but earns nothing until the
 * curator resumes), a bounty the budget can no longer pay. Pure: from the pool's on-chain state.
 */
import { bountiesLeft } from "../../../lib/contracts/client.js";

/** The pool state the check reads (a `PoolView` has it). */
export interface JoinablePool {
  /** Active contributions allowing records. */
  activeCount: number;
  /** Active statistics-only contributions (they count towards the cap too). */
  statisticsOnlyActive: number;
  /** Most active contributions; 0 for no cap. */
  maxContributors: number;
  /** Sales paused by the curator. */
  paused: boolean;
  /** Bounty promised per accepted contribution. */
  bountyPerContribution: bigint;
  /** What bounties can still be paid from. */
  bountyBudget: bigint;
}

/** Something to say before the form. */
export type JoinNotice =
  { kind: "full"; cap: number } | { kind: "paused" } | { kind: "no-bounty-left"; bounty: bigint };

/** The notices of a pool, and whether a contribution can be accepted at all. */
export function joinability(pool: JoinablePool): { canJoin: boolean; notices: JoinNotice[] } {
  const notices: JoinNotice[] = [];
  // The cap counts every active contribution: those allowing records and the statistics-only.
  const full =
    pool.maxContributors !== 0 &&
    pool.activeCount + pool.statisticsOnlyActive >= pool.maxContributors;
  if (full) notices.push({ kind: "full", cap: pool.maxContributors });
  if (pool.paused) notices.push({ kind: "paused" });
  if (bountiesLeft(pool) === 0n) {
    notices.push({ kind: "no-bounty-left", bounty: pool.bountyPerContribution });
  }
  return { canJoin: !full, notices };
}
