/**
 * The data bank node's HTTP API (Hono). Routes are listed in docs/data-bank-node.md and described
 * by `GET /openapi.json`, generated from the zod schemas the routes validate with.
 *
 * Every client error is `{ error: { code, message, ... } }` with a 4xx status; anything
 * unexpected is a 500 with a generic message (details go to the log, never plaintext or keys).
 */
import { getConnInfo } from "@hono/node-server/conninfo";
import { ServerResponse } from "node:http";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { bytesToHex, isAddressEqual, type Hex } from "viem";
import type { z } from "zod";
import {
  checkRequestSchema,
  contributionIdParamSchema,
  poolIdParamSchema,
  purchaseIdParamSchema,
  relayRequestSchema,
  type CustodianResponse,
  type DeliveryStatusResponse,
  type QueryAnswerStatusResponse,
  type HealthResponse,
  type PoolResponse,
  type RelayResponse,
  type UploadResponse,
} from "../lib/api/schemas.js";
import { bountiesLeft } from "../lib/contracts/client.js";
import type { NodeServerConfig } from "../lib/config/index.js";
import * as rawCodec from "multiformats/codecs/raw";
import { isStorageError, parseCanonicalCid, type ContentStore } from "../lib/storage/index.js";
import { CAR_CONTENT_TYPE, createEnvelopeLists, deliveryCar } from "./content/deliveryCar.js";
import { DownloadSlots } from "./content/downloadSlots.js";
import { openStreamBody } from "./content/streamBody.js";
import { custodianAddress, type CustodianDatabank } from "./chain.js";
import type { AcceptedKeys } from "./custodian/acceptedKeys.js";
import type { ContributionChecker, Rejection } from "./custodian/checks.js";
import type { CustodianKeyCheck } from "./custodian/keyCheck.js";
import { resolveClientAddress } from "./clientAddress.js";
import type { PoolDirectory } from "./custodian/pools.js";
import type { AcceptanceRecords } from "./custodian/records.js";
import { sendRelayedConsent, verifyConsentSignature } from "./custodian/relay.js";
import type { ContributionCheckpointHook } from "./custodian/reservations.js";
import { contributionStatus } from "./custodian/status.js";
import { ServiceError } from "./errors.js";
import type { Logger } from "./log.js";
import { buildOpenApiDocument } from "./openapi.js";
import { SlidingWindowRateLimiter } from "./rateLimit.js";
import { CHAIN_RETRY_AFTER_SECONDS, chainUnavailable, isRpcUnavailable } from "./rpc.js";
import { storageToServiceError } from "./storageErrors.js";
import type { TransactionQueue } from "./transactions.js";

/** The delivery of a purchase, as `GET /v1/purchases/{id}/delivery` returns it. */
export interface DeliveryStatusView {
  /** Decimal string. */
  purchaseId: string;
  status: "pending" | "delivering" | "delivered" | "refunded" | "failed";
  /** CID of the delivery manifest, once uploaded. */
  deliveryCid?: string;
  /** Merkle root of the delivered records (0x hex). */
  recordsRoot?: Hex;
  recordCount?: number;
  /** The `fulfill` transaction. */
  transactionHash?: Hex;
  /**
   * (v2 manifests) The delivery key sealed to the buyer's key (80 bytes of 0x-hex: HPKE enc ‖
   * ciphertext), present only once `fulfill` is mined with DATABANK_DELIVERY_CONFIRMATIONS
   * confirmations: before that the delivery is not final and nothing in the manifest opens.
   */
  deliveryKey?: Hex;
  /** Why the delivery failed, in plain words. */
  error?: string;
}

// The documented response and the schema's type must stay the same shape (checked at compile time).
const _deliveryViewMatchesSchema: [DeliveryStatusView, DeliveryStatusResponse] extends [
  DeliveryStatusResponse,
  DeliveryStatusView,
]
  ? true
  : false = true;

/** Where the app reads delivery states from (the delivery worker). */
export interface DeliveryStatusSource {
  /** The delivery state, or undefined if the node knows no such purchase. */
  status(purchaseId: bigint): Promise<DeliveryStatusView | undefined>;
}

/** Where the app reads query answers from (the query worker). */
export interface QueryAnswerSource {
  /** The answer's state, or undefined if the node knows no such query purchase. */
  status(purchaseId: bigint): Promise<QueryAnswerStatusResponse | undefined>;
}

/** What {@link createApp} needs. */
export interface AppDeps {
  chainId: number;
  /** The Databank client with the custodian's wallet. */
  databank: CustodianDatabank;
  /** The custodian's X25519 public key (32 bytes). */
  custodianPublicKey: Uint8Array;
  store: ContentStore;
  pools: PoolDirectory;
  /** A checker that only reads envelopes the node holds (no network wait on a request). */
  checker: ContributionChecker;
  records: AcceptanceRecords;
  /**
   * Where a relayed record's data key is kept (the node's key custody), so its first delivery
   * opens no envelope; without it the key is dropped after the check.
   */
  acceptedKeys?: AcceptedKeys;
  exclusive: TransactionQueue["exclusive"];
  /** Test hook of the relay's durable steps (see ContributionCheckpoint). */
  contributionCheckpoint?: ContributionCheckpointHook;
  deliveries: DeliveryStatusSource;
  /** Query answers (`GET /v1/purchases/{id}/answer`); without it the route answers 404. */
  answers?: QueryAnswerSource;
  /** Finds pools naming this custodian with another X25519 key (reported by `/health`). */
  keyCheck: CustodianKeyCheck;
  logger: Logger;
  config: Pick<
    NodeServerConfig,
    | "maxUploadBytes"
    | "maxConcurrentDownloads"
    | "corsOrigins"
    | "relayRateLimitPerMinute"
    | "clientRateLimitPerMinute"
    | "requestRateLimitPerMinute"
    | "trustedProxies"
    | "relayGasLimit"
  >;
  /** Clock of the rate limiter and deadline check (unix ms); tests move it. */
  now?: () => number;
  /** How long a download may wait for its client to take the next chunk; default 60 s (tests). */
  downloadStallTimeoutMs?: number;
}

/** Largest JSON request body. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;
/** How long the store may take to produce the first bytes of a download. */
const CONTENT_READ_TIMEOUT_MS = 10_000;
/** A download whose client takes nothing for this long is cut off (it would hold a slot). */
export const DOWNLOAD_STALL_TIMEOUT_MS = 60_000;
/** Retry-After of a download refused because every slot is taken. */
export const DOWNLOADS_BUSY_RETRY_AFTER_SECONDS = 2;

/**
 * How long `/health` waits for each part (chain, storage) before calling it down: a load balancer
 * or a person asking must get an answer within a second, not after the RPC's own timeout.
 */
export const HEALTH_PROBE_TIMEOUT_MS = 800;
/** A CID no one stores (sha2-256 of nothing): asking the store for it tests that the store answers. */
const STORAGE_PROBE_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";

/** The socket peer's address, or undefined outside a Node server (e.g. `app.request`). */
function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** The Node response under a Hono context, when served by @hono/node-server. */
function nodeResponse(c: Context): ServerResponse | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing instanceof ServerResponse ? outgoing : undefined;
}

/** Settles with the value, or with why it failed or did not come within `ms`; never rejects. */
async function probe<T>(
  work: () => Promise<T>,
  ms: number,
): Promise<{ ok: true; value: T } | { ok: false; problem: string }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<{ ok: false; problem: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, problem: `did not answer within ${ms} ms` }), ms);
  });
  const attempt = work().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({
      ok: false as const,
      // The first line only: viem puts the request (and the RPC URL, which may hold a key) after it.
      problem: `failed: ${error instanceof Error ? error.message.split("\n")[0]! : String(error)}`,
    }),
  );
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether the client went away before the answer (closed the tab, timed out, aborted an upload):
 * routine on a public server, so not an error of the node.
 */
function clientDisconnected(c: Context, error: unknown): boolean {
  if (c.req.raw.signal.aborted) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || code === "EPIPE";
}

/** Creates the Hono app. */
export function createApp(deps: AppDeps): Hono {
  const { databank, store, pools, checker, records, logger, config } = deps;
  const now = deps.now ?? Date.now;
  const me = custodianAddress(databank);
  const relayLimiter = new SlidingWindowRateLimiter({
    limit: config.relayRateLimitPerMinute,
    windowMs: 60_000,
    now,
  });
  // Two per-IP budgets, so that a flood of forged signatures (refused cheaply) cannot lock out the
  // honest clients behind the same address: every request counts against the generous first one
  // on arrival (it bounds the chain reads anyone can cause); only checks and relays whose signature
  // verified count against the second.
  const requestLimiter = new SlidingWindowRateLimiter({
    limit: config.requestRateLimitPerMinute,
    windowMs: 60_000,
    now,
  });
  const clientLimiter = new SlidingWindowRateLimiter({
    limit: config.clientRateLimitPerMinute,
    windowMs: 60_000,
    now,
  });
  const clientAddress = (c: Context) =>
    resolveClientAddress({
      socketAddress: socketAddress(c),
      forwardedFor: c.req.header("x-forwarded-for"),
      trustedProxies: config.trustedProxies,
    });
  const limit = (limiter: SlidingWindowRateLimiter, perMinute: number, what: string) => {
    return (c: Context) => {
      const verdict = limiter.take(clientAddress(c));
      if (!verdict.allowed) {
        throw new ServiceError(
          429,
          "RATE_LIMITED",
          `too many ${what} from your address: at most ${perMinute} per minute; retry in ${verdict.retryAfterSeconds} s`,
          { retryAfterSeconds: verdict.retryAfterSeconds },
        );
      }
    };
  };
  /** Counts a relay or check request on arrival, before it costs any chain read. */
  const limitRequests = limit(
    requestLimiter,
    config.requestRateLimitPerMinute,
    "contribution requests",
  );
  /** Counts a check, or a relay whose signature verified. */
  const limitClient = limit(
    clientLimiter,
    config.clientRateLimitPerMinute,
    "checks and signed relays",
  );
  const downloads = new DownloadSlots({ limit: config.maxConcurrentDownloads });
  const envelopeLists = createEnvelopeLists(store);
  const openApi = buildOpenApiDocument();
  const jsonLimit = bodyLimit({
    maxSize: MAX_JSON_BODY_BYTES,
    onError: () => {
      throw new ServiceError(
        413,
        "BODY_TOO_LARGE",
        `JSON bodies are limited to ${MAX_JSON_BODY_BYTES} bytes`,
      );
    },
  });

  const app = new Hono();

  app.use(
    "*",
    cors({
      origin: config.corsOrigins.includes("*") ? "*" : [...config.corsOrigins],
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["Content-Type"],
      exposeHeaders: ["Retry-After"],
      maxAge: 600,
    }),
  );

  app.onError((error, c) => {
    if (!(error instanceof ServiceError) && clientDisconnected(c, error)) {
      // Nobody is left to answer; the client may retry. Not an error of the node.
      logger.debug("http: client disconnected", { method: c.req.method, path: c.req.path });
      return c.body(null, 499 as ContentfulStatusCode);
    }
    if (!(error instanceof ServiceError) && isRpcUnavailable(error)) {
      logger.warn("http: chain RPC unavailable", {
        method: c.req.method,
        path: c.req.path,
        problem: error instanceof Error ? error.name : String(error),
      });
      error = chainUnavailable(error);
    }
    if (error instanceof ServiceError) {
      const { retryAfterSeconds, ...details } = error.details;
      if (typeof retryAfterSeconds === "number") c.header("Retry-After", String(retryAfterSeconds));
      // The rest of a refused upload is not read: the connection must not be reused.
      if (error.code === "CONTENT_TOO_LARGE") c.header("Connection", "close");
      return c.json(
        { error: { code: error.code, message: error.message, ...details } },
        error.status as ContentfulStatusCode,
      );
    }
    if (error instanceof HTTPException) {
      return c.json(
        { error: { code: "HTTP_ERROR", message: error.message || "request refused" } },
        error.status,
      );
    }
    logger.error("http: unexpected error", {
      method: c.req.method,
      path: c.req.path,
      problem: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return c.json({ error: { code: "INTERNAL", message: "internal error" } }, 500);
  });

  app.notFound((c) =>
    c.json(
      { error: { code: "NOT_FOUND", message: `no route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  );

  app.get("/health", async (c) => {
    // The parts are asked at once, each for at most HEALTH_PROBE_TIMEOUT_MS.
    const [chain, storage, keys] = await Promise.all([
      probe(() => databank.publicClient.getBlockNumber({ cacheTime: 0 }), HEALTH_PROBE_TIMEOUT_MS),
      probe(() => store.has(STORAGE_PROBE_CID), HEALTH_PROBE_TIMEOUT_MS),
      probe(() => deps.keyCheck.mismatch(), HEALTH_PROBE_TIMEOUT_MS),
    ]);
    const down: HealthResponse["down"] = [];
    const problems: string[] = [];
    if (!chain.ok) {
      down.push("chain");
      problems.push(`chain: the RPC ${chain.problem}`);
    }
    if (!storage.ok) {
      down.push("storage");
      problems.push(`storage: the ${store.kind} store ${storage.problem}`);
    }
    const warnings: HealthResponse["warnings"] = [];
    // A wrong key breaks only the pools that name it: a warning, not a 503 that would take the
    // node (and its other pools, its content) out of a load balancer.
    if (keys.ok && keys.value !== undefined) {
      warnings.push({
        code: "CUSTODIAN_KEY_MISMATCH",
        message: keys.value.message,
        pools: keys.value.pools,
      });
    }
    const body: HealthResponse = {
      ok: down.length === 0,
      chainId: deps.chainId,
      databank: databank.address,
      custodian: me,
      storage: store.kind,
      down,
      ...(problems.length === 0 ? {} : { message: problems.join("; ") }),
      warnings,
    };
    if (down.length > 0) c.header("Retry-After", String(CHAIN_RETRY_AFTER_SECONDS));
    return c.json(body, down.length === 0 ? 200 : 503);
  });

  app.get("/openapi.json", (c) => c.json(openApi));

  app.get("/v1/custodian", (c) => {
    const body: CustodianResponse = {
      address: me,
      publicKey: bytesToHex(deps.custodianPublicKey),
    };
    return c.json(body);
  });

  app.get("/v1/pools/:poolId", async (c) => {
    const { poolId } = validate(poolIdParamSchema, c.req.param(), "path");
    const found = await pools.pool(Number(poolId));
    if (found === undefined) {
      throw new ServiceError(404, "POOL_NOT_FOUND", `pool ${poolId} does not exist`);
    }
    const { pool, schemaCid, termsCid } = found;
    // A document that cannot be fetched is reported as null: the on-chain part is still useful.
    const [schema, terms] = await Promise.all([
      pools.schemaByCid(schemaCid).catch(() => null),
      pools.termsByCid(termsCid).catch(() => null),
    ]);
    const body: PoolResponse = {
      id: found.id,
      curator: pool.curator,
      custodian: pool.custodian,
      custodianKey: pool.custodianKey,
      paymentToken: pool.paymentToken,
      price: pool.price.toString(),
      contributorShareBps: pool.contributorShareBps,
      platformFeeBps: pool.platformFeeBps,
      minContributors: pool.minContributors,
      maxContributors: pool.maxContributors,
      activeCount: pool.recordsActive + pool.statisticsOnlyActive,
      recordsActive: pool.recordsActive,
      statisticsActive: pool.statisticsActive,
      products: pool.products,
      queryPrice: pool.queryPrice.toString(),
      epsilonBudget: pool.epsilonBudget,
      maxEpsilonPerQuery: pool.maxEpsilonPerQuery,
      epsilonSpent: pool.epsilonSpent,
      bountyPerContribution: pool.bountyPerContribution.toString(),
      bountyBudget: pool.bountyBudget.toString(),
      bountiesLeft: toNumberOrNull(bountiesLeft(pool)),
      deliveryWindow: pool.deliveryWindow,
      purposes: pool.purposes,
      paused: pool.paused,
      termsDigest: pool.termsDigest,
      schemaCid,
      termsCid,
      schema: schema as Record<string, unknown> | null,
      terms,
    };
    return c.json(body);
  });

  app.post("/v1/content", async (c) => {
    const limit = config.maxUploadBytes;
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > limit) {
      // Refused before reading a byte.
      throw tooLarge(limit);
    }
    const body = c.req.raw.body;
    if (body === null) throw new ServiceError(400, "EMPTY_BODY", "the body is empty");
    let size = 0;
    let overLimit = false;
    async function* limited(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
      // Our own reader, released (not cancelled) on exit: cancelling would destroy the socket
      // before the 413 is written; the server drains what the client still sends.
      const reader = stream.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          size += value.byteLength;
          if (size > limit) {
            overLimit = true;
            throw tooLarge(limit);
          }
          yield value;
        }
      } finally {
        reader.releaseLock();
      }
    }
    let cid: string;
    try {
      cid = await store.put(limited(body), { signal: c.req.raw.signal });
    } catch (error) {
      if (overLimit) throw tooLarge(limit);
      throw error;
    }
    if (size === 0) throw new ServiceError(400, "EMPTY_BODY", "the body is empty");
    logger.info("content: stored", { cid, size });
    const response: UploadResponse = { cid, size };
    return c.json(response, 201);
  });

  /**
   * Answers with `open`'s chunks as a streamed body. A large download holds one of the few
   * download slots for as long as it streams (503 when none is free). The first chunk is read
   * before the answer starts, so a missing manifest or block is still a 404.
   */
  const sendStream = async (
    c: Context,
    download: {
      /** Starts reading what is sent; `signal` is aborted when the client goes away or stalls. */
      open: (signal: AbortSignal) => AsyncIterable<Uint8Array>;
      /** Whether the download can be large (it then takes a slot). */
      large: boolean;
      /** What is sent, for logs and errors ("the content bafk…"). */
      what: string;
      /** The answer's headers (content type, caching). */
      headers: Record<string, string>;
    },
  ): Promise<Response> => {
    const release = download.large ? downloads.tryAcquire() : () => undefined;
    if (release === undefined) {
      throw new ServiceError(
        503,
        "TOO_MANY_DOWNLOADS",
        `the node is already serving ${downloads.limit} large downloads (DATABANK_MAX_CONCURRENT_DOWNLOADS); retry in ${DOWNLOADS_BUSY_RETRY_AFTER_SECONDS} s`,
        { retryAfterSeconds: DOWNLOADS_BUSY_RETRY_AFTER_SECONDS },
      );
    }
    let body: ReadableStream<Uint8Array>;
    try {
      body = await openStreamBody({
        open: (signal) => download.open(AbortSignal.any([signal, c.req.raw.signal])),
        firstChunkTimeoutMs: CONTENT_READ_TIMEOUT_MS,
        stallTimeoutMs: deps.downloadStallTimeoutMs ?? DOWNLOAD_STALL_TIMEOUT_MS,
        abortResponse: (error) => nodeResponse(c)?.destroy(error),
        onEnd: (how) => {
          release();
          if (how === "failed" || how === "stalled") {
            logger.warn("content: download cut short", { what: download.what, how });
          }
        },
      });
    } catch (error) {
      release();
      // A store refusing a CID that parsed means its root block is not what the codec says (e.g.
      // a raw block's hash re-encoded as dag-pb): no content of this CID is held here.
      if (isStorageError(error, "NOT_FOUND") || isStorageError(error, "INVALID_CID")) {
        throw new ServiceError(404, "CONTENT_NOT_FOUND", `the node does not hold ${download.what}`);
      }
      throw storageToServiceError(error, download.what);
    }
    return c.body(body, 200, download.headers);
  };

  app.get("/v1/content/:cid", async (c) => {
    const cid = c.req.param("cid");
    let isSingleBlock: boolean;
    try {
      isSingleBlock = parseCanonicalCid(cid).code === rawCodec.code;
    } catch (error) {
      throw new ServiceError(400, "INVALID_CID", (error as Error).message);
    }
    // The node serves what it stores: an unknown CID is a 404 now, not a network search. One
    // block is checked up front; for a large file `has` would read every block (Helia's extended
    // stat), so the stream itself reads offline and a missing block is a 404 too.
    if (isSingleBlock && !(await store.has(cid))) {
      throw new ServiceError(404, "CONTENT_NOT_FOUND", `the node does not hold ${cid}`);
    }
    // A raw CID is one block of at most 256 KiB: bounded without a slot.
    // Streamed: every block is hashed against its CID by the store before its bytes are sent.
    return sendStream(c, {
      open: (signal) => store.stream(cid, { signal, offline: true }),
      large: !isSingleBlock,
      what: `the content ${cid}`,
      headers: {
        "Content-Type": "application/octet-stream",
        "Cache-Control": "public, max-age=31536000, immutable",
      },
    });
  });

  /** The pool, which must exist and be custodied by this node. */
  async function custodiedPool(poolId: number) {
    const found = await pools.pool(poolId);
    if (found === undefined) {
      throw new ServiceError(404, "POOL_NOT_FOUND", `pool ${poolId} does not exist`);
    }
    if (!isAddressEqual(found.pool.custodian, me)) {
      throw new ServiceError(
        409,
        "NOT_CUSTODIAN",
        `pool ${poolId} is custodied by ${found.pool.custodian}, not by this node (${me})`,
      );
    }
    return found;
  }

  app.post("/v1/contributions/check", jsonLimit, async (c) => {
    limitRequests(c);
    limitClient(c);
    const { poolId, dataCid, contributor } = await jsonBody(c, checkRequestSchema);
    await custodiedPool(poolId);
    const outcome = await checker.check({ poolId, dataCid, contributor });
    if (!outcome.ok) throw rejected(outcome);
    return c.json({ ok: true as const });
  });

  app.post("/v1/contributions/relay", jsonLimit, async (c) => {
    limitRequests(c);
    const { request, signature } = await jsonBody(c, relayRequestSchema);
    if (request.deadline * 1000n < BigInt(now())) {
      throw new ServiceError(
        400,
        "SIGNATURE_EXPIRED",
        `the signature's deadline (${request.deadline}) has passed; sign again with a later deadline`,
      );
    }
    await custodiedPool(request.poolId);

    // The signature is verified before anything costs gas or storage work; only a request the
    // contributor really signed counts against its rate limit (else anyone could exhaust it).
    const verdict = await verifyConsentSignature(databank, request, signature);
    if (!verdict.valid) {
      if (verdict.replayed) {
        throw new ServiceError(
          409,
          "SIGNATURE_ALREADY_USED",
          `this consent was already relayed (it was signed for nonce ${verdict.usedNonce}); sign a new one to contribute again`,
        );
      }
      throw new ServiceError(
        400,
        "INVALID_SIGNATURE",
        `the signature is not ${request.contributor}'s over this consent (pool terms, purposes and current nonce)`,
      );
    }
    limitClient(c);
    const allowed = relayLimiter.take(request.contributor.toLowerCase());
    if (!allowed.allowed) {
      throw new ServiceError(
        429,
        "RATE_LIMITED",
        `too many relayed consents for ${request.contributor}: at most ${config.relayRateLimitPerMinute} per minute; retry in ${allowed.retryAfterSeconds} s`,
        { retryAfterSeconds: allowed.retryAfterSeconds },
      );
    }

    // The envelope must be bound to the signer and this pool (else 422 NotBound): refused here,
    // before any gas is spent or any fingerprint reserved, so a copy cannot squat the record.
    const outcome = await checker.check({
      poolId: request.poolId,
      dataCid: request.dataCid,
      contributor: request.contributor,
      keepDataKey: deps.acceptedKeys !== undefined,
    });
    if (!outcome.ok) throw rejected(outcome);
    const sent = await sendRelayedConsent({
      databank,
      records,
      exclusive: deps.exclusive,
      logger,
      request,
      signature,
      fingerprint: outcome.fingerprint,
      gasLimit: BigInt(config.relayGasLimit),
      checkpoint: deps.contributionCheckpoint,
      acceptedKey:
        deps.acceptedKeys !== undefined && outcome.dataKey !== undefined
          ? { keys: deps.acceptedKeys, dataKey: outcome.dataKey }
          : undefined,
    });
    const body: RelayResponse = {
      contributionId: sent.contributionId.toString(),
      transactionHash: sent.transactionHash,
    };
    return c.json(body, 201);
  });

  app.get("/v1/contributions/:id", async (c) => {
    const { id } = validate(contributionIdParamSchema, c.req.param(), "path");
    const status = await contributionStatus(databank, records, id);
    if (status === undefined) {
      throw new ServiceError(404, "CONTRIBUTION_NOT_FOUND", `contribution ${id} does not exist`);
    }
    return c.json(status);
  });

  /** The purchase's delivery status; 400 for a bad id, 404 for a purchase unknown here. */
  const deliveryOf = async (c: Context) => {
    const { id } = validate(purchaseIdParamSchema, c.req.param(), "path");
    const status = await deps.deliveries.status(id);
    if (status === undefined) {
      throw new ServiceError(
        404,
        "PURCHASE_NOT_FOUND",
        `purchase ${id} is unknown to this node (not made, or not from a pool it custodies)`,
      );
    }
    return { id, status };
  };

  app.get("/v1/purchases/:id/delivery", async (c) => c.json((await deliveryOf(c)).status));

  app.get("/v1/purchases/:id/delivery/car", async (c) => {
    const { id, status } = await deliveryOf(c);
    const manifestCid = status.deliveryCid;
    if (status.status !== "delivered" || manifestCid === undefined) {
      throw new ServiceError(
        409,
        "NOT_DELIVERED",
        `purchase ${id} is ${status.status}, not delivered: its records can be streamed once it is (GET /v1/purchases/${id}/delivery)`,
      );
    }
    // One response for the whole delivery: every envelope held here, in the manifest's order.
    return sendStream(c, {
      open: (signal) => deliveryCar({ store, envelopeLists, manifestCid, signal }),
      large: true,
      what: `the delivery of purchase ${id}`,
      headers: {
        "Content-Type": CAR_CONTENT_TYPE,
        // Not immutable like a CID's bytes: an envelope unpinned later drops out of the stream.
        "Cache-Control": "no-cache",
      },
    });
  });

  app.get("/v1/purchases/:id/answer", async (c) => {
    const { id } = validate(purchaseIdParamSchema, c.req.param(), "path");
    const status = await deps.answers?.status(id);
    if (status === undefined) {
      throw new ServiceError(
        404,
        "PURCHASE_NOT_FOUND",
        `query purchase ${id} is unknown to this node (not made, not a query, or not from a pool it custodies)`,
      );
    }
    return c.json(status);
  });

  return app;
}

function tooLarge(limit: number): ServiceError {
  return new ServiceError(
    413,
    "CONTENT_TOO_LARGE",
    `uploads are limited to ${limit} bytes (DATABANK_MAX_UPLOAD_BYTES)`,
  );
}

function rejected(outcome: Rejection): ServiceError {
  return new ServiceError(422, "REJECTED", outcome.message, {
    reason: outcome.reason,
    ...(outcome.fieldErrors ? { fieldErrors: outcome.fieldErrors } : {}),
  });
}

/** Parses the JSON body with `schema`; 400 INVALID_JSON or INVALID_REQUEST naming each bad field. */
async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let value: unknown;
  try {
    value = await c.req.json();
  } catch {
    throw new ServiceError(400, "INVALID_JSON", "the body is not valid JSON");
  }
  return validate(schema, value, "body");
}

/** Validates `value`; 400 INVALID_REQUEST with one issue per bad field. */
function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: [...path, key].join("."),
        message: "unknown field",
      }));
    }
    return [{ path: path.length === 0 ? where : path.join("."), message: issue.message }];
  });
  throw new ServiceError(
    400,
    "INVALID_REQUEST",
    `invalid ${where}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`,
    { issues },
  );
}

/** A count as JSON: a number, or null when there is none. */
function toNumberOrNull(count: bigint | undefined): number | null {
  return count === undefined ? null : Number(count);
}
