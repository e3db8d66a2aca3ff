/**
 * A query end to end (issue 11): from the buyer's purchase to the answer decrypted, over pools of
 * 1,000, 10,000 and 100,000 active contributions whose consent allows statistics only, on an
 * in-process Hardhat network with an in-memory Helia store (pool set up with the shortcut of
 * ./poolSetup.ts; setup time is reported, not part of any figure).
 *
 * Both sides run the project's code: the buyer is lib/query/buyer.ts (`quoteQuery` before the
 * clock starts, then `buyAnswer`: upload the query, `purchaseQuery`, wait, check `QueryAnswered`,
 * open the sealed answer), the same as `npm run query` and the demo; the custodian is the node's
 * query worker (service/custodian/queries.ts: read the statistics-scoped set from the chain, take
 * each record's data key from the key custody, open and parse every record in memory, compute the
 * noisy answer, seal and upload it, `fulfillQuery`, release the answer's key). The node's HTTP API
 * is replaced by direct calls to the store and the worker: the buyer's look at the answer's status
 * runs one worker pass first, so nothing waits on a poll interval.
 *
 * The query is the engine benchmark's (./query.ts): count, mean, median and a histogram by city ×
 * experience bucket, ε = 0.5, over the demo's resumes. Phases: purchase (query uploaded and
 * `purchaseQuery` mined), paid → fulfilled (the worker, until the answer's key is released),
 * fulfilled → decrypted (the buyer), and the total; memory peaks over the whole query. The first
 * query of a worker and the next one are measured apart.
 *
 * Target: 10,000 records end to end under 5 s. Gas of `purchaseQuery` + `fulfillQuery` is
 * `npm run bench:gas`'s (bench/gas-snapshot.json), flat in N.
 *
 * Run alone: `npm run bench:query-e2e` (set DATABANK_BENCH_QUERY_E2E_COUNTS, e.g. "1000,10000", to
 * measure some sizes only); writes bench/query-e2e.txt.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseEther } from "viem";
import { CONSENT_SCOPE, createDatabankClient } from "../../lib/contracts/client.js";
import { generateKeyPair } from "../../lib/crypto/index.js";
import { QUERY_POLICY_KEYWORD } from "../../lib/query/index.js";
import { buyAnswer, quoteQuery, type BuyAnswerParams } from "../../lib/query/buyer.js";
import { createQueryWorker, type QueryWorker } from "../../service/custodian/queries.js";
import { demoQueryPolicy } from "../demo/queryPolicy.js";
import { demoResume } from "../demo/resumes.js";
import {
  measureEachCount,
  setupBenchPool,
  sizeLabel,
  type BenchPool,
  type CompiledBatch,
} from "./poolSetup.js";
import { benchQueryDocument, resumeSchema } from "./query.js";
import { mib, round, sampleMemory } from "./memory.js";
import { printRows, rowsText } from "./table.js";
import type { BenchRow } from "./types.js";

const SUITE = "query-e2e";
/** Record counts measured by default. */
export const QUERY_E2E_COUNTS = [1_000, 10_000, 100_000] as const;
const QUERY_PRICE = parseEther("0.5");

/** Options of {@link benchQueryE2e}. */
export interface BenchQueryE2eOptions {
  /** Record counts to measure; default {@link QUERY_E2E_COUNTS}. */
  counts?: readonly number[];
  /** Progress lines (setup takes minutes at 100,000). */
  progress?: (line: string) => void;
}

/** Measures a first and a next query at each count. */
export async function benchQueryE2e(options: BenchQueryE2eOptions = {}): Promise<BenchRow[]> {
  const progress = options.progress ?? (() => undefined);
  return measureEachCount(options.counts ?? QUERY_E2E_COUNTS, (count, batch) =>
    measureAt({ count, batch, progress }),
  );
}

/** The title of the table `npm run bench` prints (with printRows). */
export const QUERY_E2E_TABLE_TITLE =
  "Query end to end: purchaseQuery to the buyer holding the decrypted answer (statistics-only pool; custodian: query worker over kept keys; count + mean + median + histogram by city × experience, ε = 0.5); in-process Hardhat + in-memory Helia; memory = peak during the query, process-wide. Gas of purchaseQuery + fulfillQuery: bench/gas-snapshot.json (npm run bench:gas), flat in N";

/** What {@link measureAt} measures with. */
interface MeasureAtParams {
  /** Active contributions in the pool. */
  count: number;
  /** The batch contract that sets the pool up. */
  batch: CompiledBatch;
  /** Progress lines of the setup. */
  progress: (line: string) => void;
}

/** A pool of `count` statistics-only contributions, then a first and a next query over it. */
async function measureAt({ count, batch, progress }: MeasureAtParams): Promise<BenchRow[]> {
  const pool = await setupBenchPool(batch, {
    count,
    scope: CONSENT_SCOPE.statistics,
    record: demoResume,
    pool: {
      products: CONSENT_SCOPE.statistics,
      price: 0n,
      queryPrice: QUERY_PRICE,
      epsilonBudget: 100_000_000,
      maxEpsilonPerQuery: 1_000_000,
    },
    schema: { ...resumeSchema(), [QUERY_POLICY_KEYWORD]: demoQueryPolicy() },
    progress,
    label: "query bench",
  });
  try {
    const worker = createQueryWorker({
      db: pool.db,
      databank: pool.custodian,
      store: pool.store,
      custodianAddress: pool.custodianAccount.address,
      custodianPrivateKey: pool.custodianKeys.privateKey,
      keyCustody: pool.custody,
      fromBlock: pool.fromBlock,
    });
    const size = sizeLabel(count);
    const rows: BenchRow[] = [
      {
        suite: SUITE,
        operation: "setup (seal + store + submit/accept + keys kept)",
        size,
        value: round(pool.setupSeconds),
        unit: "s",
      },
    ];
    rows.push(...(await measureQuery(pool, worker, count, "first query", size)));
    rows.push(...(await measureQuery(pool, worker, count, "next query", size)));
    return rows;
  } finally {
    await pool.close();
  }
}

/** One query, priced before the clock starts, then bought and opened; its phase rows. */
async function measureQuery(
  pool: BenchPool,
  worker: QueryWorker,
  count: number,
  label: string,
  size: string,
): Promise<BenchRow[]> {
  const query = benchQueryDocument();
  const reader = createDatabankClient({ publicClient: pool.publicClient, address: pool.address });
  const { api, fulfilledAt } = workerApi(pool, worker);
  const quote = await quoteQuery({ reader, api, poolId: pool.poolId, query });
  const buyer = createDatabankClient({
    publicClient: pool.publicClient,
    walletClient: pool.buyerWallet,
    address: pool.address,
  });
  let paid = 0;
  const memory = sampleMemory();
  const started = performance.now();
  const result = await buyAnswer({
    quote,
    queryBytes: new TextEncoder().encode(JSON.stringify(query)),
    buyer,
    buyerKeys: generateKeyPair(),
    api,
    timeoutMs: 3_600_000,
    intervalMs: 0,
    onPaid: () => (paid = performance.now()),
  });
  const decrypted = performance.now();
  const peak = memory.stop();
  if (result.kind !== "answered") throw new Error(`the worker rejected the query: ${result.reason}`);
  if (result.recordCount !== count) {
    throw new Error(`the answer used ${result.recordCount} records, not ${count}`);
  }
  const fulfilled = fulfilledAt();
  const row = (operation: string, value: number, unit: string): BenchRow => ({
    suite: SUITE,
    operation: `${label}: ${operation}`,
    size,
    value,
    unit,
  });
  const s = (from: number, to: number) => round((to - from) / 1000);
  return [
    row("purchase (query uploaded, purchaseQuery mined)", s(started, paid), "s"),
    row("paid -> fulfilled (worker: open, compute, seal, fulfil)", s(paid, fulfilled), "s"),
    row("fulfilled -> answer decrypted (buyer)", s(fulfilled, decrypted), "s"),
    row("purchase -> answer decrypted (end to end)", s(started, decrypted), "s"),
    row("JS heap peak (above query start)", mib(peak.heapUsed - peak.baseline.heapUsed), "MiB"),
    row("RSS peak (process, incl. chain)", mib(peak.rss), "MiB"),
  ];
}

/**
 * The node API the buyer uses, served by the store and the worker directly: a look at the
 * answer's status runs one worker pass first. Also returns when the answer's key was first
 * released (the query fulfilled).
 */
function workerApi(pool: BenchPool, worker: QueryWorker) {
  let fulfilled: number | undefined;
  const api: BuyAnswerParams["api"] = {
    uploadContent: async (bytes: Uint8Array) => ({
      cid: await pool.store.put(bytes),
      size: bytes.length,
    }),
    getContent: (cid: string) => pool.store.get(cid),
    answerStatus: async (purchaseId: number | bigint) => {
      await worker.answerPending();
      const status = await worker.status(BigInt(purchaseId));
      if (status?.answerKey !== undefined) fulfilled ??= performance.now();
      return status ?? { purchaseId: purchaseId.toString(), status: "pending" };
    },
  };
  return {
    api,
    fulfilledAt: () => {
      if (fulfilled === undefined) throw new Error("the answer's key was never released");
      return fulfilled;
    },
  };
}

if (process.argv.some((arg) => arg.endsWith(join("bench", "queryE2e.ts")))) {
  const counts =
    process.env.DATABANK_BENCH_QUERY_E2E_COUNTS?.split(",").map(Number) ?? QUERY_E2E_COUNTS;
  const rows = await benchQueryE2e({ counts, progress: (line) => console.log(line) });
  printRows(QUERY_E2E_TABLE_TITLE, rows);
  await writeFile(join("bench", "query-e2e.txt"), rowsText(rows, 70));
}
