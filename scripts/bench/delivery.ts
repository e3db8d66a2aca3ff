/**
 * Delivery at scale: from a purchase to the buyer holding every record decrypted (written out as
 * JSON Lines and CSV), for pools of 1,000, 10,000 and 100,000 active contributions — the path
 * before issue 10 beside the current one, measured in the same run on the same pool. The node is
 * the real one (service/node.ts, its HTTP API on 127.0.0.1, an in-process Hardhat network and an
 * in-memory Helia store); the buyer runs in a process of its own, as a real buyer does
 * (./deliveryBuyer.ts), and reads everything over the node's HTTP API:
 *
 * - old: the worker HPKE-opens every record's envelope for every delivery (key custody off); the
 *   buyer fetches the envelopes one by one (`GET /v1/content/{cid}` each), collecting every
 *   record before writing the files;
 * - new: the node's worker takes each data key from the key custody (kept at rest under the KEK;
 *   no envelope fetched, no HPKE); the buyer reads the manifest, the delivery key, then every
 *   envelope in one response (`GET /v1/purchases/{id}/delivery/car`), writing records out as
 *   they are decrypted (the buyer CLI's path);
 * - new, request per envelope: the same node, the buyer as it was before the stream (a request
 *   per envelope, 32 at once), to show what the stream itself saves.
 * Each worker is warmed up (its first pass reads the pool's events) before its measured delivery.
 *   The keys are kept at acceptance, as the node does (service/custodian/acceptedKeys.ts): setup
 *   unwraps each envelope's key once with the custodian's key, as the acceptance check does, and
 *   keeps it. The first delivery is measured on its own row (it should cost what a later one
 *   does); records accepted before keys were kept at acceptance pay one HPKE open each at their
 *   first delivery instead (the lazy fallback, tested in test/ts/delivery/keyCustody.test.ts).
 *
 * Memory: the node process (node, chain and store) and the buyer's process, each at its peak.
 * The pool is set up with the shortcut of ./poolSetup.ts (batched submissions and acceptances
 * through EIP-7702; setup time is reported, not part of any figure).
 *
 * Run alone: `npm run bench:delivery` (set DATABANK_BENCH_DELIVERY_COUNTS, e.g. "1000,10000", to
 * measure some sizes only); writes bench/delivery.txt.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parseEther, type Hex } from "viem";
import { createDatabankClient } from "../../lib/contracts/client.js";
import { generateKeyPair, toHex32 } from "../../lib/crypto/index.js";
import { DEFAULT_OPEN_CONCURRENCY } from "../../lib/delivery/index.js";
import { createDeliveryWorker, type DeliveryWorker } from "../../service/custodian/delivery.js";
import {
  startBenchBuyer,
  type BenchBuyerJob,
  type BenchBuyerResult,
} from "./deliveryBuyer.js";
import { mib, round, sampleMemory, type MemoryPeak } from "./memory.js";
import {
  measureEachCount,
  setupBenchPool,
  sizeLabel,
  startBenchNode,
  type CompiledBatch,
} from "./poolSetup.js";
import { printRows, rowsText } from "./table.js";
import type { BenchRow } from "./types.js";

const SUITE = "delivery";
const PRICE = parseEther("1");
/** Record counts measured by default. */
export const DELIVERY_COUNTS = [1_000, 10_000, 100_000] as const;
/** The buyer's paths (./deliveryBuyer.ts) and how the table names them. */
type BuyerPath = BenchBuyerJob["path"];
const PATH_LABEL: Record<BuyerPath, string> = {
  stream: "new",
  requests: "new, request per envelope",
  "one-by-one": "old",
};
/**
 * Records the buyer decrypts at once: the CLI's default, and one at a time for the old path, as
 * the buyer before issue 10 did.
 */
const BUYER_CONCURRENCY: Record<BuyerPath, number> = {
  stream: DEFAULT_OPEN_CONCURRENCY,
  requests: DEFAULT_OPEN_CONCURRENCY,
  "one-by-one": 1,
};

/**
 * A full garbage collection, run before each measured phase: setting up 100,000 contributions
 * leaves hundreds of MiB of garbage behind (sealed envelopes, transactions, receipts), which the
 * first phase measured would otherwise pay to collect. A node's deliveries do not follow such a
 * setup. (`--expose-gc` set at run time, so `npm run bench:delivery` needs no flag.)
 */
setFlagsFromString("--expose-gc");
const settleHeap = runInNewContext("gc") as () => void;

/** Options of {@link benchDelivery}. */
export interface BenchDeliveryOptions {
  /** Record counts to measure; default {@link DELIVERY_COUNTS}. */
  counts?: readonly number[];
  /** Progress lines (setup takes minutes at 100,000). */
  progress?: (line: string) => void;
}

/** Measures both paths at each count. */
export async function benchDelivery(options: BenchDeliveryOptions = {}): Promise<BenchRow[]> {
  const counts = options.counts ?? DELIVERY_COUNTS;
  const progress = options.progress ?? (() => undefined);
  return measureEachCount(counts, (count, batch) => measureAt(count, batch, progress));
}

/** The rows as the table `npm run bench` prints. */
export function printDeliveryTable(rows: readonly BenchRow[]): void {
  printRows(
    "Delivery: purchase to buyer-decrypted, old path (HPKE per record per delivery, buyer fetching each envelope) beside new (keys kept at acceptance, buyer reading one CAR stream); the node over HTTP with in-process Hardhat + in-memory Helia, the buyer in its own process; memory = peak during the phase",
    rows,
  );
}

async function measureAt(
  count: number,
  batch: CompiledBatch,
  progress: (line: string) => void,
): Promise<BenchRow[]> {
  const pool = await setupBenchPool(batch, {
    count,
    scope: 1,
    record: benchRecord,
    pool: { price: PRICE },
    progress,
    label: "delivery bench",
  });
  const node = await startBenchNode(pool).catch(async (error: unknown) => {
    await pool.close();
    throw error;
  });
  try {
    const { publicClient, buyerWallet, address, poolId, fromBlock, store, custodian } = pool;
    const asBuyer = createDatabankClient({ publicClient, walletClient: buyerWallet, address });
    const buy = async () => {
      const keys = generateKeyPair();
      const receipt = await publicClient.waitForTransactionReceipt({
        hash: await asBuyer.contract.write.purchase([poolId, PRICE, toHex32(keys.publicKey)], {
          value: PRICE,
        }),
      });
      return { purchase: asBuyer.purchaseFromEvent(receipt), keys };
    };
    /** Times a delivery from the worker's pass to the buyer's files, the buyer in its process. */
    const measure = async (
      path: BuyerPath,
      worker: Pick<DeliveryWorker, "deliverPending" | "status">,
    ): Promise<BenchRow[]> => {
      const buyer = await startBenchBuyer();
      try {
        const { purchase, keys } = await buy();
        settleHeap();
        const memory = sampleMemory();
        const started = performance.now();
        await worker.deliverPending();
        const status = await expectDelivered(worker, purchase.id);
        const fulfilled = performance.now();
        const result = await buyer.run({
          path,
          nodeUrl: node.url,
          purchaseId: purchase.id.toString(),
          expected: {
            recordsRoot: status.recordsRoot as Hex,
            recordCount: status.recordCount!,
            buyerKey: toHex32(keys.publicKey),
            databank: address,
            chainId: pool.chainId,
            deliveryCid: status.deliveryCid!,
          },
          buyerPrivateKey: toHex32(keys.privateKey),
          // The old worker is not the node's, whose API would not know its delivery key.
          ...(path === "one-by-one" ? { deliveryKey: status.deliveryKey } : {}),
          concurrency: BUYER_CONCURRENCY[path],
          outDir: pool.dir,
        });
        const decrypted = performance.now();
        const peak = memory.stop();
        if (result.records !== count) {
          throw new Error(`the buyer opened ${result.records}, not ${count}`);
        }
        return phaseRows(path, sizeLabel(count), { started, fulfilled, decrypted, peak, result });
      } finally {
        buyer.stop();
      }
    };
    const size = sizeLabel(count);
    const rows: BenchRow[] = [
      { suite: SUITE, operation: "setup (seal + store + submit/accept + keys kept)", size, value: round(pool.setupSeconds), unit: "s" },
    ];

    // ---- new path: the node's first delivery (keys kept at acceptance), then the steady state
    {
      const { purchase } = await buy();
      settleHeap();
      const started = performance.now();
      await node.delivery.deliverPending();
      await expectDelivered(node.delivery, purchase.id);
      rows.push({ suite: SUITE, operation: "new: first delivery (keys kept at acceptance)", size, value: seconds(started), unit: "s" });
    }
    rows.push(...(await measure("stream", node.delivery)));
    // The same node, the buyer as it was before the stream: one request per envelope, 32 at once.
    rows.push(...(await measure("requests", node.delivery)));

    // ---- old path: HPKE per record per delivery (its own worker and database; the node serves
    // the envelopes), the buyer fetching them one by one
    const old = createDeliveryWorker({
      db: pool.openDb("old"),
      databank: custodian,
      store,
      custodianAddress: pool.custodianAccount.address,
      custodianPrivateKey: pool.custodianKeys.privateKey,
      fromBlock,
      keepDataKeys: false,
    });
    // Warmed up like the node's worker (its first pass reads the pool's events; no purchase is
    // pending for it yet), so that both paths are measured in their steady state.
    await old.deliverPending();
    rows.push(...(await measure("one-by-one", old)));
    return rows;
  } finally {
    await node.stop();
    await pool.close();
  }
}

async function expectDelivered(
  worker: Pick<DeliveryWorker, "status">,
  purchaseId: bigint,
) {
  const status = await worker.status(purchaseId);
  if (status?.status !== "delivered" || status.deliveryCid === undefined) {
    throw new Error(`purchase ${purchaseId} not delivered: ${status?.error}`);
  }
  return status;
}

/** The figures of one path. */
interface PhaseTimes {
  started: number;
  fulfilled: number;
  decrypted: number;
  /** The node process's memory (node, chain and store). */
  peak: MemoryPeak;
  /** What the buyer process measured. */
  result: BenchBuyerResult;
}

function phaseRows(path: BuyerPath, size: string, times: PhaseTimes): BenchRow[] {
  const { started, fulfilled, decrypted, peak, result } = times;
  const row = (operation: string, value: number, unit: string): BenchRow => ({
    suite: SUITE,
    operation: `${PATH_LABEL[path]}: ${operation}`,
    size,
    value,
    unit,
  });
  return [
    row("purchase -> fulfilled (worker)", round((fulfilled - started) / 1000), "s"),
    row("fulfilled -> buyer decrypted + files written", round((decrypted - fulfilled) / 1000), "s"),
    row("purchase -> buyer decrypted (end to end)", round((decrypted - started) / 1000), "s"),
    row("node: JS heap peak (above phase start)", mib(peak.heapUsed - peak.baseline.heapUsed), "MiB"),
    row("node: RSS peak (process, incl. chain)", mib(peak.rss), "MiB"),
    row("buyer: RSS peak (own process)", mib(result.rssPeak), "MiB"),
  ];
}

function benchRecord(index: number) {
  return {
    name: `Contributor ${index}`,
    email: `contributor${index}@example.org`,
    skills: ["typescript", "solidity", "sql"].slice(0, 1 + (index % 3)),
    years: index % 40,
  };
}

function seconds(since: number): number {
  return round((performance.now() - since) / 1000);
}

if (process.argv.some((arg) => arg.endsWith(join("bench", "delivery.ts")))) {
  const counts =
    process.env.DATABANK_BENCH_DELIVERY_COUNTS?.split(",").map(Number) ?? DELIVERY_COUNTS;
  const rows = await benchDelivery({ counts, progress: (line) => console.log(line) });
  printDeliveryTable(rows);
  await writeFile(join("bench", "delivery.txt"), rowsText(rows, 62));
}
