/**
 * Delivery at scale: from a purchase to the buyer holding every record decrypted (written out as
 * JSON Lines and CSV), for pools of 1,000, 10,000 and 100,000 active contributions, on an
 * in-process Hardhat network with an in-memory Helia store — the path before issue 10 beside the
 * current one, measured in the same run on the same pool:
 *
 * - old: the worker HPKE-opens every record's envelope for every delivery (key custody off), and
 *   the buyer opens records one by one, collecting them all before writing the files;
 * - new: the worker takes each data key from the key custody (kept at rest under the KEK; no
 *   envelope fetched, no HPKE), and the buyer streams records, 4 in flight (see BUYER_CONCURRENCY),
 *   straight to the files.
 *   The keys are kept at acceptance, as the node does (service/custodian/acceptedKeys.ts): setup
 *   unwraps each envelope's key once with the custodian's key, as the acceptance check does, and
 *   keeps it. The first delivery is measured on its own row (it should cost what a later one
 *   does); records accepted before keys were kept at acceptance pay one HPKE open each at their
 *   first delivery instead (the lazy fallback, tested in test/ts/delivery/keyCustody.test.ts).
 *
 * The pool is set up with the shortcut of ./poolSetup.ts (batched submissions and acceptances
 * through EIP-7702; setup time is reported, not part of any figure).
 *
 * Run alone: `npm run bench:delivery` (set DATABANK_BENCH_DELIVERY_COUNTS, e.g. "1000,10000", to
 * measure some sizes only); writes bench/delivery.txt.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parseEther } from "viem";
import { createDatabankClient, type DatabankClient } from "../../lib/contracts/client.js";
import { generateKeyPair, toHex32 } from "../../lib/crypto/index.js";
import {
  openDelivery,
  streamDelivery,
  toCsv,
  toJsonLines,
  type OpenDeliveryParameters,
} from "../../lib/delivery/index.js";
import type { HeliaContentStore } from "../../lib/storage/index.js";
import { createDeliveryWorker, type KeyCustody } from "../../service/custodian/delivery.js";
import { writeDeliveryFiles } from "../deliveryFiles.js";
import {
  measureEachCount,
  mib,
  round,
  sampleMemory,
  setupBenchPool,
  sizeLabel,
  type CompiledBatch,
  type MemoryPeak,
} from "./poolSetup.js";
import { printRows, rowsText } from "./table.js";
import type { BenchRow } from "./types.js";

const SUITE = "delivery";
const PRICE = parseEther("1");
/** Record counts measured by default. */
export const DELIVERY_COUNTS = [1_000, 10_000, 100_000] as const;
/**
 * Records the new buyer fetches and decrypts at once. The bench reads from an in-process,
 * in-memory store, where the work is CPU on one thread and more reads in flight only add
 * contention (50,000 Helia reads: about 1.4 s at 4 in flight, 2.5 s at 32); a buyer reading from
 * a node over HTTP keeps the default of 32 (lib/delivery DEFAULT_OPEN_CONCURRENCY) to hide latency.
 */
const BUYER_CONCURRENCY = 4;

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
    "Delivery: purchase to buyer-decrypted, old path (HPKE per record per delivery, sequential buyer) beside new (keys kept at acceptance, streamed buyer, 4 in flight); in-process Hardhat + in-memory Helia; memory = peak during the phase, process-wide",
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
  try {
    const { publicClient, buyerWallet, address, poolId, fromBlock, store, custodian } = pool;
    const newDb = pool.db;
    const custody = pool.custody;
    const dir = pool.dir;
    const asBuyer = createDatabankClient({ publicClient, walletClient: buyerWallet, address });
    const reader = createDatabankClient({ publicClient, address });
    const buy = async () => {
      const keys = generateKeyPair();
      const receipt = await publicClient.waitForTransactionReceipt({
        hash: await asBuyer.contract.write.purchase([poolId, PRICE, toHex32(keys.publicKey)], {
          value: PRICE,
        }),
      });
      return { purchase: asBuyer.purchaseFromEvent(receipt), keys };
    };
    const workerOn = (db: DatabaseSync, keys: { keepDataKeys: boolean; keyCustody?: KeyCustody }) =>
      createDeliveryWorker({
        db,
        databank: custodian,
        store,
        custodianAddress: pool.custodianAccount.address,
        custodianPrivateKey: pool.custodianKeys.privateKey,
        fromBlock,
        ...keys,
      });
    const size = sizeLabel(count);
    const rows: BenchRow[] = [
      { suite: SUITE, operation: "setup (seal + store + submit/accept + keys kept)", size, value: round(pool.setupSeconds), unit: "s" },
    ];

    // ---- new path: the first delivery (keys kept at acceptance), then the steady state
    const fresh = workerOn(newDb, { keepDataKeys: true, keyCustody: custody });
    {
      const { purchase } = await buy();
      settleHeap();
      const started = performance.now();
      await fresh.deliverPending();
      await expectDelivered(fresh, purchase.id);
      rows.push({ suite: SUITE, operation: "new: first delivery (keys kept at acceptance)", size, value: seconds(started), unit: "s" });
    }
    {
      const { purchase, keys } = await buy();
      settleHeap();
      const memory = sampleMemory();
      const started = performance.now();
      await fresh.deliverPending();
      const status = await expectDelivered(fresh, purchase.id);
      const fulfilled = performance.now();
      const open = await openParams(reader, fromBlock, store, purchase.id, keys.privateKey, status);
      const written = await writeDeliveryFiles({
        records: streamDelivery({ ...open, concurrency: BUYER_CONCURRENCY }),
        jsonlPath: join(dir, "new.jsonl"),
        csvPath: join(dir, "new.csv"),
      });
      const decrypted = performance.now();
      const peak = memory.stop();
      if (written.count !== count) throw new Error(`the buyer opened ${written.count}, not ${count}`);
      rows.push(...phaseRows("new", size, started, fulfilled, decrypted, peak));
    }

    // ---- old path: HPKE per record per delivery, sequential buyer collecting everything
    {
      const old = workerOn(pool.openDb("old"), { keepDataKeys: false });
      const { purchase, keys } = await buy();
      settleHeap();
      const memory = sampleMemory();
      const started = performance.now();
      await old.deliverPending();
      const status = await expectDelivered(old, purchase.id);
      const fulfilled = performance.now();
      const open = await openParams(reader, fromBlock, store, purchase.id, keys.privateKey, status);
      const records = await openDelivery({ ...open, concurrency: 1 });
      await writeFile(join(dir, "old.jsonl"), toJsonLines(records));
      await writeFile(join(dir, "old.csv"), toCsv(records).text);
      const decrypted = performance.now();
      const peak = memory.stop();
      if (records.length !== count) throw new Error(`the buyer opened ${records.length}, not ${count}`);
      rows.push(...phaseRows("old", size, started, fulfilled, decrypted, peak));
    }
    return rows;
  } finally {
    await pool.close();
  }
}

async function expectDelivered(
  worker: ReturnType<typeof createDeliveryWorker>,
  purchaseId: bigint,
) {
  const status = await worker.status(purchaseId);
  if (status?.status !== "delivered" || status.deliveryKey === undefined) {
    throw new Error(`purchase ${purchaseId} not delivered: ${status?.error}`);
  }
  return status;
}

/** What the buyer needs, from the chain's events and the store (as the buyer CLI does). */
async function openParams(
  databank: DatabankClient,
  fromBlock: bigint,
  store: HeliaContentStore,
  purchaseId: bigint,
  buyerPrivateKey: Uint8Array,
  status: { deliveryKey?: string },
): Promise<OpenDeliveryParameters> {
  const [created] = await databank.contract.getEvents.PurchaseCreated({ purchaseId }, { fromBlock });
  const [fulfilled] = await databank.contract.getEvents.PurchaseFulfilled(
    { purchaseId },
    { fromBlock },
  );
  return {
    manifest: await store.get(fulfilled!.args.deliveryCid!),
    expected: {
      recordsRoot: fulfilled!.args.recordsRoot!,
      recordCount: fulfilled!.args.recordCount!,
      buyerKey: created!.args.buyerKey!,
      deliveryCid: fulfilled!.args.deliveryCid!,
    },
    fetchContent: (cid) => store.get(cid),
    buyerPrivateKey,
    deliveryKey: status.deliveryKey,
  };
}


function phaseRows(
  path: "old" | "new",
  size: string,
  started: number,
  fulfilled: number,
  decrypted: number,
  peak: MemoryPeak,
): BenchRow[] {
  const row = (operation: string, value: number, unit: string): BenchRow => ({
    suite: SUITE,
    operation: `${path}: ${operation}`,
    size,
    value,
    unit,
  });
  return [
    row("purchase -> fulfilled (worker)", round((fulfilled - started) / 1000), "s"),
    row("fulfilled -> buyer decrypted + files written", round((decrypted - fulfilled) / 1000), "s"),
    row("purchase -> buyer decrypted (end to end)", round((decrypted - started) / 1000), "s"),
    row("JS heap peak (above phase start)", mib(peak.heapUsed - peak.baseline.heapUsed), "MiB"),
    row("RSS peak (process, incl. chain)", mib(peak.rss), "MiB"),
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
