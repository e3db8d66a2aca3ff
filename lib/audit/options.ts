/**
 * The audit CLI's options: parsed from argv and the environment in one small, pure module (no
 * file or network access), so that it can move to the shared lib/config loader later.
 */
import { getAddress, isAddress, type Address } from "viem";
import { ConfigError } from "../config/errors.js";
import { defaultNodeUrl, defaultRpcUrl, LOCAL_DEFAULTS } from "../config/local.js";
import { DEFAULT_ERASURE_GRACE_SECONDS } from "./audit.js";
import { AuditError } from "./errors.js";
import { DEFAULT_BLOCK_RANGE } from "./logs.js";

/**
 * The JSON-RPC URL when neither `--rpc-url` nor `DATABANK_RPC_URL` is set:
 * `http://127.0.0.1:${DATABANK_CHAIN_PORT}` (lib/config's rule; port 8545 by default).
 */
function defaultAuditRpcUrl(env: Readonly<Record<string, string | undefined>>): string {
  return configDefault(() => defaultRpcUrl(env));
}

/**
 * The data bank node URL (manifests come from its `GET /v1/content/{cid}`) when neither
 * `--node-url` nor `DATABANK_NODE_URL` is set: `http://127.0.0.1:${DATABANK_NODE_PORT}` (lib/config's
 * rule; port 8787 by default).
 */
function defaultAuditNodeUrl(env: Readonly<Record<string, string | undefined>>): string {
  return configDefault(() => defaultNodeUrl(env));
}

function configDefault(derive: () => string): string {
  try {
    return derive();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** Bad command-line usage: the message says what to fix. The CLI exits with status 2. */
export class UsageError extends AuditError {
  override name = "UsageError";
}

/** Report format on stdout (or `--out`). */
export type OutputFormat = "text" | "json" | "csv";

/** Everything the CLI needs, resolved from argv and the environment. */
export interface AuditCliOptions {
  /** Print the usage and exit. */
  help: boolean;
  /** Audit one pool. */
  poolId?: number;
  /** Audit one account. */
  address?: Address;
  /** JSON-RPC URL. */
  rpcUrl: string;
  /** Databank address; undefined: read it from the Ignition deployment of the chain. */
  databank?: Address;
  /** First block read. */
  fromBlock: bigint;
  /** The audited block; undefined: the latest. */
  toBlock?: bigint;
  /** Blocks per `eth_getLogs` request. */
  blockRange: bigint;
  /** Data bank node serving the manifests; undefined with `--no-manifests`. */
  nodeUrl?: string;
  /** Explorer override. */
  explorerUrl?: string;
  /** Seconds a buyer has to attest an erasure. */
  erasureGraceSeconds: number;
  /** Compare the replay with `pendingEarnings`/`creditOf` (off with `--no-view-check`). */
  crossCheckViews: boolean;
  /** Report format. */
  format: OutputFormat;
  /** Write the report to this file instead of stdout. */
  out?: string;
}

/** The usage text printed by `--help`. */
export const USAGE = `Usage: npm run audit -- [--pool <id> | --address <0x…>] [options]

Rebuilds every payout of a Databank deployment from its events and checks its invariants.
Exit status: 0 every check passed (or was skipped), 1 a check failed, 2 bad usage or unreachable chain.

  --pool <id>              audit one pool (default: every pool)
  --address <0x…>          audit the pools and payouts of one account
  --rpc-url <url>          JSON-RPC URL (env DATABANK_RPC_URL, default
                           http://127.0.0.1:$DATABANK_CHAIN_PORT, port ${LOCAL_DEFAULTS.chainPort} if unset)
  --databank <0x…>         Databank address (env DATABANK_ADDRESS, default from
                           ignition/deployments/chain-<chainId>/deployed_addresses.json)
  --from-block <n>         first block read (default 0; use the deployment block)
  --to-block <n>           audited block (default latest)
  --block-range <n>        blocks per eth_getLogs request (default ${DEFAULT_BLOCK_RANGE}; halved on "too many results")
  --node-url <url>         data bank node serving delivery manifests (env DATABANK_NODE_URL, default
                           http://127.0.0.1:$DATABANK_NODE_PORT, port ${LOCAL_DEFAULTS.nodePort} if unset)
  --no-manifests           do not fetch manifests (the manifest check is SKIPPED; otherwise
                           a delivery whose manifest cannot be fetched fails it)
  --explorer-url <url>     transaction links: a base URL (+ /tx/<hash>) or a template with {hash}
                           (default: the chain's explorer; http://127.0.0.1:5173/#/tx/<hash> on 31337)
  --erasure-grace <secs>   time a buyer has to attest an erasure (default ${DEFAULT_ERASURE_GRACE_SECONDS}, 7 days)
  --no-view-check          do not compare the replay with pendingEarnings/creditOf (one call
                           per active contribution and account otherwise)
  --json | --csv           machine-readable report instead of the text tables
  --out <file>             write the report to a file instead of stdout
  --help                   this text`;

const FLAGS_WITH_VALUE = new Set([
  "--pool",
  "--address",
  "--rpc-url",
  "--databank",
  "--from-block",
  "--to-block",
  "--block-range",
  "--node-url",
  "--explorer-url",
  "--erasure-grace",
  "--out",
]);
const BOOLEAN_FLAGS = new Set([
  "--json",
  "--csv",
  "--no-manifests",
  "--no-view-check",
  "--help",
  "-h",
]);

function nonNegativeInteger(flag: string, value: string, max = 2n ** 64n): bigint {
  if (!/^\d+$/.test(value) || BigInt(value) >= max) {
    throw new UsageError(`${flag} must be a non-negative integer, got "${value}"`);
  }
  return BigInt(value);
}

function address(flag: string, value: string): Address {
  if (!isAddress(value, { strict: false })) {
    throw new UsageError(`${flag} must be a 0x-prefixed 20-byte address, got "${value}"`);
  }
  return getAddress(value);
}

function url(flag: string, value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("scheme");
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL, got "${value}"`);
  }
  return value.replace(/\/+$/, "");
}

/**
 * Parses the CLI's arguments (without `node script`) and environment.
 *
 * @throws {UsageError} naming the flag or variable to fix.
 */
export function parseAuditArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): AuditCliOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.startsWith("--") ? argv[i]!.split(/=(.*)/s, 2) : [argv[i]!];
    if (FLAGS_WITH_VALUE.has(flag!)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === "") throw new UsageError(`${flag} needs a value`);
      if (values.has(flag!)) throw new UsageError(`${flag} is given twice`);
      values.set(flag!, value);
    } else if (BOOLEAN_FLAGS.has(flag!) && inline === undefined) {
      flags.add(flag!);
    } else {
      throw new UsageError(`unknown argument "${argv[i]}" (see --help)`);
    }
  }
  const help = flags.has("--help") || flags.has("-h");
  if (values.has("--pool") && values.has("--address")) {
    throw new UsageError("give either --pool or --address, not both");
  }
  if (flags.has("--json") && flags.has("--csv")) {
    throw new UsageError("give either --json or --csv, not both");
  }
  if (flags.has("--no-manifests") && values.has("--node-url")) {
    throw new UsageError("give either --node-url or --no-manifests, not both");
  }
  const envDatabank = env.DATABANK_ADDRESS?.trim();
  const nodeUrl = flags.has("--no-manifests")
    ? undefined
    : url(
        "--node-url",
        values.get("--node-url") ?? (env.DATABANK_NODE_URL?.trim() || defaultAuditNodeUrl(env)),
      );
  const fromBlock = nonNegativeInteger(
    "--from-block",
    values.get("--from-block") ?? (env.DATABANK_START_BLOCK?.trim() || "0"),
  );
  const toBlock = values.has("--to-block")
    ? nonNegativeInteger("--to-block", values.get("--to-block")!)
    : undefined;
  if (toBlock !== undefined && toBlock < fromBlock) {
    throw new UsageError(`--to-block ${toBlock} is before --from-block ${fromBlock}`);
  }
  const blockRange = nonNegativeInteger(
    "--block-range",
    values.get("--block-range") ?? String(DEFAULT_BLOCK_RANGE),
  );
  if (blockRange === 0n) throw new UsageError("--block-range must be at least 1");
  return {
    help,
    poolId: values.has("--pool")
      ? Number(nonNegativeInteger("--pool", values.get("--pool")!, 2n ** 32n))
      : undefined,
    address: values.has("--address") ? address("--address", values.get("--address")!) : undefined,
    rpcUrl: url(
      values.has("--rpc-url") ? "--rpc-url" : "DATABANK_RPC_URL",
      values.get("--rpc-url") ?? (env.DATABANK_RPC_URL?.trim() || defaultAuditRpcUrl(env)),
    ),
    databank: values.has("--databank")
      ? address("--databank", values.get("--databank")!)
      : envDatabank
        ? address("DATABANK_ADDRESS", envDatabank)
        : undefined,
    fromBlock,
    toBlock,
    blockRange,
    nodeUrl,
    explorerUrl: values.has("--explorer-url")
      ? url("--explorer-url", values.get("--explorer-url")!)
      : undefined,
    erasureGraceSeconds: Number(
      nonNegativeInteger(
        "--erasure-grace",
        values.get("--erasure-grace") ?? String(DEFAULT_ERASURE_GRACE_SECONDS),
        2n ** 40n,
      ),
    ),
    crossCheckViews: !flags.has("--no-view-check"),
    format: flags.has("--json") ? "json" : flags.has("--csv") ? "csv" : "text",
    out: values.get("--out"),
  };
}
