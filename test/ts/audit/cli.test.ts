import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { expect } from "chai";
import { network } from "hardhat";
import { deployMarket, type Market } from "./market.js";

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
// hardhat's exports map hides its bin, so resolve it from its package.json.
const HARDHAT_CLI = path.join(
  path.dirname(require.resolve("hardhat/package.json")),
  "dist/src/cli.js",
);
const TSX_CLI = require.resolve("tsx/cli");

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `hardhat node` on a free port and waits until it answers JSON-RPC. */
async function startHardhatNode(): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited: ${output}`);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill();
  throw new Error(`hardhat node did not start within 60 s: ${output}`);
}

/** Serves the fake IPFS Map as the data bank node's `GET /v1/content/{cid}`. */
async function startContentServer(market: Market): Promise<{ server: Server; url: string }> {
  const server = createHttpServer((request, response) => {
    const match = /^\/v1\/content\/([^/?]+)$/.exec(request.url ?? "");
    const bytes = match ? market.ipfs.get(decodeURIComponent(match[1]!)) : undefined;
    if (!bytes) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tsx scripts/audit.ts ...args` (what `npm run audit` runs) and collects its output. */
function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX_CLI, "scripts/audit.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABANK_RPC_URL: "", DATABANK_ADDRESS: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("audit CLI against a hardhat node (fake IPFS: in-memory Map served over HTTP)", function () {
  this.timeout(240_000);
  let node: { child: ChildProcess; url: string };
  let content: { server: Server; url: string };
  let market: Market;
  let pool: number;
  let common: string[];
  let outDir: string;

  before(async function () {
    node = await startHardhatNode();
    const { viem } = await network.create({
      network: "localhost",
      override: { url: node.url },
    });
    market = await deployMarket(viem);
    pool = await market.createPool({ price: 1_000_000n, bounty: 1_000n });
    for (const who of market.contributors.slice(0, 3)) await market.contribute(pool, who);
    await market.fulfil(await market.purchase(pool, market.buyers[0]!));
    await market.claim(market.contributors[0]!, "0x0000000000000000000000000000000000000000");
    content = await startContentServer(market);
    common = ["--rpc-url", node.url, "--databank", market.address, "--node-url", content.url];
    outDir = await mkdtemp(path.join(tmpdir(), "databank-audit-"));
  });

  after(async function () {
    node?.child.kill();
    await new Promise((resolve) => content?.server.close(resolve));
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("exits 0 on an honest history and prints a JSON report with every check PASS", async function () {
    const result = await runCli([...common, "--pool", String(pool), "--json"]);
    expect(result.stderr).to.equal("");
    expect(result.status, result.stdout).to.equal(0);
    const report = JSON.parse(result.stdout);
    expect(report.passed).to.equal(true);
    expect(report.checks.map((check: { status: string }) => check.status)).to.deep.equal([
      "PASS",
      "PASS",
      "PASS",
      "PASS",
      "PASS",
      "PASS",
      "PASS",
    ]);
    expect(report.purchases[0]).to.include({
      id: "1",
      amount: "1000000",
      platform: "25000",
      curator: "292500",
      contributors: "682500",
      perContribution: "227500",
      recordCount: 3,
    });
    expect(report.purchases[0].settled.url).to.match(/^http:\/\/127\.0\.0\.1:5173\/#\/tx\/0x/);
  });

  it("prints the text tables with the verdicts, and takes the address from DATABANK_ADDRESS", async function () {
    const result = await runCli(["--rpc-url", node.url, "--node-url", content.url], {
      DATABANK_ADDRESS: market.address,
    });
    expect(result.status, result.stdout + result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^Purchases$/m);
    expect(result.stdout).to.match(
      /^PASS {4}\(4\) every delivery's manifest can be fetched and lists exactly the active contributions/m,
    );
    expect(result.stdout).to.match(/^What this audit cannot verify$/m);
    expect(result.stdout.trimEnd().split("\n").at(-1)).to.equal("AUDIT PASSED");
  });

  it("writes a CSV report to --out", async function () {
    const out = path.join(outDir, "report.csv");
    const result = await runCli([...common, "--csv", "--out", out]);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stderr).to.include(`audit passed; report written to ${out}`);
    const csv = (await readFile(out, "utf8")).split("\n");
    expect(csv[0]).to.match(/^record,id,pool,account,token,status,amount,/);
    expect(csv.filter((line) => line.startsWith("check,"))).to.have.lengthOf(7);
    expect(csv.some((line) => line.startsWith("purchase,1,"))).to.equal(true);
  });

  it("exits 1 naming the purchase and CID when the node cannot serve a fulfilled purchase's manifest", async function () {
    // A node that has none of the manifests (404 for every CID): withheld, or never delivered.
    const empty = createHttpServer((_request, response) => response.writeHead(404).end());
    await new Promise<void>((resolve) => empty.listen(0, "127.0.0.1", resolve));
    try {
      const emptyUrl = `http://127.0.0.1:${(empty.address() as AddressInfo).port}`;
      const flags = ["--rpc-url", node.url, "--databank", market.address, "--node-url", emptyUrl];
      const result = await runCli([...flags, "--json"]);
      expect(result.status, result.stderr).to.equal(1);
      const report = JSON.parse(result.stdout);
      const manifests = report.checks.find((check: { id: string }) => check.id === "manifests");
      expect(manifests.status).to.equal("FAIL");
      const cid = report.purchases[0].deliveryCid;
      expect(manifests.message).to.match(
        new RegExp(
          `^purchase #1 \\(pool ${pool}, manifest ${cid}\\): the manifest of this paid delivery cannot be fetched \\(.+\\): the custodian withheld it or never delivered$`,
        ),
      );
      const text = await runCli(flags);
      expect(text.status).to.equal(1);
      expect(text.stdout).to.match(/^FAIL {4}\(4\) every delivery's manifest can be fetched/m);
      expect(text.stdout.trimEnd().split("\n").at(-1)).to.equal("AUDIT FAILED");
    } finally {
      await new Promise((resolve) => empty.close(resolve));
    }
  });

  it("exits 1 with the failing check when the custodian under-delivers", async function () {
    const sale = await market.purchase(pool, market.buyers[1]!);
    await market.fulfil(sale, { kind: "drop-record" });
    const result = await runCli([...common, "--json"]);
    expect(result.status, result.stderr).to.equal(1);
    const report = JSON.parse(result.stdout);
    const manifests = report.checks.find((check: { id: string }) => check.id === "manifests");
    expect(manifests.status).to.equal("FAIL");
    expect(manifests.details.join("\n")).to.include(`purchase #${sale.id} (pool ${pool}, manifest`);
    expect(manifests.details.join("\n")).to.include("manifest misses #1, active at this delivery");
    const text = await runCli(common);
    expect(text.status).to.equal(1);
    expect(text.stdout).to.match(/^FAIL {4}\(4\) every delivery's manifest can be fetched/m);
    expect(text.stdout.trimEnd().split("\n").at(-1)).to.equal("AUDIT FAILED");
  });

  it("reports the manifest check SKIPPED (exit 0 when the rest passes) with --no-manifests", async function () {
    const result = await runCli([
      "--rpc-url",
      node.url,
      "--databank",
      market.address,
      "--no-manifests",
      "--json",
      "--to-block",
      String((await market.publicClient.getBlockNumber()) - 3n),
    ]);
    expect(result.status, result.stderr).to.equal(0);
    const report = JSON.parse(result.stdout);
    expect(report.checks[3]).to.include({ id: "manifests", status: "SKIPPED" });
  });

  for (const [label, overrides, message] of [
    [
      "a malformed pool id",
      { "--pool": "x" },
      'audit: --pool must be a non-negative integer, got "x"',
    ],
    [
      "an unknown pool",
      { "--pool": "99" },
      "audit: pool 99 does not exist at the audited block (1 pools)",
    ],
    [
      "an address without code",
      { "--databank": "0x000000000000000000000000000000000000dEaD" },
      "audit: no contract at 0x000000000000000000000000000000000000dEaD",
    ],
    [
      "an unreachable chain",
      { "--rpc-url": "http://127.0.0.1:9" },
      "audit: cannot reach the chain at http://127.0.0.1:9",
    ],
  ] as const) {
    it(`exits 2 with one line saying what to fix on ${label}`, async function () {
      const flags: Record<string, string> = {
        "--rpc-url": node.url,
        "--databank": market.address,
        "--node-url": content.url,
        ...overrides,
      };
      const result = await runCli(Object.entries(flags).flat());
      expect(result.status, result.stderr).to.equal(2);
      expect(result.stdout).to.equal("");
      expect(result.stderr.trimEnd().split("\n")).to.have.lengthOf(1);
      expect(result.stderr).to.include(message);
    });
  }
});
