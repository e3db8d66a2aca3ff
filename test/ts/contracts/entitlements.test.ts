import { expect } from "chai";
import { describe, it } from "mocha";

import {
  PLATFORM_FEE_BPS,
  ZERO,
  contributeRelayed,
  createPool,
  ethers,
  findEvent,
  fulfilTx,
  loadDeployment,
  purchase,
  type Deployment,
  testCid,
} from "./fixtures.js";
import { ReferenceModel } from "./referenceModel.js";

const SHARE_BPS = 6_500n;
const BOUNTY = 1_000n;
const SALES = 20;

/** Actions taken before sale `i`: joins (contributor index) and revocations / claims (contributor index). */
const SCHEDULE: Record<
  number,
  { join?: number[]; revoke?: number[]; claim?: number[]; price?: bigint }
> = {
  0: { join: [0, 1, 2, 3, 4] },
  2: { join: [5, 6] },
  4: { revoke: [1] },
  5: { join: [7], claim: [0] },
  7: { revoke: [2], join: [8, 9] },
  9: { join: [1] }, // rejoins with new data
  10: { price: ethers.parseEther("0.03") + 17n },
  11: { join: [10, 11], revoke: [3] },
  13: { revoke: [5], claim: [4, 2] },
  15: { revoke: [0], join: [2] },
  17: { revoke: [6, 7], claim: [1] },
  18: { join: [3], claim: [10] },
};

describe("entitlements against the reference model", function () {
  it("12 contributors joining and leaving over 20 sales each claim exactly what the model owes them", async function () {
    const d: Deployment = await loadDeployment();
    const { databank, curator, treasury, contributors, buyers } = d;
    const initialPrice = ethers.parseEther("0.01") + 3n;
    const poolId = await createPool(d, {
      price: initialPrice,
      contributorShareBps: Number(SHARE_BPS),
      bountyPerContribution: BOUNTY,
    });
    const model = new ReferenceModel(treasury.address, PLATFORM_FEE_BPS);
    model.createPool(poolId, curator.address, {
      shareBps: SHARE_BPS,
      minContributors: 1n,
      bountyPerContribution: BOUNTY,
      deliveryWindow: 86_400n,
      price: initialPrice,
    });
    const budget = 20n * BOUNTY;
    await databank.connect(curator).fundBounty(poolId, budget, { value: budget });
    model.fundBounty(poolId, budget);

    const claimed = new Map<string, bigint>();
    const claimAll = async (signer: (typeof contributors)[number]): Promise<void> => {
      const ids = model.activeOf(signer.address);
      const expected = model.claim(signer.address, ids);
      const receipt = await (await databank.connect(signer).claim(ZERO, ids)).wait();
      const withdrawn = findEvent(d, receipt!.logs, "Withdrawn");
      expect(withdrawn.args.amount, `claim of ${signer.address}`).to.equal(expected);
      claimed.set(
        signer.address,
        (claimed.get(signer.address) ?? 0n) + (withdrawn.args.amount as bigint),
      );
    };
    const current = new Map<number, bigint>(); // contributor index → its active contribution id
    let joins = 0;

    for (let i = 0; i < SALES; i++) {
      const step = SCHEDULE[i] ?? {};
      for (const k of step.join ?? []) {
        const id = await contributeRelayed(
          d,
          contributors[k],
          poolId,
          testCid(`bafyRecord-${k}-${joins++}`),
        );
        model.join(id, poolId, contributors[k].address);
        current.set(k, id);
      }
      for (const k of step.revoke ?? []) {
        await databank.connect(contributors[k]).revokeConsent(current.get(k)!);
        model.revoke(current.get(k)!);
        current.delete(k);
      }
      for (const k of step.claim ?? []) await claimAll(contributors[k]);
      if (step.price !== undefined) {
        await databank.connect(curator).setPrice(poolId, step.price);
        model.pools.get(poolId)!.price = step.price;
      }

      const sale = await purchase(d, buyers[i % buyers.length], poolId);
      model.purchase(sale.id, poolId, sale.buyer, sale.deadline);
      expect(sale.amount).to.equal(model.pools.get(poolId)!.price);
      const expected = model.fulfil(sale.id);
      const receipt = await (await fulfilTx(d, sale)).wait();
      const { args } = findEvent(d, receipt!.logs, "PurchaseFulfilled");
      expect(
        [
          args.platformAmount,
          args.curatorAmount,
          args.contributorsAmount,
          args.perContribution,
          args.carry,
        ],
        `split of sale ${i}`,
      ).to.deep.equal([
        expected.platform,
        expected.curator,
        expected.contributors,
        expected.perContribution,
        expected.carry,
      ]);

      for (const c of model.contributions.values()) {
        expect(
          await databank.pendingEarnings(c.id),
          `pending of #${c.id} after sale ${i}`,
        ).to.equal(c.active ? c.pending : 0n);
        expect(await databank.creditOf(c.holder, ZERO)).to.equal(model.creditOf(c.holder));
      }
      expect(await ethers.provider.getBalance(databank.target)).to.equal(model.held());
    }

    for (const signer of contributors) await claimAll(signer);
    await claimAll(curator);
    await claimAll(treasury);

    for (const signer of contributors) {
      expect(claimed.get(signer.address), `contributor ${signer.address}`).to.equal(
        model.entitlementOf(signer.address),
      );
      expect(claimed.get(signer.address)! > 0n).to.equal(true);
    }
    expect(claimed.get(curator.address)).to.equal(model.entitlementOf(curator.address));
    expect(claimed.get(treasury.address)).to.equal(model.entitlementOf(treasury.address));

    // Only the carry of the last sale and the unused bounty budget stay behind.
    const pool = model.pools.get(poolId)!;
    expect(pool.bountyBudget).to.equal(budget - BigInt(joins) * BOUNTY);
    expect(await ethers.provider.getBalance(databank.target)).to.equal(
      pool.carry + pool.bountyBudget,
    );
    expect(model.paidIn).to.equal(model.totalPaidOut() + pool.carry + pool.bountyBudget);
    // A contributor that joined once and stayed saw every sale after it joined: entitlement is the bounty plus its shares.
    expect(model.entitlementOf(contributors[4].address) > BOUNTY).to.equal(true);
  });
});
