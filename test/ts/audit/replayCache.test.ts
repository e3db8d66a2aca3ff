/**
 * The incremental replay (lib/audit/replayCache.ts) on a real Hardhat EVM: a cached replay gives
 * the same books, passbook and audit as an uncached one while events keep arriving, reads only the
 * blocks it does not hold (every `eth_getLogs` range is recorded by wrapping the real client),
 * serves concurrent replays with one read, and drops what it holds when the chain is reset below
 * its block or its block's hash changes (Hardhat snapshots reverted: real resets and reorgs).
 */
import { expect } from "chai";
import { network } from "hardhat";
import { zeroAddress } from "viem";
import {
  createReplayCache,
  replayDatabank,
  runAudit,
  type ReplayCache,
} from "../../../lib/audit/index.js";
import { buildPassbook } from "../../../lib/passbook/index.js";
import { deployMarket, type Market } from "./market.js";

const { viem, networkHelpers } = await network.create();

type Client = Market["publicClient"];

/** The real client, recording each `eth_getLogs` range and counting block reads. */
function recordingClient(market: Market) {
  const real = market.publicClient;
  const calls = { logRanges: [] as [bigint, bigint][], blockReads: 0 };
  const client = {
    ...real,
    // Always the chain's tip now: viem's short block-number cache would lag behind new blocks.
    getBlockNumber: () => real.getBlockNumber({ cacheTime: 0 }),
    getBlock: ((parameters: Parameters<Client["getBlock"]>[0]) => {
      calls.blockReads += 1;
      return real.getBlock(parameters);
    }) as Client["getBlock"],
    getLogs: ((parameters: { address: `0x${string}`; fromBlock: bigint; toBlock: bigint }) => {
      calls.logRanges.push([parameters.fromBlock, parameters.toBlock]);
      return real.getLogs(parameters);
    }) as Client["getLogs"],
  } as Client;
  const reset = () => {
    calls.logRanges = [];
    calls.blockReads = 0;
  };
  return { client, calls, reset };
}

describe("lib/audit: the incremental replay cache (Hardhat EVM)", function () {
  this.timeout(120_000);
  let market: Market;
  let pool: number;
  let mine: bigint;
  let cache: ReplayCache;
  let recorder: ReturnType<typeof recordingClient>;
  /** The block the first cached replay read up to. */
  let firstHead: bigint;

  const replay = (options: { cache?: ReplayCache; toBlock?: bigint } = {}) =>
    replayDatabank({
      client: recorder.client,
      databank: market.address,
      fromBlock: market.fromBlock,
      ...options,
    });
  const passbook = (options: { cache?: ReplayCache; toBlock?: bigint } = {}) =>
    buildPassbook({
      client: recorder.client,
      databank: market.address,
      wallet: market.contributors[0]!.account.address,
      fromBlock: market.fromBlock,
      ...options,
    });
  const audit = (options: { cache?: ReplayCache; toBlock?: bigint } = {}) =>
    runAudit({
      client: recorder.client,
      databank: market.address,
      fromBlock: market.fromBlock,
      fetchContent: market.fetchContent,
      ...options,
    });
  const latest = () => market.publicClient.getBlockNumber({ cacheTime: 0 });

  before(async () => {
    market = await deployMarket(viem);
    recorder = recordingClient(market);
    cache = createReplayCache();
    pool = await market.createPool({ bounty: 1_000n });
    mine = await market.contribute(pool, market.contributors[0]!);
    await market.contribute(pool, market.contributors[1]!);
    await market.fulfil(await market.purchase(pool, market.buyers[0]!));
  });

  it("the second replay reads only the new blocks and gives the books of an uncached replay", async () => {
    const first = await replay({ cache });
    firstHead = first.block;
    expect(recorder.calls.logRanges).to.deep.equal([[market.fromBlock, firstHead]]);
    expect(cache.head).to.equal(firstHead);
    expect(cache.size).to.equal(first.ledger.eventCount);

    await market.fulfil(await market.purchase(pool, market.buyers[1]!));
    await market.revoke(mine);
    await market.attestErasures(pool, market.buyers[0]!);
    recorder.reset();
    const second = await replay({ cache });
    expect(second.block).to.be.greaterThan(firstHead);
    expect(recorder.calls.logRanges).to.deep.equal([[firstHead + 1n, second.block]]);
    expect(second.ledger.eventCount).to.be.greaterThan(first.ledger.eventCount);

    recorder.reset();
    const uncached = await replay({ toBlock: second.block });
    expect(recorder.calls.logRanges).to.deep.equal([[market.fromBlock, second.block]]);
    expect(second).to.deep.equal(uncached);
  });

  it("the passbook and the audit over the cache equal uncached ones; at the same block, no log and no block time is read again", async () => {
    const cachedPassbook = await passbook({ cache });
    expect(cachedPassbook).to.deep.equal(await passbook());
    expect(cachedPassbook.contributions[0]!.deliveries).to.have.length(2);

    recorder.reset();
    expect(await passbook({ cache })).to.deep.equal(cachedPassbook);
    expect(recorder.calls.logRanges).to.deep.equal([]);
    // Only the head block (its timestamp and hash); every transaction's date came from the cache.
    expect(recorder.calls.blockReads).to.equal(1);

    const cachedAudit = await audit({ cache });
    expect(cachedAudit).to.deep.equal(await audit());
    expect(cachedAudit.checks.filter((check) => check.status === "FAIL")).to.deep.equal([]);
  });

  it("concurrent replays on one cache (passbook, audit, inbox replay) read the new blocks once", async () => {
    await market.fulfil(await market.purchase(pool, market.buyers[2]!));
    await market.claim(market.contributors[1]!, zeroAddress);
    const held = cache.head!;
    const tip = await latest();
    recorder.reset();
    const [cachedPassbook, cachedAudit, cachedReplay] = await Promise.all([
      passbook({ cache }),
      audit({ cache }),
      replay({ cache }),
    ]);
    expect(recorder.calls.logRanges).to.deep.equal([[held + 1n, tip]]);
    expect(cachedReplay).to.deep.equal(await replay());
    expect(cachedPassbook).to.deep.equal(await passbook());
    expect(cachedAudit).to.deep.equal(await audit());
  });

  it("a replay up to an earlier block of the same chain is served from the cache, equal to an uncached one", async () => {
    recorder.reset();
    const earlier = await replay({ cache, toBlock: firstHead });
    expect(recorder.calls.logRanges).to.deep.equal([]);
    expect(earlier).to.deep.equal(await replay({ toBlock: firstHead }));
    expect(cache.head).to.be.greaterThan(firstHead);
  });

  it("a chain reset below the cached block (snapshot reverted) drops the cache and reads from the first block", async () => {
    const snapshot = await networkHelpers.takeSnapshot();
    const before = await latest();
    await market.fulfil(await market.purchase(pool, market.buyers[0]!));
    const ahead = await replay({ cache });
    expect(cache.head).to.equal(ahead.block);
    await snapshot.restore();
    expect(await latest()).to.equal(before);

    recorder.reset();
    const afterReset = await replay({ cache });
    expect(afterReset.block).to.equal(before);
    expect(recorder.calls.logRanges).to.deep.equal([[market.fromBlock, before]]);
    expect(afterReset).to.deep.equal(await replay());
    expect(afterReset.ledger.purchases.size).to.equal(ahead.ledger.purchases.size - 1);
  });

  it("a reorg (the cached block's hash changed, snapshot reverted and other blocks mined) drops the cache", async () => {
    const snapshot = await networkHelpers.takeSnapshot();
    await market.fulfil(await market.purchase(pool, market.buyers[1]!));
    const orphaned = await replay({ cache });
    const orphanedHash = (await market.publicClient.getBlock({ blockNumber: orphaned.block })).hash;
    await snapshot.restore();
    // Empty blocks up to and past the cached one: same numbers, other contents, other hashes.
    await networkHelpers.mine(Number(orphaned.block - (await latest())) + 1);
    const replacement = await market.publicClient.getBlock({ blockNumber: orphaned.block });
    expect(replacement.hash, "the premise: block N was replaced").to.not.equal(orphanedHash);

    recorder.reset();
    const afterReorg = await replay({ cache });
    expect(afterReorg.block).to.be.greaterThan(orphaned.block);
    expect(recorder.calls.logRanges).to.deep.equal([[market.fromBlock, afterReorg.block]]);
    expect(afterReorg).to.deep.equal(await replay());
    expect(afterReorg.ledger.purchases.size).to.equal(orphaned.ledger.purchases.size - 1);
  });
});
