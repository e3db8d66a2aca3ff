/**
 * The local stack's ports and the URLs clients derive from them: the one place that turns
 * `DATABANK_CHAIN_PORT` and `DATABANK_NODE_PORT` into the default JSON-RPC and node URLs, for
 * `npm start` (which listens there) and for every CLI (which connects there unless given a URL).
 * No Node API: lib/audit's option parser, which also runs in the dApp, uses it.
 */
import { ConfigError } from "./errors.js";

/** Environment variables, as `process.env`. */
type Environment = Readonly<Record<string, string | undefined>>;

/** The defaults of the local stack (`npm start`). */
export const LOCAL_DEFAULTS = {
  host: "127.0.0.1",
  chainPort: 8545,
  nodePort: 8787,
  dappPort: 5173,
} as const;

/**
 * A TCP port from `variable`; `fallback` when it is unset or blank.
 *
 * @param allowZero whether 0 ("any free port", for a listener) is accepted.
 * @throws ConfigError naming the variable.
 */
export function portFromEnv(
  env: Environment,
  variable: string,
  fallback: number,
  allowZero = false,
): number {
  const value = env[variable]?.trim();
  if (value === undefined || value === "") return fallback;
  const min = allowZero ? 0 : 1;
  const port = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= min && port <= 65_535)) {
    throw new ConfigError(
      variable,
      `must be an integer from ${min} to 65535 (a TCP port), got "${value}"`,
    );
  }
  return port;
}

/** The local chain's JSON-RPC port: `DATABANK_CHAIN_PORT`, default 8545. */
export function chainPort(env: Environment): number {
  return portFromEnv(env, "DATABANK_CHAIN_PORT", LOCAL_DEFAULTS.chainPort);
}

/** The data bank node's HTTP port: `DATABANK_NODE_PORT`, default 8787 (0: any free port). */
export function nodePort(env: Environment): number {
  return portFromEnv(env, "DATABANK_NODE_PORT", LOCAL_DEFAULTS.nodePort, true);
}

/** The dApp's HTTP port (`npm start`): `DATABANK_DAPP_PORT`, default 5173. */
export function dappPort(env: Environment): number {
  return portFromEnv(env, "DATABANK_DAPP_PORT", LOCAL_DEFAULTS.dappPort);
}

/** The JSON-RPC URL when none is given: `http://127.0.0.1:${DATABANK_CHAIN_PORT}`. */
export function defaultRpcUrl(env: Environment): string {
  return `http://${LOCAL_DEFAULTS.host}:${chainPort(env)}`;
}

/**
 * The data bank node's URL when none is given: `http://127.0.0.1:${DATABANK_NODE_PORT}`, or the
 * node's own `DATABANK_NODE_HOST` when that is a specific address (not 0.0.0.0 or ::).
 */
export function defaultNodeUrl(env: Environment): string {
  const host = env.DATABANK_NODE_HOST?.trim() || LOCAL_DEFAULTS.host;
  const reachable = host === "0.0.0.0" || host === "::" || host === "[::]" ? "127.0.0.1" : host;
  const bracketed =
    reachable.includes(":") && !reachable.startsWith("[") ? `[${reachable}]` : reachable;
  return `http://${bracketed}:${nodePort(env)}`;
}
