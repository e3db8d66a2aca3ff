/**
 * `npm run audit -- --pool <id> | --address <addr>`: the command-line face of lib/audit. Resolves
 * the chain and contract, fetches delivery manifests from the data bank node (checking every byte
 * against its CID, so the node need not be trusted), shows a progress bar on stderr while it reads
 * logs, and prints the report. Exit status: 0 all checks pass, 1 a check fails, 2 bad usage or an
 * error that stops the audit (one line on stderr saying what to fix).
 */
import { writeFile } from "node:fs/promises";
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
} from "../lib/audit/index.js";
import { createNodeApiClient } from "../lib/api/index.js";
import { ConfigError, loadConfig, readDeployedAddresses } from "../lib/config/index.js";
import { logProgressBar } from "./cli.js";

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
  const databank =
    options.databank ??
    getAddressOrUndefined(readDeployedAddresses(chainId)?.["Databank#Databank"]);
  if (!databank) {
    throw new UsageError(
      `no Databank address: pass --databank or set DATABANK_ADDRESS (nothing in ignition/deployments/chain-${chainId}/deployed_addresses.json)`,
    );
  }
  const bar = logProgressBar();
  const report = await runAudit({
    client,
    databank,
    fromBlock: options.fromBlock,
    toBlock: options.toBlock,
    poolId: options.poolId,
    address: options.address,
    blockRange: options.blockRange,
    fetchContent: options.nodeUrl
      ? (cid) => createNodeApiClient({ baseUrl: options.nodeUrl! }).getContent(cid)
      : undefined,
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

/**
 * The environment with the defaults of the project's one config loader filled in (it also reads
 * DATABANK_CONFIG), so that `npm run audit` sees the same chain, node and start block as the
 * other CLIs. lib/audit's own parser stays free of Node APIs for the dApp.
 */
function getAddressOrUndefined(value: string | undefined): Address | undefined {
  return value === undefined ? undefined : getAddress(value);
}

function withConfigDefaults(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const config = loadConfig({ env });
  return {
    ...env,
    DATABANK_RPC_URL: config.rpcUrl,
    DATABANK_NODE_URL: config.nodeUrl,
    DATABANK_START_BLOCK: config.startBlock.toString(),
    ...(config.databankAddress === undefined ? {} : { DATABANK_ADDRESS: config.databankAddress }),
  };
}

/** Runs the CLI and returns its exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const options = parseAuditArgs(argv, withConfigDefaults(env));
    if (options.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    return await audit(options);
  } catch (error) {
    const prefix =
      error instanceof AuditError || error instanceof ConfigError
        ? "audit"
        : "audit: unexpected error";
    process.stderr.write(`${prefix}: ${shortMessage(error)}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
