/**
 * The OpenAPI 3.1 description of the node's API, generated from the same zod schemas the routes
 * validate with (lib/api/schemas.ts), so the document cannot drift from the code.
 */
import { z } from "zod";
import {
  checkRequestSchema,
  checkResponseSchema,
  cidParamSchema,
  contributionIdParamSchema,
  contributionResponseSchema,
  custodianResponseSchema,
  deliveryStatusResponseSchema,
  queryAnswerStatusResponseSchema,
  errorResponseSchema,
  healthResponseSchema,
  poolIdParamSchema,
  poolResponseSchema,
  purchaseIdParamSchema,
  relayRequestSchema,
  relayResponseSchema,
  uploadResponseSchema,
} from "../lib/api/schemas.js";

/** A response of a route: JSON described by a schema, raw bytes, or an error. */
interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Raw bytes of this media type. */
  binary?: "application/octet-stream" | "application/vnd.ipld.car";
  headers?: Record<string, string>;
}

/** One route of the API, as documented. */
export interface RouteSpec {
  method: "get" | "post";
  /** OpenAPI form: `/v1/pools/{poolId}`. */
  path: string;
  summary: string;
  params?: z.ZodObject;
  /** A JSON body schema, or "binary" for raw bytes. */
  body?: z.ZodType | "binary";
  responses: Record<number, ResponseSpec>;
}

const error = (description: string): ResponseSpec => ({ description, schema: errorResponseSchema });
const badRequest = error("invalid input; `issues` names each bad field");
const chainDown: ResponseSpec = {
  ...error("CHAIN_UNAVAILABLE: the chain RPC did not answer in time; retry after `Retry-After`"),
  headers: { "Retry-After": "seconds" },
};
const storageDown: ResponseSpec = {
  ...error("STORAGE_UNAVAILABLE: the content store did not answer; retry after `Retry-After`"),
  headers: { "Retry-After": "seconds" },
};
/** A download refused: the store is down, or every download slot is taken. */
const downloadUnavailable: ResponseSpec = {
  ...storageDown,
  description:
    "STORAGE_UNAVAILABLE: the content store did not answer; or TOO_MANY_DOWNLOADS: every download slot (DATABANK_MAX_CONCURRENT_DOWNLOADS) is taken. Retry after `Retry-After`",
};

/** Every route the app serves. */
export const ROUTES: readonly RouteSpec[] = [
  {
    method: "get",
    path: "/health",
    summary: "Liveness and identity: chain, contract, custodian, storage backend",
    responses: {
      200: {
        description: "healthy; `warnings` lists pools this node cannot serve (wrong custodian key)",
        schema: healthResponseSchema,
      },
      503: {
        description: "a part (chain, storage) does not answer: `down` names it, `message` says why",
        schema: healthResponseSchema,
        headers: { "Retry-After": "seconds" },
      },
    },
  },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    responses: { 200: { description: "OpenAPI 3.1 description" } },
  },
  {
    method: "get",
    path: "/v1/custodian",
    summary: "The custodian's EVM address and X25519 public key",
    responses: { 200: { description: "the custodian", schema: custodianResponseSchema } },
  },
  {
    method: "get",
    path: "/v1/pools/{poolId}",
    summary: "A pool as on-chain, with its schema (JSON) and terms (text) from IPFS",
    params: poolIdParamSchema,
    responses: {
      200: { description: "the pool", schema: poolResponseSchema },
      400: badRequest,
      404: error("no such pool"),
      503: chainDown,
    },
  },
  {
    method: "post",
    path: "/v1/content",
    summary: "Stores and pins raw bytes (streamed); returns their CID",
    body: "binary",
    responses: {
      201: { description: "stored", schema: uploadResponseSchema },
      400: badRequest,
      413: error("larger than the node's upload limit (DATABANK_MAX_UPLOAD_BYTES)"),
    },
  },
  {
    method: "get",
    path: "/v1/content/{cid}",
    summary:
      "Bytes stored by the node, streamed, each block verified against its CID before it is sent",
    params: cidParamSchema,
    responses: {
      200: {
        description:
          "the bytes (chunked); a block failing verification mid-stream cuts the body short, which clients see as an error",
        binary: "application/octet-stream",
      },
      400: error("not a valid CID"),
      404: error(
        "the node does not hold this content (or the CID names a codec its block is not, e.g. a raw block's hash re-encoded as dag-pb)",
      ),
      503: downloadUnavailable,
    },
  },
  {
    method: "post",
    path: "/v1/contributions/check",
    summary: "Runs the custodian's checks on an uploaded envelope, without relaying",
    body: checkRequestSchema,
    responses: {
      200: { description: "the data pass", schema: checkResponseSchema },
      400: badRequest,
      404: error("unknown pool, or the envelope was not uploaded"),
      409: error("the pool is not custodied by this node"),
      422: error("rejected: `reason`, `message`, `fieldErrors`"),
      429: {
        ...error("too many requests or checks from this client IP"),
        headers: { "Retry-After": "seconds" },
      },
      503: chainDown,
    },
  },
  {
    method: "post",
    path: "/v1/contributions/relay",
    summary: "Relays a signed consent (the contributor pays no gas) after checking the data",
    body: relayRequestSchema,
    responses: {
      201: { description: "relayed: the consent token is minted", schema: relayResponseSchema },
      400: error("invalid input, INVALID_SIGNATURE, or SIGNATURE_EXPIRED"),
      404: error("unknown pool, or the envelope was not uploaded"),
      409: error("pool not custodied here, SIGNATURE_ALREADY_USED, or the contract refused"),
      413: error("request body too large"),
      422: error(
        "rejected data (REJECTED), a contract refusal of the request, or a transaction over the relay's gas ceiling (GAS_LIMIT_EXCEEDED: a contract wallet's costly signature check)",
      ),
      429: {
        ...error(
          "too many requests from this client IP (DATABANK_REQUEST_RATE_LIMIT), signed relays from it (DATABANK_CLIENT_RATE_LIMIT) or relays for this contributor",
        ),
        headers: { "Retry-After": "seconds" },
      },
      503: chainDown,
    },
  },
  {
    method: "get",
    path: "/v1/contributions/{id}",
    summary: "A contribution's status, and why it was rejected",
    params: contributionIdParamSchema,
    responses: {
      200: { description: "the contribution", schema: contributionResponseSchema },
      400: badRequest,
      404: error("no such contribution"),
      503: chainDown,
    },
  },
  {
    method: "get",
    path: "/v1/purchases/{id}/delivery",
    summary:
      "The delivery state of a purchase; the manifest CID once fulfil is mined, and the delivery key sealed to the buyer once fulfil has DATABANK_DELIVERY_CONFIRMATIONS confirmations",
    params: purchaseIdParamSchema,
    responses: {
      200: {
        description: "the delivery (deliveryKey absent until the delivery is final: retry later)",
        schema: deliveryStatusResponseSchema,
      },
      400: badRequest,
      404: error("no such purchase for this node"),
      503: chainDown,
    },
  },
  {
    method: "get",
    path: "/v1/purchases/{id}/delivery/car",
    summary:
      "A delivered purchase as one stream: a CARv1 whose root and first block is the manifest, then each record's envelope in the manifest's order (single-block envelopes the node holds; any other is fetched with GET /v1/content/{cid}). The buyer checks every block against its CID",
    params: purchaseIdParamSchema,
    responses: {
      200: {
        description:
          "the CAR (application/vnd.ipld.car; version=1), chunked; a store failure mid-stream cuts the body short, which clients see as an error",
        binary: "application/vnd.ipld.car",
      },
      400: badRequest,
      404: error("no such purchase for this node, or its manifest is not held here"),
      409: error("NOT_DELIVERED: the purchase is not delivered (yet)"),
      503: downloadUnavailable,
    },
  },
  {
    method: "get",
    path: "/v1/purchases/{id}/answer",
    summary:
      "The answer to a query purchase: the answer CID once fulfillQuery is mined, the answer's key sealed to the buyer once it has DATABANK_DELIVERY_CONFIRMATIONS confirmations, or the reason the custodian rejected the query (the buyer was credited)",
    params: purchaseIdParamSchema,
    responses: {
      200: {
        description: "the answer (answerKey absent until the answer is final: retry later)",
        schema: queryAnswerStatusResponseSchema,
      },
      400: badRequest,
      404: error("no such query purchase for this node"),
      503: chainDown,
    },
  },
];

/** JSON Schema of a zod schema, without the `$schema` key (OpenAPI 3.1 sets the dialect). */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}

/** Builds the OpenAPI 3.1 document. */
export function buildOpenApiDocument(info: { version: string } = { version: "1" }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const parameters = route.params
      ? Object.entries(route.params.shape).map(([name, schema]) => ({
          name,
          in: "path",
          required: true,
          schema: jsonSchema(schema as z.ZodType, "input"),
        }))
      : undefined;
    const requestBody =
      route.body === undefined
        ? undefined
        : route.body === "binary"
          ? {
              required: true,
              content: {
                "application/octet-stream": {
                  schema: { type: "string", contentMediaType: "application/octet-stream" },
                },
              },
            }
          : {
              required: true,
              content: { "application/json": { schema: jsonSchema(route.body, "input") } },
            };
    const responses = Object.fromEntries(
      Object.entries(route.responses).map(([status, response]) => [
        status,
        {
          description: response.description,
          ...(response.headers
            ? {
                headers: Object.fromEntries(
                  Object.entries(response.headers).map(([name, description]) => [
                    name,
                    { description, schema: { type: "integer" } },
                  ]),
                ),
              }
            : {}),
          ...(response.binary
            ? {
                content: {
                  [response.binary]: {
                    schema: { type: "string", contentMediaType: response.binary },
                  },
                },
              }
            : response.schema
              ? {
                  content: {
                    "application/json": { schema: jsonSchema(response.schema, "output") },
                  },
                }
              : {}),
        },
      ]),
    );
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      summary: route.summary,
      ...(parameters ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Databank data bank node",
      version: info.version,
      description:
        "The pool custodian's API: content storage, gasless consent relay, contribution and delivery status. Errors are { error: { code, message, ... } }; ids and amounts that may exceed 2^53 are decimal strings.",
    },
    paths,
  };
}
