/**
 * What the custodian's purchase workers share (the delivery worker, service/custodian/delivery.ts,
 * and the query worker, service/custodian/queries.ts): the lifecycle of their passes (one at a
 * time, each purchase retried with a growing pause when it fails), the walk over new blocks behind
 * a cursor, the settling of a transaction sent before a restart, and the release check of the
 * buyer's key (the settling transaction mined and confirmed). Each worker keeps its own steps.
 */
import type { Address, Hex, PublicClient, TransactionReceipt } from "viem";
import { errorText } from "../../lib/format/errorText.js";

/** Pause after a purchase's first failure; doubled at each further failure. */
export const RETRY_MIN_MS = 1_000;
/** The longest pause between retries of one purchase. */
export const RETRY_MAX_MS = 5 * 60_000;

/** Parameters of {@link createPurchaseLoop}. */
export interface PurchaseLoopParams<Row> {
  /** Prefix of the loop's log events: "delivery" gives `delivery.error`, `delivery.pass-error`. */
  name: string;
  /** Pause between passes after `start()`, in ms. */
  pollIntervalMs: number;
  /** Structured log. */
  log: (event: string, fields: Record<string, unknown>) => void;
  /** Runs first in each pass (reading new events); a failure fails the pass. */
  scan: () => Promise<void>;
  /** The purchases to work on in this pass. */
  due: () => readonly Row[];
  /** The purchase a row is for. */
  purchaseIdOf: (row: Row) => bigint;
  /** Takes one purchase as far as it can go; a throw retries it later. */
  handle: (row: Row) => Promise<void>;
  /** Stores a purchase's last error (one line), for its status. */
  recordError: (row: Row, message: string) => void;
}

/** The passes of a purchase worker. */
export interface PurchaseLoop {
  /** One pass now (after the one in progress, if any). */
  runPass(): Promise<void>;
  /** Starts the passes: one now, then one `pollIntervalMs` after each ends. */
  start(): void;
  /** Stops the passes and waits for the one in progress. */
  stop(): Promise<void>;
}

/** Creates the pass loop of a purchase worker (not started). */
export function createPurchaseLoop<Row>(params: PurchaseLoopParams<Row>): PurchaseLoop {
  const { name, log } = params;
  const retries = new Map<bigint, { failures: number; nextAt: number }>();
  let pass: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;

  async function onePass(): Promise<void> {
    await params.scan();
    const now = Date.now();
    for (const row of params.due()) {
      const id = params.purchaseIdOf(row);
      const retry = retries.get(id);
      if (retry !== undefined && retry.nextAt > now) continue;
      try {
        await params.handle(row);
        retries.delete(id);
      } catch (error) {
        const failures = (retry?.failures ?? 0) + 1;
        const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failures - 1));
        retries.set(id, { failures, nextAt: Date.now() + delay });
        const message = errorText(error);
        params.recordError(row, message);
        log(`${name}.error`, { purchaseId: id.toString(), error: message, retryInMs: delay });
      }
    }
  }

  function runPass(): Promise<void> {
    const next = pass.then(onePass);
    pass = next.catch(() => undefined);
    return next;
  }

  function passThenSchedule(): void {
    runPass()
      .catch((error) => log(`${name}.pass-error`, { error: errorText(error) }))
      .finally(schedule);
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(passThenSchedule, params.pollIntervalMs);
  }

  return {
    runPass,
    start() {
      if (running) return;
      running = true;
      passThenSchedule();
    },
    async stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      await pass;
    },
  };
}

/** Parameters of {@link walkNewBlocks}. */
export interface WalkNewBlocksParams {
  publicClient: PublicClient;
  /** The last block already handled, or undefined when none was. */
  cursor: bigint | undefined;
  /** The first block to read when no cursor is stored (the Databank's deployment block). */
  fromBlock: bigint;
  /** Blocks per step (public RPCs cap `eth_getLogs` ranges). */
  blockRange: bigint;
  /** Handles one range and moves the cursor past it. */
  step: (fromBlock: bigint, toBlock: bigint) => Promise<void>;
}

/** Walks the blocks after the cursor up to the latest, `blockRange` at a time. */
export async function walkNewBlocks(params: WalkNewBlocksParams): Promise<void> {
  const latest = await params.publicClient.getBlockNumber({ cacheTime: 0 });
  let cursor = params.cursor ?? params.fromBlock - 1n;
  while (cursor < latest) {
    const from = cursor + 1n;
    const to = from + params.blockRange - 1n < latest ? from + params.blockRange - 1n : latest;
    await params.step(from, to);
    cursor = to;
  }
}

/** What every purchase event (`PurchaseCreated`, `QueryPurchased`) says, as the stores keep it. */
export interface PurchaseEventFields {
  purchaseId: bigint;
  poolId: number;
  buyer: Address;
  amount: bigint;
  deadline: number;
  /** Lowercase. */
  buyerKey: Hex;
  /** Block of the event. */
  createdBlock: bigint;
}

/**
 * The purchase events of pools this node custodies, each with its common fields and its own
 * `args` (for the fields only its kind has).
 *
 * @param custodianOf - a pool's custodian, lowercase
 * @param custodian - this node's custodian address, lowercase
 */
export async function ourPurchases<
  Args extends {
    purchaseId?: bigint;
    poolId?: number;
    buyer?: Address;
    amount?: bigint;
    deadline?: number;
    buyerKey?: Hex;
  },
>(
  logs: readonly { args: Args; blockNumber: bigint }[],
  custodianOf: (poolId: number) => Promise<string>,
  custodian: string,
): Promise<{ fields: PurchaseEventFields; args: Args }[]> {
  const ours = [];
  for (const { args, blockNumber } of logs) {
    if ((await custodianOf(args.poolId!)) !== custodian) continue;
    const fields: PurchaseEventFields = {
      purchaseId: args.purchaseId!,
      poolId: args.poolId!,
      buyer: args.buyer!,
      amount: args.amount!,
      deadline: args.deadline!,
      buyerKey: args.buyerKey!.toLowerCase() as Hex,
      createdBlock: blockNumber,
    };
    ours.push({ fields, args });
  }
  return ours;
}

/**
 * The receipt of a transaction sent before (this run or an earlier one): at once when it is mined;
 * waited for when it is still in the mempool (rather than racing it with a second transaction);
 * undefined when the node no longer knows it (dropped).
 *
 * @param onWaiting - called before waiting on a transaction still pending
 */
export async function receiptOfSent(
  publicClient: PublicClient,
  hash: Hex,
  onWaiting?: () => void,
): Promise<TransactionReceipt | undefined> {
  try {
    return await publicClient.getTransactionReceipt({ hash });
  } catch {
    // Not mined (yet): pending or dropped.
  }
  try {
    await publicClient.getTransaction({ hash });
  } catch {
    return undefined;
  }
  onWaiting?.();
  return publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 });
}

/** Whether a purchase's settling transaction is final: mined, successful and confirmed. */
export type ReleaseCheck = (purchaseId: bigint, txHash: Hex) => Promise<boolean>;

/**
 * The check before a buyer's key is released: the transaction that settled the purchase succeeded
 * in a block that now has at least `confirmations` confirmations (asked of the chain each time
 * until then, so a transaction reorganised away is not counted; remembered once true).
 */
export function createReleaseCheck(
  publicClient: PublicClient,
  confirmations: bigint,
): ReleaseCheck {
  const released = new Set<bigint>();
  return async (purchaseId, txHash) => {
    if (released.has(purchaseId)) return true;
    let receipt;
    try {
      receipt = await publicClient.getTransactionReceipt({ hash: txHash });
    } catch {
      return false;
    }
    if (receipt.status !== "success") return false;
    const latest = await publicClient.getBlockNumber({ cacheTime: 0 });
    if (latest - receipt.blockNumber + 1n < confirmations) return false;
    released.add(purchaseId);
    return true;
  };
}
