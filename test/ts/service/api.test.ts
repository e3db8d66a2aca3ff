import { expect } from "chai";
import { getAddress } from "viem";
import { createNodeApiClient, NodeApiError, type NodeApiClient } from "../../../lib/api/index.js";
import { computeCid } from "../../../lib/storage/index.js";
import type { DeliveryStatusView } from "../../../service/app.js";
import {
  createPool,
  deployChain,
  expectNoSecrets,
  newContributor,
  resume,
  resumeSchema,
  seal,
  signConsent,
  startNode,
  TERMS,
  type Chain,
  type TestNode,
} from "./helpers.js";

const DELIVERED: DeliveryStatusView = {
  purchaseId: "7",
  status: "delivered",
  deliveryCid: "bafkreiexample",
  recordsRoot: `0x${"ab".repeat(32)}`,
  recordCount: 3,
  transactionHash: `0x${"cd".repeat(32)}`,
  deliveryKey: `0x${"ef".repeat(80)}`,
};

/** The error a promise rejects with, which must be a NodeApiError. */
async function apiError(action: Promise<unknown>): Promise<NodeApiError> {
  try {
    await action;
  } catch (error) {
    expect(error).to.be.instanceOf(NodeApiError);
    return error as NodeApiError;
  }
  throw new Error("expected a NodeApiError");
}

describe("service: API surface and the lib/api client", function () {
  this.timeout(180_000);
  let chain: Chain;
  let t: TestNode;
  let api: NodeApiClient;
  let poolId: number;
  const seen: string[] = [];

  before(async function () {
    chain = await deployChain();
    t = await startNode(chain, {
      env: { DATABANK_CORS_ORIGINS: "https://app.example,https://demo.example" },
      hooks: {
        deliveries: { status: async (id) => (id === 7n ? DELIVERED : undefined) },
      },
    });
    poolId = await createPool(chain, t.node);
    // Every answer the client reads is kept for the secrets check.
    api = createNodeApiClient({
      baseUrl: `${t.node.url}/`,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        seen.push(await response.clone().text());
        return response;
      },
    });
  });
  after(async function () {
    await t?.cleanup();
  });

  it("reports health, the custodian and a pool with its schema and terms", async function () {
    const health = await api.health();
    expect(health).to.deep.equal({
      ok: true,
      chainId: await chain.publicClient.getChainId(),
      databank: chain.databank.address,
      custodian: t.node.address,
      storage: "helia",
      down: [],
      warnings: [],
    });
    expect(await api.custodian()).to.deep.equal({
      address: t.node.address,
      publicKey: t.node.custodianPublicKey,
    });
    const pool = await api.pool(poolId);
    expect(pool.id).to.equal(poolId);
    expect(pool.custodian).to.equal(t.node.address);
    expect(pool.price).to.equal("1000000000000000000");
    expect(pool.schema).to.deep.equal(resumeSchema);
    expect(pool.terms).to.equal(TERMS);
    expect(pool.bountiesLeft).to.equal(null);
    expect((await apiError(api.pool(12_345))).status).to.equal(404);
  });

  it("says how many more bounties a pool's budget can pay, and that joining goes on without one", async function () {
    const bountyPool = await createPool(chain, t.node, { bountyPerContribution: 100n });
    const fund = async (amount: bigint) =>
      chain.publicClient.waitForTransactionReceipt({
        hash: await chain.asCurator.contract.write.fundBounty([bountyPool, amount], {
          value: amount,
        }),
      });
    await fund(250n);
    expect((await api.pool(bountyPool)).bountiesLeft).to.equal(2);
    for (const n of [3, 4, 5]) {
      const contributor = newContributor();
      const { cid } = await api.uploadContent(
        await seal(t.node, contributor, resume(n), bountyPool),
      );
      await api.relayConsent(await signConsent(chain, contributor, bountyPool, cid));
    }
    const after = await api.pool(bountyPool);
    expect(after.recordsActive).to.equal(3); // the third joined without a bounty
    expect(after.bountiesLeft).to.equal(0);
    expect(after.bountyBudget).to.equal("50");
  });

  it("uploads with progress and downloads verified bytes", async function () {
    const contributor = newContributor();
    const envelope = await seal(t.node, contributor, resume(1), poolId);
    const progress: number[] = [];
    const { cid, size } = await api.uploadContent(envelope, {
      onProgress: (sent) => progress.push(sent),
    });
    expect(size).to.equal(envelope.length);
    expect(progress.at(-1)).to.equal(envelope.length);
    expect(await api.getContent(cid)).to.deep.equal(envelope);
  });

  it("relays through the client and reads the contribution back", async function () {
    const contributor = newContributor();
    const { cid } = await api.uploadContent(await seal(t.node, contributor, resume(2), poolId));
    await api.checkContribution({ poolId, dataCid: cid, contributor: contributor.account.address });
    const signed = await signConsent(chain, contributor, poolId, cid);
    const { contributionId } = await api.relayConsent(signed);
    const view = await api.contribution(BigInt(contributionId));
    expect(view.status).to.equal("active");
    expect(view.contributor).to.equal(getAddress(contributor.account.address));
    expect((await apiError(api.contribution(999_999n))).code).to.equal("CONTRIBUTION_NOT_FOUND");
  });

  it("turns error answers into NodeApiError with status, code, reason and fieldErrors", async function () {
    const contributor = newContributor();
    const { cid } = await api.uploadContent(
      await seal(t.node, contributor, { ...resume(3), education: "wizardry" }, poolId),
    );
    const rejected = await apiError(
      api.checkContribution({ poolId, dataCid: cid, contributor: contributor.account.address }),
    );
    expect(rejected.status).to.equal(422);
    expect(rejected.code).to.equal("REJECTED");
    expect(rejected.reason).to.equal("SchemaMismatch");
    expect(rejected.fieldErrors?.map((e) => e.path)).to.deep.equal(["/education"]);

    const invalid = await apiError(
      api.checkContribution({ poolId: -1, dataCid: "x", contributor: "0x1234" }),
    );
    expect(invalid.status).to.equal(400);
    expect(invalid.code).to.equal("INVALID_REQUEST");
    expect(invalid.issues?.map((issue) => issue.path)).to.have.members([
      "poolId",
      "dataCid",
      "contributor",
    ]);

    const notHeld = await apiError(api.getContent(await computeCid(new Uint8Array([1, 2, 3]))));
    expect([notHeld.status, notHeld.code]).to.deep.equal([404, "CONTENT_NOT_FOUND"]);
    const badCid = await apiError(api.getContent("not-a-cid"));
    expect([badCid.status, badCid.code]).to.deep.equal([400, "INVALID_CID"]);
  });

  it("reports a delivery from the delivery source, and 404 for an unknown purchase", async function () {
    expect(await api.deliveryStatus(7n)).to.deep.equal(DELIVERED);
    const unknown = await apiError(api.deliveryStatus(8));
    expect([unknown.status, unknown.code]).to.deep.equal([404, "PURCHASE_NOT_FOUND"]);
    const badId = await apiError(api.deliveryStatus(-1));
    expect(badId.status).to.equal(400);
  });

  it("answers 404 for a query purchase the node's query worker does not know, 400 for a bad id", async function () {
    const unknown = await apiError(api.answerStatus(8));
    expect([unknown.status, unknown.code]).to.deep.equal([404, "PURCHASE_NOT_FOUND"]);
    const badId = await apiError(api.answerStatus(-1));
    expect(badId.status).to.equal(400);
  });

  it("refuses bytes that do not hash to the CID (a lying node)", async function () {
    const bytes = new TextEncoder().encode("genuine");
    const cid = await computeCid(bytes);
    const liar = createNodeApiClient({
      baseUrl: "http://node.invalid",
      fetch: async () => new Response(new TextEncoder().encode("tampered")),
    });
    const error = await apiError(liar.getContent(cid));
    expect(error.code).to.equal("INTEGRITY");
  });

  it("reports an unreachable node as NETWORK and a non-JSON error as BAD_RESPONSE", async function () {
    const down = createNodeApiClient({
      baseUrl: "http://node.invalid",
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    const network = await apiError(down.health());
    expect([network.status, network.code]).to.deep.equal([0, "NETWORK"]);

    const proxy = createNodeApiClient({
      baseUrl: "http://node.invalid",
      fetch: async () => new Response("<html>Bad Gateway</html>", { status: 502 }),
    });
    const bad = await apiError(proxy.health());
    expect([bad.status, bad.code]).to.deep.equal([502, "BAD_RESPONSE"]);

    const limited = createNodeApiClient({
      baseUrl: "http://node.invalid",
      fetch: async () =>
        Response.json(
          { error: { code: "RATE_LIMITED", message: "slow down" } },
          { status: 429, headers: { "Retry-After": "17" } },
        ),
    });
    const slow = await apiError(
      limited.relayConsent({
        request: {
          contributor: "0x",
          poolId: 1,
          dataCid: "x",
          expiresAt: 0,
          deadline: 1n,
          scope: 1,
        },
        signature: "0x00",
      }),
    );
    expect([slow.status, slow.code, slow.retryAfterSeconds]).to.deep.equal([
      429,
      "RATE_LIMITED",
      17,
    ]);
  });

  it("serves an OpenAPI 3.1 document listing every route", async function () {
    const response = await fetch(`${t.node.url}/openapi.json`);
    expect(response.status).to.equal(200);
    const doc = (await response.json()) as {
      openapi: string;
      info: { title: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).to.equal("3.1.0");
    expect(doc.info.title).to.be.a("string");
    // A route with middleware (the JSON body limit) is listed once per handler: deduplicate.
    const served = [
      ...new Set(
        t.node.app.routes
          .filter((route) => route.method !== "ALL")
          .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, "{$1}")}`),
      ),
    ];
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(served.length).to.equal(12);
    expect(documented).to.have.members(served);
    for (const methods of Object.values(doc.paths)) {
      for (const operation of Object.values(methods)) {
        expect(Object.keys(operation.responses).length).to.be.above(0);
      }
    }
    const relay = doc.paths["/v1/contributions/relay"]!.post as unknown as {
      requestBody: { content: { "application/json": { schema: { properties: object } } } };
    };
    expect(relay.requestBody.content["application/json"].schema.properties).to.have.keys(
      "request",
      "signature",
    );
  });

  it("sends CORS headers for the configured origins only", async function () {
    const preflight = await fetch(`${t.node.url}/v1/contributions/relay`, {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
      },
    });
    expect(preflight.status).to.equal(204);
    expect(preflight.headers.get("access-control-allow-origin")).to.equal("https://app.example");
    expect(preflight.headers.get("access-control-allow-methods")).to.include("POST");

    const simple = await fetch(`${t.node.url}/health`, {
      headers: { Origin: "https://demo.example" },
    });
    expect(simple.headers.get("access-control-allow-origin")).to.equal("https://demo.example");
    const stranger = await fetch(`${t.node.url}/health`, {
      headers: { Origin: "https://evil.example" },
    });
    expect(stranger.headers.get("access-control-allow-origin")).to.equal(null);
  });

  it("answers unknown routes with a JSON 404 and never shows a secret", async function () {
    const response = await fetch(`${t.node.url}/v1/nothing`);
    expect(response.status).to.equal(404);
    const text = await response.text();
    expect(JSON.parse(text).error.code).to.equal("NOT_FOUND");
    expectNoSecrets([...seen, text], t.custodian.secrets);
    expectNoSecrets(t.logs, t.custodian.secrets);
  });
});
