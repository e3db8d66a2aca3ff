/**
 * `npm run passbook -- --wallet <address> [--json|--csv]`: the command-line face of lib/passbook.
 * Resolves the chain and contract as `npm run audit` does (the project's config loader, then the
 * Ignition deployment), shows a progress bar on stderr while it reads logs, and prints the
 * statement. Exit status: 0 printed, 2 bad usage or an error that stops it (one line on stderr).
 */
import { writeFile } from "node:fs/promises";
import { createPublicClient, getAddress, http } from "viem";
import { AuditError, shortMessage, UsageError } from "../lib/audit/index.js";
import { ConfigError, loadConfig, readDeployedAddresses } from "../lib/config/index.js";
import {
  buildPassbook,
  parsePassbookArgs,
  passbookToCsv,
  passbookToText,
  PASSBOOK_USAGE,
  type PassbookCliOptions,
} from "../lib/passbook/index.js";

async function passbook(options: PassbookCliOptions): Promise<number> {
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
  const deployed = readDeployedAddresses(chainId)?.["Databank#Databank"];
  const databank = options.databank ?? (deployed === undefined ? undefined : getAddress(deployed));
  if (!databank) {
    throw new UsageError(
      `no Databank address: pass --databank or set DATABANK_ADDRESS (nothing in ignition/deployments/chain-${chainId}/deployed_addresses.json)`,
    );
  }
  const result = await buildPassbook({
    client,
    databank,
    wallet: options.wallet!,
    fromBlock: options.fromBlock,
    toBlock: options.toBlock,
    blockRange: options.blockRange,
    erasureGraceSeconds: options.erasureGraceSeconds,
    explorerUrl: options.explorerUrl,
  });
  const rendered =
    options.format === "json"
      ? `${JSON.stringify(result, null, 2)}\n`
      : options.format === "csv"
        ? passbookToCsv(result)
        : passbookToText(result);
  if (options.out) {
    await writeFile(options.out, rendered);
    process.stderr.write(`passbook written to ${options.out}\n`);
  } else {
    process.stdout.write(rendered);
  }
  return 0;
}

/** The environment with the defaults of the project's one config loader filled in. */
function withConfigDefaults(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const config = loadConfig({ env });
  return {
    ...env,
    DATABANK_RPC_URL: config.rpcUrl,
    DATABANK_START_BLOCK: config.startBlock.toString(),
    ...(config.databankAddress === undefined ? {} : { DATABANK_ADDRESS: config.databankAddress }),
  };
}

/** Runs the CLI and returns its exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const options = parsePassbookArgs(argv, withConfigDefaults(env));
    if (options.help) {
      process.stdout.write(`${PASSBOOK_USAGE}\n`);
      return 0;
    }
    return await passbook(options);
  } catch (error) {
    const prefix =
      error instanceof AuditError || error instanceof ConfigError
        ? "passbook"
        : "passbook: unexpected error";
    process.stderr.write(`${prefix}: ${shortMessage(error)}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
