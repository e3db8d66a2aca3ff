/**
 * The one configuration loader of Databank's Node-side programs (the data bank node, the CLIs,
 * the demo, the benchmarks). It reads environment variables and, when `DATABANK_CONFIG` names one,
 * a JSON file with the same settings; environment variables win. Every problem is reported as a
 * {@link ConfigError} naming the variable to fix. Secrets live in {@link CustodianSecrets}, which
 * never prints its contents (not in logs, JSON or `util.inspect`).
 *
 * The variables are documented in docs/data-bank-node.md ("Configuration").
 */
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { inspect } from "node:util";
import { getAddress, isAddress, isHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { fromHex32, publicKeyFromPrivate } from "../crypto/keys.js";
import { ConfigError } from "./errors.js";
import { defaultNodeUrl, defaultRpcUrl, LOCAL_DEFAULTS, nodePort } from "./local.js";

export { ConfigError } from "./errors.js";
export * from "./local.js";

/** Where and how content is stored. */
export type StorageConfig =
  | { backend: "helia"; dataDir: string; listen: string[] }
  | { backend: "kubo"; url: string; headers?: Record<string, string> };

/** The HTTP server of the data bank node. */
export interface NodeServerConfig {
  host: string;
  port: number;
  maxUploadBytes: number;
  /** Allowed origins of the dApp; ["*"] allows any. */
  corsOrigins: string[];
  /** Relayed consents accepted per contributor address per minute. */
  relayRateLimitPerMinute: number;
  /**
   * Relay and check requests accepted per client IP per minute, counted before any chain read, so
   * that invalid signatures cannot make the node spend RPC calls without bound.
   */
  clientRateLimitPerMinute: number;
  /**
   * Relay and check requests accepted per client IP per minute, counted on arrival before any
   * chain read, whatever their outcome: the generous outer budget that bounds the RPC reads a
   * flood of forged signatures can cause, without eating into {@link clientRateLimitPerMinute}.
   */
  requestRateLimitPerMinute: number;
  /**
   * Addresses of the reverse proxies in front of the node. A request whose socket peer is one of
   * them is counted against the client address in its `X-Forwarded-For` header; from any other
   * peer that header is ignored (anyone can write it). Empty (the default): the header is never read.
   */
  trustedProxies: string[];
  /**
   * Multi-block downloads (`GET /v1/content/{cid}` of content over 256 KiB) served at once; one
   * more is refused with 503 and Retry-After. Each streams, holding about one block in memory.
   */
  maxConcurrentDownloads: number;
  /**
   * How often the node collects unreferenced content (see docs/storage.md, "Garbage
   * collection"), in milliseconds; 0 turns collection off.
   */
  gcIntervalMs: number;
  /**
   * How long content the node stored stays safe from collection although nothing references it
   * yet (an upload waiting for its contribution, a manifest waiting for its fulfil), and how long
   * a rejected or revoked contribution's data is kept after the rejection or revocation.
   */
  gcGraceSeconds: number;
  /** Lowest level of log line written: "debug", "info", "warn" or "error". */
  logLevel: LogLevel;
  /**
   * Gas ceiling of a relayed consent (`contributeWithSignature`): a relay whose gas estimate is
   * higher is refused before anything is sent, and every relay is sent with this gas limit, so a
   * contract wallet's costly signature check can never cost the custodian more.
   */
  relayGasLimit: number;
  /** Gas ceiling of the acceptance worker's `acceptContribution` and `rejectContribution`. */
  acceptanceGasLimit: number;
  /** Gas ceiling of the delivery worker's `fulfill` and `retireExpired`. */
  deliveryGasLimit: number;
  /** How often the workers poll the chain for new events, in milliseconds. */
  pollIntervalMs: number;
  /** Data keys re-wrapped (and persisted) per step of a delivery. */
  deliveryBatchSize: number;
  /**
   * Confirmations `fulfill` needs (the block that mined it counts as one) before the node releases
   * the delivery key to the buyer: until then the delivery is not final. 1 suits a chain without
   * reorganisations; raise it where blocks can be reorganised away.
   */
  deliveryConfirmations: number;
  /**
   * Test hook: the delivery worker stops dead at this checkpoint ("keys-wrapped-batch",
   * "manifest-uploaded", "fulfill-sent", "fulfilled") so a test can kill the process right there.
   */
  testPauseAt: string | undefined;
}

/** Levels of log lines, lowest first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything {@link loadConfig} returns. */
export interface DatabankConfig {
  rpcUrl: string;
  /**
   * How long one JSON-RPC call may take before it fails (each retry gets as long again), so a
   * hung RPC makes the node answer 503 in seconds rather than hold requests for minutes.
   */
  rpcTimeoutMs: number;
  /** How many times a JSON-RPC call that failed or timed out is retried. */
  rpcRetryCount: number;
  /** Where clients (CLIs, demo) reach the data bank node's HTTP API. */
  nodeUrl: string;
  /** The Databank contract, when configured; else see {@link resolveDatabankAddress}. */
  databankAddress: Address | undefined;
  /** First block worth reading events from (the Databank's deployment block); default 0. */
  startBlock: bigint;
  /** Root of the node's durable state (SQLite database, Helia blocks). */
  dataDir: string;
  storage: StorageConfig;
  node: NodeServerConfig;
  /** The custodian's keys; undefined for programs that are not a custodian. */
  custodian: CustodianSecrets | undefined;
}

const REDACTED = "[redacted]";

/**
 * The custodian's key material. Its fields are readable by code, but the object prints as
 * `[redacted]` in every serialisation a log line could use.
 */
export class CustodianSecrets {
  /** The EVM account key that sends the custodian's transactions. */
  readonly privateKey: Hex;
  /** The X25519 private key contributors wrap their data keys to. */
  readonly x25519PrivateKey: Uint8Array;
  /** The HMAC key of the duplicate fingerprints (at least 32 bytes). */
  readonly fingerprintKey: Uint8Array;

  constructor(privateKey: Hex, x25519PrivateKey: Uint8Array, fingerprintKey: Uint8Array) {
    this.privateKey = privateKey;
    this.x25519PrivateKey = x25519PrivateKey;
    this.fingerprintKey = fingerprintKey;
  }

  /** The custodian's EVM address. */
  get address(): Address {
    return privateKeyToAccount(this.privateKey).address;
  }

  /** The custodian's X25519 public key, as stored in a pool's `custodianKey`. */
  get x25519PublicKey(): Uint8Array {
    return publicKeyFromPrivate(this.x25519PrivateKey);
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** Environment variables, as `process.env`. */
export type Environment = Record<string, string | undefined>;

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Defaults to `process.env`. */
  env?: Environment;
  /** Relative paths resolve against it; defaults to `process.cwd()`. */
  cwd?: string;
  /** Whether the custodian's keys must be present (the data bank node); default false. */
  requireCustodian?: boolean;
}

/**
 * Defaults, also quoted by docs/data-bank-node.md. The JSON-RPC and node URLs are derived from
 * DATABANK_CHAIN_PORT and DATABANK_NODE_PORT (./local.ts); `rpcUrl` is the one with no port set.
 */
export const CONFIG_DEFAULTS = {
  rpcUrl: defaultRpcUrl({}),
  // viem's own defaults (10 s, 3 retries) held a request for 41 s while an RPC hung.
  rpcTimeoutMs: 5_000,
  rpcRetryCount: 1,
  dataDir: ".databank",
  heliaListen: ["/ip4/127.0.0.1/tcp/0"],
  host: LOCAL_DEFAULTS.host,
  port: LOCAL_DEFAULTS.nodePort,
  maxUploadBytes: 64 * 1024 * 1024,
  maxConcurrentDownloads: 4,
  gcIntervalMs: 60 * 60 * 1000,
  gcGraceSeconds: 24 * 60 * 60,
  corsOrigins: ["*"],
  relayRateLimitPerMinute: 10,
  clientRateLimitPerMinute: 120,
  requestRateLimitPerMinute: 600,
  logLevel: "info",
  // Measured: a relay about 196k gas (the signature check of an EOA or a cheap wallet included),
  // acceptContribution about 88k, rejectContribution about 38k, fulfill about 64k, retireExpired
  // about 71k; each ceiling leaves room for contract changes without letting one transaction
  // cost many times the normal.
  relayGasLimit: 300_000,
  acceptanceGasLimit: 150_000,
  deliveryGasLimit: 200_000,
  pollIntervalMs: 500,
  // A durable step of a delivery (one commit, a disk sync) per 2,000 record keys: with the keys
  // at rest, sealing them is microseconds each, so the commit is the step's cost.
  deliveryBatchSize: 2_000,
  deliveryConfirmations: 1,
} as const;

/**
 * Reads the configuration.
 *
 * @throws ConfigError naming the first variable that is missing or malformed.
 */
export function loadConfig(options: LoadConfigOptions = {}): DatabankConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = {
    ...fileEnvironment(options.env ?? process.env, cwd),
    ...definedOnly(options.env ?? process.env),
  };
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };

  const dataDir = resolve(cwd, read("DATABANK_DATA_DIR") ?? CONFIG_DEFAULTS.dataDir);
  const storageBackend = read("DATABANK_STORAGE") ?? "helia";
  let storage: StorageConfig;
  if (storageBackend === "helia") {
    storage = {
      backend: "helia",
      dataDir: resolve(dataDir, "ipfs"),
      listen: list(read("DATABANK_HELIA_LISTEN")) ?? [...CONFIG_DEFAULTS.heliaListen],
    };
  } else if (storageBackend === "kubo") {
    const url = read("DATABANK_KUBO_URL");
    if (url === undefined) {
      throw new ConfigError(
        "DATABANK_KUBO_URL",
        "required when DATABANK_STORAGE=kubo (e.g. http://127.0.0.1:5001)",
      );
    }
    const authorization = read("DATABANK_KUBO_AUTHORIZATION");
    storage = {
      backend: "kubo",
      url: httpUrl("DATABANK_KUBO_URL", url),
      ...(authorization === undefined ? {} : { headers: { Authorization: authorization } }),
    };
  } else {
    throw new ConfigError("DATABANK_STORAGE", `must be "helia" or "kubo", got "${storageBackend}"`);
  }

  const address = read("DATABANK_ADDRESS");
  if (address !== undefined && !isAddress(address, { strict: false })) {
    throw new ConfigError("DATABANK_ADDRESS", `not an address: "${address}"`);
  }

  const custodian = readCustodian(read, cwd);
  if (options.requireCustodian && custodian === undefined) {
    throw new ConfigError(
      "DATABANK_CUSTODIAN_PRIVATE_KEY",
      "the custodian's keys are required: set DATABANK_CUSTODIAN_PRIVATE_KEY, DATABANK_CUSTODIAN_X25519_KEY and DATABANK_CUSTODIAN_FINGERPRINT_KEY, or DATABANK_CUSTODIAN_KEY_FILE",
    );
  }

  // The ports are checked even when a URL is given, so a typo never goes unnoticed.
  const rpcUrl = defaultRpcUrl(env);
  const nodeUrl = defaultNodeUrl(env);
  return {
    rpcUrl: httpUrl("DATABANK_RPC_URL", read("DATABANK_RPC_URL") ?? rpcUrl),
    rpcTimeoutMs: integer(
      "DATABANK_RPC_TIMEOUT_MS",
      read("DATABANK_RPC_TIMEOUT_MS"),
      CONFIG_DEFAULTS.rpcTimeoutMs,
      100,
      600_000,
    ),
    rpcRetryCount: integer(
      "DATABANK_RPC_RETRIES",
      read("DATABANK_RPC_RETRIES"),
      CONFIG_DEFAULTS.rpcRetryCount,
      0,
      10,
    ),
    nodeUrl: httpUrl("DATABANK_NODE_URL", read("DATABANK_NODE_URL") ?? nodeUrl),
    databankAddress: address === undefined ? undefined : getAddress(address),
    startBlock: BigInt(
      integer("DATABANK_START_BLOCK", read("DATABANK_START_BLOCK"), 0, 0, Number.MAX_SAFE_INTEGER),
    ),
    dataDir,
    storage,
    node: {
      host: read("DATABANK_NODE_HOST") ?? CONFIG_DEFAULTS.host,
      port: nodePort(env),
      maxUploadBytes: integer(
        "DATABANK_MAX_UPLOAD_BYTES",
        read("DATABANK_MAX_UPLOAD_BYTES"),
        CONFIG_DEFAULTS.maxUploadBytes,
        1,
        Number.MAX_SAFE_INTEGER,
      ),
      maxConcurrentDownloads: integer(
        "DATABANK_MAX_CONCURRENT_DOWNLOADS",
        read("DATABANK_MAX_CONCURRENT_DOWNLOADS"),
        CONFIG_DEFAULTS.maxConcurrentDownloads,
        1,
        10_000,
      ),
      gcIntervalMs: integer(
        "DATABANK_GC_INTERVAL_MS",
        read("DATABANK_GC_INTERVAL_MS"),
        CONFIG_DEFAULTS.gcIntervalMs,
        0,
        7 * 24 * 60 * 60 * 1000,
      ),
      gcGraceSeconds: integer(
        "DATABANK_GC_GRACE_SECONDS",
        read("DATABANK_GC_GRACE_SECONDS"),
        CONFIG_DEFAULTS.gcGraceSeconds,
        0,
        365 * 24 * 60 * 60,
      ),
      corsOrigins: list(read("DATABANK_CORS_ORIGINS")) ?? [...CONFIG_DEFAULTS.corsOrigins],
      relayRateLimitPerMinute: integer(
        "DATABANK_RELAY_RATE_LIMIT",
        read("DATABANK_RELAY_RATE_LIMIT"),
        CONFIG_DEFAULTS.relayRateLimitPerMinute,
        1,
        1_000_000,
      ),
      clientRateLimitPerMinute: integer(
        "DATABANK_CLIENT_RATE_LIMIT",
        read("DATABANK_CLIENT_RATE_LIMIT"),
        CONFIG_DEFAULTS.clientRateLimitPerMinute,
        1,
        1_000_000,
      ),
      requestRateLimitPerMinute: integer(
        "DATABANK_REQUEST_RATE_LIMIT",
        read("DATABANK_REQUEST_RATE_LIMIT"),
        CONFIG_DEFAULTS.requestRateLimitPerMinute,
        1,
        1_000_000,
      ),
      trustedProxies: (list(read("DATABANK_TRUSTED_PROXIES")) ?? []).map((proxy) =>
        ipAddress("DATABANK_TRUSTED_PROXIES", proxy),
      ),
      logLevel: logLevel(read("DATABANK_LOG_LEVEL")),
      relayGasLimit: gasLimit(
        "DATABANK_RELAY_GAS_LIMIT",
        read("DATABANK_RELAY_GAS_LIMIT"),
        CONFIG_DEFAULTS.relayGasLimit,
      ),
      acceptanceGasLimit: gasLimit(
        "DATABANK_ACCEPTANCE_GAS_LIMIT",
        read("DATABANK_ACCEPTANCE_GAS_LIMIT"),
        CONFIG_DEFAULTS.acceptanceGasLimit,
      ),
      deliveryGasLimit: gasLimit(
        "DATABANK_DELIVERY_GAS_LIMIT",
        read("DATABANK_DELIVERY_GAS_LIMIT"),
        CONFIG_DEFAULTS.deliveryGasLimit,
      ),
      pollIntervalMs: integer(
        "DATABANK_POLL_INTERVAL_MS",
        read("DATABANK_POLL_INTERVAL_MS"),
        CONFIG_DEFAULTS.pollIntervalMs,
        10,
        600_000,
      ),
      deliveryBatchSize: integer(
        "DATABANK_DELIVERY_BATCH_SIZE",
        read("DATABANK_DELIVERY_BATCH_SIZE"),
        CONFIG_DEFAULTS.deliveryBatchSize,
        1,
        100_000,
      ),
      deliveryConfirmations: integer(
        "DATABANK_DELIVERY_CONFIRMATIONS",
        read("DATABANK_DELIVERY_CONFIRMATIONS"),
        CONFIG_DEFAULTS.deliveryConfirmations,
        1,
        10_000,
      ),
      testPauseAt: read("DATABANK_TEST_PAUSE_AT"),
    },
    custodian,
  };
}

/**
 * The Databank address: the configured one, else the Ignition deployment recorded for `chainId`
 * under `ignition/deployments/chain-<chainId>/deployed_addresses.json`.
 *
 * @throws ConfigError DATABANK_ADDRESS when neither exists.
 */
export function resolveDatabankAddress(
  config: DatabankConfig,
  chainId: number,
  cwd = process.cwd(),
): Address {
  if (config.databankAddress !== undefined) return config.databankAddress;
  const deployed = readDeployedAddresses(chainId, cwd);
  const address = deployed?.["Databank#Databank"];
  if (address === undefined || !isAddress(address, { strict: false })) {
    throw new ConfigError(
      "DATABANK_ADDRESS",
      `no Databank deployment recorded for chain ${chainId}; deploy it (npm run deploy) or set DATABANK_ADDRESS`,
    );
  }
  return getAddress(address);
}

/** The addresses Hardhat Ignition recorded for `chainId`, or undefined when it deployed nothing there. */
export function readDeployedAddresses(
  chainId: number,
  cwd = process.cwd(),
): Record<string, string> | undefined {
  const path = resolve(
    cwd,
    "ignition",
    "deployments",
    `chain-${chainId}`,
    "deployed_addresses.json",
  );
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, string>;
}

function readCustodian(
  read: (name: string) => string | undefined,
  cwd: string,
): CustodianSecrets | undefined {
  const keyFile = read("DATABANK_CUSTODIAN_KEY_FILE");
  let privateKey = read("DATABANK_CUSTODIAN_PRIVATE_KEY");
  let x25519Key = read("DATABANK_CUSTODIAN_X25519_KEY");
  let fingerprintKey = read("DATABANK_CUSTODIAN_FINGERPRINT_KEY");
  if (keyFile !== undefined) {
    const fromFile = readJsonObject("DATABANK_CUSTODIAN_KEY_FILE", resolve(cwd, keyFile));
    privateKey ??= stringField(fromFile, "privateKey");
    x25519Key ??= stringField(fromFile, "x25519Key");
    fingerprintKey ??= stringField(fromFile, "fingerprintKey");
  }
  if (privateKey === undefined && x25519Key === undefined && fingerprintKey === undefined)
    return undefined;
  if (privateKey === undefined || !isHex(privateKey) || privateKey.length !== 66) {
    throw new ConfigError(
      "DATABANK_CUSTODIAN_PRIVATE_KEY",
      "must be a 32-byte hex private key (0x + 64 digits)",
    );
  }
  let x25519PrivateKey: Uint8Array;
  try {
    x25519PrivateKey = fromHex32(x25519Key ?? "");
  } catch {
    throw new ConfigError(
      "DATABANK_CUSTODIAN_X25519_KEY",
      "must be a 32-byte X25519 private key in hex",
    );
  }
  const fingerprint = fingerprintKey === undefined ? undefined : hexBytes(fingerprintKey);
  if (fingerprint === undefined || fingerprint.length < 32) {
    throw new ConfigError("DATABANK_CUSTODIAN_FINGERPRINT_KEY", "must be at least 32 bytes of hex");
  }
  return new CustodianSecrets(privateKey, x25519PrivateKey, fingerprint);
}

/** The settings of the JSON file named by DATABANK_CONFIG, flattened to variable names. */
function fileEnvironment(env: Environment, cwd: string): Environment {
  const file = env.DATABANK_CONFIG?.trim();
  if (!file) return {};
  const settings = readJsonObject("DATABANK_CONFIG", resolve(cwd, file));
  const flattened: Environment = {};
  for (const [key, value] of Object.entries(settings)) {
    const name = `DATABANK_${key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
    flattened[name] = Array.isArray(value) ? value.join(",") : String(value);
  }
  return flattened;
}

function readJsonObject(variable: string, path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(variable, `cannot read JSON from ${path} (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(variable, `${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function stringField(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  return typeof value === "string" ? value : undefined;
}

function definedOnly(env: Environment): Environment {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return items.length === 0 ? undefined : items;
}

function integer(
  variable: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(variable, `must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

/** A transaction gas limit: at least the 21,000 any transaction costs, at most 100 M. */
function gasLimit(variable: string, value: string | undefined, fallback: number): number {
  return integer(variable, value, fallback, 21_000, 100_000_000);
}

/** An IP address (v4 or v6), in the form the socket reports it (IPv4-mapped IPv6 unwrapped). */
function ipAddress(variable: string, value: string): string {
  const address = normalizeIp(value);
  if (isIP(address) === 0) {
    throw new ConfigError(
      variable,
      `not an IP address: "${value}" (list proxy addresses, not names)`,
    );
  }
  return address;
}

/** `::ffff:10.0.0.1` (how a dual-stack socket reports an IPv4 peer) as `10.0.0.1`; IPv6 lowercased. */
export function normalizeIp(address: string): string {
  const trimmed = address.trim().toLowerCase();
  return trimmed.startsWith("::ffff:") && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

function logLevel(value: string | undefined): LogLevel {
  if (value === undefined) return CONFIG_DEFAULTS.logLevel;
  const level = LOG_LEVELS.find((known) => known === value.toLowerCase());
  if (level === undefined) {
    throw new ConfigError(
      "DATABANK_LOG_LEVEL",
      `must be one of ${LOG_LEVELS.join(", ")}, got "${value}"`,
    );
  }
  return level;
}

function httpUrl(variable: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(variable, `not a URL: "${value}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(variable, `must be an http(s) URL, got "${value}"`);
  }
  return value;
}

function hexBytes(value: string): Uint8Array | undefined {
  const digits = value.startsWith("0x") ? value.slice(2) : value;
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) return undefined;
  return Uint8Array.from(digits.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}
