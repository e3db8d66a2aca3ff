/**
 * A straightforward BigInt reference of Databank's money rules, written without the contract's
 * accumulator so the two can be compared: each sale is split and its contributors' share is handed
 * to each active contribution one by one.
 */

export const BPS = 10_000n;

export interface Split {
  platform: bigint;
  curator: bigint;
  contributors: bigint;
  perContribution: bigint;
  carry: bigint;
}

/** Splits one sale and spreads the contributors' share (plus the carry) over `activeCount`. */
export function splitSale(
  amount: bigint,
  feeBps: bigint,
  shareBps: bigint,
  carry: bigint,
  activeCount: bigint,
): Split {
  const platform = (amount * feeBps) / BPS;
  const net = amount - platform;
  const contributors = (net * shareBps) / BPS;
  const curator = net - contributors;
  const pot = contributors + carry;
  return {
    platform,
    curator,
    contributors,
    perContribution: pot / activeCount,
    carry: pot % activeCount,
  };
}

export interface ModelPool {
  id: bigint;
  curator: string;
  feeBps: bigint;
  shareBps: bigint;
  minContributors: bigint;
  bountyPerContribution: bigint;
  bountyBudget: bigint;
  deliveryWindow: bigint;
  price: bigint;
  carry: bigint;
  paused: boolean;
  active: Set<bigint>;
}

export interface ModelContribution {
  id: bigint;
  poolId: bigint;
  holder: string;
  active: boolean;
  /** Earned and not yet settled (moved to credit or claimed). */
  pending: bigint;
}

export interface ModelPurchase {
  id: bigint;
  poolId: bigint;
  buyer: string;
  amount: bigint;
  deadline: bigint;
  status: "pending" | "fulfilled" | "refunded";
}

/** The whole marketplace for one payment token. */
export class ReferenceModel {
  readonly pools = new Map<bigint, ModelPool>();
  readonly contributions = new Map<bigint, ModelContribution>();
  readonly purchases = new Map<bigint, ModelPurchase>();
  /** Withdrawable credit per account (curator shares, fees, bounties, revoked earnings). */
  readonly credits = new Map<string, bigint>();
  /** Everything ever owed to an account (credited or earned), claimed or not. */
  readonly entitled = new Map<string, bigint>();
  /** Everything actually paid to an account by claims and refunds. */
  readonly paidOut = new Map<string, bigint>();
  paidIn = 0n;

  constructor(
    readonly treasury: string,
    public feeBps: bigint,
  ) {}

  private add(map: Map<string, bigint>, account: string, amount: bigint): void {
    map.set(account, (map.get(account) ?? 0n) + amount);
  }

  private credit(account: string, amount: bigint): void {
    this.add(this.credits, account, amount);
    this.add(this.entitled, account, amount);
  }

  creditOf(account: string): bigint {
    return this.credits.get(account) ?? 0n;
  }

  entitlementOf(account: string): bigint {
    return this.entitled.get(account) ?? 0n;
  }

  paidTo(account: string): bigint {
    return this.paidOut.get(account) ?? 0n;
  }

  createPool(
    id: bigint,
    curator: string,
    p: {
      shareBps: bigint;
      minContributors: bigint;
      bountyPerContribution: bigint;
      deliveryWindow: bigint;
      price: bigint;
    },
  ): ModelPool {
    const pool: ModelPool = {
      id,
      curator,
      feeBps: this.feeBps,
      bountyBudget: 0n,
      carry: 0n,
      paused: false,
      active: new Set(),
      ...p,
    };
    this.pools.set(id, pool);
    return pool;
  }

  fundBounty(poolId: bigint, amount: bigint): void {
    this.pools.get(poolId)!.bountyBudget += amount;
    this.paidIn += amount;
  }

  /** The curator takes unused bounty budget back as credit. */
  withdrawBounty(poolId: bigint, amount: bigint): void {
    const pool = this.pools.get(poolId)!;
    pool.bountyBudget -= amount;
    this.credit(pool.curator, amount);
  }

  /** Any existing pool takes contributions: an empty bounty budget never closes it. */
  canJoin(poolId: bigint): boolean {
    return this.pools.has(poolId);
  }

  /** Joins, with the bounty while the budget lasts. */
  join(id: bigint, poolId: bigint, holder: string): void {
    const pool = this.pools.get(poolId)!;
    if (pool.bountyPerContribution !== 0n && pool.bountyBudget >= pool.bountyPerContribution) {
      pool.bountyBudget -= pool.bountyPerContribution;
      this.credit(holder, pool.bountyPerContribution);
    }
    pool.active.add(id);
    this.contributions.set(id, { id, poolId, holder, active: true, pending: 0n });
  }

  /** Revocation freezes the contribution's earnings: they move to its holder's credit. */
  revoke(id: bigint): void {
    const c = this.contributions.get(id)!;
    c.active = false;
    this.pools.get(c.poolId)!.active.delete(id);
    this.add(this.credits, c.holder, c.pending);
    c.pending = 0n;
  }

  canPurchase(poolId: bigint): boolean {
    const pool = this.pools.get(poolId);
    return pool !== undefined && !pool.paused && BigInt(pool.active.size) >= pool.minContributors;
  }

  purchase(id: bigint, poolId: bigint, buyer: string, deadline: bigint): ModelPurchase {
    const pool = this.pools.get(poolId)!;
    const p: ModelPurchase = { id, poolId, buyer, amount: pool.price, deadline, status: "pending" };
    this.purchases.set(id, p);
    this.paidIn += pool.price;
    return p;
  }

  canFulfil(id: bigint, timestamp: bigint): boolean {
    const p = this.purchases.get(id);
    if (p === undefined || p.status !== "pending" || timestamp > p.deadline) return false;
    const pool = this.pools.get(p.poolId)!;
    return pool.active.size > 0 && BigInt(pool.active.size) >= pool.minContributors;
  }

  fulfil(id: bigint): Split {
    const p = this.purchases.get(id)!;
    const pool = this.pools.get(p.poolId)!;
    const split = splitSale(
      p.amount,
      pool.feeBps,
      pool.shareBps,
      pool.carry,
      BigInt(pool.active.size),
    );
    pool.carry = split.carry;
    this.credit(this.treasury, split.platform);
    this.credit(pool.curator, split.curator);
    for (const cid of pool.active) {
      const c = this.contributions.get(cid)!;
      c.pending += split.perContribution;
      this.add(this.entitled, c.holder, split.perContribution);
    }
    p.status = "fulfilled";
    return split;
  }

  canRefund(id: bigint, timestamp: bigint): boolean {
    const p = this.purchases.get(id);
    if (p === undefined || p.status !== "pending") return false;
    return timestamp > p.deadline;
  }

  refund(id: bigint): bigint {
    const p = this.purchases.get(id)!;
    p.status = "refunded";
    this.add(this.paidOut, p.buyer, p.amount);
    this.add(this.entitled, p.buyer, p.amount);
    return p.amount;
  }

  /** The active contributions `account` holds. */
  activeOf(account: string): bigint[] {
    return [...this.contributions.values()]
      .filter((c) => c.active && c.holder === account)
      .map((c) => c.id);
  }

  /** What a claim of `ids` by `account` pays: their pending earnings plus the account's credit. */
  claimable(account: string, ids: bigint[]): bigint {
    return ids.reduce(
      (sum, id) => sum + this.contributions.get(id)!.pending,
      this.creditOf(account),
    );
  }

  claim(account: string, ids: bigint[]): bigint {
    const amount = this.claimable(account, ids);
    for (const id of ids) this.contributions.get(id)!.pending = 0n;
    this.credits.set(account, 0n);
    this.add(this.paidOut, account, amount);
    return amount;
  }

  /** What the contract must hold: escrow + credits + pending earnings + carries + bounty budgets. */
  held(): bigint {
    let total = 0n;
    for (const p of this.purchases.values()) if (p.status === "pending") total += p.amount;
    for (const c of this.credits.values()) total += c;
    for (const c of this.contributions.values()) if (c.active) total += c.pending;
    for (const pool of this.pools.values()) total += pool.carry + pool.bountyBudget;
    return total;
  }

  totalPaidOut(): bigint {
    let total = 0n;
    for (const v of this.paidOut.values()) total += v;
    return total;
  }
}
