/** A contributor's contributions rebuilt from events, and the claims that pay out everything. */

export type ContributionStatus = "pending" | "active" | "rejected" | "revoked" | "expired";

export interface ContributionEventSet {
  submitted: {
    contributionId: bigint;
    poolId: number;
    dataCid: string;
    expiresAt: number;
    /** The uses the consent allows (CONSENT_SCOPE bits). */
    scope: number;
    transactionHash: string;
  }[];
  granted: { contributionId: bigint; bounty: bigint }[];
  revoked: { contributionId: bigint; expired: boolean; settled: bigint }[];
  rejected: { contributionId: bigint; reason: number }[];
}

export interface ContributionSummary {
  id: bigint;
  poolId: number;
  dataCid: string;
  expiresAt: number;
  /** The uses the consent allows (CONSENT_SCOPE bits: 1 records, 2 statistics, 3 both). */
  scope: number;
  status: ContributionStatus;
  bounty: bigint;
  /** Earnings credited when consent ended (revoked or retired). */
  settledOnEnd: bigint;
  rejectionReason?: number;
  transactionHash: string;
}

/** The contributor's contributions, newest first. */
export function contributionSummaries(events: ContributionEventSet): ContributionSummary[] {
  const granted = new Map(events.granted.map((event) => [event.contributionId, event]));
  const revoked = new Map(events.revoked.map((event) => [event.contributionId, event]));
  const rejected = new Map(events.rejected.map((event) => [event.contributionId, event]));
  return events.submitted
    .map((submission): ContributionSummary => {
      const end = revoked.get(submission.contributionId);
      const rejection = rejected.get(submission.contributionId);
      const status: ContributionStatus = end
        ? end.expired
          ? "expired"
          : "revoked"
        : rejection
          ? "rejected"
          : granted.has(submission.contributionId)
            ? "active"
            : "pending";
      return {
        id: submission.contributionId,
        poolId: submission.poolId,
        dataCid: submission.dataCid,
        expiresAt: submission.expiresAt,
        scope: submission.scope,
        status,
        bounty: granted.get(submission.contributionId)?.bounty ?? 0n,
        settledOnEnd: end?.settled ?? 0n,
        rejectionReason: rejection?.reason,
        transactionHash: submission.transactionHash,
      };
    })
    .reverse();
}

/** One `claim(token, contributionIds)` call and what it pays. */
export interface ClaimCall {
  token: `0x${string}`;
  contributionIds: bigint[];
  amount: bigint;
}

/**
 * The claims that withdraw everything: one per token with something to pay, listing the active
 * contributions of pools paid in that token (their dividends) beside the account's credit.
 */
export function claimPlan(
  active: readonly { id: bigint; token: `0x${string}`; pending: bigint }[],
  credits: readonly { token: `0x${string}`; amount: bigint }[],
): ClaimCall[] {
  const byToken = new Map<string, ClaimCall>();
  const entry = (token: `0x${string}`) => {
    const key = token.toLowerCase();
    if (!byToken.has(key)) byToken.set(key, { token, contributionIds: [], amount: 0n });
    return byToken.get(key)!;
  };
  for (const credit of credits) entry(credit.token).amount += credit.amount;
  for (const contribution of active) {
    const call = entry(contribution.token);
    call.contributionIds.push(contribution.id);
    call.amount += contribution.pending;
  }
  return [...byToken.values()].filter((call) => call.amount > 0n);
}
