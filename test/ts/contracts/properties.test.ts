import { expect } from "chai";
import fc from "fast-check";
import { describe, it } from "mocha";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import {
  PLATFORM_FEE_BPS,
  ZERO,
  contributeRelayed,
  createPool,
  ethers,
  findEvent,
  fulfilTx,
  loadDeployment,
  networkHelpers,
  purchase,
  type Deployment,
  type Purchase,
  testCid,
} from "./fixtures.js";
import { ReferenceModel } from "./referenceModel.js";

const { time } = networkHelpers;
const DELIVERY_WINDOW = 3_600n;

type Action =
  | { kind: "create"; share: number; min: number; price: bigint; bounty: bigint; curator: number }
  | { kind: "contribute"; pool: number; who: number }
  | { kind: "purchase"; pool: number; buyer: number }
  | { kind: "fulfil"; purchase: number }
  | { kind: "refund"; purchase: number; late: boolean }
  | { kind: "revoke"; contribution: number; byStranger: boolean }
  | { kind: "claim"; who: number }
  | { kind: "setPrice"; pool: number; price: bigint }
  | { kind: "pause"; pool: number; paused: boolean }
  | { kind: "withdrawBounty"; pool: number; percent: number };

const createArb = fc.record({
  kind: fc.constant("create" as const),
  share: fc.integer({ min: 0, max: 10_000 }),
  min: fc.integer({ min: 1, max: 2 }),
  price: fc.bigInt({ min: 0n, max: 10n ** 18n }),
  bounty: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 15n })),
  curator: fc.integer({ min: 0, max: 1 }),
});

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: createArb, weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("contribute" as const),
      pool: fc.nat(),
      who: fc.integer({ min: 0, max: 11 }),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("purchase" as const),
      pool: fc.nat(),
      buyer: fc.integer({ min: 0, max: 3 }),
    }),
    weight: 4,
  },
  // Fulfil and refund count back from the latest purchase, which is most often still pending.
  {
    arbitrary: fc.record({ kind: fc.constant("fulfil" as const), purchase: fc.nat({ max: 3 }) }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("refund" as const),
      purchase: fc.nat({ max: 3 }),
      late: fc.boolean(),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("revoke" as const),
      contribution: fc.nat(),
      byStranger: fc.boolean(),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("claim" as const),
      who: fc.integer({ min: 0, max: 14 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("setPrice" as const),
      pool: fc.nat(),
      price: fc.bigInt({ min: 0n, max: 10n ** 18n }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("pause" as const),
      pool: fc.nat(),
      paused: fc.boolean(),
    }),
    weight: 1,
  },
  {
    // Above 100% asks for more than the budget and must be refused.
    arbitrary: fc.record({
      kind: fc.constant("withdrawBounty" as const),
      pool: fc.nat(),
      percent: fc.integer({ min: 0, max: 120 }),
    }),
    weight: 1,
  },
);

/** Sends a transaction; true when it was mined, false when it reverted. */
async function succeeds(send: () => Promise<unknown>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    if (/revert/i.test(String(error))) return false;
    throw error;
  }
}

/** Successful and rejected actions of each kind over all runs, to show the sequences exercise every path. */
const stats = new Map<string, number>();
const count = (key: string) => stats.set(key, (stats.get(key) ?? 0) + 1);

async function run(actions: Action[]): Promise<void> {
  const d: Deployment = await loadDeployment();
  const { databank } = d;
  const model = new ReferenceModel(d.treasury.address, PLATFORM_FEE_BPS);
  const curators = [d.curator, d.owner];
  const claimers: HardhatEthersSigner[] = [d.curator, d.owner, d.treasury, ...d.contributors];
  const accounts = [...new Set([...claimers, ...d.buyers].map((s) => s.address))];
  const pools: bigint[] = [];
  const contributions: bigint[] = [];
  const purchases: Purchase[] = [];
  const received = new Map<string, bigint>(); // what the contract actually paid each account
  const receive = (account: string, amount: bigint) =>
    received.set(account, (received.get(account) ?? 0n) + amount);
  let cids = 0;
  /** Index 3 picks among every purchase (settled ones must be refused); 0-2 among the pending ones, latest first. */
  const pickPurchase = (index: number): Purchase => {
    const pending = purchases.filter((p) => model.purchases.get(p.id)!.status === "pending");
    const list = index === 3 || pending.length === 0 ? purchases : pending;
    return list[list.length - 1 - (index % list.length)];
  };
  const nextTimestamp = async () => BigInt(await time.latest()) + 1n;

  const step = async (action: Action): Promise<void> => {
    switch (action.kind) {
      case "create": {
        const curator = curators[action.curator];
        const poolId = await createPool(
          d,
          {
            price: action.price,
            contributorShareBps: action.share,
            minContributors: action.min,
            bountyPerContribution: action.bounty,
            deliveryWindow: Number(DELIVERY_WINDOW),
          },
          curator,
        );
        model.createPool(poolId, curator.address, {
          shareBps: BigInt(action.share),
          minContributors: BigInt(action.min),
          bountyPerContribution: action.bounty,
          deliveryWindow: DELIVERY_WINDOW,
          price: action.price,
        });
        // Enough budget for four bounties, so the fifth join fails.
        const budget = action.bounty * 4n;
        if (budget !== 0n) {
          await databank.connect(curator).fundBounty(poolId, budget, { value: budget });
          model.fundBounty(poolId, budget);
        }
        pools.push(poolId);
        return;
      }
      case "contribute": {
        if (pools.length === 0) return;
        const poolId = pools[action.pool % pools.length];
        const who = d.contributors[action.who];
        const expected = model.canJoin(poolId);
        let id = 0n;
        const ok = await succeeds(async () => {
          id = await contributeRelayed(d, who, poolId, testCid(`bafyProp-${cids++}`));
        });
        expect(ok, `contribute to pool ${poolId}`).to.equal(expected);
        count(`${action.kind}:${ok}`);
        if (ok) {
          model.join(id, poolId, who.address);
          contributions.push(id);
        }
        return;
      }
      case "purchase": {
        if (pools.length === 0) return;
        const poolId = pools[action.pool % pools.length];
        const expected = model.canPurchase(poolId);
        let sale: Purchase | undefined;
        const ok = await succeeds(async () => {
          sale = await purchase(d, d.buyers[action.buyer], poolId);
        });
        expect(ok, `purchase from pool ${poolId}`).to.equal(expected);
        count(`${action.kind}:${ok}`);
        if (ok) {
          expect(sale!.deadline).to.equal((await nextTimestamp()) - 1n + DELIVERY_WINDOW);
          model.purchase(sale!.id, poolId, sale!.buyer, sale!.deadline);
          purchases.push(sale!);
        }
        return;
      }
      case "fulfil": {
        if (purchases.length === 0) return;
        const sale = pickPurchase(action.purchase);
        const expected = model.canFulfil(sale.id, await nextTimestamp());
        let logs: readonly unknown[] = [];
        const ok = await succeeds(async () => {
          logs = (await (await fulfilTx(d, sale)).wait())!.logs;
        });
        expect(ok, `fulfil purchase ${sale.id}`).to.equal(expected);
        count(`${action.kind}:${ok}`);
        if (ok) {
          const split = model.fulfil(sale.id);
          const { args } = findEvent(d, logs, "PurchaseFulfilled");
          expect([
            args.platformAmount,
            args.curatorAmount,
            args.contributorsAmount,
            args.perContribution,
            args.carry,
          ]).to.deep.equal([
            split.platform,
            split.curator,
            split.contributors,
            split.perContribution,
            split.carry,
          ]);
        }
        return;
      }
      case "refund": {
        if (purchases.length === 0) return;
        const sale = pickPurchase(action.purchase);
        if (action.late) await time.increase(DELIVERY_WINDOW + 60n);
        const expected = model.canRefund(sale.id, await nextTimestamp());
        let logs: readonly unknown[] = [];
        const ok = await succeeds(async () => {
          logs = (await (await databank.connect(d.custodian).refund(sale)).wait())!.logs;
        });
        expect(ok, `refund purchase ${sale.id}`).to.equal(expected);
        count(`${action.kind}:${ok}`);
        if (ok) {
          const amount = model.refund(sale.id);
          const { args } = findEvent(d, logs, "PurchaseRefunded");
          expect(args.amount).to.equal(amount);
          receive(sale.buyer, amount);
        }
        return;
      }
      case "revoke": {
        if (contributions.length === 0) return;
        const id = contributions[action.contribution % contributions.length];
        const c = model.contributions.get(id)!;
        const signer = action.byStranger ? d.buyers[0] : await ethers.getSigner(c.holder);
        const expected = c.active && !action.byStranger;
        const ok = await succeeds(async () =>
          (await databank.connect(signer).revokeConsent(id)).wait(),
        );
        expect(ok, `revoke #${id}`).to.equal(expected);
        count(`${action.kind}:${ok}`);
        if (ok) model.revoke(id);
        return;
      }
      case "claim": {
        const signer = claimers[action.who];
        const ids = model.activeOf(signer.address);
        const expected = model.claimable(signer.address, ids);
        let logs: readonly unknown[] = [];
        const ok = await succeeds(async () => {
          logs = (await (await databank.connect(signer).claim(ZERO, ids)).wait())!.logs;
        });
        expect(ok, `claim by ${signer.address}`).to.equal(expected !== 0n);
        count(`${action.kind}:${ok}`);
        if (ok) {
          const { args } = findEvent(d, logs, "Withdrawn");
          expect(args.amount).to.equal(model.claim(signer.address, ids));
          receive(signer.address, args.amount as bigint);
        }
        return;
      }
      case "setPrice": {
        if (pools.length === 0) return;
        const pool = model.pools.get(pools[action.pool % pools.length])!;
        await (
          await databank
            .connect(await ethers.getSigner(pool.curator))
            .setPrice(pool.id, action.price)
        ).wait();
        pool.price = action.price;
        return;
      }
      case "pause": {
        if (pools.length === 0) return;
        const pool = model.pools.get(pools[action.pool % pools.length])!;
        await (
          await databank
            .connect(await ethers.getSigner(pool.curator))
            .setPaused(pool.id, action.paused)
        ).wait();
        pool.paused = action.paused;
        return;
      }
      case "withdrawBounty": {
        if (pools.length === 0) return;
        const pool = model.pools.get(pools[action.pool % pools.length])!;
        const amount =
          (pool.bountyBudget * BigInt(action.percent)) / 100n + (action.percent > 100 ? 1n : 0n);
        const curator = await ethers.getSigner(pool.curator);
        const ok = await succeeds(async () =>
          (await databank.connect(curator).withdrawBounty(pool.id, amount)).wait(),
        );
        expect(ok, `withdraw ${amount} of bounty budget ${pool.bountyBudget}`).to.equal(
          amount <= pool.bountyBudget,
        );
        count(`${action.kind}:${ok}`);
        if (ok) model.withdrawBounty(pool.id, amount);
        return;
      }
    }
  };

  const checkInvariants = async (label: string): Promise<void> => {
    const balance = await ethers.provider.getBalance(databank.target);
    // Held = escrow of pending purchases + credits + pending earnings of active contributions + carries + bounty budgets.
    let escrow = 0n;
    for (const sale of purchases) {
      if ((await databank.purchaseStatus(sale.id)) === 1n) escrow += sale.amount;
    }
    let credits = 0n;
    for (const account of accounts) {
      const credit = await databank.creditOf(account, ZERO);
      expect(credit, `${label}: credit of ${account}`).to.equal(model.creditOf(account));
      credits += credit;
    }
    let earnings = 0n;
    for (const id of contributions) {
      const pending = await databank.pendingEarnings(id);
      const c = model.contributions.get(id)!;
      expect(pending, `${label}: pending of #${id}`).to.equal(c.active ? c.pending : 0n);
      earnings += pending;
    }
    let carries = 0n;
    let budgets = 0n;
    for (const poolId of pools) {
      const pool = await databank.getPool(poolId);
      const m = model.pools.get(poolId)!;
      expect(
        [pool.carry, pool.bountyBudget, pool.recordsActive],
        `${label}: pool ${poolId}`,
      ).to.deep.equal([m.carry, m.bountyBudget, BigInt(m.active.size)]);
      carries += pool.carry;
      budgets += pool.bountyBudget;
    }
    expect(balance, `${label}: held`).to.equal(escrow + credits + earnings + carries + budgets);
    expect(balance, `${label}: model held`).to.equal(model.held());
    // Conservation: everything paid in is paid out or still held.
    let paidOut = 0n;
    for (const [account, amount] of received) {
      expect(
        amount <= model.entitlementOf(account),
        `${label}: ${account} received ${amount}`,
      ).to.equal(true);
      expect(amount).to.equal(model.paidTo(account));
      paidOut += amount;
    }
    expect(model.paidIn, `${label}: paid in`).to.equal(paidOut + balance);
  };

  for (const [i, action] of actions.entries()) {
    await step(action);
    await checkInvariants(`step ${i} (${action.kind})`);
  }
}

describe("Databank properties (fast-check against the reference model)", function () {
  it("random sequences of create/contribute/purchase/fulfil/refund/revoke/claim keep every invariant", async function () {
    this.timeout(180_000);
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(createArb, fc.array(actionArb, { minLength: 20, maxLength: 30 })),
        async ([first, rest]) => run([first, ...rest]),
      ),
      { numRuns: 30 },
    );
    for (const kind of [
      "contribute",
      "purchase",
      "fulfil",
      "refund",
      "revoke",
      "claim",
      "withdrawBounty",
    ]) {
      expect(stats.get(`${kind}:true`) ?? 0, `successful ${kind} actions`).to.be.greaterThan(0);
    }
    for (const kind of ["purchase", "fulfil", "refund", "revoke", "claim"]) {
      expect(stats.get(`${kind}:false`) ?? 0, `rejected ${kind} actions`).to.be.greaterThan(0);
    }
    console.log("      actions (kind:succeeded → count):", Object.fromEntries([...stats].sort()));
  });
});
