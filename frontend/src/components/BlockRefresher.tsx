/** Invalidates every chain query when a new block arrives: pages follow the chain without reload. */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useBlockNumber } from "wagmi";

export function BlockRefresher() {
  const queryClient = useQueryClient();
  const { data: blockNumber } = useBlockNumber({ watch: true });
  useEffect(() => {
    if (blockNumber !== undefined) void queryClient.invalidateQueries({ queryKey: ["chain"] });
  }, [blockNumber, queryClient]);
  return null;
}
