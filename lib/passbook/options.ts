/**
 * The passbook CLI's options, parsed from argv over the configured defaults by the audit's parser (same
 * chain, contract, block range, explorer and grace period flags, same defaults and messages), with
 * `--wallet` for the contributor. Pure: no file or network access.
 */
import type { Address } from "viem";
import { parseAuditArgs, UsageError, type OutputFormat } from "../audit/index.js";

/** Everything the passbook CLI needs. */
export interface PassbookCliOptions {
  /** Print the usage and exit. */
  help: boolean;
  /** The contributor; undefined only with `help`. */
  wallet?: Address;
  /** JSON-RPC URL. */
  rpcUrl: string;
  /** Databank address; undefined: the configured one, else the Ignition deployment of the chain. */
  databank?: Address;
  /** First block read. */
  fromBlock: bigint;
  /** The passbook is as of this block; undefined: the latest. */
  toBlock?: bigint;
  /** Blocks per `eth_getLogs` request. */
  blockRange: bigint;
  /** Explorer override for transaction links. */
  explorerUrl?: string;
  /** Seconds a buyer has to attest an erasure. */
  erasureGraceSeconds: number;
  /** Statement (text), JSON or CSV. */
  format: OutputFormat;
  /** Write to this file instead of stdout. */
  out?: string;
}

/** The usage text printed by `--help`. */
export const PASSBOOK_USAGE = `Usage: npm run passbook -- --wallet <0x…> [--json | --csv] [options]

A contributor's passbook, rebuilt from on-chain events only: every sale and query that used each of
its records and what it earned, bounties, claims, revocations, erasure requests and their status.
Exit status: 0 printed, 2 bad usage, unreachable chain or no Databank (one line saying what to fix).

  --wallet <0x…>           the contributor (required)
  --json | --csv           machine-readable output instead of the statement
  --rpc-url <url>          JSON-RPC URL (env DATABANK_RPC_URL; default as npm run audit)
  --databank <0x…>         Databank address (env DATABANK_ADDRESS, default from the Ignition deployment)
  --from-block <n>         first block read (env DATABANK_START_BLOCK, default 0)
  --to-block <n>           the passbook is as of this block (default latest)
  --block-range <n>        blocks per eth_getLogs request
  --explorer-url <url>     transaction links: a base URL (+ /tx/<hash>) or a template with {hash}
  --erasure-grace <secs>   time a buyer has to attest an erasure (default 7 days)
  --out <file>             write to a file instead of stdout
  --help                   this text`;

/** Audit flags that mean nothing for a passbook. */
const AUDIT_ONLY = new Set([
  "--pool",
  "--address",
  "--node-url",
  "--no-manifests",
  "--no-view-check",
]);

/** Defaults the flags override: the project's configuration (lib/config's `loadConfig`). */
export interface PassbookDefaults {
  /** JSON-RPC URL. */
  rpcUrl: string;
  /** First block read. */
  startBlock: bigint;
  /** Databank address, when configured. */
  databankAddress?: Address;
}

/**
 * Parses the CLI's arguments (without `node script`) over the configured defaults.
 *
 * @throws {UsageError} naming the flag to fix.
 */
export function parsePassbookArgs(
  argv: readonly string[],
  defaults: PassbookDefaults,
): PassbookCliOptions {
  const env = {
    DATABANK_RPC_URL: defaults.rpcUrl,
    DATABANK_START_BLOCK: defaults.startBlock.toString(),
    DATABANK_ADDRESS: defaults.databankAddress,
  };
  const mapped = argv.map((arg) => {
    const flag = arg.split("=", 1)[0]!;
    if (AUDIT_ONLY.has(flag)) throw new UsageError(`unknown argument "${arg}" (see --help)`);
    return flag === "--wallet" ? arg.replace("--wallet", "--address") : arg;
  });
  let options;
  try {
    options = parseAuditArgs([...mapped, "--no-manifests", "--no-view-check"], env);
  } catch (error) {
    if (error instanceof UsageError) {
      throw new UsageError(error.message.replaceAll("--address", "--wallet"));
    }
    throw error;
  }
  if (!options.help && options.address === undefined) {
    throw new UsageError("--wallet <0x…> is required: the contributor whose passbook to show");
  }
  return {
    help: options.help,
    wallet: options.address,
    rpcUrl: options.rpcUrl,
    databank: options.databank,
    fromBlock: options.fromBlock,
    toBlock: options.toBlock,
    blockRange: options.blockRange,
    explorerUrl: options.explorerUrl,
    erasureGraceSeconds: options.erasureGraceSeconds,
    format: options.format,
    out: options.out,
  };
}
