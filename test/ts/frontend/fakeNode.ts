/**
 * A stand-in for the data bank node's HTTP API (docs/data-bank-node.md), for the dApp's tests of
 * the chain-only pages: custodian identity, content upload/download by CID, delivery status.
 * It checks nothing and relays nothing; the real node replaces it in the full-stack test.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Address, Hex } from "viem";
import { decodeDatabankError } from "../../../lib/contracts/client.js";
import { computeCid } from "../../../lib/storage/cid.js";

export interface FakeNode {
  url: string;
  /** Every uploaded body, in order. */
  uploads: Uint8Array[];
  stop(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** A relayed consent as the node receives it (ids and amounts as decimal strings). */
export interface RelayRequestBody {
  request: {
    contributor: Address;
    poolId: string | number;
    dataCid: string;
    expiresAt: string | number;
    deadline: string;
  };
  signature: Hex;
}

export interface FakeNodeOptions {
  custodian: { address: Address; publicKey: string };
  /** Sends contributeWithSignature as the custodian; returns the new id and the transaction. */
  relay?: (body: RelayRequestBody) => Promise<{ contributionId: string; transactionHash: Hex }>;
}

export async function startFakeNode(options: FakeNodeOptions): Promise<FakeNode> {
  const { custodian } = options;
  const content = new Map<string, Uint8Array>();
  const uploads: Uint8Array[] = [];
  const server = createServer((request, response) => {
    response.setHeader("access-control-allow-origin", "*");
    response.setHeader("access-control-allow-headers", "content-type");
    response.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
    const send = (status: number, json: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(json));
    };
    const path = new URL(request.url ?? "/", "http://x").pathname;
    void (async () => {
      if (request.method === "OPTIONS") return void response.writeHead(204).end();
      if (path === "/v1/custodian") return send(200, custodian);
      if (path === "/v1/content" && request.method === "POST") {
        const bytes = await body(request);
        uploads.push(bytes);
        const cid = await computeCid(bytes);
        content.set(cid, bytes);
        return send(201, { cid, size: bytes.length });
      }
      const contentMatch = /^\/v1\/content\/([^/]+)$/.exec(path);
      if (contentMatch) {
        const bytes = content.get(contentMatch[1]!);
        if (!bytes) return send(404, { error: { code: "NOT_FOUND", message: "unknown CID" } });
        response.writeHead(200, { "content-type": "application/octet-stream" });
        return void response.end(bytes);
      }
      if (path === "/v1/contributions/relay" && request.method === "POST" && options.relay) {
        const relayBody = JSON.parse(
          new TextDecoder().decode(await body(request)),
        ) as RelayRequestBody;
        try {
          return send(201, await options.relay(relayBody));
        } catch (error) {
          const message = decodeDatabankError(error)?.message ?? (error as Error).message;
          return send(422, { error: { code: "REJECTED", message } });
        }
      }
      const delivery = /^\/v1\/purchases\/(\d+)\/delivery$/.exec(path);
      if (delivery) return send(200, { purchaseId: delivery[1], status: "pending" });
      send(404, { error: { code: "NOT_FOUND", message: "no such route" } });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    uploads,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
