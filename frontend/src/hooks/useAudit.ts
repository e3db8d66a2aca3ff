/** lib/audit's report for a pool or an address, recomputed on each block (loaded on demand). */
import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
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
      const [{ runAudit }, api] = await Promise.all([
        import("../../../lib/audit/audit.js"),
        nodeApi(runtime.nodeUrl),
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
      });
    },
  });
}

/**
 * The passbook of `wallet` (lib/passbook, the same replay as the audit): for the auditor's address
 * filter, which purchases and query answers its records were in. Undefined without an address.
 */
export function useRecordUses(wallet: Address | undefined) {
  const { runtime } = useRuntime();
  const { address, publicClient, fromBlock } = useDatabank();
  return useQuery({
    queryKey: ["chain", "record-uses", address, wallet],
    enabled: wallet !== undefined,
    queryFn: async () => {
      const { buildPassbook } = await import("../../../lib/passbook/passbook.js");
      return buildPassbook({
        client: publicClient,
        databank: address,
        wallet: wallet!,
        fromBlock,
        explorerUrl: runtime.explorerUrl,
      });
    },
  });
}
