import { expect } from "chai";
import { network } from "hardhat";
import { erc20Abi } from "viem";

import {
  measureNaivePushSplit,
  measurePaymentSplitter,
  runOceanPurchase,
  type NaivePushSplitGas,
  type PaymentSplitterGas,
  type Viem,
} from "../../../scripts/bench/baselines.js";

/** Intrinsic cost of any transaction: a figure at or below it cannot come from real work. */
const TX_BASE_GAS = 21_000n;
/** EVM cost of a call that transfers value (G_callvalue); every pushed share pays at least this. */
const CALL_VALUE_GAS = 9_000n;
/** A zero-to-nonzero write to a cold storage slot (20,000 + 2,100 cold access). */
const FRESH_SLOT_WRITE_GAS = 22_100n;

function expectAllAboveTxBase(figures: Record<string, bigint>): void {
  for (const [name, gas] of Object.entries(figures)) {
    expect(gas > TX_BASE_GAS, `${name} = ${gas} should exceed ${TX_BASE_GAS}`).to.equal(true);
  }
}

async function freshViem(): Promise<Viem> {
  return (await network.create()).viem;
}

describe("gas benchmark baselines", function () {
  describe("NaivePushSplit", function () {
    let small: NaivePushSplitGas;
    let large: NaivePushSplitGas;

    before(async function () {
      const viem = await freshViem();
      small = await measureNaivePushSplit(viem, 10);
      large = await measureNaivePushSplit(viem, 100);
    });

    it("reports real transaction costs", function () {
      expectAllAboveTxBase({ ...small });
      expectAllAboveTxBase({ ...large });
    });

    it("pay() costs about ten times more for ten times the recipients", function () {
      // Linear in N with a fixed overhead, so strictly between ×7 and ×10.
      expect(large.pay > 7n * small.pay, `${large.pay} vs ${small.pay}`).to.equal(true);
      expect(large.pay < 10n * small.pay, `${large.pay} vs ${small.pay}`).to.equal(true);
    });

    it("pay() spends at least one value transfer per extra recipient", function () {
      const perRecipient = (large.pay - small.pay) / 90n;
      expect(perRecipient >= CALL_VALUE_GAS, `${perRecipient} per recipient`).to.equal(true);
    });

    it("deployment grows with N: one fresh storage slot per recipient", function () {
      expect(large.deploy - small.deploy >= 90n * FRESH_SLOT_WRITE_GAS).to.equal(true);
    });
  });

  describe("OpenZeppelin 4.9 PaymentSplitter", function () {
    let small: PaymentSplitterGas;
    let large: PaymentSplitterGas;

    before(async function () {
      const viem = await freshViem();
      small = await measurePaymentSplitter(viem, 10);
      large = await measurePaymentSplitter(viem, 100);
    });

    it("reports real transaction costs", function () {
      expectAllAboveTxBase({ ...small });
      expectAllAboveTxBase({ ...large });
    });

    it("releasing one payee costs about the same whatever N is", function () {
      const difference = large.releaseOne - small.releaseOne;
      const tolerance = small.releaseOne / 100n; // 1%
      expect(difference <= tolerance && -difference <= tolerance, `${difference}`).to.equal(true);
    });

    it("receiving a payment costs the same whatever N is", function () {
      expect(large.payIn).to.equal(small.payIn);
    });

    it("deployment grows with N: two fresh storage slots per payee", function () {
      expect(large.deploy - small.deploy >= 90n * 2n * FRESH_SLOT_WRITE_GAS).to.equal(true);
    });
  });

  describe("Ocean Protocol fixed-rate purchase", function () {
    it("sells twice and the payment collector receives the price each time", async function () {
      const viem = await freshViem();
      const publicClient = await viem.getPublicClient();
      const run = await runOceanPurchase(viem);
      const balanceOf = (token: `0x${string}`) =>
        publicClient.readContract({
          address: token,
          abi: erc20Abi,
          functionName: "balanceOf",
          args: [run.collector],
        });

      // The collector is a fresh account on a fresh base token: its whole balance is the sales.
      expect(await balanceOf(run.baseToken)).to.equal(BigInt(run.purchases) * run.pricePerPurchase);
      expect(run.pricePerPurchase > 0n).to.equal(true);
      // Ocean's community swap fee is paid on top of the price.
      expect(run.buyerCostPerPurchase > run.pricePerPurchase).to.equal(true);
      // startOrder hands the spent datatoken (minus Ocean's consume fee) to the same collector.
      const datatokens = await balanceOf(run.datatoken);
      expect(datatokens > 0n && datatokens <= BigInt(run.purchases) * 10n ** 18n).to.equal(true);

      const { details, ...summary } = run.gas;
      expectAllAboveTxBase(summary);
      expectAllAboveTxBase(details);
      expect(run.gas.repeatPurchase < run.gas.firstPurchase).to.equal(true);
    });
  });
});
