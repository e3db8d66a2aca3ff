/**
 * The typed HTTP client of the data bank node's API, for the dApp, the demo, the CLIs and the
 * tests. Browser-safe: it only uses `fetch` (or XMLHttpRequest for upload progress in browsers)
 * and verifies downloaded content against its CID before returning it.
 */
import type { Hex } from "viem";
import { assertBytesMatchCid, parseCanonicalCid } from "../storage/cid.js";
import { readDeliveryStream, type DeliveryStream } from "./deliveryStream.js";
import type {
  CheckRequestBody,
  ContributionResponse,
  CustodianResponse,
  DeliveryStatusResponse,
  QueryAnswerStatusResponse,
  FieldErrorResponse,
  HealthResponse,
  PoolResponse,
  RelayRequestBody,
  RelayResponse,
  UploadResponse,
} from "./schemas.js";

/**
 * An error answer of the node, or a failure to reach it (status 0, code "NETWORK", or "TIMEOUT"
 * when it did not answer in time).
 */
export class NodeApiError extends Error {
  /** HTTP status; 0 when the node could not be reached or answered garbage. */
  readonly status: number;
  /** The node's error code (e.g. "INVALID_SIGNATURE", "REJECTED"), or "NETWORK"/"BAD_RESPONSE". */
  readonly code: string;
  /** For REJECTED: why (Undecryptable, SchemaMismatch, Duplicate, Expired, Other, NotBound). */
  readonly reason: string | undefined;
  /** For a SchemaMismatch rejection: each offending field. */
  readonly fieldErrors: FieldErrorResponse[] | undefined;
  /** For INVALID_REQUEST: each invalid request field. */
  readonly issues: { path: string; message: string }[] | undefined;
  /** For 429: seconds to wait before retrying. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: {
      reason?: string;
      fieldErrors?: FieldErrorResponse[];
      issues?: { path: string; message: string }[];
      retryAfterSeconds?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: extra.cause });
    this.name = "NodeApiError";
    this.status = status;
    this.code = code;
    this.reason = extra.reason;
    this.fieldErrors = extra.fieldErrors;
    this.issues = extra.issues;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}

/** Options of {@link createNodeApiClient}. */
export interface NodeApiClientOptions {
  /** The node's base URL, e.g. "http://127.0.0.1:8787". */
  baseUrl: string;
  /** A fetch implementation; default the global one. */
  fetch?: typeof fetch;
  /**
   * Longest wait, in ms, for the node to start answering (its status line and headers): past it
   * the call fails with code "TIMEOUT" instead of waiting forever on a node that hangs. Reading
   * a long body is not limited. Default: no limit.
   */
  answerTimeoutMs?: number;
}

/** Upload progress: bytes sent so far out of the total. */
export type UploadProgress = (sentBytes: number, totalBytes: number) => void;

/** A consent request as sent to the node (ids and times as bigint or number). */
export interface RelayConsentParams {
  request: {
    contributor: string;
    poolId: number | bigint;
    dataCid: string;
    expiresAt: number | bigint;
    deadline: number | bigint;
    /** The uses the consent allows: 1 records, 2 statistics, 3 both. */
    scope: number;
  };
  signature: Hex;
}

/** Creates the client. Every method throws {@link NodeApiError} on an error answer. */
export function createNodeApiClient(options: NodeApiClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);

  async function send(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    const timeoutMs = options.answerTimeoutMs;
    const abort = timeoutMs !== undefined ? new AbortController() : undefined;
    const timer = abort && setTimeout(() => abort.abort(), timeoutMs);
    try {
      const signals = [init.signal, abort?.signal].filter((signal) => signal != null);
      response = await fetchImpl(`${baseUrl}${path}`, {
        ...init,
        signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
      });
    } catch (error) {
      if (abort?.signal.aborted) {
        throw new NodeApiError(
          0,
          "TIMEOUT",
          `the data bank node at ${baseUrl} did not answer within ${timeoutMs! / 1000} s: ` +
            "check that it is running and reachable",
          { cause: error },
        );
      }
      throw new NodeApiError(
        0,
        "NETWORK",
        `could not reach the data bank node at ${baseUrl}: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  async function json<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await send(path, init);
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw new NodeApiError(
        response.status,
        "BAD_RESPONSE",
        `the node's answer to ${path} is not JSON`,
        { cause: error },
      );
    }
  }

  const postJson = <T>(path: string, body: unknown) =>
    json<T>(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body, (_key, value: unknown) =>
        typeof value === "bigint" ? value.toString() : value,
      ),
    });

  return {
    baseUrl,
    /** `GET /health`. */
    health: () => json<HealthResponse>("/health"),
    /** `GET /v1/custodian`: the address and X25519 public key to seal envelopes to. */
    custodian: () => json<CustodianResponse>("/v1/custodian"),
    /** `GET /v1/pools/{poolId}`: the pool, its schema and its terms. */
    pool: (poolId: number | bigint) => json<PoolResponse>(`/v1/pools/${poolId.toString()}`),
    /**
     * `POST /v1/content`: stores bytes (e.g. a sealed envelope) and returns their CID. In a browser
     * `onProgress` follows the upload; elsewhere it is called at the start and at the end.
     */
    async uploadContent(
      bytes: Uint8Array,
      uploadOptions: { onProgress?: UploadProgress } = {},
    ): Promise<UploadResponse> {
      const { onProgress } = uploadOptions;
      if (onProgress && options.fetch === undefined && typeof XMLHttpRequest !== "undefined") {
        return uploadWithXhr(`${baseUrl}/v1/content`, bytes, onProgress);
      }
      onProgress?.(0, bytes.byteLength);
      const result = await json<UploadResponse>("/v1/content", {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream" },
        body: bytes as Uint8Array<ArrayBuffer>,
      });
      onProgress?.(bytes.byteLength, bytes.byteLength);
      return result;
    },
    /**
     * `GET /v1/content/{cid}`: the bytes, re-hashed here to the CID (the node is not trusted).
     *
     * @throws NodeApiError 400 for an invalid CID (without a request), INTEGRITY when the bytes
     *   do not match.
     */
    async getContent(cid: string): Promise<Uint8Array> {
      let parsed;
      try {
        parsed = parseCanonicalCid(cid);
      } catch (error) {
        throw new NodeApiError(400, "INVALID_CID", (error as Error).message, { cause: error });
      }
      const response = await send(`/v1/content/${encodeURIComponent(cid)}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      try {
        await assertBytesMatchCid(parsed, bytes, `the data bank node at ${baseUrl}`);
      } catch (error) {
        throw new NodeApiError(response.status, "INTEGRITY", (error as Error).message, {
          cause: error,
        });
      }
      return bytes;
    },
    /**
     * `GET /v1/purchases/{id}/delivery/car`: a delivered purchase's envelopes as one stream (a
     * CAR whose root is the manifest's CID), read as it arrives. Each envelope is checked against
     * its record's CID by lib/delivery.
     *
     * @param signal - aborts the request and the reading of its body.
     * @throws NodeApiError 404 PURCHASE_NOT_FOUND, 409 NOT_DELIVERED; 404 with another code from a
     *   node without the route; BAD_RESPONSE when the body is not a CAR with one root.
     */
    async openDeliveryStream(
      purchaseId: number | bigint,
      signal?: AbortSignal,
    ): Promise<DeliveryStream> {
      const path = `/v1/purchases/${purchaseId.toString()}/delivery/car`;
      const response = await send(path, signal === undefined ? {} : { signal });
      if (response.body === null) {
        throw new NodeApiError(
          response.status,
          "BAD_RESPONSE",
          `the node's answer to ${path} is empty`,
        );
      }
      try {
        return await readDeliveryStream(response.body, {
          source: `the data bank node at ${baseUrl}`,
        });
      } catch (error) {
        throw new NodeApiError(response.status, "BAD_RESPONSE", (error as Error).message, {
          cause: error,
        });
      }
    },
    // `satisfies` ties the bodies sent here to the schemas the node validates (compile time).
    /**
     * `POST /v1/contributions/check`: resolves when the data pass for `contributor` (the envelope
     * must be sealed for it and the pool); throws REJECTED (422) otherwise.
     */
    checkContribution: (body: { poolId: number | bigint; dataCid: string; contributor: string }) =>
      postJson<{ ok: true }>(
        "/v1/contributions/check",
        body satisfies Record<keyof CheckRequestBody, unknown>,
      ),
    /** `POST /v1/contributions/relay`: relays a signed consent; the contributor pays no gas. */
    relayConsent: (params: RelayConsentParams) =>
      postJson<RelayResponse>(
        "/v1/contributions/relay",
        params satisfies Record<keyof RelayRequestBody, unknown>,
      ),
    /** `GET /v1/contributions/{id}`. */
    contribution: (id: number | bigint) =>
      json<ContributionResponse>(`/v1/contributions/${id.toString()}`),
    /**
     * `GET /v1/purchases/{id}/delivery`. `deliveryKey` (the delivery key sealed to the buyer) is
     * there only once the delivery is final; lib/delivery's `waitForDeliveryKey` polls for it.
     */
    deliveryStatus: (purchaseId: number | bigint) =>
      json<DeliveryStatusResponse>(`/v1/purchases/${purchaseId.toString()}/delivery`),
    /**
     * `GET /v1/purchases/{id}/answer`: a query purchase's answer. `answerKey` (the answer's data
     * key sealed to the buyer) is there only once `fulfillQuery` is final.
     */
    answerStatus: (purchaseId: number | bigint) =>
      json<QueryAnswerStatusResponse>(`/v1/purchases/${purchaseId.toString()}/answer`),
  };
}

/** The client {@link createNodeApiClient} returns. */
export type NodeApiClient = ReturnType<typeof createNodeApiClient>;

/** A NodeApiError from an error answer (`{ error: { code, message, ... } }` or anything else). */
async function errorFrom(response: Response): Promise<NodeApiError> {
  const retryAfter = Number(response.headers.get("Retry-After"));
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (error === undefined || typeof error.code !== "string") {
    return new NodeApiError(
      response.status,
      "BAD_RESPONSE",
      `the node answered HTTP ${response.status} without an error description`,
    );
  }
  return new NodeApiError(
    response.status,
    error.code,
    typeof error.message === "string" ? error.message : error.code,
    {
      reason: typeof error.reason === "string" ? error.reason : undefined,
      fieldErrors: Array.isArray(error.fieldErrors)
        ? (error.fieldErrors as FieldErrorResponse[])
        : undefined,
      issues: Array.isArray(error.issues)
        ? (error.issues as { path: string; message: string }[])
        : undefined,
      retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    },
  );
}

/** Browser upload with progress events (fetch cannot report upload progress over HTTP/1.1). */
function uploadWithXhr(
  url: string,
  bytes: Uint8Array,
  onProgress: UploadProgress,
): Promise<UploadResponse> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (event) => onProgress(event.loaded, bytes.byteLength);
    xhr.onerror = () =>
      reject(new NodeApiError(0, "NETWORK", `could not reach the data bank node at ${url}`));
    xhr.onload = () => {
      const response = new Response(xhr.responseText, {
        status: xhr.status,
        headers: { "Retry-After": xhr.getResponseHeader("Retry-After") ?? "" },
      });
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(bytes.byteLength, bytes.byteLength);
        response.json().then((body) => resolve(body as UploadResponse), reject);
      } else {
        errorFrom(response).then(reject, reject);
      }
    };
    xhr.send(bytes as Uint8Array<ArrayBuffer>);
  });
}
