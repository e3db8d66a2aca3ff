import { expect } from "chai";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { CONSENT_SCOPE } from "../../../lib/contracts/client.js";
import type { QueryWorker } from "../../../service/custodian/queries.js";
import { answerJsonRpc, runScript } from "../cli/harness.js";
import { tempDir, useDeliveryTestEnv } from "../delivery/chainFixture.js";
import {
  allowedQuery,
  createQueryFixture,
  forbiddenQuery,
  type QueryFixture,
} from "./queryFixture.js";

/** Runs scripts/query.ts as `npm run query` does. */
const runQuery = (args: string[], env: Record<string, string>) => runScript("query", args, env);

describe("scripts/query.ts: npm run query", function () {
  this.timeout(240_000);

  const env = useDeliveryTestEnv("query-cli");
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let fixture: QueryFixture;
  let queries: QueryWorker;
  let server: Server;
  let baseUrl: string;
  const buyerKey = generatePrivateKey();

  before(async () => {
    dir = await tempDir();
    fixture = await createQueryFixture(env.store);
    for (let i = 0; i < 6; i++) {
      await fixture.contribute(i, i % 3 === 0 ? CONSENT_SCOPE.records : CONSENT_SCOPE.both);
    }
    await fixture.base.testClient.setBalance({
      address: privateKeyToAccount(buyerKey).address,
      value: parseEther("10"),
    });
    ({ queries } = fixture.workers(env.openDb()));
    queries.start();
    const provider = fixture.base.connection.provider;
    const store = env.store;
    // The node's routes the CLI uses (content in and out, the answer), and the chain's JSON-RPC.
    server = createServer(async (request, response) => {
      try {
        const url = request.url ?? "";
        const content = /^\/v1\/content\/([^/]+)$/.exec(url);
        if (request.method === "GET" && content) {
          const bytes = await store.get(decodeURIComponent(content[1]!));
          response.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes);
          return;
        }
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        if (request.method === "POST" && url === "/v1/content") {
          const cid = await store.put(new Uint8Array(body));
          response
            .writeHead(201, { "content-type": "application/json" })
            .end(JSON.stringify({ cid, size: body.length }));
          return;
        }
        const answer = /^\/v1\/purchases\/([0-9]+)\/answer$/.exec(url);
        if (request.method === "GET" && answer) {
          const view = await queries.status(BigInt(answer[1]!));
          response
            .writeHead(view === undefined ? 404 : 200, { "content-type": "application/json" })
            .end(
              JSON.stringify(
                view ?? { error: { code: "PURCHASE_NOT_FOUND", message: "unknown purchase" } },
              ),
            );
          return;
        }
        await answerJsonRpc(provider, body.toString(), response);
      } catch (error) {
        response.writeHead(500).end(String(error));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  after(async () => {
    await queries?.stop();
    await new Promise((resolve) => server?.close(resolve));
    await dir?.dispose();
  });

  const cliEnv = (overrides: Record<string, string> = {}) => ({
    DATABANK_RPC_URL: baseUrl,
    DATABANK_ADDRESS: fixture.base.address,
    DATABANK_BUYER_PRIVATE_KEY: buyerKey,
    ...overrides,
  });

  async function specFile(name: string, query: unknown): Promise<string> {
    const path = join(dir.path, name);
    await writeFile(path, JSON.stringify(query));
    return path;
  }

  it("checks and prices the query before paying, pays, waits, decrypts, prints a table and writes the CSV", async () => {
    const spec = await specFile("allowed.json", allowedQuery);
    const out = join(dir.path, "answer.csv");
    const pool = fixture.poolId.toString();
    const args = ["--pool", pool, "--spec", spec, "--epsilon", "0.25", "--node-url", baseUrl];

    const checkOnly = await runQuery([...args, "--check"], cliEnv());
    expect(checkOnly.code, checkOnly.stderr).to.equal(0);
    expect(checkOnly.stdout).to.include("price 0.5 ETH, ε 0.25");
    expect(checkOnly.stdout).to.include("1 of 1 ε left");

    const run = await runQuery([...args, "--out", out], cliEnv());
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/purchase \d+: paid 0\.5 ETH/);
    expect(run.stdout).to.match(/city\s+count\s+mean_years/);
    expect(run.stdout).to.match(/answered over 4 records with ε 0\.25/);
    expect(run.stdout).to.include("the pool has 0.75 ε left");
    const csv = await readFile(out, "utf8");
    expect(csv.split("\r\n")[0]).to.equal("city,count,mean_years");
  });

  it("exits 2 with one line saying what to fix on bad input, before paying anything", async () => {
    const allowed = await specFile("ok.json", allowedQuery);
    const forbidden = await specFile("forbidden.json", forbiddenQuery);
    const notJson = join(dir.path, "bad.json");
    await writeFile(notJson, "{ not json");
    const pool = fixture.poolId.toString();
    const cases: [string[], Record<string, string>, RegExp][] = [
      [[], cliEnv(), /--pool must be a pool id/],
      [["--pool", "abc", "--spec", allowed], cliEnv(), /--pool must be a pool id/],
      [["--pool", pool], cliEnv(), /--spec must name/],
      [["--pool", pool, "--spec", join(dir.path, "missing.json")], cliEnv(), /cannot read/],
      [["--pool", pool, "--spec", notJson], cliEnv(), /is not JSON/],
      [["--pool", pool, "--spec", allowed, "--epsilon", "lots"], cliEnv(), /--epsilon must be/],
      [["--pool", pool, "--spec", allowed, "--bogus"], cliEnv(), /Unknown option '--bogus'/],
      [
        ["--pool", pool, "--spec", allowed],
        cliEnv({ DATABANK_BUYER_PRIVATE_KEY: "0x12" }),
        /DATABANK_BUYER_PRIVATE_KEY/,
      ],
      [["--pool", "99", "--spec", allowed, "--node-url", baseUrl], cliEnv(), /no pool 99/],
      [
        ["--pool", fixture.base.poolId.toString(), "--spec", allowed, "--node-url", baseUrl],
        cliEnv(),
        /does not sell queries/,
      ],
      [
        ["--pool", pool, "--spec", forbidden, "--epsilon", "0.1", "--node-url", baseUrl],
        cliEnv(),
        /the pool's policy refuses this query: .*name/,
      ],
      [
        ["--pool", pool, "--spec", allowed, "--epsilon", "0.9", "--node-url", baseUrl],
        cliEnv(),
        /the pool's policy refuses this query/,
      ],
    ];
    const balance = await fixture.base.publicClient.getBalance({
      address: privateKeyToAccount(buyerKey).address,
    });
    for (const [args, environment, expected] of cases) {
      const run = await runQuery(args, environment);
      const lines = run.stderr.split(/[\r\n]+/).filter((line) => line.startsWith("query:"));
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).to.equal(2);
      expect(lines, run.stderr).to.have.length(1);
      expect(lines[0]).to.match(expected);
    }
    // Nothing was paid.
    expect(
      await fixture.base.publicClient.getBalance({
        address: privateKeyToAccount(buyerKey).address,
      }),
    ).to.equal(balance);
  });
});
