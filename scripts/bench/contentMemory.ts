/**
 * Memory of the node while it serves downloads (issue 10 §2): 1, 4, 8 and 16 concurrent
 * `GET /v1/content/{cid}` of one 60 MiB object, from a real data bank node (in-process Hardhat
 * network, Helia blocks on disk, HTTP over 127.0.0.1), with the streaming route; then the same
 * through the old buffering path (`store.get` of the whole object, then sending it), served from
 * the same store by a one-route server, for comparison.
 *
 * Figures: the node process's peak RSS above its level just before the downloads, and the peak
 * of memory held in ArrayBuffers (where the served bytes live, garbage not yet collected included).
 * The clients run in a child process, so their buffers are not counted. The node is started with
 * DATABANK_MAX_CONCURRENT_DOWNLOADS=16 so that every download streams; with the default of 4 the
 * rest would be refused with 503 and cost nothing. Clients read and discard the bytes.
 *
 * Run alone: `npm run bench:content` (DATABANK_BENCH_CONTENT_MIB sets the object's size).
 * With NODE_OPTIONS=--expose-gc, garbage is collected between levels for steadier baselines.
 */
import { serve, type ServerType } from "@hono/node-server";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { promisify } from "node:util";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { network } from "hardhat";
import { bytesToHex, createWalletClient, custom } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { loadConfig } from "../../lib/config/index.js";
import { generateKeyPair, toHex32 } from "../../lib/crypto/index.js";
import { startDatabankNode } from "../../service/node.js";
import { deployDatabankWithViem } from "../stack/deploy.js";
import { sampleMemory } from "./memory.js";
import type { BenchRow } from "./types.js";

const SUITE = "content-memory";
const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;
/** Concurrent downloads measured. */
export const CONCURRENCY_LEVELS = [1, 4, 8, 16] as const;

/** Options of {@link benchContentMemory}. */
export interface BenchContentMemoryOptions {
  /** Size of the object downloaded, in MiB; default 60. */
  objectMiB?: number;
  progress?: (line: string) => void;
}

/** Measures peak memory per concurrency level, streaming route and old buffering path. */
export async function benchContentMemory(
  options: BenchContentMemoryOptions = {},
): Promise<BenchRow[]> {
  const objectMiB = options.objectMiB ?? 60;
  const progress = options.progress ?? (() => undefined);
  const connection = await network.create();
  const { viem } = connection;
  const [owner] = await viem.getWalletClients();
  const { databank } = await deployDatabankWithViem(viem, {
    owner: owner.account.address,
    treasury: owner.account.address,
  });
  const publicClient = await viem.getPublicClient();
  const custodianKey = generatePrivateKey();
  const dataDir = await mkdtemp(join(tmpdir(), "databank-bench-content-"));
  const config = loadConfig({
    env: {
      DATABANK_DATA_DIR: dataDir,
      DATABANK_NODE_PORT: "0",
      DATABANK_ADDRESS: databank.address,
      DATABANK_MAX_CONCURRENT_DOWNLOADS: "16",
      DATABANK_GC_INTERVAL_MS: "0",
      DATABANK_CUSTODIAN_PRIVATE_KEY: custodianKey,
      DATABANK_CUSTODIAN_X25519_KEY: toHex32(generateKeyPair().privateKey),
      DATABANK_CUSTODIAN_FINGERPRINT_KEY: bytesToHex(crypto.getRandomValues(new Uint8Array(32))),
    },
    requireCustodian: true,
  });
  const node = await startDatabankNode({
    config,
    publicClient,
    walletClient: createWalletClient({
      account: privateKeyToAccount(custodianKey),
      chain: publicClient.chain,
      transport: custom(connection.provider),
    }),
    hooks: { startWorkers: false },
  });
  let oldServer: ServerType | undefined;
  try {
    const cid = await node.store.put(randomBytes(objectMiB * MiB));
    const size = `${objectMiB} MiB`;

    // The route as it was before streaming: the whole object in memory, then sent.
    const old = new Hono().get("/v1/content/:cid", async (c) => {
      const bytes = await node.store.get(c.req.param("cid"));
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
        "Content-Type": "application/octet-stream",
      });
    });
    oldServer = await listen(old);
    const oldUrl = `http://127.0.0.1:${(oldServer.address() as AddressInfo).port}`;

    const rows: BenchRow[] = [];
    // Streaming first: the buffering path leaves a larger process behind it.
    for (const [path, baseUrl] of [
      ["streaming (new)", node.url],
      ["buffering (old)", oldUrl],
    ] as const) {
      for (const concurrency of CONCURRENCY_LEVELS) {
        await settle();
        const memory = sampleMemory(10);
        const started = performance.now();
        const received = await downloadInChild(`${baseUrl}/v1/content/${cid}`, concurrency);
        const seconds = (performance.now() - started) / 1000;
        const peak = memory.stop();
        for (const bytes of received) {
          if (bytes !== objectMiB * MiB) throw new Error(`a download got ${bytes} bytes`);
        }
        const label = `${size} × ${concurrency}`;
        const rssMiB = (peak.rss - peak.baseline.rss) / MiB;
        const buffersMiB = peak.arrayBuffers / MiB;
        progress(
          `content-memory: ${path} ${label}: peak RSS +${rssMiB.toFixed(0)} MiB, ArrayBuffers ${buffersMiB.toFixed(0)} MiB, ${seconds.toFixed(1)} s`,
        );
        rows.push(
          { suite: SUITE, operation: `${path}: peak RSS above start`, size: label, value: Math.round(rssMiB), unit: "MiB" },
          { suite: SUITE, operation: `${path}: peak ArrayBuffers`, size: label, value: Math.round(buffersMiB), unit: "MiB" },
        );
      }
    }
    return rows;
  } finally {
    if (oldServer !== undefined) await new Promise<void>((resolve) => oldServer!.close(() => resolve()));
    await node.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Downloads `url` `concurrency` times at once from a child process (so the clients' own buffers
 * are not counted as the node's), discarding the bytes; returns how many bytes each received.
 */
async function downloadInChild(url: string, concurrency: number): Promise<number[]> {
  const script = `
    const download = async () => {
      const response = await fetch(${JSON.stringify(url)});
      if (response.status !== 200) throw new Error("status " + response.status);
      const reader = response.body.getReader();
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return bytes;
        bytes += value.byteLength;
      }
    };
    Promise.all(Array.from({ length: ${concurrency} }, download)).then(
      (sizes) => console.log(JSON.stringify(sizes)),
      (error) => { console.error(String(error)); process.exit(1); },
    );`;
  const { stdout } = await execFileAsync(process.execPath, ["-e", script], {
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as number[];
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65_536) {
    crypto.getRandomValues(bytes.subarray(offset, offset + 65_536));
  }
  return bytes;
}

/** Lets the previous level's garbage be collected before measuring from a fresh baseline. */
async function settle(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 1_500));
}

function listen(app: Hono): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
      resolve(server),
    );
    server.once("error", reject);
  });
}

// Run alone (`npm run bench:content`): print the table.
if (process.argv.some((arg) => arg.endsWith("scripts/bench/contentMemory.ts"))) {
  const { printTable } = await import("./table.js");
  const rows = await benchContentMemory({
    objectMiB: Number(process.env.DATABANK_BENCH_CONTENT_MIB ?? 60),
    progress: (line) => console.log(line),
  });
  printTable(
    "Content downloads: memory of the node (60 MiB object, concurrent clients)",
    ["operation", "size", "value", "unit"],
    rows.map((row) => [row.operation, row.size ?? "", String(row.value), row.unit]),
  );
}
