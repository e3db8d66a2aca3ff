/**
 * What the tests of the buyer's CLIs (`npm run buyer`, `npm run query`) share: running a script as
 * `npm run` does (Node 22 with tsx, a real child process), and answering the chain's JSON-RPC from
 * the in-process Hardhat network inside the stand-in server those tests serve the node's routes
 * from.
 */
import { spawn } from "node:child_process";
import type { ServerResponse } from "node:http";

/** How a script run ended. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/<name>.ts` with `args`, without a config file, with `env` added. */
export function runScript(name: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", `scripts/${name}.ts`, ...args], {
      env: { ...process.env, DATABANK_CONFIG: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** An EIP-1193 provider (the in-process Hardhat network's). */
interface Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/** Answers one JSON-RPC call (the request's `body`) from `provider`, errors as JSON-RPC errors. */
export async function answerJsonRpc(
  provider: Provider,
  body: string,
  response: ServerResponse,
): Promise<void> {
  const call = JSON.parse(body) as { id: number; method: string; params?: unknown[] };
  try {
    const result = await provider.request({ method: call.method, params: call.params });
    response.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, result }));
  } catch (error) {
    const { code, message, data } = error as { code?: number; message: string; data?: unknown };
    response.end(
      JSON.stringify({
        jsonrpc: "2.0",
        id: call.id,
        error: { code: code ?? -32000, message, data },
      }),
    );
  }
}
