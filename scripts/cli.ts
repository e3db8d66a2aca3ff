/**
 * What every Databank CLI shares: argument parsing with one-line usage errors, the chain and node
 * clients from lib/config, and the wallet key from the environment.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { LogProgress } from "../lib/audit/logs.js";
import {
  createPublicClient,
  http,
  isHex,
  type Chain,
  type PublicClient,
  type Transport,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import * as chains from "viem/chains";
import {
  ConfigError,
  loadConfig,
  resolveDatabankAddress,
  type DatabankConfig,
} from "../lib/config/index.js";

/** A usage problem: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses `process.argv` with `options`; unknown options are a UsageError. */
export function parseCli<T extends ParseArgsConfig["options"]>(options: T) {
  try {
    return parseArgs({ options, allowPositionals: false, strict: true }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * The node options the buyer-side CLIs share, checked: `--node-url` (a URL) and `--wait` (whole
 * seconds, at most a day), as milliseconds.
 *
 * @param values - the parsed `--node-url` and `--wait`
 * @param exampleUrl - the configured node URL, named in the message when `--node-url` is not one
 * @throws UsageError with one line saying what to fix
 */
export function nodeWaitOptions(
  values: { "node-url": string; wait: string },
  exampleUrl: string,
): { nodeUrl: string; waitMs: number } {
  try {
    new URL(values["node-url"]);
  } catch {
    throw new UsageError(`--node-url must be a URL such as ${exampleUrl}`);
  }
  if (!/^[0-9]+$/.test(values.wait) || Number(values.wait) > 86_400) {
    throw new UsageError(`--wait takes whole seconds from 0 to 86400, not "${values.wait}"`);
  }
  return { nodeUrl: values["node-url"], waitMs: Number(values.wait) * 1000 };
}

/** The chain known to viem by id, or a minimal definition for an unknown (local) one. */
export function chainById(id: number): Chain {
  const known = Object.values(chains).find((chain) => (chain as Chain).id === id) as
    Chain | undefined;
  if (id === chains.hardhat.id) return chains.hardhat;
  return known ?? { ...chains.hardhat, id, name: `chain ${id}` };
}

/** The configured chain, its public client and the Databank address. */
export async function connect(config: DatabankConfig = loadConfig()): Promise<{
  config: DatabankConfig;
  publicClient: PublicClient<Transport, Chain>;
  databank: `0x${string}`;
}> {
  const probe = createPublicClient({ transport: http(config.rpcUrl, { retryCount: 1 }) });
  const chainId = await probe.getChainId().catch(() => {
    throw new UsageError(
      `DATABANK_RPC_URL: no chain answers at ${config.rpcUrl}; start one (npm start) or fix the URL`,
    );
  });
  const publicClient = createPublicClient({
    chain: chainById(chainId),
    transport: http(config.rpcUrl),
  });
  return { config, publicClient, databank: resolveDatabankAddress(config, chainId) };
}

/** The wallet whose private key is in `variable`. */
export function walletFromEnv(variable: string): PrivateKeyAccount {
  const key = process.env[variable]?.trim();
  if (!key) throw new UsageError(`${variable}: set it to the wallet's private key`);
  if (!isHex(key) || key.length !== 66) {
    throw new UsageError(`${variable}: must be a 32-byte hex private key (0x + 64 digits)`);
  }
  return privateKeyToAccount(key);
}

/**
 * Runs a CLI's main: one line on stderr and exit 2 for usage/config errors, 1 for failures. The
 * configuration is checked first, so that a bad port or URL is reported before anything runs.
 */
export function runCli(name: string, main: () => Promise<number | void>): void {
  Promise.resolve()
    .then(() => {
      loadConfig();
      return main();
    })
    .then(
      (code) => process.exit(code ?? 0),
      (error: unknown) => {
        const usage = error instanceof UsageError || error instanceof ConfigError;
        console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(usage ? 2 : 1);
      },
    );
}

/**
 * A progress bar on stderr while a replay reads the chain's logs (the audit, the passbook): only on a
 * terminal, so that logs stay clean.
 */
export function logProgressBar(): { update: (progress: LogProgress) => void; done: () => void } {
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
