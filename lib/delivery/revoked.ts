/**
 * Revoked records out of a buyer's files. A contributor who revokes a consent that allowed records
 * causes an `ErasureRequested` in its pool: every buyer that received the record must delete it.
 * A (re-)download of an earlier delivery must then not hand the record out again. Shared by the
 * dApp's download and `npm run buyer`. Browser-safe.
 */
import type { Address, PublicClient } from "viem";
import { databankAbi } from "../contracts/abis.js";

/** Parameters of {@link readRevokedRecords}. */
export interface ReadRevokedRecordsParameters {
  /** Chain access (a viem public client). */
  client: Pick<PublicClient, "getContractEvents">;
  /** The Databank contract. */
  databank: Address;
  /** The pool the delivery came from. */
  poolId: number;
  /** First block read (the deployment block, ideally). Default 0. */
  fromBlock?: bigint;
}

/** The token (contribution) ids of a pool whose erasure was requested: their consent ended. */
export async function readRevokedRecords(
  parameters: ReadRevokedRecordsParameters,
): Promise<Set<bigint>> {
  const events = await parameters.client.getContractEvents({
    abi: databankAbi,
    address: parameters.databank,
    eventName: "ErasureRequested",
    args: { poolId: parameters.poolId },
    fromBlock: parameters.fromBlock ?? 0n,
    toBlock: "latest",
  });
  return new Set(events.map((event) => event.args.contributionId!));
}

/** Records split by whether their consent still holds. */
export interface RevokedSplit<T> {
  /** Records whose consent still holds: what the buyer may keep. */
  kept: T[];
  /** Records whose consent was revoked: to delete, not to hand out. */
  revoked: T[];
}

/** Splits delivered records into those still consented and those revoked since. */
export function splitRevoked<T extends { tokenId: bigint }>(
  records: readonly T[],
  revoked: ReadonlySet<bigint>,
): RevokedSplit<T> {
  const split: RevokedSplit<T> = { kept: [], revoked: [] };
  for (const record of records)
    (revoked.has(record.tokenId) ? split.revoked : split.kept).push(record);
  return split;
}

/**
 * A stream of delivered records without the revoked ones (in bounded memory, for the CLI);
 * `onRevoked` hears of each record left out.
 */
export async function* withoutRevoked<T extends { tokenId: bigint }>(
  records: AsyncIterable<T>,
  revoked: ReadonlySet<bigint>,
  onRevoked: (record: T) => void = () => {},
): AsyncGenerator<T> {
  for await (const record of records) {
    if (revoked.has(record.tokenId)) onRevoked(record);
    else yield record;
  }
}
