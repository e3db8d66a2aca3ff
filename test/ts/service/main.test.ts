import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { getAddress } from "viem";
import { custodianEnv, deployChain, expectNoSecrets, type Chain } from "./helpers.js";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** Runs `npm run serve`'s entry (service/main.ts through tsx) with `env`. */
function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "service/main.ts"], {
    cwd: ROOT,
    // Only what the node needs: no DATABANK_* leaks in from the developer's shell.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output, exited };
}

/** An HTTP JSON-RPC endpoint in front of the in-process Hardhat network. */
async function rpcProxy(chain: Chain): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", async () => {
      const call = async (message: { id: unknown; method: string; params?: unknown[] }) => {
        try {
          const result = await chain.connection.provider.request({
            method: message.method,
            params: message.params,
          });
          return { jsonrpc: "2.0", id: message.id, result };
        } catch (error) {
          const {
            code,
            message: text,
            data,
          } = error as { code?: number; message: string; data?: unknown };
          return {
            jsonrpc: "2.0",
            id: message.id,
            error: { code: code ?? -32000, message: text, data },
          };
        }
      };
      const parsed = JSON.parse(body);
      const answer = Array.isArray(parsed)
        ? await Promise.all(parsed.map(call))
        : await call(parsed);
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

describe("service: npm run serve (service/main.ts)", function () {
  this.timeout(120_000);

  it("exits with status 2 and one line naming the variable when the custodian keys are missing", async function () {
    const dataDir = await mkdtemp(join(tmpdir(), "databank-main-"));
    try {
      const { output, exited } = runMain({ DATABANK_DATA_DIR: dataDir });
      expect(await exited).to.equal(2);
      const lines = output.stderr
        .trim()
        .split("\n")
        .filter(
          (line) => !line.includes("ExperimentalWarning") && !line.includes("--trace-warnings"),
        );
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^configuration error: DATABANK_CUSTODIAN_PRIVATE_KEY: /);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("exits with status 2 and one line when the data directory belongs to another deployment", async function () {
    const chain = await deployChain();
    const proxy = await rpcProxy(chain);
    const dataDir = await mkdtemp(join(tmpdir(), "databank-main-"));
    try {
      // A data directory bound to another Databank, as a first start there would have left it.
      const other = "0x000000000000000000000000000000000000dEaD";
      const db = new DatabaseSync(join(dataDir, "node.sqlite"));
      db.exec("CREATE TABLE node_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT");
      const insert = db.prepare("INSERT INTO node_meta (key, value) VALUES (?, ?)");
      insert.run("chain_id", "31337");
      insert.run("databank", other);
      insert.run("anchor_block", "0");
      insert.run("anchor_hash", `0x${"00".repeat(32)}`);
      db.close();
      const { output, exited } = runMain({
        DATABANK_RPC_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        DATABANK_ADDRESS: chain.databank.address,
        DATABANK_DATA_DIR: dataDir,
        DATABANK_NODE_PORT: "0",
        ...custodianEnv().env,
      });
      expect(await exited).to.equal(2);
      const lines = output.stderr
        .trim()
        .split("\n")
        .filter(
          (line) => !line.includes("ExperimentalWarning") && !line.includes("--trace-warnings"),
        );
      expect(lines).to.deep.equal([
        `configuration error: DATABANK_DATA_DIR: this data directory belongs to chain 31337 / Databank ${other}, not chain 31337 / Databank ${getAddress(chain.databank.address)}; use another DATABANK_DATA_DIR or delete ${dataDir}`,
      ]);
    } finally {
      proxy.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("serves, logs the URL, address and public key but no secret, and stops on SIGTERM", async function () {
    const chain = await deployChain();
    const proxy = await rpcProxy(chain);
    const dataDir = await mkdtemp(join(tmpdir(), "databank-main-"));
    const custodian = custodianEnv();
    try {
      const { child, output, exited } = runMain({
        DATABANK_RPC_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        DATABANK_ADDRESS: chain.databank.address,
        DATABANK_DATA_DIR: dataDir,
        DATABANK_NODE_PORT: "0",
        ...custodian.env,
      });
      const deadline = Date.now() + 60_000;
      while (!output.stdout.includes("listening")) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`the node did not start: ${output.stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const url = /url=(\S+)/.exec(output.stdout)![1]!;
      expect(output.stdout).to.include("custodian=0x");
      expect(output.stdout).to.match(/custodianPublicKey=0x[0-9a-f]{64}/);
      const health = (await (await fetch(`${url}/health`)).json()) as {
        ok: boolean;
        chainId: number;
      };
      expect(health.ok).to.equal(true);
      expect(health.chainId).to.equal(await chain.publicClient.getChainId());

      child.kill("SIGTERM");
      expect(await exited).to.equal(0);
      expect(output.stdout).to.include("stopping signal=SIGTERM");
      expectNoSecrets([output.stdout, output.stderr], custodian.secrets);
    } finally {
      proxy.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
