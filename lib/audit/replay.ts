/**
 * The one replay of a Databank's history, shared by the audit and the passbook: checks that the
 * address holds a contract at the block read, reads every event up to that block and replays them
 * into a {@link Ledger}. Also the block clock both use to date events. Browser-safe.
 */
import { getAddress, type Address, type PublicClient } from "viem";
import { NotAContractError } from "./errors.js";
import { buildLedger, type Ledger } from "./ledger.js";
import { fetchDatabankLogs, type LogProgress } from "./logs.js";

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
  const blockTimestamp = Number((await client.getBlock({ blockNumber: block })).timestamp);
  const events = await fetchDatabankLogs({
    client,
    address: databank,
    fromBlock,
    toBlock: block,
    blockRange: parameters.blockRange,
    attempts: parameters.attempts,
    backoffMs: parameters.backoffMs,
    onProgress: parameters.onProgress,
  });
  return { chainId, databank, fromBlock, block, blockTimestamp, ledger: buildLedger(events) };
}

/**
 * The timestamp (unix seconds) of a block, read once per block: events are dated by their block,
 * and many share one.
 */
export function blockClock(
  client: Pick<PublicClient, "getBlock">,
): (blockNumber: bigint) => Promise<number> {
  const timestamps = new Map<bigint, Promise<number>>();
  return (blockNumber) => {
    let timestamp = timestamps.get(blockNumber);
    if (timestamp === undefined) {
      timestamp = client.getBlock({ blockNumber }).then((block) => Number(block.timestamp));
      timestamps.set(blockNumber, timestamp);
    }
    return timestamp;
  };
}
