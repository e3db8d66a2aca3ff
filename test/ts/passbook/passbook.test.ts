/**
 * The passbook on a real Hardhat EVM: record sales to two buyers, a claim, a revocation with its
 * erasure request, one buyer's attestation, the grace period running out, and a statistics-only
 * contribution used by a query. Expected figures come from the contract (pendingEarnings,
 * creditOf, the events' split) or from the pool's rates, never typed in.
 */
import { expect } from "chai";
import { network } from "hardhat";
import {
  formatEther,
  getAddress,
  keccak256,
  parseEventLogs,
  toHex,
  zeroAddress,
  type Address,
} from "viem";
import { computeCid } from "../../../lib/storage/cid.js";
import { DEFAULT_ERASURE_GRACE_SECONDS, splitOf } from "../../../lib/audit/index.js";
import { databankAbi } from "../../../lib/contracts/abis.js";
import { CONSENT_SCOPE } from "../../../lib/contracts/client.js";
import {
  buildPassbook,
  passbookSchema,
  passbookToCsv,
  passbookToText,
  type Passbook,
  type PassbookContribution,
} from "../../../lib/passbook/index.js";
import { buildExportBundle, parseExportBundle } from "../../../lib/portability/index.js";
import { deployMarket, PLATFORM_FEE_BPS, type Market } from "../audit/market.js";

const { viem, networkHelpers } = await network.create();

function passbookOf(market: Market, wallet: Address): Promise<Passbook> {
  return buildPassbook({
    client: market.publicClient,
    databank: market.address,
    wallet,
    fromBlock: market.fromBlock,
  });
}

function entry(passbook: Passbook, id: bigint): PassbookContribution {
  const found = passbook.contributions.find((c) => c.contributionId === id.toString());
  expect(found, `contribution #${id} in the passbook`).to.not.equal(undefined);
  return found!;
}

const sum = (values: string[]) => values.reduce((total, value) => total + BigInt(value), 0n);

describe("lib/passbook: a contributor's passbook from events (Hardhat EVM)", function () {
  this.timeout(120_000);
  let market: Market;
  let pool: number;
  let mine: bigint;
  let other: bigint;
  let contributor: Market["contributors"][number];
  const bounty = 1_000n;

  before(async () => {
    market = await deployMarket(viem);
    contributor = market.contributors[0]!;
    pool = await market.createPool({ bounty });
    mine = await market.contribute(pool, contributor);
    other = await market.contribute(pool, market.contributors[1]!);
    await market.fulfil(await market.purchase(pool, market.buyers[0]!));
    await market.claim(contributor, zeroAddress);
    await market.fulfil(await market.purchase(pool, market.buyers[1]!));
  });

  it("lists both buyers of a record, each sale's earnings summing to the contract's claimable + claimed", async () => {
    const passbook = await passbookOf(market, contributor.account.address);
    expect(passbookSchema.parse(passbook)).to.deep.equal(passbook);
    expect(passbook.contributions.map((c) => c.contributionId)).to.deep.equal([mine.toString()]);
    const c = entry(passbook, mine);
    expect(c.deliveries.map((d) => d.buyer)).to.deep.equal([
      getAddress(market.buyers[0]!.account.address),
      getAddress(market.buyers[1]!.account.address),
    ]);
    // Two records-scoped contributions share each sale's contributors' share.
    const { price } = market.pools.get(pool)!;
    const { contributors } = splitOf(price, {
      platformFeeBps: BigInt(PLATFORM_FEE_BPS),
      contributorShareBps: 7_000n,
    });
    for (const delivery of c.deliveries) {
      expect(delivery.product).to.equal("records");
      expect(BigInt(delivery.earned)).to.equal(contributors / 2n);
      expect(delivery.tx.at).to.be.greaterThan(0);
    }
    const claimable = await market.contract.read.pendingEarnings([mine]);
    const claimed = sum(c.settlements.map((s) => s.amount));
    expect(claimed, "the claim settled the first sale").to.equal(BigInt(c.deliveries[0]!.earned));
    expect(sum(c.deliveries.map((d) => d.earned))).to.equal(claimable + claimed);
    expect(BigInt(c.unsettled)).to.equal(claimable);
    expect(c.bounty).to.equal(bounty.toString());
    expect(c.bountyClaimed).to.equal(true);
    expect(BigInt(c.claimed)).to.equal(bounty + claimed);
    expect(BigInt(c.unclaimed)).to.equal(claimable);
    expect(c.buyersHoldingCopy).to.have.length(2);
    expect(passbook.buyersHoldingCopy).to.equal(2);
    const [total] = passbook.totals;
    expect(total!.token).to.equal(zeroAddress);
    expect(BigInt(total!.earned)).to.equal(BigInt(total!.claimed) + BigInt(total!.unclaimed));
    expect(passbook.tokens).to.deep.equal([{ token: zeroAddress, symbol: "ETH", decimals: 18 }]);
    const text = passbookToText(passbook);
    expect(text).to.include(`Contribution #${mine}`);
    expect(text).to.include(`bounty ${formatEther(bounty)} ETH`);
    expect(text).to.include(`${formatEther(BigInt(c.deliveries[0]!.earned))} ETH`);
    expect(text).to.not.include(c.deliveries[0]!.earned, "no raw base units");
  });

  it("a revocation asks both buyers to erase, due after the grace period; one attestation flips its buyer", async () => {
    await market.revoke(mine);
    let c = entry(await passbookOf(market, contributor.account.address), mine);
    expect(c.status).to.equal("revoked");
    expect(c.erasure, "an erasure request").to.not.equal(undefined);
    expect(c.erasure!.dueAt).to.equal(c.erasure!.requested.at + DEFAULT_ERASURE_GRACE_SECONDS);
    expect(c.erasure!.buyers.map((b) => b.status)).to.deep.equal(["due", "due"]);
    // The revocation settled the second sale into the credit: earned, not yet claimed.
    const revocation = c.settlements.find((s) => s.reason === "revocation")!;
    expect(revocation.claimed).to.equal(false);
    const credit = await market.contract.read.creditOf([contributor.account.address, zeroAddress]);
    expect(BigInt(c.unclaimed)).to.equal(credit);

    await market.attestErasures(pool, market.buyers[0]!);
    c = entry(await passbookOf(market, contributor.account.address), mine);
    const [first, second] = c.erasure!.buyers;
    expect(first!.buyer).to.equal(getAddress(market.buyers[0]!.account.address));
    expect(first!.status).to.equal("attested");
    expect(first!.attested!.at).to.be.at.least(c.erasure!.requested.at);
    expect(second!.status).to.equal("due");
    expect(c.buyersHoldingCopy).to.deep.equal([getAddress(market.buyers[1]!.account.address)]);

    // A sale after the revocation does not deliver the record.
    await market.fulfil(await market.purchase(pool, market.buyers[2]!));
    c = entry(await passbookOf(market, contributor.account.address), mine);
    expect(c.deliveries).to.have.length(2);
    const stillActive = entry(
      await passbookOf(market, market.contributors[1]!.account.address),
      other,
    );
    expect(stillActive.deliveries).to.have.length(3);

    await networkHelpers.time.increase(DEFAULT_ERASURE_GRACE_SECONDS + 1);
    await networkHelpers.mine();
    const late = await passbookOf(market, contributor.account.address);
    c = entry(late, mine);
    expect(c.erasure!.buyers.map((b) => b.status)).to.deep.equal(["attested", "overdue"]);
    expect(late.asOf - c.erasure!.requested.at).to.be.greaterThan(DEFAULT_ERASURE_GRACE_SECONDS);
    const csv = passbookToCsv(late);
    expect(csv).to.match(/^erasure,.*overdue/m);
    expect(passbookToText(late)).to.include("OVERDUE");
  });

  it("a statistics-only contribution shows the queries that used it, with ε, and no deliveries", async () => {
    const statsPool = await market.createPool({ products: CONSENT_SCOPE.statistics });
    const analyst = market.contributors[2]!;
    const id = await market.contribute(statsPool, analyst, CONSENT_SCOPE.statistics);
    const sale = await market.purchaseQuery(statsPool, market.buyers[0]!, 500_000);
    await market.answer(sale, 400_000);
    const c = entry(await passbookOf(market, analyst.account.address), id);
    expect(c.scope).to.equal("statistics");
    expect(c.deliveries).to.deep.equal([]);
    expect(c.queries).to.have.length(1);
    expect(c.queries[0]!.product).to.equal("query");
    expect(c.queries[0]!.epsilonSpent).to.equal(400_000);
    expect(c.privacyLoss).to.equal(400_000);
    expect(c.erasure).to.equal(undefined);
    expect(c.buyersHoldingCopy).to.deep.equal([]);
    const receipt = await market.publicClient.getTransactionReceipt({
      hash: c.queries[0]!.tx.hash as `0x${string}`,
    });
    const [answered] = parseEventLogs({
      abi: databankAbi,
      logs: receipt.logs,
      eventName: "QueryAnswered",
    });
    expect(c.queries[0]!.earned).to.equal(answered!.args.perContribution.toString());
    expect(BigInt(c.dividends)).to.equal(await market.contract.read.pendingEarnings([id]));
  });

  it("a record whose consent ended after the delivered set was taken is listed as delivered, unpaid, and owed erasure", async () => {
    const inFlightPool = await market.createPool();
    const leaver = market.contributors[3]!;
    const leaving = await market.contribute(inFlightPool, leaver);
    await market.contribute(inFlightPool, market.contributors[4]!);
    const sale = await market.purchase(inFlightPool, market.buyers[2]!);
    const { erasureCount: setTakenAt } = await market.contract.read.getPool([inFlightPool]);
    await market.revoke(leaving);
    // The custodian delivers the set taken before the revocation: one active record, one ended.
    const cid = await computeCid(new TextEncoder().encode("in-flight delivery"));
    const hash = await market.contract.write.fulfill(
      [sale, cid, keccak256(toHex("in-flight root")), 2, setTakenAt],
      { account: market.custodian.account },
    );
    await market.publicClient.waitForTransactionReceipt({ hash });
    const c = entry(await passbookOf(market, leaver.account.address), leaving);
    expect(c.deliveries).to.have.length(1);
    expect(c.deliveries[0]!.endedInFlight).to.equal(true);
    expect(c.deliveries[0]!.earned).to.equal("0");
    expect(c.dividends).to.equal("0");
    expect(c.erasure!.buyers).to.deep.equal([
      { buyer: getAddress(market.buyers[2]!.account.address), status: "due" },
    ]);
    expect(c.buyersHoldingCopy).to.deep.equal([getAddress(market.buyers[2]!.account.address)]);
  });

  it("goes into the export bundle, which still accepts bundles made before it", async () => {
    const wallet = contributor.account.address;
    const bundle = await buildExportBundle({
      publicClient: market.publicClient,
      databank: market.address,
      wallet,
      fetchContent: market.fetchContent,
      fromBlock: market.fromBlock,
    });
    const parsed = parseExportBundle(JSON.parse(JSON.stringify(bundle)));
    expect(parsed.passbook).to.deep.equal(await passbookOf(market, wallet));
    const { passbook: _omitted, ...older } = parsed;
    expect(parseExportBundle(older).passbook).to.equal(undefined);
  });
});
