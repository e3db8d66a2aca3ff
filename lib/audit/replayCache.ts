/**
 * An incremental replay for a long-lived reader (the dApp, which replays on every new block):
 * {@link createReplayCache} keeps the events already read so that the next replay asks the chain
 * only for the blocks after them. Pass it as `cache` to `replayDatabank` (and so to `runAudit` and
 * `buildPassbook`). One-shot readers (the audit and passbook CLIs) pass none and read everything.
 *
 * What it holds, for one (chain id, Databank, first block): the decoded events up to its head
 * block N, N's hash, and the timestamps of the blocks it was asked to date. A decoded event takes
 * about 1.8 KB of heap (hashes, topics, data and decoded arguments; measured on copies of real
 * ones), so 100,000 events hold about 180 MB: the array an uncached replay rebuilds on every call,
 * kept instead of rebuilt. Timestamps are a few dozen bytes per dated block.
 *
 * It trusts nothing it holds once the chain disagrees: when block N's hash changed (a reorg) or N
 * no longer exists (a reset local chain), everything is dropped and read again from the first
 * block. Replays on one cache run one after the other, so concurrent ones never read a range twice
 * and never interleave appends: the first reads the new blocks, the others find them read. A
 * reorg during a read is caught by the next replay: the head's hash is read before its events.
 * Browser-safe.
 */
import type { Address, Hash, PublicClient } from "viem";
import type { DatabankEventLog } from "./logs.js";

/** The block a replay reads up to. */
export interface ReplayHead {
  /** Block number. */
  number: bigint;
  /** Its hash: what the next replay checks to detect a reorg. */
  hash: Hash;
  /** Its timestamp (unix seconds), kept for the block clock. */
  timestamp: number;
}

/** What {@link ReplayCache.events} needs to extend the cache. */
export interface CachedEventsRequest {
  /** Reads block hashes (to check the cached head) and timestamps. */
  client: Pick<PublicClient, "getBlock">;
  /** Chain id: part of the key. */
  chainId: number;
  /** The Databank contract, checksummed: part of the key. */
  databank: Address;
  /** First block of the history: part of the key. */
  fromBlock: bigint;
  /** The block to read up to. */
  head: ReplayHead;
  /** Reads the decoded events of a block range (both ends included), in chain order. */
  fetchEvents: (fromBlock: bigint, toBlock: bigint) => Promise<DatabankEventLog[]>;
}

/** The events and block times already read, shared by every replay given it. */
export interface ReplayCache {
  /**
   * Every event from `fromBlock` to `head`, in chain order, reading from the chain only the
   * blocks the cache does not hold (none when `head` is at or below its head and that block is
   * unchanged). Returns a copy: later replays do not change it.
   */
  events(request: CachedEventsRequest): Promise<DatabankEventLog[]>;
  /** A block's timestamp, read once while the cache holds the chain it was read on. */
  timestampOf(client: Pick<PublicClient, "getBlock">, blockNumber: bigint): Promise<number>;
  /** Blocks read so far, for tests and diagnostics: undefined when empty. */
  readonly head: bigint | undefined;
  /** Events held. */
  readonly size: number;
}

/** What the cache holds for one key. */
interface CacheState {
  key: string;
  events: DatabankEventLog[];
  /** The last block read, its hash; undefined before the first read. */
  head?: { number: bigint; hash: Hash };
  timestamps: Map<bigint, Promise<number>>;
}

const emptyState = (key: string): CacheState => ({ key, events: [], timestamps: new Map() });

/** A new, empty replay cache (see the module comment). */
export function createReplayCache(): ReplayCache {
  let state = emptyState("");
  // The tail of the queue of replays: each waits for the one before (whatever its outcome).
  let queue: Promise<unknown> = Promise.resolve();

  /** Whether the block the cache ends at is still on the chain, with the same hash. */
  async function headStillOnChain(request: CachedEventsRequest): Promise<boolean> {
    const held = state.head;
    if (held === undefined) return true;
    if (held.number === request.head.number) return held.hash === request.head.hash;
    try {
      const block = await request.client.getBlock({ blockNumber: held.number });
      return block.hash === held.hash;
    } catch {
      // Past the chain's tip (a reset chain): viem's BlockNotFoundError. Any other failure also
      // drops the cache: reading again from the first block is slower, never wrong.
      return false;
    }
  }

  async function extend(request: CachedEventsRequest): Promise<DatabankEventLog[]> {
    const key = `${request.chainId}:${request.databank}:${request.fromBlock}`;
    if (state.key !== key || !(await headStillOnChain(request))) state = emptyState(key);
    const { head } = request;
    const held = state.head;
    if (held !== undefined && head.number <= held.number) {
      // An earlier block of the same chain (e.g. an audit up to a given block): a prefix.
      return state.events.filter((event) => event.blockNumber <= head.number);
    }
    const from = held === undefined ? request.fromBlock : held.number + 1n;
    const fresh = from <= head.number ? await request.fetchEvents(from, head.number) : [];
    // Appended only once the whole range is read: a failed read leaves the cache as it was.
    for (const event of fresh) state.events.push(event);
    state.head = { number: head.number, hash: head.hash };
    state.timestamps.set(head.number, Promise.resolve(head.timestamp));
    return state.events.slice();
  }

  return {
    events(request) {
      const result = queue.then(() => extend(request));
      queue = result.catch(() => undefined);
      return result;
    },
    timestampOf(client, blockNumber) {
      const { timestamps } = state;
      let timestamp = timestamps.get(blockNumber);
      if (timestamp === undefined) {
        timestamp = client.getBlock({ blockNumber }).then((block) => Number(block.timestamp));
        timestamps.set(blockNumber, timestamp);
        // A failed read is not kept: a long-lived cache would otherwise repeat the error forever.
        const stored = timestamp;
        stored.catch(() => {
          if (timestamps.get(blockNumber) === stored) timestamps.delete(blockNumber);
        });
      }
      return timestamp;
    },
    get head() {
      return state.head?.number;
    },
    get size() {
      return state.events.length;
    },
  };
}
