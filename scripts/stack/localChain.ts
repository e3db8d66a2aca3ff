/**
 * A local Hardhat JSON-RPC chain in a child process, listening on loopback only, for `npm start`
 * and the end-to-end tests. The child stops when its parent dies, even by SIGKILL
 * (./exitWithParent.mjs), so no chain is left holding the port for the next run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { createPublicClient, http } from "viem";
import { hardhat } from "viem/chains";
import { assertPortFree } from "./ports.js";

const require = createRequire(import.meta.url);

/** A running local chain. */
export interface LocalChain {
  rpcUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Options of {@link startLocalChain}. */
export interface StartLocalChainOptions {
  host?: string;
  /** 0 is not supported by `hardhat node`; pick a free port (see freePort in ./ports.ts). */
  port: number;
  /** Forward the node's output (its account list) to this stream. */
  output?: NodeJS.WritableStream;
  /** The setting that moves the port, named when it is taken; default DATABANK_CHAIN_PORT. */
  portSetting?: string;
}

/**
 * `node --import` argument of the watchdog that stops a child of the stack when its parent dies.
 * A path, not a URL: it also works under `npm start`'s tsx loader.
 */
export function exitWithParentImport(): string[] {
  return ["--import", fileURLToPath(new URL("./exitWithParent.mjs", import.meta.url))];
}

/** The path of Hardhat's CLI, run with the same Node as this process. */
export function hardhatCli(): string {
  // hardhat's package exports do not include its CLI file, so locate it from package.json.
  return join(dirname(require.resolve("hardhat/package.json")), "dist", "src", "cli.js");
}

/**
 * Starts `hardhat node` on `host:port` and resolves once it answers JSON-RPC.
 *
 * @throws PortInUseError when something already listens there (a chain left running is named as
 *   such, with its chain id); Error when it exits or does not answer within 60 s.
 */
export async function startLocalChain(options: StartLocalChainOptions): Promise<LocalChain> {
  const host = options.host ?? "127.0.0.1";
  const rpcUrl = `http://${host}:${options.port}`;
  // Checked first: else the poll below would take an old chain's answers for the new one's.
  await assertPortFree(host, options.port, options.portSetting ?? "DATABANK_CHAIN_PORT");
  const child = spawn(
    process.execPath,
    [
      ...exitWithParentImport(),
      hardhatCli(),
      "node",
      "--hostname",
      host,
      "--port",
      String(options.port),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  if (options.output) child.stdout?.pipe(options.output, { end: false });
  else child.stdout?.resume();

  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) =>
      reject(new Error(`hardhat node exited with code ${code}: ${stderr.trim().slice(-500)}`)),
    ),
  );
  exited.catch(() => {});
  const client = createPublicClient({ chain: hardhat, transport: http(rpcUrl, { retryCount: 0 }) });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await Promise.race([client.getChainId(), exited]);
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw error instanceof Error && child.exitCode !== null
          ? error
          : new Error(`the local chain did not answer at ${rpcUrl} within 60 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return {
    rpcUrl,
    process: child,
    stop: () => stopChild(child),
  };
}

/** Sends SIGTERM, then SIGKILL after 5 s; resolves when the child is gone. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
