import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { describe, it } from "mocha";

import {
  BUYER_KEY,
  ZERO,
  commitment,
  consentRequest,
  contributeRelayed,
  createPool,
  ethers,
  fulfil,
  fulfilTx,
  loadDeployment,
  networkHelpers,
  purchase,
  purchaseFromEvent,
  purchaseTx,
  signConsent,
  type Deployment,
  testCid,
} from "./fixtures.js";

const { time } = networkHelpers;

enum Status {
  None,
  Pending,
  Fulfilled,
  Refunded,
}

/** Opens a pool and lets the first `count` contributors join it. */
async function poolWith(
  d: Deployment,
  count: number,
  overrides = {},
): Promise<{ poolId: bigint; ids: bigint[] }> {
  const poolId = await createPool(d, overrides);
  const ids: bigint[] = [];
  for (let i = 0; i < count; i++)
    ids.push(
      await contributeRelayed(d, d.contributors[i], poolId, testCid(`bafyData-${poolId}-${i}`)),
    );
  return { poolId, ids };
}

describe("Databank flows", function () {
  describe("ETH pool: purchase → fulfil → claim", function () {
    // price 1004 wei, fee 2.5%, contributors 70%: platform 25, net 979, contributors 685, curator 294; 3 records: 228 each, carry 1.
    const price = 1004n;

    it("escrows the price, splits it exactly on delivery and pays every party on claim", async function () {
      const d = await loadDeployment();
      const { poolId, ids } = await poolWith(d, 3, { price });
      const buyer = d.buyers[0];
      const databank = await d.databank.getAddress();

      const next = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(next);
      const buy = d.databank.connect(buyer).purchase(poolId, price, BUYER_KEY, { value: price });
      await expect(buy)
        .to.emit(d.databank, "PurchaseCreated")
        .withArgs(1n, poolId, buyer.address, ZERO, price, BigInt(next + 86_400), BUYER_KEY, 0n);
      await expect(buy).to.changeEtherBalances(ethers, [buyer, databank], [-price, price]);
      const sale = purchaseFromEvent(d, (await (await buy).wait())!.logs);
      expect(sale).to.deep.equal({
        id: 1n,
        poolId,
        buyer: buyer.address,
        amount: price,
        deadline: BigInt(next + 86_400),
        erasureMark: 0n,
        epsilon: 0,
      });
      expect(await d.databank.purchaseStatus(1n)).to.equal(Status.Pending);

      const root = ethers.id("records of 1");
      const delivery = fulfilTx(d, sale);
      await expect(delivery)
        .to.emit(d.databank, "PurchaseFulfilled")
        .withArgs(
          1n,
          poolId,
          buyer.address,
          ZERO,
          25n,
          294n,
          685n,
          228n,
          1n,
          3n,
          root,
          "bafyDelivery",
          0n,
        );
      await expect(delivery).to.changeEtherBalances(ethers, [databank, buyer], [0n, 0n]);
      expect(await d.databank.purchaseStatus(1n)).to.equal(Status.Fulfilled);
      for (const id of ids) expect(await d.databank.pendingEarnings(id)).to.equal(228n);
      expect(await d.databank.creditOf(d.curator.address, ZERO)).to.equal(294n);
      expect(await d.databank.creditOf(d.treasury.address, ZERO)).to.equal(25n);
      expect((await d.databank.getPool(poolId)).carry).to.equal(1n);

      const claim = d.databank.connect(d.contributors[0]).claim(ZERO, [ids[0]]);
      await expect(claim)
        .to.emit(d.databank, "ContributionSettled")
        .withArgs(ids[0], poolId, d.contributors[0].address, 228n);
      await expect(claim)
        .to.emit(d.databank, "Withdrawn")
        .withArgs(d.contributors[0].address, ZERO, 228n);
      await expect(claim).to.changeEtherBalances(
        ethers,
        [d.contributors[0], databank],
        [228n, -228n],
      );
      expect(await d.databank.pendingEarnings(ids[0])).to.equal(0n);

      await expect(d.databank.connect(d.curator).claim(ZERO, [])).to.changeEtherBalances(
        ethers,
        [d.curator, databank],
        [294n, -294n],
      );
      await expect(d.databank.connect(d.treasury).claim(ZERO, [])).to.changeEtherBalances(
        ethers,
        [d.treasury, databank],
        [25n, -25n],
      );
      await expect(d.databank.connect(d.curator).claim(ZERO, []))
        .to.be.revertedWithCustomError(d.databank, "NothingToClaim")
        .withArgs(d.curator.address, ZERO);

      // The carried wei goes out with the next sale: (685 + 1) / 3 = 228, carry 2.
      const second = await purchase(d, d.buyers[1], poolId);
      await expect(fulfilTx(d, second))
        .to.emit(d.databank, "PurchaseFulfilled")
        .withArgs(
          2n,
          poolId,
          d.buyers[1].address,
          ZERO,
          25n,
          294n,
          685n,
          228n,
          2n,
          3n,
          anyValue,
          "bafyDelivery",
          0n,
        );
      expect(await d.databank.pendingEarnings(ids[0])).to.equal(228n);
      expect(await d.databank.pendingEarnings(ids[1])).to.equal(456n);
      // Held: 2 × 1004 − paid 228 + 294 + 25 = 1461 = 228 + 456 + 456 (earnings) + 294 + 25 (credits) + 2 (carry).
      expect(await ethers.provider.getBalance(databank)).to.equal(1461n);
    });

    it("rejects a wrong payment, a price above the maximum and a missing buyer key", async function () {
      const d = await loadDeployment();
      const { poolId } = await poolWith(d, 1, { price });
      const buyer = d.databank.connect(d.buyers[0]);
      await expect(buyer.purchase(poolId, price, BUYER_KEY, { value: price - 1n }))
        .to.be.revertedWithCustomError(d.databank, "IncorrectPayment")
        .withArgs(price - 1n, price);
      await expect(buyer.purchase(poolId, price - 1n, BUYER_KEY, { value: price }))
        .to.be.revertedWithCustomError(d.databank, "PriceAboveMax")
        .withArgs(price, price - 1n);
      await expect(
        buyer.purchase(poolId, price, ethers.ZeroHash, { value: price }),
      ).to.be.revertedWithCustomError(d.databank, "MissingBuyerKey");
    });
  });

  describe("ERC-20 pool (TestStablecoin)", function () {
    // 25.000007 TUSD: platform 625000, curator 7312503, contributors 17062504 → 5687501 each, carry 1.
    const price = 25_000_007n;

    it("escrows with transferFrom, splits on delivery and pays tokens on claim", async function () {
      const d = await loadDeployment();
      const token = await d.stablecoin.getAddress();
      const { poolId, ids } = await poolWith(d, 3, { price, paymentToken: token });
      const buyer = d.buyers[0];
      await d.stablecoin.connect(buyer).approve(await d.databank.getAddress(), price);

      const buy = d.databank.connect(buyer).purchase(poolId, price, BUYER_KEY);
      await expect(buy).to.changeTokenBalances(
        ethers,
        d.stablecoin,
        [buyer, d.databank],
        [-price, price],
      );
      const sale = purchaseFromEvent(d, (await (await buy).wait())!.logs);
      expect(sale.amount).to.equal(price);

      await expect(
        d.databank.connect(buyer).purchase(poolId, price, BUYER_KEY, { value: 1n }),
      ).to.be.revertedWithCustomError(d.databank, "UnexpectedNativePayment");

      await expect(fulfilTx(d, sale))
        .to.emit(d.databank, "PurchaseFulfilled")
        .withArgs(
          sale.id,
          poolId,
          buyer.address,
          token,
          625_000n,
          7_312_503n,
          17_062_504n,
          5_687_501n,
          1n,
          3n,
          anyValue,
          anyValue,
          0n,
        );

      await expect(
        d.databank.connect(d.contributors[2]).claim(token, [ids[2]]),
      ).to.changeTokenBalances(
        ethers,
        d.stablecoin,
        [d.contributors[2], d.databank],
        [5_687_501n, -5_687_501n],
      );
      await expect(d.databank.connect(d.curator).claim(token, [])).to.changeTokenBalances(
        ethers,
        d.stablecoin,
        [d.curator, d.databank],
        [7_312_503n, -7_312_503n],
      );
      await expect(d.databank.connect(d.treasury).claim(token, [])).to.changeTokenBalances(
        ethers,
        d.stablecoin,
        [d.treasury],
        [625_000n],
      );
      // Claiming an ERC-20 contribution under the native coin is refused.
      await expect(d.databank.connect(d.contributors[0]).claim(ZERO, [ids[0]]))
        .to.be.revertedWithCustomError(d.databank, "TokenMismatch")
        .withArgs(ids[0], token, ZERO);
      // 2 × 5687501 unclaimed earnings + carry 1.
      expect(await d.stablecoin.balanceOf(await d.databank.getAddress())).to.equal(
        2n * 5_687_501n + 1n,
      );
    });

    it("takes payment with an EIP-2612 permit in the same call", async function () {
      const d = await loadDeployment();
      const token = await d.stablecoin.getAddress();
      const { poolId } = await poolWith(d, 2, { price, paymentToken: token });
      const buyer = d.buyers[1];
      const spender = await d.databank.getAddress();
      const deadline = (await time.latest()) + 3_600;
      const nonce = await d.stablecoin.nonces(buyer.address);
      const signature = ethers.Signature.from(
        await buyer.signTypedData(
          { name: "Test USD", version: "1", chainId: d.chainId, verifyingContract: token },
          {
            Permit: [
              { name: "owner", type: "address" },
              { name: "spender", type: "address" },
              { name: "value", type: "uint256" },
              { name: "nonce", type: "uint256" },
              { name: "deadline", type: "uint256" },
            ],
          },
          { owner: buyer.address, spender, value: price, nonce, deadline },
        ),
      );
      expect(await d.stablecoin.allowance(buyer.address, spender)).to.equal(0n);
      const buy = d.databank
        .connect(buyer)
        .purchaseWithPermit(
          poolId,
          price,
          BUYER_KEY,
          deadline,
          signature.v,
          signature.r,
          signature.s,
        );
      await expect(buy)
        .to.emit(d.databank, "PurchaseCreated")
        .withArgs(1n, poolId, buyer.address, token, price, anyValue, BUYER_KEY, 0n);
      await expect(buy).to.changeTokenBalances(
        ethers,
        d.stablecoin,
        [buyer, d.databank],
        [-price, price],
      );
      expect(await d.stablecoin.nonces(buyer.address)).to.equal(nonce + 1n);
      expect(await d.stablecoin.allowance(buyer.address, spender)).to.equal(0n);

      // Replaying the spent permit leaves no allowance, so the transfer fails.
      await expect(
        d.databank
          .connect(buyer)
          .purchaseWithPermit(
            poolId,
            price,
            BUYER_KEY,
            deadline,
            signature.v,
            signature.r,
            signature.s,
          ),
      ).to.be.revertedWithCustomError(d.stablecoin, "ERC20InsufficientAllowance");
    });

    it("refuses purchaseWithPermit on a native-coin pool", async function () {
      const d = await loadDeployment();
      const { poolId } = await poolWith(d, 1);
      await expect(
        d.databank
          .connect(d.buyers[0])
          .purchaseWithPermit(poolId, 1n, BUYER_KEY, 0n, 27, ethers.ZeroHash, ethers.ZeroHash),
      )
        .to.be.revertedWithCustomError(d.databank, "InvalidPaymentToken")
        .withArgs(ZERO);
    });

    it("rejects a fee-on-transfer token", async function () {
      const d = await loadDeployment();
      const token = await d.feeToken.getAddress();
      const { poolId } = await poolWith(d, 1, { price: 10_000n, paymentToken: token });
      await d.feeToken.connect(d.buyers[0]).approve(await d.databank.getAddress(), 10_000n);
      await expect(d.databank.connect(d.buyers[0]).purchase(poolId, 10_000n, BUYER_KEY))
        .to.be.revertedWithCustomError(d.databank, "UnsupportedToken")
        .withArgs(token, 10_000n, 9_900n);
    });
  });

  describe("relayed consent signatures", function () {
    it("mints a consent token for a valid signature", async function () {
      const d = await loadDeployment();
      const poolId = await createPool(d);
      const contributor = d.contributors[0];
      const request = await consentRequest(contributor, poolId, testCid("bafyData"));
      const signature = await signConsent(d, contributor, request);
      const relayed = d.databank.connect(d.custodian).contributeWithSignature(request, signature);
      await expect(relayed)
        .to.emit(d.databank, "ContributionSubmitted")
        .withArgs(
          1n,
          poolId,
          contributor.address,
          commitment(testCid("bafyData")),
          testCid("bafyData"),
          0n,
        );
      await expect(relayed)
        .to.emit(d.databank, "ConsentGranted")
        .withArgs(1n, poolId, contributor.address, 0n, 0n);
      expect(await d.databank.ownerOf(1n)).to.equal(contributor.address);
      expect(await d.databank.locked(1n)).to.equal(true);
      expect(await d.databank.nonces(contributor.address)).to.equal(1n);
    });

    it("rejects a replayed signature", async function () {
      const d = await loadDeployment();
      const poolId = await createPool(d);
      const contributor = d.contributors[0];
      const request = await consentRequest(contributor, poolId, testCid("bafyData"));
      const signature = await signConsent(d, contributor, request);
      await d.databank.connect(d.custodian).contributeWithSignature(request, signature);
      await expect(d.databank.connect(d.custodian).contributeWithSignature(request, signature))
        .to.be.revertedWithCustomError(d.databank, "InvalidSignature")
        .withArgs(contributor.address);
      // Even for other data, the spent nonce makes the signature worthless.
      const other = { ...request, dataCid: testCid("bafyOther") };
      await expect(d.databank.connect(d.custodian).contributeWithSignature(other, signature))
        .to.be.revertedWithCustomError(d.databank, "InvalidSignature")
        .withArgs(contributor.address);
    });

    it("rejects a signature made for another chain id", async function () {
      const d = await loadDeployment();
      const poolId = await createPool(d);
      const contributor = d.contributors[0];
      const request = await consentRequest(contributor, poolId, testCid("bafyData"));
      const signature = await signConsent(d, contributor, request, { chainId: d.chainId + 1n });
      await expect(d.databank.connect(d.custodian).contributeWithSignature(request, signature))
        .to.be.revertedWithCustomError(d.databank, "InvalidSignature")
        .withArgs(contributor.address);
    });

    it("rejects a signature past its deadline", async function () {
      const d = await loadDeployment();
      const poolId = await createPool(d);
      const contributor = d.contributors[0];
      const request = await consentRequest(contributor, poolId, testCid("bafyData"));
      const signature = await signConsent(d, contributor, request);
      await time.increaseTo(BigInt(request.deadline) + 1n);
      await expect(d.databank.connect(d.custodian).contributeWithSignature(request, signature))
        .to.be.revertedWithCustomError(d.databank, "SignatureExpired")
        .withArgs(request.deadline);
    });

    it("accepts relays only from the pool's custodian and signatures only from the contributor", async function () {
      const d = await loadDeployment();
      const poolId = await createPool(d);
      const contributor = d.contributors[0];
      const request = await consentRequest(contributor, poolId, testCid("bafyData"));
      const signature = await signConsent(d, contributor, request);
      await expect(d.databank.connect(d.buyers[0]).contributeWithSignature(request, signature))
        .to.be.revertedWithCustomError(d.databank, "NotCustodian")
        .withArgs(poolId, d.buyers[0].address);
      const forged = await signConsent(d, d.contributors[1], request, { nonce: 0n });
      await expect(d.databank.connect(d.custodian).contributeWithSignature(request, forged))
        .to.be.revertedWithCustomError(d.databank, "InvalidSignature")
        .withArgs(contributor.address);
    });
  });

  describe("refunds", function () {
    it("refunds the buyer in full once the deadline passed, and only once", async function () {
      const d = await loadDeployment();
      const { poolId } = await poolWith(d, 2, { price: 5_000n });
      const buyer = d.buyers[0];
      const sale = await purchase(d, buyer, poolId);
      const databank = await d.databank.getAddress();

      await expect(d.databank.connect(d.buyers[3]).refund(sale))
        .to.be.revertedWithCustomError(d.databank, "RefundNotYetAvailable")
        .withArgs(sale.id, sale.deadline);
      await time.increaseTo(sale.deadline + 1n);
      await expect(fulfilTx(d, sale))
        .to.be.revertedWithCustomError(d.databank, "DeliveryOverdue")
        .withArgs(sale.id, sale.deadline);

      // Anyone may trigger the refund; the buyer is paid.
      const refund = d.databank.connect(d.buyers[3]).refund(sale);
      await expect(refund)
        .to.emit(d.databank, "PurchaseRefunded")
        .withArgs(sale.id, poolId, buyer.address, 5_000n);
      await expect(refund).to.changeEtherBalances(
        ethers,
        [buyer, databank, d.buyers[3]],
        [5_000n, -5_000n, 0n],
      );
      expect(await d.databank.purchaseStatus(sale.id)).to.equal(Status.Refunded);

      await expect(d.databank.refund(sale))
        .to.be.revertedWithCustomError(d.databank, "PurchaseSettled")
        .withArgs(sale.id, Status.Refunded);
      await expect(fulfilTx(d, sale))
        .to.be.revertedWithCustomError(d.databank, "PurchaseSettled")
        .withArgs(sale.id, Status.Refunded);
      // A tampered purchase (inflated amount) is unknown.
      await expect(
        d.databank.refund({ ...sale, id: sale.id, amount: sale.amount + 1n }),
      ).to.be.revertedWithCustomError(d.databank, "PurchaseSettled");
      expect(await ethers.provider.getBalance(databank)).to.equal(0n);
    });

    it("does not accept a forged purchase", async function () {
      const d = await loadDeployment();
      const { poolId } = await poolWith(d, 1, { price: 5_000n });
      const sale = await purchase(d, d.buyers[0], poolId);
      await time.increaseTo(sale.deadline + 1n);
      await expect(d.databank.refund({ ...sale, amount: 10_000n }))
        .to.be.revertedWithCustomError(d.databank, "UnknownPurchase")
        .withArgs(sale.id);
      await expect(d.databank.refund({ ...sale, buyer: d.buyers[1].address }))
        .to.be.revertedWithCustomError(d.databank, "UnknownPurchase")
        .withArgs(sale.id);
    });
  });

  describe("revocation between purchase and fulfilment", function () {
    it("delivers only the remaining records, splits over them and freezes the revoked earnings", async function () {
      const d = await loadDeployment();
      const { poolId, ids } = await poolWith(d, 3, { price: 1004n });
      const first = await purchase(d, d.buyers[0], poolId);
      await fulfil(d, first); // 228 each, carry 1
      const sale = await purchase(d, d.buyers[1], poolId);

      await expect(d.databank.connect(d.contributors[0]).revokeConsent(ids[0]))
        .to.emit(d.databank, "ConsentRevoked")
        .withArgs(ids[0], poolId, d.contributors[0].address, false, 228n);
      expect(await d.databank.creditOf(d.contributors[0].address, ZERO)).to.equal(228n);
      expect(await d.databank.pendingEarnings(ids[0])).to.equal(0n);
      await expect(d.databank.ownerOf(ids[0])).to.be.revertedWithCustomError(
        d.databank,
        "ERC721NonexistentToken",
      );

      await expect(
        d.databank
          .connect(d.custodian)
          .fulfill(
            sale,
            "bafyDelivery",
            ethers.ZeroHash,
            3,
            (await d.databank.getPool(poolId)).erasureCount,
          ),
      )
        .to.be.revertedWithCustomError(d.databank, "RecordCountMismatch")
        .withArgs(3n, 2n);
      // (685 + carry 1) / 2 = 343, carry 0; the set was taken after the one revocation.
      await expect(fulfilTx(d, sale))
        .to.emit(d.databank, "PurchaseFulfilled")
        .withArgs(
          sale.id,
          poolId,
          d.buyers[1].address,
          ZERO,
          25n,
          294n,
          685n,
          343n,
          0n,
          2n,
          anyValue,
          anyValue,
          1n,
        );
      expect(await d.databank.pendingEarnings(ids[1])).to.equal(228n + 343n);
      expect(await d.databank.creditOf(d.contributors[0].address, ZERO)).to.equal(228n);
      await expect(d.databank.connect(d.contributors[0]).claim(ZERO, [])).to.changeEtherBalances(
        ethers,
        [d.contributors[0]],
        [228n],
      );
      await expect(d.databank.connect(d.contributors[0]).revokeConsent(ids[0]))
        .to.be.revertedWithCustomError(d.databank, "InvalidContributionState")
        .withArgs(ids[0], 3n);
    });

    it("keeps a purchase deliverable when a revocation drops the pool below its threshold: no early refund", async function () {
      const d = await loadDeployment();
      const { poolId, ids } = await poolWith(d, 2, { price: 7_000n, minContributors: 2 });
      const sale = await purchase(d, d.buyers[0], poolId);
      await d.databank.connect(d.contributors[1]).revokeConsent(ids[1]);
      // Taken now, the set is below the threshold; taken at the purchase, it is not.
      await expect(fulfilTx(d, sale))
        .to.be.revertedWithCustomError(d.databank, "BelowThreshold")
        .withArgs(poolId, 1n, 2n);
      await expect(d.databank.connect(d.buyers[0]).refund(sale))
        .to.be.revertedWithCustomError(d.databank, "RefundNotYetAvailable")
        .withArgs(sale.id, sale.deadline);
      await expect(
        d.databank
          .connect(d.custodian)
          .fulfill(sale, "bafyDelivery", ethers.ZeroHash, 2, sale.erasureMark),
      )
        .to.emit(d.databank, "PurchaseFulfilled")
        .withArgs(
          sale.id,
          poolId,
          d.buyers[0].address,
          ZERO,
          anyValue,
          anyValue,
          anyValue,
          anyValue,
          anyValue,
          2n,
          ethers.ZeroHash,
          "bafyDelivery",
          0n,
        );
      expect(await d.databank.erasuresOwed(poolId, d.buyers[0].address)).to.equal(1n);
    });
  });

  describe("thresholds", function () {
    it("refuses to sell a pool without contributors", async function () {
      const d = await loadDeployment();
      const poolId = await createPool(d);
      await expect(purchaseTx(d, d.buyers[0], poolId))
        .to.be.revertedWithCustomError(d.databank, "BelowThreshold")
        .withArgs(poolId, 0n, 1n);
    });

    it("refuses to sell below the k-anonymity threshold and sells once it is reached", async function () {
      const d = await loadDeployment();
      const { poolId } = await poolWith(d, 2, { minContributors: 3, price: 3_000n });
      await expect(purchaseTx(d, d.buyers[0], poolId))
        .to.be.revertedWithCustomError(d.databank, "BelowThreshold")
        .withArgs(poolId, 2n, 3n);
      await contributeRelayed(d, d.contributors[2], poolId, testCid("bafyThird"));
      await expect(purchaseTx(d, d.buyers[0], poolId)).to.changeEtherBalances(
        ethers,
        [d.buyers[0]],
        [-3_000n],
      );
    });

    it("refuses contributions beyond the cap", async function () {
      const d = await loadDeployment();
      const { poolId } = await poolWith(d, 2, { maxContributors: 2 });
      await expect(contributeRelayed(d, d.contributors[5], poolId, testCid("bafyTooMany")))
        .to.be.revertedWithCustomError(d.databank, "PoolFull")
        .withArgs(poolId, 2n);
    });
  });

  describe("consent receipts", function () {
    it("tokenURI decodes to a JSON receipt naming the pool, purposes and terms", async function () {
      const d = await loadDeployment();
      const termsCid = "bafyTermsCardiologyStudy";
      const { poolId, ids } = await poolWith(d, 1, { termsCid, purposes: 1 | 4 | 16 });
      const uri = await d.databank.tokenURI(ids[0]);
      const prefix = "data:application/json;base64,";
      expect(uri.startsWith(prefix)).to.equal(true);
      const receipt = JSON.parse(Buffer.from(uri.slice(prefix.length), "base64").toString("utf8"));
      expect(receipt.name).to.equal(`Databank consent #${ids[0]}`);
      expect(receipt.description).to.contain(`pool #${poolId}`);
      expect(receipt.description).to.contain(`ipfs://${termsCid}`);
      const traits = Object.fromEntries(
        (receipt.attributes as { trait_type: string; value: unknown }[]).map((a) => [
          a.trait_type,
          a.value,
        ]),
      );
      const consent = await d.databank.consentOf(ids[0]);
      expect(traits).to.deep.equal({
        Pool: poolId.toString(),
        Purposes: "analytics, research, model training",
        Terms: `ipfs://${termsCid}`,
        "Terms digest": ethers.keccak256(ethers.toUtf8Bytes(termsCid)),
        "Data commitment": commitment(testCid(`bafyData-${poolId}-0`)),
        Granted: Number(consent.grantedAt),
        Expires: "never",
      });
    });
  });

  describe("erasure requests", function () {
    it("asks earlier buyers to erase a revoked contribution and records their attestation", async function () {
      const d = await loadDeployment();
      const { poolId, ids } = await poolWith(d, 3, { price: 1_000n });
      const [early, late, never] = d.buyers;
      await fulfil(d, await purchase(d, early, poolId));
      expect(await d.databank.erasuresOwed(poolId, early.address)).to.equal(0n);

      await expect(d.databank.connect(d.contributors[1]).revokeConsent(ids[1]))
        .to.emit(d.databank, "ErasureRequested")
        .withArgs(poolId, ids[1], 0n);
      expect(await d.databank.erasuresOwed(poolId, early.address)).to.equal(1n);
      expect(await d.databank.erasuresOwed(poolId, never.address)).to.equal(0n);

      // A buyer whose first delivery comes after the revocation never had the record.
      await fulfil(d, await purchase(d, late, poolId));
      expect(await d.databank.erasuresOwed(poolId, late.address)).to.equal(0n);
      expect(await d.databank.buyerErasure(poolId, late.address)).to.deep.equal([1n, 0n, true]);

      await expect(d.databank.connect(d.contributors[2]).revokeConsent(ids[2]))
        .to.emit(d.databank, "ErasureRequested")
        .withArgs(poolId, ids[2], 1n);
      expect(await d.databank.erasuresOwed(poolId, early.address)).to.equal(2n);
      expect(await d.databank.erasuresOwed(poolId, late.address)).to.equal(1n);

      await expect(d.databank.connect(early).attestErasure(poolId, 1))
        .to.emit(d.databank, "ErasureAttested")
        .withArgs(poolId, early.address, 0n, 1n);
      expect(await d.databank.erasuresOwed(poolId, early.address)).to.equal(1n);
      await expect(d.databank.connect(early).attestErasure(poolId, 2))
        .to.emit(d.databank, "ErasureAttested")
        .withArgs(poolId, early.address, 1n, 2n);
      expect(await d.databank.erasuresOwed(poolId, early.address)).to.equal(0n);
      await expect(d.databank.connect(late).attestErasure(poolId, 2))
        .to.emit(d.databank, "ErasureAttested")
        .withArgs(poolId, late.address, 1n, 2n);

      await expect(d.databank.connect(early).attestErasure(poolId, 2))
        .to.be.revertedWithCustomError(d.databank, "InvalidErasureIndex")
        .withArgs(2n, 2n, 2n);
      await expect(d.databank.connect(late).attestErasure(poolId, 3))
        .to.be.revertedWithCustomError(d.databank, "InvalidErasureIndex")
        .withArgs(3n, 2n, 2n);
      await expect(d.databank.connect(never).attestErasure(poolId, 1))
        .to.be.revertedWithCustomError(d.databank, "InvalidErasureIndex")
        .withArgs(1n, 0n, 2n);
    });
  });
  describe("self-submitted contributions, expiry and bounties", function () {
    it("accepts, rejects and withdraws pending submissions", async function () {
      const d = await loadDeployment();
      const poolId = await createPool(d);
      const [alice, bob, carol] = d.contributors;
      const custodian = d.databank.connect(d.custodian);

      await expect(d.databank.connect(alice).submitContribution(poolId, testCid("bafyAlice"), 0, 1))
        .to.emit(d.databank, "ContributionSubmitted")
        .withArgs(
          1n,
          poolId,
          alice.address,
          commitment(testCid("bafyAlice")),
          testCid("bafyAlice"),
          0n,
        );
      expect(await d.databank.pendingContributor(1n)).to.equal(alice.address);
      await expect(d.databank.connect(alice).submitContribution(poolId, testCid("bafyAlice"), 0, 1))
        .to.be.revertedWithCustomError(d.databank, "DuplicateCommitment")
        .withArgs(poolId, commitment(testCid("bafyAlice")));
      await expect(d.databank.connect(alice).acceptContribution(1n))
        .to.be.revertedWithCustomError(d.databank, "NotCustodian")
        .withArgs(poolId, alice.address);
      await expect(custodian.acceptContribution(1n)).to.emit(d.databank, "ConsentGranted");
      expect(await d.databank.ownerOf(1n)).to.equal(alice.address);
      expect(await d.databank.pendingContributor(1n)).to.equal(ZERO);
      expect((await d.databank.getPool(poolId)).recordsActive).to.equal(1n);

      await d.databank.connect(bob).submitContribution(poolId, testCid("bafyBob"), 0, 1);
      await expect(custodian.rejectContribution(2n, 1))
        .to.emit(d.databank, "ContributionRejected")
        .withArgs(2n, poolId, bob.address, 1n);
      await expect(custodian.acceptContribution(2n))
        .to.be.revertedWithCustomError(d.databank, "InvalidContributionState")
        .withArgs(2n, 0n);
      // The rejected data may be submitted again.
      await expect(
        d.databank.connect(bob).submitContribution(poolId, testCid("bafyBob"), 0, 1),
      ).to.emit(d.databank, "ContributionSubmitted");

      await d.databank.connect(carol).submitContribution(poolId, testCid("bafyCarol"), 0, 1);
      await expect(d.databank.connect(bob).revokeConsent(4n))
        .to.be.revertedWithCustomError(d.databank, "NotContributor")
        .withArgs(4n, bob.address);
      await expect(d.databank.connect(carol).revokeConsent(4n))
        .to.emit(d.databank, "ConsentRevoked")
        .withArgs(4n, poolId, carol.address, false, 0n);
      expect((await d.databank.consentOf(4n)).status).to.equal(0n);
      expect((await d.databank.getPool(poolId)).recordsActive).to.equal(1n);
    });

    it("retires an expired consent for anyone, crediting its holder", async function () {
      const d = await loadDeployment();
      const poolId = await createPool(d, { price: 1_000n, contributorShareBps: 10_000 });
      const expiresAt = BigInt(await time.latest()) + 7_200n;
      const id = await contributeRelayed(
        d,
        d.contributors[0],
        poolId,
        testCid("bafyExpiring"),
        expiresAt,
      );
      await fulfil(d, await purchase(d, d.buyers[0], poolId)); // 975 to the only record
      await expect(d.databank.retireExpired(id))
        .to.be.revertedWithCustomError(d.databank, "ConsentNotExpired")
        .withArgs(id, expiresAt);
      await time.increaseTo(expiresAt);
      await expect(d.databank.connect(d.buyers[2]).retireExpired(id))
        .to.emit(d.databank, "ConsentRevoked")
        .withArgs(id, poolId, d.contributors[0].address, true, 975n);
      expect(await d.databank.creditOf(d.contributors[0].address, ZERO)).to.equal(975n);
    });

    it("pays bounties while the budget lasts and returns the rest to the curator", async function () {
      const d = await loadDeployment();
      const poolId = await createPool(d, { bountyPerContribution: 300n });
      await expect(d.databank.connect(d.curator).fundBounty(poolId, 700n, { value: 700n }))
        .to.emit(d.databank, "BountyFunded")
        .withArgs(poolId, d.curator.address, 700n);
      await contributeRelayed(d, d.contributors[0], poolId, testCid("bafyB0"));
      await contributeRelayed(d, d.contributors[1], poolId, testCid("bafyB1"));
      expect(await d.databank.creditOf(d.contributors[0].address, ZERO)).to.equal(300n);
      // The budget cannot pay a third bounty: the contribution joins without one.
      const third = await contributeRelayed(d, d.contributors[2], poolId, testCid("bafyB2"));
      expect(await d.databank.ownerOf(third)).to.equal(d.contributors[2].address);
      expect(await d.databank.creditOf(d.contributors[2].address, ZERO)).to.equal(0n);
      await expect(d.databank.connect(d.buyers[0]).withdrawBounty(poolId, 100n))
        .to.be.revertedWithCustomError(d.databank, "NotCurator")
        .withArgs(poolId, d.buyers[0].address);
      await expect(d.databank.connect(d.curator).withdrawBounty(poolId, 101n))
        .to.be.revertedWithCustomError(d.databank, "BountyBudgetTooSmall")
        .withArgs(poolId, 100n, 101n);
      await expect(d.databank.connect(d.curator).withdrawBounty(poolId, 100n))
        .to.emit(d.databank, "BountyWithdrawn")
        .withArgs(poolId, d.curator.address, 100n);
      await expect(d.databank.connect(d.curator).claim(ZERO, [])).to.changeEtherBalances(
        ethers,
        [d.curator],
        [100n],
      );
      await expect(d.databank.connect(d.contributors[1]).claim(ZERO, [])).to.changeEtherBalances(
        ethers,
        [d.contributors[1], d.databank],
        [300n, -300n],
      );
    });

    it("keeps consent tokens non-transferable", async function () {
      const d = await loadDeployment();
      const { ids } = await poolWith(d, 1);
      const [alice, bob] = d.contributors;
      await expect(
        d.databank.connect(alice).transferFrom(alice.address, bob.address, ids[0]),
      ).to.be.revertedWithCustomError(d.databank, "ConsentNonTransferable");
      await expect(
        d.databank.connect(alice).approve(bob.address, ids[0]),
      ).to.be.revertedWithCustomError(d.databank, "ConsentNonTransferable");
      expect(await d.databank.supportsInterface("0xb45a3c0e")).to.equal(true); // ERC-5192
    });
  });
  describe("platform settings", function () {
    it("applies a fee change to new pools only and credits the current treasury", async function () {
      const d = await loadDeployment();
      const { poolId: oldPool } = await poolWith(d, 1, { price: 10_000n, contributorShareBps: 0 });
      await expect(d.databank.connect(d.curator).setPlatformFee(500))
        .to.be.revertedWithCustomError(d.databank, "OwnableUnauthorizedAccount")
        .withArgs(d.curator.address);
      await expect(d.databank.setPlatformFee(1_001))
        .to.be.revertedWithCustomError(d.databank, "PlatformFeeTooHigh")
        .withArgs(1_001n, 1_000n);
      await expect(d.databank.setPlatformFee(1_000))
        .to.emit(d.databank, "PlatformFeeChanged")
        .withArgs(250n, 1_000n);
      const newPool = await createPool(d, { price: 10_000n, contributorShareBps: 0 });
      await contributeRelayed(d, d.contributors[1], newPool, testCid("bafyNew"));
      expect((await d.databank.getPool(oldPool)).platformFeeBps).to.equal(250n);
      expect((await d.databank.getPool(newPool)).platformFeeBps).to.equal(1_000n);

      const newTreasury = d.buyers[3];
      await expect(d.databank.setTreasury(newTreasury.address))
        .to.emit(d.databank, "TreasuryChanged")
        .withArgs(d.treasury.address, newTreasury.address);
      await expect(d.databank.setTreasury(ZERO)).to.be.revertedWithCustomError(
        d.databank,
        "InvalidTreasury",
      );

      await expect(fulfilTx(d, await purchase(d, d.buyers[0], oldPool)))
        .to.emit(d.databank, "PurchaseFulfilled")
        .withArgs(
          anyValue,
          oldPool,
          anyValue,
          ZERO,
          250n,
          9_750n,
          0n,
          0n,
          0n,
          1n,
          anyValue,
          anyValue,
          0n,
        );
      await expect(fulfilTx(d, await purchase(d, d.buyers[0], newPool)))
        .to.emit(d.databank, "PurchaseFulfilled")
        .withArgs(
          anyValue,
          newPool,
          anyValue,
          ZERO,
          1_000n,
          9_000n,
          0n,
          0n,
          0n,
          1n,
          anyValue,
          anyValue,
          0n,
        );
      expect(await d.databank.creditOf(newTreasury.address, ZERO)).to.equal(1_250n);
      expect(await d.databank.creditOf(d.treasury.address, ZERO)).to.equal(0n);
      expect(await d.databank.creditOf(d.curator.address, ZERO)).to.equal(18_750n);
    });

    it("refuses purchases of a paused pool and purchases above the new price", async function () {
      const d = await loadDeployment();
      const { poolId } = await poolWith(d, 1, { price: 1_000n });
      await expect(d.databank.connect(d.buyers[0]).setPaused(poolId, true))
        .to.be.revertedWithCustomError(d.databank, "NotCurator")
        .withArgs(poolId, d.buyers[0].address);
      await expect(d.databank.connect(d.curator).setPaused(poolId, true))
        .to.emit(d.databank, "PoolPausedSet")
        .withArgs(poolId, true);
      await expect(purchaseTx(d, d.buyers[0], poolId))
        .to.be.revertedWithCustomError(d.databank, "PoolPaused")
        .withArgs(poolId);
      await d.databank.connect(d.curator).setPaused(poolId, false);
      const sale = await purchase(d, d.buyers[0], poolId);
      await expect(d.databank.connect(d.curator).setPrice(poolId, 2_000n))
        .to.emit(d.databank, "PoolPriceChanged")
        .withArgs(poolId, 1_000n, 2_000n);
      await expect(
        d.databank.connect(d.buyers[1]).purchase(poolId, 1_000n, BUYER_KEY, { value: 1_000n }),
      )
        .to.be.revertedWithCustomError(d.databank, "PriceAboveMax")
        .withArgs(2_000n, 1_000n);
      // The purchase made before the change keeps its price.
      await expect(fulfilTx(d, sale))
        .to.emit(d.databank, "PurchaseFulfilled")
        .withArgs(
          sale.id,
          poolId,
          anyValue,
          ZERO,
          25n,
          anyValue,
          anyValue,
          anyValue,
          anyValue,
          1n,
          anyValue,
          anyValue,
          0n,
        );
    });
  });
});
