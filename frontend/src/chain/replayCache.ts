/**
 * The dApp's one replay cache per deployment (chain id, Databank). The passbook, the erasure inbox
 * and the auditor page all replay the same history on every new block; sharing what was read
 * (lib/audit/replayCache.ts) makes each new block cost one `eth_getLogs` over the new blocks, not
 * one scan of the whole history per view. Loaded on demand with the replay code.
 */
import type { Address } from "viem";
import type { ReplayCache } from "../../../lib/audit/replayCache.js";

const caches = new Map<string, ReplayCache>();

/** The cache every view of `databank` on `chainId` shares (created on first use). */
export async function sharedReplayCache(chainId: number, databank: Address): Promise<ReplayCache> {
  const { createReplayCache } = await import("../../../lib/audit/replayCache.js");
  const key = `${chainId}:${databank.toLowerCase()}`;
  let cache = caches.get(key);
  if (cache === undefined) {
    cache = createReplayCache();
    caches.set(key, cache);
  }
  return cache;
}
