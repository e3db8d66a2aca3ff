/** How many contributions joined and left each pool, from ConsentGranted / ConsentRevoked events. */
import { useMemo } from "react";
import { useDatabankEvents } from "./useChainData";

export interface PoolContributorCounts {
  joined: number;
  revoked: number;
  expired: number;
}

export function usePoolContributors(): (poolId: number) => PoolContributorCounts | undefined {
  const granted = useDatabankEvents("ConsentGranted");
  const ended = useDatabankEvents("ConsentRevoked");
  return useMemo(() => {
    if (!granted.data || !ended.data) return () => undefined;
    const grantedData = granted.data;
    const endedData = ended.data;
    return (poolId: number) => ({
      joined: grantedData.filter((event) => event.args.poolId === poolId).length,
      revoked: endedData.filter((event) => event.args.poolId === poolId && !event.args.expired)
        .length,
      expired: endedData.filter((event) => event.args.poolId === poolId && event.args.expired)
        .length,
    });
  }, [granted.data, ended.data]);
}
