/**
 * The one replay of a Databank's history, shared by the audit and the passbook: checks that the
 * address holds a contract at the block read, reads every event up to that block and replays them
 * into a {@link Ledger}. Also the block clock both use to date events. Browser-safe.
 *
 * With a {@link ReplayCache} (lib/audit/replayCache.ts) only the blocks after the ones it holds are
 * read; the books are still rebuilt from every event: `buildLedger` is CPU only (about 3 µs an
 * event, 0.3 s for 100,000), and its final whole-history checks and the findings the audit adds to
 * the ledger make a shared or extended ledger unsafe.
 */
import { getAddress, type Address, type PublicClient } from "viem";
import { NotAContractError } from "./errors.js";
import { buildLedger, type Ledger } from "./ledger.js";
import { fetchDatabankLogs, type LogProgress } from "./logs.js";
import { createReplayCache, type ReplayCache } from "./replayCache.js";

/** The chain calls the replay makes (a viem public client has them all). */
export type ReplayChainClient = Pick<
  PublicClient,
  "getChainId" | "getBlockNumber" | "getBlock" | "getCode" | "getLogs"
>;

/** Parameters of {@link replayDatabank}. */
export interface ReplayDatabankParameters {
  /** Chain access. */
  client: ReplayChainClient;
  /** The Databank contract. */
  databank: Address;
  /** First block read. Default 0 (use the deployment block: it saves reading empty ranges). */
  fromBlock?: bigint;
  /** Last block read. Default: the latest. */
  toBlock?: bigint;
  /** Blocks per `eth_getLogs` request (halved on "too many results"). Default 10,000. */
  blockRange?: bigint;
  /** Attempts per log range before giving up. Default 5. */
  attempts?: number;
  /** First retry delay, doubled each time. Default 250 ms. */
  backoffMs?: number;
  /** Progress of the log scan. */
  onProgress?: (progress: LogProgress) => void;
  /**
   * Events and block times kept from earlier replays of the same chain, Databank and `fromBlock`
   * (see {@link createReplayCache}): only newer blocks are read. None: everything is read.
   */
  cache?: ReplayCache;
}

/** The replayed books and where on the chain they were read. */
export interface DatabankReplay {
  /** Chain id. */
  chainId: number;
  /** The Databank contract, checksummed. */
  databank: Address;
  /** First block read. */
  fromBlock: bigint;
  /** Last block read: the books are as of this block. */
  block: bigint;
  /** That block's timestamp (unix seconds): "now" for due dates and overdue flags. */
  blockTimestamp: number;
  /** The books rebuilt from the events. */
  ledger: Ledger;
}

/**
 * Reads and replays every Databank event from `fromBlock` to `toBlock`.
 *
 * @throws {NotAContractError} when the address holds no code at the block read.
 * @throws {LogFetchError} when a log range keeps failing.
 */
export async function replayDatabank(
  parameters: ReplayDatabankParameters,
): Promise<DatabankReplay> {
  const { client } = parameters;
  const databank = getAddress(parameters.databank);
  const fromBlock = parameters.fromBlock ?? 0n;
  const [chainId, block] = await Promise.all([
    client.getChainId(),
    parameters.toBlock ?? client.getBlockNumber(),
  ]);
  const code = await client.getCode({ address: databank, blockNumber: block });
  if (!code || code === "0x") throw new NotAContractError(databank);
  const head = await client.getBlock({ blockNumber: block });
  const blockTimestamp = Number(head.timestamp);
  const fetchEvents = (from: bigint, to: bigint) =>
    fetchDatabankLogs({
      client,
      address: databank,
      fromBlock: from,
      toBlock: to,
      blockRange: parameters.blockRange,
      attempts: parameters.attempts,
      backoffMs: parameters.backoffMs,
      onProgress: parameters.onProgress,
    });
  const events = parameters.cache
    ? await parameters.cache.events({
        client,
        chainId,
        databank,
        fromBlock,
        head: { number: block, hash: head.hash, timestamp: blockTimestamp },
        fetchEvents,
      })
    : await fetchEvents(fromBlock, block);
  return { chainId, databank, fromBlock, block, blockTimestamp, ledger: buildLedger(events) };
}

/**
 * The timestamp (unix seconds) of a block, read once per block: events are dated by their block,
 * and many share one. With a cache, the timestamps it already holds are reused and new ones kept.
 */
export function blockClock(
  client: Pick<PublicClient, "getBlock">,
  cache?: ReplayCache,
): (blockNumber: bigint) => Promise<number> {
  // Without one, a cache of its own that lives as long as the clock.
  const timestamps = cache ?? createReplayCache();
  return (blockNumber) => timestamps.timestampOf(client, blockNumber);
}
