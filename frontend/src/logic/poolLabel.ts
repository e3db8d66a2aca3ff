/**
 * How a pool is named where the passbook and the erasure inbox show it: "Software engineers in
 * Guiyang · pool 3" once its profile is read, "Pool 3" until then (lib/pools/profile's poolTitle).
 * One function, so that passing the profile reading later is a one-line change.
 */
import { poolTitle, type PoolProfileReading } from "../../../lib/pools/profile.js";

export function poolLabel(poolId: number, reading?: PoolProfileReading): string {
  const title = poolTitle(poolId, reading);
  return title === `Pool ${poolId}` ? title : `${title} · pool ${poolId}`;
}
