/**
 * The CLIs (`npm run demo`, `audit`, `buyer`, `export`, `import`) and `npm start` honour
 * DATABANK_CHAIN_PORT and DATABANK_NODE_PORT: with no URL given they talk to the stack where
 * `npm start` put it, and a bad port is exit code 2 with one line saying what to fix. Each CLI
 * runs as its own process, as `npm run` starts it.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const TSX_CLI = require.resolve("tsx/cli");
/** Hardhat's first test account: public, only used so the CLIs get past their key check. */
const TEST_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/<name>.ts` with only `env`'s DATABANK_* variables (none inherited). */
function runScript(
  name: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Run> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("DATABANK_")),
  );
  const child = spawn(process.execPath, [TSX_CLI, `scripts/${name}.ts`, ...args], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** stderr without Node's own warnings (`npm start` loads node:sqlite, still experimental). */
function withoutNodeWarnings(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => !/^\(node:\d+\) \w*Warning|^\(Use `node --trace-warnings/.test(line))
    .join("\n");
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Each CLI with what it needs to get as far as the chain. */
const CLIS: Array<{ name: string; args: string[]; env: Record<string, string> }> = [
  { name: "demo", args: [], env: {} },
  { name: "audit", args: [], env: {} },
  { name: "buyer", args: ["--purchase", "1"], env: { DATABANK_BUYER_PRIVATE_KEY: TEST_KEY } },
  { name: "export", args: [], env: { DATABANK_WALLET_PRIVATE_KEY: TEST_KEY } },
  {
    name: "import",
    args: ["--bundle", "missing.json", "--pool", "1"],
    env: { DATABANK_WALLET_PRIVATE_KEY: TEST_KEY },
  },
];

describe("CLIs: DATABANK_CHAIN_PORT and DATABANK_NODE_PORT", function () {
  this.timeout(180_000);

  it("every CLI and npm start reject a bad port: exit code 2, one line naming the variable", async () => {
    const runs = await Promise.all([
      ...[...CLIS, { name: "start", args: [], env: {} }].map(async ({ name, args, env }) => ({
        name,
        variable: "DATABANK_CHAIN_PORT",
        run: await runScript(name, args, { ...env, DATABANK_CHAIN_PORT: "85a45" }),
      })),
      ...["demo"].map(async (name) => ({
        name,
        variable: "DATABANK_NODE_PORT",
        run: await runScript(name, [], { DATABANK_NODE_PORT: "70000" }),
      })),
    ]);
    for (const { name, variable, run } of runs) {
      const value = variable === "DATABANK_CHAIN_PORT" ? "85a45" : "70000";
      const min = variable === "DATABANK_CHAIN_PORT" ? 1 : 0;
      expect(run.code, `${name}: ${run.stderr}`).to.equal(2);
      expect(withoutNodeWarnings(run.stderr), name).to.equal(
        `${name}: ${variable}: must be an integer from ${min} to 65535 (a TCP port), got "${value}"\n`,
      );
    }
  });

  it("demo, audit, buyer and export look for the chain at DATABANK_CHAIN_PORT, not 8545", async () => {
    const port = await freePort(); // nothing listens there
    const url = `http://127.0.0.1:${port}`;
    const runs = await Promise.all(
      CLIS.filter(({ name }) => name !== "import").map(async ({ name, args, env }) => ({
        name,
        run: await runScript(name, args, { ...env, DATABANK_CHAIN_PORT: String(port) }),
      })),
    );
    for (const { name, run } of runs) {
      expect(run.code, `${name}: ${run.stderr}`).to.equal(2);
      expect(run.stderr, name).to.include(url);
      expect(run.stderr, name).to.not.include(":8545");
    }
  });

  it("demo talks to the chain at DATABANK_CHAIN_PORT and the node at DATABANK_NODE_PORT", async () => {
    // A JSON-RPC endpoint that answers eth_chainId only: enough for the demo to connect and print
    // where it plays; it then fails on the first contract call.
    const methods: string[] = [];
    const chain: Server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        const calls = [JSON.parse(body) as unknown].flat() as Array<{ id: number; method: string }>;
        const answers = calls.map(({ id, method }) => {
          methods.push(method);
          return method === "eth_chainId"
            ? { jsonrpc: "2.0", id, result: "0x7a69" }
            : { jsonrpc: "2.0", id, error: { code: -32601, message: `${method}: not here` } };
        });
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify(Array.isArray(JSON.parse(body)) ? answers : answers[0]));
      });
    });
    await new Promise<void>((resolve) => chain.listen(0, "127.0.0.1", resolve));
    const chainPort = (chain.address() as AddressInfo).port;
    const nodePort = await freePort();
    try {
      const run = await runScript("demo", [], {
        DATABANK_CHAIN_PORT: String(chainPort),
        DATABANK_NODE_PORT: String(nodePort),
        DATABANK_ADDRESS: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      });
      expect(run.stdout).to.include(
        `Databank demo on chain 31337 (http://127.0.0.1:${chainPort}), node http://127.0.0.1:${nodePort}`,
      );
      expect(methods).to.include("eth_chainId");
      expect(run.code).to.not.equal(0);
    } finally {
      await new Promise((resolve) => chain.close(resolve));
    }
  });
});
