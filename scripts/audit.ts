/**
 * `npm run audit -- --pool <id> | --address <addr>`: the command-line face of lib/audit. Resolves
 * the chain and contract, fetches delivery manifests from the data bank node (checking every byte
 * against its CID, so the node need not be trusted), shows a progress bar on stderr while it reads
 * logs, and prints the report. Exit status: 0 all checks pass, 1 a check fails, 2 bad usage or an
 * error that stops the audit (one line on stderr saying what to fix).
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, getAddress, http, type Address } from "viem";
import {
  AuditError,
  USAGE,
  UsageError,
  parseAuditArgs,
  reportToCsv,
  reportToJson,
  reportToText,
  runAudit,
  shortMessage,
  type AuditCliOptions,
  type FetchContent,
  type LogProgress,
} from "../lib/audit/index.js";
import { assertBytesMatchCid, parseCid } from "../lib/storage/cid.js";

const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The Databank address Ignition recorded for `chainId`, or undefined. */
async function deployedDatabank(chainId: number): Promise<Address | undefined> {
  const file = path.join(
    REPOSITORY_ROOT,
    "ignition",
    "deployments",
    `chain-${chainId}`,
    "deployed_addresses.json",
  );
  try {
    const addresses = JSON.parse(await readFile(file, "utf8")) as Record<string, string>;
    const address = addresses["Databank#Databank"];
    return address ? getAddress(address) : undefined;
  } catch {
    return undefined;
  }
}

/** Content from the data bank node's `GET /v1/content/{cid}`, verified against the CID. */
function nodeContentFetcher(nodeUrl: string): FetchContent {
  return async (cid) => {
    const parsed = parseCid(cid);
    const url = `${nodeUrl}/v1/content/${encodeURIComponent(cid)}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    await assertBytesMatchCid(parsed, bytes, nodeUrl);
    return bytes;
  };
}

/** A progress bar on stderr while the logs are read (only on a terminal: logs stay clean). */
function progressBar(): { update: (progress: LogProgress) => void; done: () => void } {
  const stream = process.stderr;
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  let last = 0;
  return {
    update(progress) {
      const now = Date.now();
      const total = progress.toBlock - progress.fromBlock + 1n;
      const done = progress.scannedTo - progress.fromBlock + 1n;
      if (now - last < 100 && done !== total) return;
      last = now;
      const ratio = total > 0n ? Number((done * 1000n) / total) / 1000 : 1;
      const width = 30;
      const filled = Math.round(ratio * width);
      stream.write(
        `\rreading logs [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%  block ${progress.scannedTo}/${progress.toBlock}  ${progress.events} events`,
      );
    },
    done() {
      stream.write("\n");
    },
  };
}

async function audit(options: AuditCliOptions): Promise<number> {
  const client = createPublicClient({
    // Large log ranges take a while to serve; a timeout halves the range (see lib/audit/logs.ts).
    transport: http(options.rpcUrl, { retryCount: 2, timeout: 60_000 }),
  });
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (error) {
    throw new UsageError(
      `cannot reach the chain at ${options.rpcUrl} (${shortMessage(error)}): check --rpc-url or DATABANK_RPC_URL`,
    );
  }
  const databank = options.databank ?? (await deployedDatabank(chainId));
  if (!databank) {
    throw new UsageError(
      `no Databank address: pass --databank or set DATABANK_ADDRESS (nothing in ignition/deployments/chain-${chainId}/deployed_addresses.json)`,
    );
  }
  const bar = progressBar();
  const report = await runAudit({
    client,
    databank,
    fromBlock: options.fromBlock,
    toBlock: options.toBlock,
    poolId: options.poolId,
    address: options.address,
    blockRange: options.blockRange,
    fetchContent: options.nodeUrl ? nodeContentFetcher(options.nodeUrl) : undefined,
    erasureGraceSeconds: options.erasureGraceSeconds,
    crossCheckViews: options.crossCheckViews,
    explorerUrl: options.explorerUrl,
    onProgress: bar.update,
  }).finally(bar.done);
  const rendered =
    options.format === "json"
      ? `${reportToJson(report)}\n`
      : options.format === "csv"
        ? reportToCsv(report)
        : reportToText(report);
  if (options.out) {
    await writeFile(options.out, rendered);
    process.stderr.write(
      `${report.passed ? "audit passed" : "audit FAILED"}; report written to ${options.out}\n`,
    );
  } else {
    process.stdout.write(rendered);
  }
  return report.passed ? 0 : 1;
}

/** Runs the CLI and returns its exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const options = parseAuditArgs(argv, env);
    if (options.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    return await audit(options);
  } catch (error) {
    const prefix = error instanceof AuditError ? "audit" : "audit: unexpected error";
    process.stderr.write(`${prefix}: ${shortMessage(error)}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
