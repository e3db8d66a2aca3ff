/**
 * The auditor's checks, rebuilt from the contract's events alone (no trust in the node or the
 * dApp): every fulfilled sale split exactly what was paid in, every delivery covered exactly the
 * contributions active at that moment, and no escrow is left past its delivery deadline.
 */

/** Where an event sits in the chain, for ordering. */
export interface EventPosition {
  blockNumber: bigint;
  logIndex: number;
  transactionHash: string;
}

export interface PaidIn extends EventPosition {
  purchaseId: bigint;
  poolId: number;
  buyer: string;
  amount: bigint;
  deadline: number;
}

export interface Fulfilment extends EventPosition {
  purchaseId: bigint;
  poolId: number;
  platformAmount: bigint;
  curatorAmount: bigint;
  contributorsAmount: bigint;
  perContribution: bigint;
  carry: number;
  recordCount: number;
}

export interface Refund extends EventPosition {
  purchaseId: bigint;
  poolId: number;
  amount: bigint;
}

/** A consent starting (granted) or ending (revoked or retired) in a pool. */
export interface ConsentChange extends EventPosition {
  poolId: number;
  contributionId: bigint;
  change: 1 | -1;
}

export interface AuditInput {
  purchases: PaidIn[];
  fulfilments: Fulfilment[];
  refunds: Refund[];
  consentChanges: ConsentChange[];
  /** The chain's latest timestamp (unix seconds). */
  now: number;
}

export interface Verdict {
  /** What is checked, in plain words. */
  check: string;
  ok: boolean;
  /** One line per violation (empty when ok). */
  violations: string[];
}

function before(a: EventPosition, b: EventPosition): boolean {
  return a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex);
}

/** The three verdicts over the given events (filter them by pool first for a per-pool audit). */
export function auditVerdicts(input: AuditInput): Verdict[] {
  const paidById = new Map(input.purchases.map((purchase) => [purchase.purchaseId, purchase]));
  const settled = new Set([
    ...input.fulfilments.map((fulfilment) => fulfilment.purchaseId),
    ...input.refunds.map((refund) => refund.purchaseId),
  ]);

  const creditViolations = input.fulfilments.flatMap((fulfilment) => {
    const paid = paidById.get(fulfilment.purchaseId);
    const credited =
      fulfilment.platformAmount + fulfilment.curatorAmount + fulfilment.contributorsAmount;
    if (!paid) return [`purchase ${fulfilment.purchaseId} was fulfilled but never paid in`];
    return credited === paid.amount
      ? []
      : [`purchase ${fulfilment.purchaseId}: ${credited} credited, ${paid.amount} paid in`];
  });

  const countViolations = input.fulfilments.flatMap((fulfilment) => {
    const active = input.consentChanges
      .filter((change) => change.poolId === fulfilment.poolId && before(change, fulfilment))
      .reduce((count, change) => count + change.change, 0);
    return active === fulfilment.recordCount
      ? []
      : [
          `purchase ${fulfilment.purchaseId}: ${fulfilment.recordCount} records delivered, ${active} contributions were active`,
        ];
  });

  const overdue = input.purchases
    .filter((purchase) => !settled.has(purchase.purchaseId) && purchase.deadline < input.now)
    .map(
      (purchase) =>
        `purchase ${purchase.purchaseId} (pool ${purchase.poolId}) is held in escrow past its delivery deadline: the buyer can take a refund`,
    );

  return [
    {
      check: "Every delivered sale credited exactly what the buyer paid in",
      ok: creditViolations.length === 0,
      violations: creditViolations,
    },
    {
      check: "Every delivery covered exactly the contributions active at that moment",
      ok: countViolations.length === 0,
      violations: countViolations,
    },
    {
      check: "No payment is held in escrow past its delivery deadline",
      ok: overdue.length === 0,
      violations: overdue,
    },
  ];
}

/** One point of the revenue/payout chart: cumulative amounts after an event. */
export interface MoneyPoint {
  index: number;
  paidIn: bigint;
  toContributors: bigint;
  toCurator: bigint;
  toPlatform: bigint;
}

/** Cumulative money flows after each fulfilled sale, in chain order. */
export function moneySeries(fulfilments: readonly Fulfilment[]): MoneyPoint[] {
  const sorted = [...fulfilments].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const points: MoneyPoint[] = [
    { index: 0, paidIn: 0n, toContributors: 0n, toCurator: 0n, toPlatform: 0n },
  ];
  for (const [index, sale] of sorted.entries()) {
    const last = points[points.length - 1]!;
    points.push({
      index: index + 1,
      paidIn: last.paidIn + sale.platformAmount + sale.curatorAmount + sale.contributorsAmount,
      toContributors: last.toContributors + sale.contributorsAmount,
      toCurator: last.toCurator + sale.curatorAmount,
      toPlatform: last.toPlatform + sale.platformAmount,
    });
  }
  return points;
}
