/**
 * The connected contributor's passbook (lib/passbook's `buildPassbook`: the audit's replay of the
 * chain's events), recomputed on each block like every "chain" query, over the dApp's shared replay
 * cache (only the new blocks are read). Loaded on demand: the replay code is its own chunk.
 */
import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import { sharedReplayCache } from "../chain/replayCache";
import { useRuntime } from "../runtime";
import { useDatabank } from "./useDatabank";

/** The passbook of `wallet` (the connected account when omitted); idle without one. */
export function usePassbook(wallet?: Address) {
  const { account } = useDatabank();
  return usePassbookOf(wallet ?? account);
}

/**
 * The passbook of `wallet`, idle while it is undefined (the auditor's address filter uses it to
 * list the purchases and query answers an address's records were in).
 */
export function usePassbookOf(wallet: Address | undefined) {
  const { runtime } = useRuntime();
  const { address, publicClient, fromBlock } = useDatabank();
  return useQuery({
    queryKey: ["chain", "passbook", address, wallet],
    enabled: wallet !== undefined,
    queryFn: async () => {
      const [{ buildPassbook }, cache] = await Promise.all([
        import("../../../lib/passbook/passbook.js"),
        sharedReplayCache(runtime.chainId, address),
      ]);
      // The same parameters as `npm run passbook`'s defaults, so both give the same answer (the
      // cache changes what is read, not the result).
      return buildPassbook({
        client: publicClient,
        databank: address,
        wallet: wallet!,
        fromBlock,
        explorerUrl: runtime.explorerUrl,
        cache,
      });
    },
  });
}
