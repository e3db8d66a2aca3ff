/**
 * The dApp's passbook and erasure logic: the print-ready statement (escaped, amounts in token units
 * with the symbol, print CSS, overdue flags), the buyer's erasure inbox and the revoked-record
 * filter of re-downloads on a real Hardhat EVM (two buyers, a revocation, one attestation, the
 * grace period running out), and what a pool says before anyone joins.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, zeroAddress, type Address } from "viem";
import {
  blockClock,
  DEFAULT_ERASURE_GRACE_SECONDS,
  replayDatabank,
} from "../../../lib/audit/index.js";
import { readRevokedRecords, splitRevoked, withoutRevoked } from "../../../lib/delivery/revoked.js";
import { buildPassbook, type Passbook } from "../../../lib/passbook/index.js";
import { erasureInbox, inboxBlocks } from "../../../frontend/src/logic/erasureInbox.js";
import { joinability } from "../../../frontend/src/logic/joinability.js";
import { escapeHtml, passbookToHtml } from "../../../frontend/src/logic/passbookStatement.js";
import { deployMarket, type Market } from "../audit/market.js";

const { viem, networkHelpers } = await network.create();

/** The inbox of `buyer`, dated from the chain as the dApp's hook does. */
async function inboxOf(market: Market, buyer: Address) {
  const replay = await replayDatabank({
    client: market.publicClient,
    databank: market.address,
    fromBlock: market.fromBlock,
  });
  const clock = blockClock(market.publicClient);
  const times = new Map<bigint, number>();
  for (const block of inboxBlocks(replay.ledger, buyer)) times.set(block, await clock(block));
  return erasureInbox(replay.ledger, buyer, {
    asOf: replay.blockTimestamp,
    graceSeconds: DEFAULT_ERASURE_GRACE_SECONDS,
    timeOf: (block) => times.get(block)!,
  });
}

describe("dApp passbook, erasure inbox and revoked records (Hardhat EVM)", function () {
  this.timeout(120_000);
  let market: Market;
  let pool: number;
  let mine: bigint;
  let other: bigint;
  let purchases: bigint[];
  let first: Address, second: Address;

  before(async () => {
    market = await deployMarket(viem);
    pool = await market.createPool({ bounty: 1_000n });
    mine = await market.contribute(pool, market.contributors[0]!);
    other = await market.contribute(pool, market.contributors[1]!);
    purchases = [];
    for (const buyer of market.buyers.slice(0, 2)) {
      const sale = await market.purchase(pool, buyer);
      await market.fulfil(sale);
      purchases.push(sale.id);
    }
    [first, second] = market.buyers.slice(0, 2).map((b) => getAddress(b.account.address));
  });

  it("the inbox is empty before any revocation; the revoked set too", async () => {
    const [entry] = await inboxOf(market, first);
    expect(entry!.poolId).to.equal(pool);
    expect(entry!.requests).to.deep.equal([]);
    expect(entry!.owed).to.equal(0);
    const revoked = await readRevokedRecords({
      client: market.publicClient,
      databank: market.address,
      poolId: pool,
    });
    expect([...revoked]).to.deep.equal([]);
  });

  it("a revocation: each buyer owes it, from its purchase, due after the grace period", async () => {
    await market.revoke(mine);
    for (const [index, buyer] of [first, second].entries()) {
      const [entry] = await inboxOf(market, buyer);
      expect(entry!.owed).to.equal(1);
      expect(entry!.upToIndex).to.equal(1);
      const [request] = entry!.requests;
      expect(request!.contributionId).to.equal(mine);
      expect(request!.purchaseIds).to.deep.equal([purchases[index]]);
      expect(request!.status).to.equal("due");
      expect(request!.dueAt).to.equal(request!.requested.at + DEFAULT_ERASURE_GRACE_SECONDS);
    }
  });

  it("re-downloads leave the revoked record out (array and stream)", async () => {
    const revoked = await readRevokedRecords({
      client: market.publicClient,
      databank: market.address,
      poolId: pool,
    });
    expect([...revoked]).to.deep.equal([mine]);
    const records = [{ tokenId: mine }, { tokenId: other }];
    expect(splitRevoked(records, revoked)).to.deep.equal({
      kept: [{ tokenId: other }],
      revoked: [{ tokenId: mine }],
    });
    const leftOut: bigint[] = [];
    async function* stream() {
      yield* records;
    }
    const kept = [];
    for await (const record of withoutRevoked(stream(), revoked, (r) => leftOut.push(r.tokenId))) {
      kept.push(record.tokenId);
    }
    expect(kept).to.deep.equal([other]);
    expect(leftOut).to.deep.equal([mine]);
    // Another pool's revocations are not this pool's.
    const elsewhere = await readRevokedRecords({
      client: market.publicClient,
      databank: market.address,
      poolId: pool + 1,
    });
    expect(elsewhere.size).to.equal(0);
  });

  it("an attestation keeps the request in the history, attested; the other buyer turns overdue", async () => {
    await market.attestErasures(pool, market.buyers[0]!);
    await networkHelpers.time.increase(DEFAULT_ERASURE_GRACE_SECONDS + 1);
    await networkHelpers.mine();
    const [attested] = await inboxOf(market, first);
    expect(attested!.owed).to.equal(0);
    expect(attested!.requests).to.have.length(1);
    expect(attested!.requests[0]!.status).to.equal("attested");
    expect(attested!.requests[0]!.attested?.hash).to.match(/^0x[0-9a-f]{64}$/);
    const [late] = await inboxOf(market, second);
    expect(late!.requests[0]!.status).to.equal("overdue");
    // A wallet that bought nothing has no inbox.
    expect(await inboxOf(market, market.contributors[1]!.account.address)).to.deep.equal([]);
  });

  it("the printable statement: escaped, amounts with the symbol, print CSS, overdue flagged", async () => {
    const passbook: Passbook = await buildPassbook({
      client: market.publicClient,
      databank: market.address,
      wallet: market.contributors[0]!.account.address,
      fromBlock: market.fromBlock,
    });
    const html = passbookToHtml(passbook);
    expect(html).to.match(/^<!doctype html>/);
    expect(html).to.contain("@media print");
    expect(html).to.contain(`Contribution #${mine}`);
    for (const id of purchases) expect(html).to.contain(`#${id}`);
    const [total] = passbook.totals;
    expect(total!.token).to.equal(zeroAddress);
    expect(html).to.match(/Earned <strong>[0-9.]+ ETH<\/strong>/);
    expect(html).to.contain("OVERDUE, not attested");
    expect(html).to.contain("attested erased");
    expect(html, "no script in a statement").not.to.contain("<script");
  });

  it("escapes what it prints", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).to.equal(
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
    );
  });
});

describe("dApp: what a pool says before anyone joins", () => {
  const open = {
    activeCount: 3,
    statisticsOnlyActive: 1,
    maxContributors: 10,
    paused: false,
    bountyPerContribution: 5n,
    bountyBudget: 50n,
  };

  it("an open pool with bounties left says nothing", () => {
    expect(joinability(open)).to.deep.equal({ canJoin: true, notices: [] });
  });

  it("a full pool (statistics-only count towards the cap) cannot take a contribution", () => {
    expect(joinability({ ...open, maxContributors: 4 })).to.deep.equal({
      canJoin: false,
      notices: [{ kind: "full", cap: 4 }],
    });
    expect(joinability({ ...open, maxContributors: 0 }).canJoin, "0: no cap").to.equal(true);
  });

  it("paused sales and a used-up bounty budget are said, the pool still open", () => {
    expect(joinability({ ...open, paused: true, bountyBudget: 4n })).to.deep.equal({
      canJoin: true,
      notices: [{ kind: "paused" }, { kind: "no-bounty-left", bounty: 5n }],
    });
    expect(
      joinability({ ...open, bountyPerContribution: 0n, bountyBudget: 0n }).notices,
    ).to.deep.equal([]);
  });
});
