/**
 * The delivery benchmark's buyer, in a process of its own as a real buyer runs (its own heap and
 * event loop, not the node's and the chain's): it reads a job as one JSON line on stdin, opens the
 * delivery over the node's HTTP API as `npm run buyer` does (lib/api + lib/delivery + the same
 * file writer), and prints one JSON line with what it measured. It prints "ready" once its code is
 * loaded, so that start-up is not counted.
 *
 * - "stream": the manifest, the delivery key the node releases, then every envelope from
 *   `GET /v1/purchases/{id}/delivery/car` (the buyer CLI's path);
 * - "requests": the same, but every envelope fetched with its own request, `concurrency` at a
 *   time (the buyer CLI before the stream);
 * - "one-by-one": the path before issue 10 — every envelope fetched with its own request, one at
 *   a time, all records collected before the files are written.
 *
 * Started by scripts/bench/delivery.ts (see {@link startBenchBuyer}); not a user command.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Hex } from "viem";
import { createNodeApiClient, lazyEnvelopes } from "../../lib/api/index.js";
import { fromHex32 } from "../../lib/crypto/keys.js";
import {
  openDelivery,
  streamDelivery,
  toCsv,
  toJsonLines,
  waitForDeliveryKey,
  type ExpectedDelivery,
} from "../../lib/delivery/index.js";
import { writeDeliveryFiles } from "../deliveryFiles.js";
import { sampleMemory } from "./memory.js";

/** One delivery to open. */
export interface BenchBuyerJob {
  path: "stream" | "requests" | "one-by-one";
  nodeUrl: string;
  purchaseId: string;
  /** From PurchaseFulfilled and PurchaseCreated (bigints as decimal strings). */
  expected: Omit<ExpectedDelivery, "recordCount" | "purchaseId" | "deliveryCid"> & {
    recordCount: number;
    deliveryCid: string;
  };
  /**
   * "one-by-one": the delivery key as the worker released it (that worker is not the node's, whose
   * API would not know the purchase); "stream" asks the node for it.
   */
  deliveryKey?: string;
  /** The buyer's X25519 private key, 0x-hex. */
  buyerPrivateKey: Hex;
  /** Records fetched and decrypted at once. */
  concurrency: number;
  /** Where the JSON Lines and CSV files go. */
  outDir: string;
}

/** What the buyer measured. */
export interface BenchBuyerResult {
  records: number;
  /** From reading the job to both files written. */
  seconds: number;
  /** The buyer process's peaks during the job, bytes. */
  rssPeak: number;
  heapPeak: number;
}

/** Opens the job's delivery and writes its files; returns the records written. */
async function runJob(job: BenchBuyerJob): Promise<number> {
  const api = createNodeApiClient({ baseUrl: job.nodeUrl });
  const purchaseId = BigInt(job.purchaseId);
  const { deliveryCid } = job.expected;
  const manifest = await api.getContent(deliveryCid);
  // The stream path must not fall back to one request per envelope unnoticed.
  let envelopesFetched = 0;
  let unstreamed: string | undefined;
  const open = {
    manifest,
    expected: { ...job.expected, purchaseId },
    fetchContent: (cid: string) => {
      envelopesFetched++;
      return api.getContent(cid);
    },
    buyerPrivateKey: fromHex32(job.buyerPrivateKey),
    concurrency: job.concurrency,
  };
  const jsonlPath = join(job.outDir, `${job.path}.jsonl`);
  const csvPath = join(job.outDir, `${job.path}.csv`);
  if (job.path === "one-by-one") {
    const records = await openDelivery({ ...open, deliveryKey: job.deliveryKey });
    await writeFile(jsonlPath, toJsonLines(records));
    await writeFile(csvPath, toCsv(records).text);
    return records.length;
  }
  const written = await writeDeliveryFiles({
    records: streamDelivery({
      ...open,
      deliveryKey: () =>
        waitForDeliveryKey({ purchaseId, fetchStatus: () => api.deliveryStatus(purchaseId) }),
      ...(job.path === "stream"
        ? {
            envelopes: lazyEnvelopes(
              (signal) => api.openDeliveryStream(purchaseId, signal),
              deliveryCid,
              (reason) => (unstreamed = reason),
            ),
          }
        : {}),
    }),
    jsonlPath,
    csvPath,
  });
  if (job.path === "stream" && (unstreamed !== undefined || envelopesFetched > 0)) {
    throw new Error(
      `the stream path fetched ${envelopesFetched} envelope(s) one by one (${unstreamed ?? "the stream left them out"})`,
    );
  }
  return written.count;
}

/** A started buyer process, waiting for its job. */
export interface BenchBuyer {
  /** Sends the job; resolves with the buyer's measurements. */
  run(job: BenchBuyerJob): Promise<BenchBuyerResult>;
  /** Ends the process (it exits by itself after one job). */
  stop(): void;
}

/** Starts a buyer process and waits until its code is loaded. */
export async function startBenchBuyer(): Promise<BenchBuyer> {
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--child"],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error("the bench buyer exited without answering");
    return line.value;
  };
  const ready = await nextLine();
  if (ready !== "ready") throw new Error(`the bench buyer said "${ready}" instead of ready`);
  return {
    async run(job) {
      child.stdin.write(`${JSON.stringify(job)}\n`);
      const answer = JSON.parse(await nextLine()) as BenchBuyerResult | { error: string };
      if ("error" in answer) throw new Error(`bench buyer: ${answer.error}`);
      return answer;
    },
    stop: () => void child.kill(),
  };
}

if (process.argv.includes("--child")) {
  const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  process.stdout.write("ready\n");
  const line = await input.next();
  if (!line.done) {
    const job = JSON.parse(line.value) as BenchBuyerJob;
    const memory = sampleMemory();
    const started = performance.now();
    try {
      const records = await runJob(job);
      const seconds = (performance.now() - started) / 1000;
      const { rss, heapUsed } = memory.stop();
      const result: BenchBuyerResult = { records, seconds, rssPeak: rss, heapPeak: heapUsed };
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } catch (error) {
      memory.stop();
      process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
    }
  }
  process.exit(0);
}
