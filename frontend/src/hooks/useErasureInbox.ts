/**
 * The connected buyer's erasure inbox (logic/erasureInbox over lib/audit's replay of the chain's
 * events), recomputed on each block like every "chain" query, over the dApp's shared replay cache
 * (only the new blocks are read). The replay code loads on demand.
 */
import { useQuery } from "@tanstack/react-query";
import { sharedReplayCache } from "../chain/replayCache";
import { useRuntime } from "../runtime";
import { useDatabank } from "./useDatabank";

export function useErasureInbox() {
  const { runtime } = useRuntime();
  const { address, publicClient, fromBlock, account } = useDatabank();
  return useQuery({
    queryKey: ["chain", "erasure-inbox", address, account],
    enabled: account !== undefined,
    queryFn: async () => {
      const [{ replayDatabank, blockClock }, { DEFAULT_ERASURE_GRACE_SECONDS }, inbox, cache] =
        await Promise.all([
          import("../../../lib/audit/replay.js"),
          import("../../../lib/audit/audit.js"),
          import("../logic/erasureInbox"),
          sharedReplayCache(runtime.chainId, address),
        ]);
      const replay = await replayDatabank({
        client: publicClient,
        databank: address,
        fromBlock,
        cache,
      });
      const clock = blockClock(publicClient, cache);
      const blocks = inbox.inboxBlocks(replay.ledger, account!);
      const times = new Map(
        await Promise.all(blocks.map(async (block) => [block, await clock(block)] as const)),
      );
      return inbox.erasureInbox(replay.ledger, account!, {
        asOf: replay.blockTimestamp,
        graceSeconds: DEFAULT_ERASURE_GRACE_SECONDS,
        timeOf: (block) => times.get(block)!,
      });
    },
  });
}
