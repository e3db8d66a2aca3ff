/**
 * The node's one JSON-RPC transport and what an RPC outage looks like to a client. Every chain call
 * of the node goes through {@link rpcTransport}, so its timeout and retries are set here only; an
 * outage (no answer, a timeout, a refused connection) becomes a 503 with a retry hint, never a 500.
 */
import { BaseError, HttpRequestError, TimeoutError, WebSocketRequestError, http } from "viem";
import { ServiceError } from "./errors.js";

/** Parameters of {@link rpcTransport}. */
export interface RpcTransportParams {
  /** The chain's JSON-RPC URL (it may carry an API key: it is never put in a message). */
  url: string;
  /** How long one attempt may take (DATABANK_RPC_TIMEOUT_MS). */
  timeoutMs: number;
  /** Attempts after the first one (DATABANK_RPC_RETRIES). */
  retryCount: number;
}

/** First wait between retries; viem doubles it each time. */
const RETRY_DELAY_MS = 150;

/**
 * The HTTP transport of every chain client the node builds. viem's defaults (10 s per attempt, 3
 * retries) held a request for 41 s while an RPC accepted connections and never answered; with the
 * defaults here (5 s, 1 retry) a call gives up after about 10 s.
 */
export function rpcTransport(params: RpcTransportParams) {
  return http(params.url, {
    timeout: params.timeoutMs,
    retryCount: params.retryCount,
    retryDelay: RETRY_DELAY_MS,
  });
}

/** Whether `error` is the RPC being unreachable or silent (to be retried), not an answer about the call. */
export function isRpcUnavailable(error: unknown): boolean {
  return (
    error instanceof BaseError &&
    error.walk(
      (e) =>
        e instanceof HttpRequestError ||
        e instanceof TimeoutError ||
        e instanceof WebSocketRequestError,
    ) !== null
  );
}

/** Seconds a client is told to wait (Retry-After) before asking again when the chain is down. */
export const CHAIN_RETRY_AFTER_SECONDS = 5;

/** The 503 a route answers when the chain RPC did not answer (no URL in it: it may hold a key). */
export function chainUnavailable(cause: unknown): ServiceError {
  const timedOut =
    cause instanceof BaseError && cause.walk((e) => e instanceof TimeoutError) !== null;
  return new ServiceError(
    503,
    "CHAIN_UNAVAILABLE",
    `the node cannot reach its chain RPC right now (${timedOut ? "it did not answer in time" : "the connection failed"}); retry in ${CHAIN_RETRY_AFTER_SECONDS} s`,
    { retryAfterSeconds: CHAIN_RETRY_AFTER_SECONDS },
    { cause },
  );
}
