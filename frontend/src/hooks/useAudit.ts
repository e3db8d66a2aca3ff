/**
 * lib/audit's report for a pool or an address, recomputed on each block over the dApp's shared
 * replay cache (only the new blocks are read; the same report as an uncached audit from the
 * deployment's start block to the latest). Loaded on demand.
 */
import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import { sharedReplayCache } from "../chain/replayCache";
import { nodeApi } from "../node/nodeApi";
import { useRuntime } from "../runtime";
import { useDatabank } from "./useDatabank";

export interface AuditScope {
  poolId?: number;
  address?: Address;
}

export function useAudit(scope: AuditScope, enabled: boolean) {
  const { runtime } = useRuntime();
  const { address, publicClient, fromBlock } = useDatabank();
  return useQuery({
    queryKey: ["chain", "audit", address, scope.poolId, scope.address],
    enabled,
    queryFn: async () => {
      const [{ runAudit }, api, cache] = await Promise.all([
        import("../../../lib/audit/audit.js"),
        nodeApi(runtime.nodeUrl),
        sharedReplayCache(runtime.chainId, address),
      ]);
      return runAudit({
        client: publicClient,
        databank: address,
        fromBlock,
        poolId: scope.poolId,
        address: scope.address,
        // Manifests are checked against the chain when the node serves them.
        fetchContent: (cid) => api.getContent(cid),
        explorerUrl: runtime.explorerUrl,
        cache,
      });
    },
  });
}
