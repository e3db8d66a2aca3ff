/**
 * A pool as people recognise it: its curator's name for it with its number ("Software engineers
 * in Guiyang · pool 3"), or "Pool 3" when it has no profile (lib/pools/profile.ts). Any page can
 * show it from a pool id alone.
 */
import { usePools } from "../hooks/useChainData";
import { usePoolProfile } from "../hooks/usePoolDocuments";
import { poolNameText } from "../logic/poolList";

export function PoolName({ poolId }: { poolId: number }) {
  const { data: pools } = usePools();
  const reading = usePoolProfile(pools?.find((pool) => pool.id === poolId));
  return <span className="pool-name">{poolNameText(poolId, reading)}</span>;
}
