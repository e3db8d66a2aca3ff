/**
 * Reads every event of a Databank deployment from the chain, in block ranges, with no trust in any
 * indexer: one `eth_getLogs` per range filtered by address only (every event type at once), decoded
 * locally with the contract's ABI. Ranges shrink by half when the node says a range holds too many
 * results, and failed requests are retried with exponential backoff.
 */
import { parseEventLogs, type Address, type Log, type ParseEventLogsReturnType } from "viem";
import { databankAbi } from "../contracts/abis.js";
import { LogFetchError } from "./errors.js";

/** A decoded Databank event, with its block number, log index and transaction hash. */
export type DatabankEventLog = ParseEventLogsReturnType<
  typeof databankAbi,
  undefined,
  true
>[number];

/** The one chain call this module needs: raw logs of an address over a block range. */
export interface LogSource {
  /** viem's `publicClient.getLogs` (address filter, no topic filter). */
  getLogs(parameters: { address: Address; fromBlock: bigint; toBlock: bigint }): Promise<Log[]>;
}

/** Where the scan is, reported after every range read. */
export interface LogProgress {
  /** First block of the scan. */
  fromBlock: bigint;
  /** Last block of the scan. */
  toBlock: bigint;
  /** Every block up to this one has been read. */
  scannedTo: bigint;
  /** Events decoded so far. */
  events: number;
}

/** Parameters of {@link fetchDatabankLogs}. */
export interface FetchDatabankLogsParameters {
  /** Anything with viem's `getLogs`, usually a public client. */
  client: LogSource;
  /** The Databank contract. */
  address: Address;
  /** First block read (the deployment block, ideally). */
  fromBlock: bigint;
  /** Last block read (the audited block). */
  toBlock: bigint;
  /** Blocks per `eth_getLogs` request at first; halved on "too many results". Default 10,000. */
  blockRange?: bigint;
  /** Attempts per range on other errors before giving up. Default 5. */
  attempts?: number;
  /** Wait before the first retry, doubled at each next one. Default 250 ms. */
  backoffMs?: number;
  /** Called after each range is read (a progress bar, for instance). */
  onProgress?: (progress: LogProgress) => void;
  /** Waits between retries; replaceable in tests. */
  sleep?: (milliseconds: number) => Promise<void>;
}

/** Default number of blocks per `eth_getLogs` request. */
export const DEFAULT_BLOCK_RANGE = 10_000n;

// Phrases nodes and providers use when a range holds more logs than they return in one response
// (geth, Erigon, Alchemy, Infura, QuickNode, Ankr, Hardhat...), viem's own response size limit
// (10 MB by default, about 9,000 logs), and timeouts, which on eth_getLogs mostly mean the same.
// The range is halved, not retried.
const TOO_MANY_RESULTS =
  /too many|more than \d+ results|limit exceeded|exceeds? (the )?(max|limit)|response size|block range|range is too (large|wide)|size limit|query timeout|took too long|timed? ?out|-32005/i;

/** Whether an RPC error means "ask for a smaller block range" rather than "try again later". */
export function isTooManyResultsError(error: unknown): boolean {
  const texts: string[] = [];
  for (let current: unknown = error; current && texts.length < 8;) {
    if (typeof current === "object") {
      const { message, details, code } = current as {
        message?: unknown;
        details?: unknown;
        code?: unknown;
      };
      if (typeof message === "string") texts.push(message);
      if (typeof details === "string") texts.push(details);
      if (code === -32005) return true;
      current = (current as { cause?: unknown }).cause;
    } else {
      texts.push(String(current));
      break;
    }
  }
  return texts.some((text) => TOO_MANY_RESULTS.test(text));
}

/** Decodes raw logs with the Databank ABI, dropping logs that are not Databank events. */
export function decodeDatabankLogs(logs: Log[]): DatabankEventLog[] {
  return parseEventLogs<typeof databankAbi, true>({ abi: databankAbi, logs, strict: true });
}

/**
 * The range to ask for after `span` blocks were refused: scaled to fit when the error says by how
 * much the response was too large (viem's `size`/`maxSize`), else half.
 */
function smallerRange(error: unknown, span: bigint): bigint {
  for (let current: unknown = error, depth = 0; current && depth < 8; depth++) {
    const { size, maxSize, cause } = current as {
      size?: unknown;
      maxSize?: unknown;
      cause?: unknown;
    };
    if (typeof size === "number" && typeof maxSize === "number" && size > maxSize) {
      // 80% of the proportional span leaves room for blocks denser than the average.
      const fitted = (span * BigInt(Math.floor((maxSize / size) * 800))) / 1000n;
      return fitted >= 1n ? (fitted < span ? fitted : span / 2n) : 1n;
    }
    current = cause;
  }
  return span / 2n > 0n ? span / 2n : 1n;
}

const defaultSleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/**
 * Every Databank event between `fromBlock` and `toBlock`, decoded, in chain order.
 *
 * @throws {LogFetchError} when a range keeps failing after every retry (or cannot be halved further).
 */
export async function fetchDatabankLogs(
  parameters: FetchDatabankLogsParameters,
): Promise<DatabankEventLog[]> {
  const { client, address, fromBlock, toBlock, onProgress } = parameters;
  const maxAttempts = parameters.attempts ?? 5;
  const backoffMs = parameters.backoffMs ?? 250;
  const sleep = parameters.sleep ?? defaultSleep;
  let range = parameters.blockRange ?? DEFAULT_BLOCK_RANGE;
  if (range < 1n) range = 1n;

  const maxRange = range;
  const events: DatabankEventLog[] = [];
  let cursor = fromBlock;
  let attempts = 0;
  let largestResponse = 0;
  while (cursor <= toBlock) {
    const end = cursor + range - 1n < toBlock ? cursor + range - 1n : toBlock;
    const span = end - cursor + 1n;
    let logs: Log[];
    try {
      logs = await client.getLogs({ address, fromBlock: cursor, toBlock: end });
    } catch (error) {
      if (isTooManyResultsError(error) && span > 1n) {
        // Shrink what was actually asked for (near the head the nominal range may cover far more).
        range = smallerRange(error, span);
        continue;
      }
      attempts += 1;
      if (attempts >= maxAttempts) throw new LogFetchError(cursor, end, attempts, error);
      await sleep(backoffMs * 2 ** (attempts - 1));
      continue;
    }
    attempts = 0;
    for (const event of decodeDatabankLogs(logs)) events.push(event);
    cursor = end + 1n;
    onProgress?.({ fromBlock, toBlock, scannedTo: end, events: events.length });
    // Grow back towards the configured range through sparse stretches of history.
    largestResponse = Math.max(largestResponse, logs.length);
    if (range < maxRange && logs.length * 4 <= largestResponse) {
      range = range * 2n < maxRange ? range * 2n : maxRange;
    }
  }
  return events;
}
