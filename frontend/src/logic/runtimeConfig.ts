/**
 * The deployment a dApp build talks to, read at start-up from ./config.json so that one build
 * serves any chain. `frontend/serve.ts` writes it; `npm run dapp:dev` serves a local default.
 */
import { getAddress, isAddress, type Address } from "viem";

/** The dApp's runtime configuration (./config.json). */
export interface RuntimeConfig {
  /** Chain id of the deployment (31337 for the local Hardhat chain). */
  chainId: number;
  /** JSON-RPC URL the dApp reads the chain through. */
  rpcUrl: string;
  /** The Databank contract. */
  databank: Address;
  /** A stablecoin curators may price pools in (optional). */
  stablecoin?: Address;
  /** The data bank node (custodian service) base URL, without a trailing slash. */
  nodeUrl: string;
  /** Block explorer base URL; without it transactions link to the dApp's own #/tx/<hash> view. */
  explorerUrl?: string;
  /** WalletConnect Cloud project id; the WalletConnect connector is offered only with one. */
  walletConnectProjectId?: string;
  /** Local chain: offer the node's unlocked, funded accounts as a dev wallet. */
  devAccounts: boolean;
  /** First block to read events from (the deployment block); 0 when absent. */
  startBlock?: number;
}

/** A config.json that cannot be used, with the field to fix in the message. */
export class RuntimeConfigError extends Error {
  override name = "RuntimeConfigError";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function requireUrl(raw: Record<string, unknown>, key: string): string {
  const value = raw[key];
  if (typeof value !== "string" || !/^https?:\/\/[^\s]+$/.test(value)) {
    throw new RuntimeConfigError(`config.json: "${key}" must be an http(s) URL`);
  }
  return value.replace(/\/+$/, "");
}

function optionalAddress(raw: Record<string, unknown>, key: string): Address | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || !isAddress(value, { strict: false })) {
    throw new RuntimeConfigError(`config.json: "${key}" must be a 0x-prefixed address`);
  }
  return getAddress(value);
}

function optionalString(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new RuntimeConfigError(`config.json: "${key}" must be text`);
  return value;
}

/**
 * Checks and normalises a parsed config.json (addresses checksummed, URLs without trailing slash).
 *
 * @throws RuntimeConfigError naming the first invalid field.
 */
export function parseRuntimeConfig(raw: unknown): RuntimeConfig {
  if (!isRecord(raw)) throw new RuntimeConfigError("config.json must be a JSON object");
  const chainId = raw.chainId;
  if (typeof chainId !== "number" || !Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new RuntimeConfigError('config.json: "chainId" must be a positive integer');
  }
  const databank = optionalAddress(raw, "databank");
  if (!databank) throw new RuntimeConfigError('config.json: "databank" is required');
  const explorerUrl = raw.explorerUrl ? requireUrl(raw, "explorerUrl") : undefined;
  const startBlock = raw.startBlock;
  if (startBlock !== undefined && (typeof startBlock !== "number" || startBlock < 0)) {
    throw new RuntimeConfigError('config.json: "startBlock" must be a block number');
  }
  return {
    chainId,
    rpcUrl: requireUrl(raw, "rpcUrl"),
    databank,
    stablecoin: optionalAddress(raw, "stablecoin"),
    nodeUrl: requireUrl(raw, "nodeUrl"),
    explorerUrl,
    walletConnectProjectId: optionalString(raw, "walletConnectProjectId"),
    devAccounts: raw.devAccounts === true,
    startBlock,
  };
}

/** Where a transaction is shown: the explorer when configured, else the dApp's own view. */
export function transactionLink(config: Pick<RuntimeConfig, "explorerUrl">, hash: string): string {
  return config.explorerUrl ? `${config.explorerUrl}/tx/${hash}` : `#/tx/${hash}`;
}

/** Where an address is shown: the explorer when configured, else the auditor's view of it. */
export function addressLink(config: Pick<RuntimeConfig, "explorerUrl">, address: string): string {
  return config.explorerUrl
    ? `${config.explorerUrl}/address/${address}`
    : `#/auditor?address=${address}`;
}
