/**
 * The active contributions of a pool, rebuilt from the Databank's events: a contribution is active
 * from its `ConsentGranted` until its `ConsentRevoked` (revoked by its holder or retired after
 * expiry); its data CID and expiry come from its `ContributionSubmitted`.
 *
 * Events are read in bounded block ranges (public RPCs cap `eth_getLogs`), filtered by the pool
 * (an indexed topic), and applied in chain order. A tracker only moves forward: each call reads the
 * blocks it has not seen yet, so a node delivering many purchases reads each event once.
 */
import type { Address, Hex, PublicClient } from "viem";
import { databankAbi } from "../../lib/contracts/abis.js";
import { CONSENT_SCOPE, dataCommitment } from "../../lib/contracts/client.js";
import { recordsRoot } from "../../lib/contracts/recordsMerkle.js";

/** One active contribution (= consent token). */
export interface ActiveContribution {
  /** The consent token id (= contribution id). */
  tokenId: bigint;
  /** CID of its encrypted envelope. */
  dataCid: string;
  /** keccak256 of `dataCid`. */
  dataCommitment: Hex;
  /** When consent ends, unix seconds; 0 = until revoked. */
  expiresAt: number;
  /** Who holds the consent token. */
  contributor: Address;
  /** What its consent allows (CONSENT_SCOPE bits): records, statistics or both. */
  scope: number;
}

/** Options of {@link createActiveSetTracker}. */
export interface ActiveSetTrackerOptions {
  publicClient: PublicClient;
  /** The Databank. */
  address: Address;
  /** The pool tracked. */
  poolId: number;
  /** First block to read (the Databank's deployment block, or 0). */
  fromBlock?: bigint;
  /** Blocks per `eth_getLogs` request; default 10,000. */
  blockRange?: bigint;
}

/** The active set of one pool, kept up to date from events. */
export interface ActiveSetTracker {
  /** The pool tracked. */
  readonly poolId: number;
  /** The last block applied (fromBlock − 1 before the first sync). */
  readonly syncedBlock: bigint;
  /**
   * The active contributions at `block` (≥ the last block synced), by token id ascending. The
   * same (frozen) array is returned until an event changes the set, so callers can cache what they
   * derive from it (a records root, a filtered view) by its identity.
   *
   * @throws Error when `block` is before a block already applied.
   */
  at(block: bigint): Promise<readonly ActiveContribution[]>;
}

/** Default number of blocks per log request. */
export const DEFAULT_LOG_BLOCK_RANGE = 10_000n;

interface Submitted {
  dataCid: string;
  expiresAt: number;
  contributor: Address;
  scope: number;
}

type PoolEvent =
  | { kind: "submitted"; id: bigint; blockNumber: bigint; logIndex: number; info: Submitted }
  | { kind: "granted" | "revoked"; id: bigint; blockNumber: bigint; logIndex: number };

/** Creates a tracker of one pool's active contributions. */
export function createActiveSetTracker(options: ActiveSetTrackerOptions): ActiveSetTracker {
  const { publicClient, address, poolId } = options;
  const blockRange = options.blockRange ?? DEFAULT_LOG_BLOCK_RANGE;
  let synced = (options.fromBlock ?? 0n) - 1n;
  // Submitted but not (yet) granted, and active, by contribution id.
  const submitted = new Map<bigint, Submitted>();
  const active = new Map<bigint, ActiveContribution>();
  // The sorted set, kept until an event changes `active`: a pool of 100,000 contributions is read
  // several times per delivery, and sorting it each time costs more than reading the new events.
  let sorted: readonly ActiveContribution[] | undefined;
  let syncing: Promise<void> = Promise.resolve();

  async function readRange(fromBlock: bigint, toBlock: bigint): Promise<PoolEvent[]> {
    const common = { address, abi: databankAbi, args: { poolId }, fromBlock, toBlock } as const;
    const [submittedLogs, grantedLogs, revokedLogs] = await Promise.all([
      publicClient.getContractEvents({ ...common, eventName: "ContributionSubmitted" }),
      publicClient.getContractEvents({ ...common, eventName: "ConsentGranted" }),
      publicClient.getContractEvents({ ...common, eventName: "ConsentRevoked" }),
    ]);
    const events: PoolEvent[] = [
      ...submittedLogs.map((log): PoolEvent => ({
        kind: "submitted",
        id: log.args.contributionId!,
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
        info: {
          dataCid: log.args.dataCid!,
          expiresAt: Number(log.args.expiresAt!),
          contributor: log.args.contributor!,
          scope: log.args.scope!,
        },
      })),
      ...grantedLogs.map((log): PoolEvent => ({
        kind: "granted",
        id: log.args.contributionId!,
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
      })),
      ...revokedLogs.map((log): PoolEvent => ({
        kind: "revoked",
        id: log.args.contributionId!,
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
      })),
    ];
    return events.sort((a, b) =>
      a.blockNumber !== b.blockNumber
        ? a.blockNumber < b.blockNumber
          ? -1
          : 1
        : a.logIndex - b.logIndex,
    );
  }

  function apply(event: PoolEvent): void {
    switch (event.kind) {
      case "submitted":
        submitted.set(event.id, event.info);
        return;
      case "granted": {
        const info = submitted.get(event.id);
        if (info === undefined) {
          throw new Error(
            `pool ${poolId}: ConsentGranted for contribution ${event.id} without its ContributionSubmitted (read the pool's events from an earlier block)`,
          );
        }
        submitted.delete(event.id);
        sorted = undefined;
        active.set(event.id, {
          tokenId: event.id,
          dataCid: info.dataCid,
          dataCommitment: dataCommitment(info.dataCid),
          expiresAt: info.expiresAt,
          contributor: info.contributor,
          scope: info.scope,
        });
        return;
      }
      case "revoked":
        // Also ends a pending submission (withdrawn before acceptance).
        submitted.delete(event.id);
        if (active.delete(event.id)) sorted = undefined;
    }
  }

  async function syncTo(block: bigint): Promise<void> {
    if (block < synced) {
      throw new Error(`active set of pool ${poolId} is already at block ${synced}, after ${block}`);
    }
    while (synced < block) {
      const from = synced + 1n;
      const to = from + blockRange - 1n < block ? from + blockRange - 1n : block;
      for (const event of await readRange(from, to)) apply(event);
      synced = to;
    }
  }

  return {
    poolId,
    get syncedBlock() {
      return synced;
    },
    async at(block: bigint): Promise<readonly ActiveContribution[]> {
      // Serialise syncs: two concurrent callers must not apply the same range twice.
      const run = syncing.then(() => syncTo(block));
      syncing = run.catch(() => undefined);
      await run;
      sorted ??= Object.freeze(
        [...active.values()].sort((a, b) =>
          a.tokenId < b.tokenId ? -1 : a.tokenId > b.tokenId ? 1 : 0,
        ),
      );
      return sorted;
    },
  };
}

/**
 * One tracker per pool, created on first use and kept (a worker's chain view reads each pool's
 * events once, forward).
 */
export function trackerPerPool(
  options: Omit<ActiveSetTrackerOptions, "poolId">,
): (poolId: number) => ActiveSetTracker {
  const trackers = new Map<number, ActiveSetTracker>();
  return (poolId) => {
    let tracker = trackers.get(poolId);
    if (tracker === undefined) {
      tracker = createActiveSetTracker({ ...options, poolId });
      trackers.set(poolId, tracker);
    }
    return tracker;
  };
}

/** Whether two sets (each by token id ascending) hold the same records. */
export function sameSet(
  a: readonly ActiveContribution[],
  b: readonly ActiveContribution[],
): boolean {
  // The tracker hands out the same array while the set is unchanged: the common case is free.
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.tokenId !== b[i]!.tokenId || a[i]!.dataCid !== b[i]!.dataCid) return false;
  }
  return true;
}

/** Parameters of {@link productSetAt}. */
export interface ProductSetParams {
  publicClient: PublicClient;
  /** The Databank. */
  address: Address;
  /** The pool's tracker. */
  tracker: ActiveSetTracker;
  /** The product whose set is taken: record sales use "records", queries "statistics". */
  scope: "records" | "statistics";
}

/**
 * The active contributions a product uses, at the latest block, with the pool read at that same
 * block: a record sale delivers, and a query answers over, exactly the contributions whose consent
 * allows it. Checked against the pool's on-chain count, so a tracker that missed an event fails
 * loudly instead of delivering or answering over the wrong set.
 */
/** A product's view of each tracker's set (by the set's identity: it changes when the set does). */
const productViews = new WeakMap<
  readonly ActiveContribution[],
  Map<string, readonly ActiveContribution[]>
>();

/** The contributions of `everyActive` whose consent allows `scope`, the same array while it is unchanged. */
function productView(
  everyActive: readonly ActiveContribution[],
  scope: ProductSetParams["scope"],
): readonly ActiveContribution[] {
  let views = productViews.get(everyActive);
  if (views === undefined) {
    views = new Map();
    productViews.set(everyActive, views);
  }
  let view = views.get(scope);
  if (view === undefined) {
    view = Object.freeze(everyActive.filter((c) => (c.scope & CONSENT_SCOPE[scope]) !== 0));
    views.set(scope, view);
  }
  return view;
}

const setRoots = new WeakMap<readonly ActiveContribution[], Hex>();

/**
 * The records root of a set from {@link productSetAt} (lib/contracts/recordsMerkle), computed once
 * per set: about three keccak256 per record, a second or more at 100,000 records, and a delivery
 * names the same set several times (and so do purchases of an unchanged pool).
 */
export function setRecordsRoot(set: readonly ActiveContribution[]): Hex {
  let root = setRoots.get(set);
  if (root === undefined) {
    root = recordsRoot(set);
    if (Object.isFrozen(set)) setRoots.set(set, root);
  }
  return root;
}

export async function productSetAt(params: ProductSetParams) {
  const { publicClient, address, tracker, scope } = params;
  const block = await publicClient.getBlockNumber({ cacheTime: 0 });
  const [everyActive, pool] = await Promise.all([
    tracker.at(block),
    publicClient.readContract({
      address,
      abi: databankAbi,
      functionName: "getPool",
      args: [tracker.poolId],
      blockNumber: block,
    }),
  ]);
  const set = productView(everyActive, scope);
  const onChain = scope === "records" ? pool.recordsActive : pool.statisticsActive;
  if (set.length !== onChain) {
    throw new Error(
      `pool ${tracker.poolId}: ${set.length} active contributions allowing ${scope} rebuilt from events but ${onChain} on-chain at block ${block}`,
    );
  }
  return { set, pool, block };
}
