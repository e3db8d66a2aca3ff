/**
 * Ports of the local stack: a free one for tests, and what already holds one (so that `npm start`
 * can say "a chain left over from an earlier run" rather than fail with a misleading hint).
 */
import { createConnection, createServer } from "node:net";

/** A TCP port free on `host` right now (the OS picks it). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("no port assigned"));
      });
    });
  });
}

/** How long the checks below wait for a connection or an answer. */
const PROBE_TIMEOUT_MS = 2_000;

/** Whether something accepts TCP connections on `host:port`. */
export function isListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(true)); // accepted, then silent: still taken
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** The chain id answered by a JSON-RPC server at `url`, or undefined if it is not one. */
export async function jsonRpcChainId(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    const body = (await response.json()) as { result?: unknown };
    return typeof body.result === "string" && /^0x[0-9a-f]+$/i.test(body.result)
      ? Number(BigInt(body.result))
      : undefined;
  } catch {
    return undefined;
  }
}

/** A port the stack needs is already taken. */
export class PortInUseError extends Error {
  readonly host: string;
  readonly port: number;
  /** The chain id when the holder answers JSON-RPC (most likely a chain left running). */
  readonly chainId: number | undefined;

  constructor(params: {
    /** The address the stack wanted to listen on. */
    host: string;
    /** The port found taken. */
    port: number;
    /** The holder's chain id, if it answered `eth_chainId`. */
    chainId?: number;
    /** The setting that moves this port, named in the message (e.g. DATABANK_CHAIN_PORT). */
    setting: string;
  }) {
    const { host, port, chainId, setting } = params;
    const what =
      chainId === undefined
        ? "it does not answer JSON-RPC: stop it"
        : `a chain with id ${chainId} answering JSON-RPC — probably a hardhat node left over from an earlier npm start: stop it`;
    super(`something is already listening on ${host}:${port} (${what}, or set ${setting})`);
    this.name = "PortInUseError";
    this.host = host;
    this.port = port;
    this.chainId = chainId;
  }
}

/**
 * Checks that nothing listens on `host:port` yet.
 *
 * @param setting - the setting that moves the port, named in the error
 * @throws PortInUseError naming what holds it (a JSON-RPC chain, with its id, or something else)
 */
export async function assertPortFree(host: string, port: number, setting: string): Promise<void> {
  if (!(await isListening(host, port))) return;
  const chainId = await jsonRpcChainId(`http://${host}:${port}`);
  throw new PortInUseError({ host, port, chainId, setting });
}
