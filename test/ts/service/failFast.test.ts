/**
 * The node fails fast and says why (issue 10, section 4): a hung RPC, CIDs it cannot serve, clients
 * that hang up, a data directory of another deployment, a wrong custodian key, and a flood of
 * forged signatures from one address.
 */
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { bytesToHex, getAddress } from "viem";
import { ConfigError, loadConfig, CONFIG_DEFAULTS } from "../../../lib/config/index.js";
import { generateKeyPair } from "../../../lib/crypto/index.js";
import { deployDatabankWithViem } from "../../../scripts/stack/deploy.js";
import { resolveClientAddress } from "../../../service/clientAddress.js";
import { startDatabankNode } from "../../../service/node.js";
import {
  captureLogs,
  createPool,
  custodianEnv,
  deployChain,
  getJson,
  newContributor,
  postJson,
  relayBody,
  resume,
  seal,
  signConsent,
  startNode,
  upload,
  type Chain,
} from "./helpers.js";

/**
 * A JSON-RPC endpoint on 127.0.0.1 in front of the in-process Hardhat chain that can be switched
 * to accept connections and never answer: a fake, since no real hung node can be produced here.
 */
async function hangableRpc(chain: Chain) {
  const held: ServerResponse[] = [];
  let hang = false;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", async () => {
      if (hang) {
        held.push(res); // never answered
        return;
      }
      const call = async (message: { id: unknown; method: string; params?: unknown[] }) => {
        try {
          const result = await chain.connection.provider.request({
            method: message.method,
            params: message.params,
          });
          return { jsonrpc: "2.0", id: message.id, result };
        } catch (error) {
          const { code, message: text } = error as { code?: number; message: string };
          return { jsonrpc: "2.0", id: message.id, error: { code: code ?? -32000, message: text } };
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
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hang: () => (hang = true),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Milliseconds `work` took. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

describe("service: fails fast and says why", function () {
  this.timeout(180_000);
  let chain: Chain;

  before(async function () {
    chain = await deployChain();
  });

  describe("a hung RPC", function () {
    it("bounds every RPC call by default: 5 s per attempt, 1 retry", function () {
      const config = loadConfig({ env: {} });
      expect(config.rpcTimeoutMs).to.equal(5_000);
      expect(config.rpcRetryCount).to.equal(1);
      expect(CONFIG_DEFAULTS.rpcTimeoutMs).to.equal(5_000);
      expect(() => loadConfig({ env: { DATABANK_RPC_TIMEOUT_MS: "0" } })).to.throw(
        ConfigError,
        /DATABANK_RPC_TIMEOUT_MS/,
      );
    });

    it("with a fake RPC that accepts connections and never answers: /health says 503 chain within a second, chain routes 503 with Retry-After", async function () {
      const rpc = await hangableRpc(chain);
      const dataDir = await mkdtemp(join(tmpdir(), "databank-hung-"));
      const logs = captureLogs();
      const config = loadConfig({
        env: {
          DATABANK_RPC_URL: rpc.url,
          DATABANK_ADDRESS: chain.databank.address,
          DATABANK_DATA_DIR: dataDir,
          DATABANK_NODE_PORT: "0",
          DATABANK_RPC_TIMEOUT_MS: "1000",
          DATABANK_RPC_RETRIES: "1",
          ...custodianEnv().env,
        },
        requireCustodian: true,
      });
      const node = await startDatabankNode({
        config,
        hooks: { logger: logs.logger, startWorkers: false },
      });
      try {
        expect((await getJson(`${node.url}/health`)).status).to.equal(200);
        rpc.hang();

        // Bounded: a node without timeouts would keep these requests for 41 s.
        const health = await timed(() =>
          fetch(`${node.url}/health`, { signal: AbortSignal.timeout(5_000) }),
        );
        expect(health.ms, "/health answers within a second").to.be.below(1_000);
        expect(health.value.status).to.equal(503);
        expect(health.value.headers.get("retry-after")).to.match(/^\d+$/);
        const body = (await health.value.json()) as {
          ok: boolean;
          down: string[];
          message: string;
        };
        expect(body.ok).to.equal(false);
        expect(body.down).to.deep.equal(["chain"]);
        expect(body.message).to.match(/^chain: the RPC did not answer within \d+ ms$/);

        for (const path of ["/v1/pools/1", "/v1/contributions/1"]) {
          const answer = await timed(() =>
            fetch(`${node.url}${path}`, { signal: AbortSignal.timeout(10_000) }),
          );
          // 1 s per attempt, 1 retry after 150 ms.
          expect(answer.ms, path).to.be.below(4_000);
          expect(answer.value.status, path).to.equal(503);
          expect(Number(answer.value.headers.get("retry-after")), path).to.be.within(1, 60);
          const error = (
            (await answer.value.json()) as { error: { code: string; message: string } }
          ).error;
          expect(error.code).to.equal("CHAIN_UNAVAILABLE");
          expect(error.message).to.match(/cannot reach its chain RPC.*retry in \d+ s/);
          expect(error.message).not.to.include(rpc.url);
        }
        expect(logs.lines.filter((line) => line.startsWith("error"))).to.deep.equal([]);
      } finally {
        rpc.close();
        await node.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe("CIDs the node cannot serve", function () {
    it("answers 404, not 5xx, for a dag-pb CID re-encoded from a stored raw block's hash (content and check)", async function () {
      const t = await startNode(chain);
      try {
        const poolId = await createPool(chain, t.node);
        const contributor = newContributor();
        const rawCid = await upload(t.node, await seal(t.node, contributor, resume(1), poolId));
        const dagPbCid = CID.createV1(0x70, CID.parse(rawCid).multihash).toString();
        expect(dagPbCid).to.match(/^bafy/);

        const content = await getJson(`${t.node.url}/v1/content/${dagPbCid}`);
        expect(content.status).to.equal(404);
        expect(content.body.error.code).to.equal("CONTENT_NOT_FOUND");

        const check = await postJson(`${t.node.url}/v1/contributions/check`, {
          poolId,
          dataCid: dagPbCid,
          contributor: contributor.account.address,
        });
        expect(check.status).to.equal(404);
        expect(check.body.error.code).to.equal("CONTENT_NOT_FOUND");

        // The raw spelling still serves, and nothing blamed the data directory.
        expect((await fetch(`${t.node.url}/v1/content/${rawCid}`)).status).to.equal(200);
        expect(t.logs.filter((line) => line.startsWith("error"))).to.deep.equal([]);
      } finally {
        await t.cleanup();
      }
    });
  });

  describe("client disconnects", function () {
    it("logs a client that hangs up mid-upload at debug level, not as an error", async function () {
      const t = await startNode(chain);
      try {
        const url = new URL(`${t.node.url}/v1/content`);
        const req = httpRequest({
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { "Transfer-Encoding": "chunked" },
        });
        req.on("error", () => {}); // we are the ones hanging up
        req.write(new Uint8Array(64 * 1024).fill(7));
        await new Promise((resolve) => setTimeout(resolve, 300));
        req.destroy();

        const deadline = Date.now() + 5_000;
        while (!t.logs.some((line) => line.includes("client disconnected"))) {
          if (Date.now() > deadline) {
            throw new Error(`no disconnect line; logged: ${JSON.stringify(t.logs)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const line = t.logs.find((logged) => logged.includes("client disconnected"))!;
        expect(line).to.match(/^debug http: client disconnected method=POST path=\/v1\/content$/);
        expect(t.logs.filter((logged) => logged.startsWith("error"))).to.deep.equal([]);
      } finally {
        await t.cleanup();
      }
    });
  });

  describe("a data directory of another deployment", function () {
    it("refuses to start on a reset chain (same chain id and Databank address) with one line saying what to do; the same chain restarts", async function () {
      const first = await deployChain();
      // Moves the first chain's clock so that no block of the reset chain can equal its blocks.
      await first.connection.provider.request({ method: "evm_increaseTime", params: [3_600] });
      await first.connection.provider.request({ method: "evm_mine", params: [] });
      const a = await startNode(first);
      await a.cleanup(true);
      try {
        // The same chain again: fine.
        const again = await startNode(first, { dataDir: a.dataDir, custodian: a.custodian });
        await again.cleanup(true);

        const reset = await deployChain();
        expect(reset.databank.address, "a reset chain redeploys at the same address").to.equal(
          first.databank.address,
        );
        let refused: unknown;
        try {
          const b = await startNode(reset, { dataDir: a.dataDir, custodian: a.custodian });
          await b.cleanup(true);
        } catch (error) {
          refused = error;
        }
        expect(refused).to.be.instanceOf(ConfigError);
        const message = (refused as Error).message;
        expect(message.split("\n")).to.have.length(1);
        expect(message).to.match(
          new RegExp(
            `^DATABANK_DATA_DIR: this data directory belongs to chain 31337 / Databank ${getAddress(first.databank.address)} as of block \\d+ \\(0x[0-9a-f]{64}\\), which this chain (does not have|has another version of): the chain was reset or replaced; use another DATABANK_DATA_DIR or delete ${a.dataDir}$`,
          ),
        );

        // Another Databank on the same chain.
        const [owner, treasury] = await first.viem.getWalletClients();
        const { databank: second } = await deployDatabankWithViem(first.viem, {
          owner: owner!.account.address,
          treasury: treasury!.account.address,
        });
        let other: unknown;
        try {
          const c = await startNode(first, {
            dataDir: a.dataDir,
            custodian: a.custodian,
            env: { DATABANK_ADDRESS: second.address },
          });
          await c.cleanup(true);
        } catch (error) {
          other = error;
        }
        expect((other as Error).message).to.equal(
          `DATABANK_DATA_DIR: this data directory belongs to chain 31337 / Databank ${getAddress(first.databank.address)}, not chain 31337 / Databank ${getAddress(second.address)}; use another DATABANK_DATA_DIR or delete ${a.dataDir}`,
        );
      } finally {
        await rm(a.dataDir, { recursive: true, force: true });
      }
    });
  });

  describe("a wrong custodian key", function () {
    it("warns at start naming the pools whose on-chain key is not the node's, and /health lists them (200)", async function () {
      const t = await startNode(chain);
      const wrongKey = bytesToHex(generateKeyPair().publicKey);
      const good = await createPool(chain, t.node);
      const bad = await createPool(chain, t.node, { custodianKey: wrongKey });
      await t.cleanup(true);
      const restarted = await startNode(chain, { dataDir: t.dataDir, custodian: t.custodian });
      try {
        const warning = restarted.logs.find((line) => line.includes("CUSTODIAN KEY MISMATCH"));
        expect(warning, JSON.stringify(restarted.logs)).to.match(/^warn /);
        expect(warning).to.include(`pool ${bad} names this node`);
        expect(warning).to.include(`pools=${bad}`);
        expect(warning).not.to.include(`pool ${good}`);

        const health = await getJson(`${restarted.node.url}/health`);
        expect(health.status).to.equal(200);
        expect(health.body.ok).to.equal(true);
        expect(health.body.warnings).to.have.length(1);
        expect(health.body.warnings[0].code).to.equal("CUSTODIAN_KEY_MISMATCH");
        expect(health.body.warnings[0].pools).to.deep.equal([bad]);
        expect(health.body.warnings[0].message).to.include("DATABANK_CUSTODIAN_X25519_KEY");
      } finally {
        await restarted.cleanup();
      }
    });
  });

  describe("per-IP rate limits", function () {
    it("a flood of forged signatures from one IP does not use up the budget of signed relays from that IP", async function () {
      const t = await startNode(chain, {
        env: { DATABANK_CLIENT_RATE_LIMIT: "3", DATABANK_REQUEST_RATE_LIMIT: "20" },
      });
      try {
        const url = `${t.node.url}/v1/contributions/relay`;
        const poolId = await createPool(chain, t.node);
        const contributor = newContributor();
        const dataCid = await upload(t.node, await seal(t.node, contributor, resume(3), poolId));
        const signed = await signConsent(chain, contributor, poolId, dataCid);
        const forged = { ...relayBody(signed), signature: `0x${"11".repeat(65)}` };
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) statuses.push((await postJson(url, forged)).status);
        expect(statuses).to.deep.equal([400, 400, 400, 400, 400, 400]);

        const relayed = await postJson(url, relayBody(signed));
        expect(relayed.status, JSON.stringify(relayed.body)).to.equal(201);
      } finally {
        await t.cleanup();
      }
    });

    it("behind a trusted proxy counts each X-Forwarded-For client apart; the header is ignored from anyone else", async function () {
      const t = await startNode(chain, {
        env: { DATABANK_REQUEST_RATE_LIMIT: "2", DATABANK_TRUSTED_PROXIES: "127.0.0.1" },
      });
      try {
        const url = `${t.node.url}/v1/contributions/check`;
        const from = (client: string) => postJson(url, {}, { "X-Forwarded-For": client });
        expect((await from("10.0.0.1")).status).to.equal(400);
        expect((await from("10.0.0.1")).status).to.equal(400);
        expect((await from("10.0.0.1")).status).to.equal(429);
        expect((await from("10.0.0.2")).status).to.equal(400);
      } finally {
        await t.cleanup();
      }

      // The rule itself, for the cases a loopback test cannot produce.
      const trustedProxies = ["10.0.0.9"];
      const resolve = (socketAddress: string | undefined, forwardedFor?: string) =>
        resolveClientAddress({ socketAddress, forwardedFor, trustedProxies });
      expect(resolve("203.0.113.5", "1.2.3.4")).to.equal("203.0.113.5");
      expect(resolve("10.0.0.9", "1.2.3.4, 198.51.100.7")).to.equal("198.51.100.7");
      expect(resolve("::ffff:10.0.0.9", "198.51.100.7, 10.0.0.9")).to.equal("198.51.100.7");
      expect(resolve("10.0.0.9", "not-an-ip")).to.equal("10.0.0.9");
      expect(resolve("10.0.0.9")).to.equal("10.0.0.9");
      expect(resolve(undefined, "1.2.3.4")).to.equal("unknown");
      expect(() => loadConfig({ env: { DATABANK_TRUSTED_PROXIES: "proxy.local" } })).to.throw(
        ConfigError,
        /DATABANK_TRUSTED_PROXIES/,
      );
    });
  });
});
