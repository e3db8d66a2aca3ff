/**
 * ContentStore backed by a Kubo node (or a pinning service exposing Kubo's RPC) over HTTP.
 * The remote node is not trusted with integrity: `add` results are checked against the CID we
 * compute locally, and `cat` output is re-hashed before it is returned.
 */
import { unixfs } from "@helia/unixfs";
import { create } from "kubo-rpc-client";
import type { KuboRPCClient } from "kubo-rpc-client";
import type { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import {
  assertValidMaxBytes,
  boundedReadAhead,
  collectBytes,
  forwardWithCopy,
  LockstepCopy,
} from "./bytes.js";
import { assertBytesMatchCid, computeCid, KUBO_ADD_OPTIONS, parseCanonicalCid } from "./cid.js";
import {
  ContentNotFoundError,
  ContentTooLargeError,
  IntegrityError,
  StorageError,
  StorageUnavailableError,
} from "./types.js";
import type {
  ContentStore,
  GcOptions,
  GcResult,
  GetOptions,
  PutOptions,
  StreamOptions,
} from "./types.js";

export const DEFAULT_KUBO_TIMEOUT_MS = 30_000;
/** A liveness probe must answer quickly; it only tells "node down" from "content missing". */
const PROBE_TIMEOUT_MS = 5_000;
/** A repo gc may take this many times `timeoutMs` (it walks every block of the repo). */
const GC_TIMEOUT_FACTOR = 10;

export interface KuboStoreOptions {
  /** RPC base URL, e.g. http://127.0.0.1:5001 (the /api/v0 path is added when absent). */
  url: string;
  /** Sent with every request, e.g. { Authorization: "Bearer <token>" } for a pinning service. */
  headers?: Record<string, string>;
  /** Upper bound for each RPC call (Kubo's own `timeout` option is not enforced client-side). */
  timeoutMs?: number;
}

export interface KuboContentStore extends ContentStore {
  readonly kind: "kubo";
  /** The URL in use, without any credentials it may have contained. */
  readonly url: string;
}

/** Creates the client; no request is made until the first operation. */
export function createKuboStore(options: KuboStoreOptions): KuboContentStore {
  let parsed: URL;
  try {
    parsed = new URL(options.url);
  } catch (err) {
    throw new StorageUnavailableError(
      `"${options.url}" is not a URL: pass the Kubo RPC address, e.g. http://127.0.0.1:5001`,
      { cause: err },
    );
  }
  const { url, headers } = moveUrlCredentialsToHeader(parsed, options.headers ?? {});
  const client = create({ url, headers });
  return new KuboStore(
    client,
    url.toString().replace(/\/$/, ""),
    options.timeoutMs ?? DEFAULT_KUBO_TIMEOUT_MS,
  );
}

/**
 * fetch() refuses URLs that embed credentials (https://user:secret@host), yet that is how some
 * pinning services hand out their RPC address; turn them into HTTP Basic auth instead. An
 * explicit Authorization header wins. The returned URL has no credentials, so it is safe to
 * show in error messages.
 */
function moveUrlCredentialsToHeader(
  url: URL,
  headers: Record<string, string>,
): { url: URL; headers: Record<string, string> } {
  if (url.username === "" && url.password === "") {
    return { url, headers };
  }
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  const clean = new URL(url.toString());
  clean.username = "";
  clean.password = "";
  const hasAuthorization = Object.keys(headers).some(
    (name) => name.toLowerCase() === "authorization",
  );
  return {
    url: clean,
    headers: hasAuthorization
      ? headers
      : { ...headers, Authorization: `Basic ${Buffer.from(credentials).toString("base64")}` },
  };
}

class KuboStore implements KuboContentStore {
  readonly kind = "kubo" as const;
  readonly url: string;
  readonly #client: KuboRPCClient;
  readonly #timeoutMs: number;
  /** Aborted by stop() so that no request outlives the store. */
  readonly #lifetime = new AbortController();

  constructor(client: KuboRPCClient, url: string, timeoutMs: number) {
    this.#client = client;
    this.url = url;
    this.#timeoutMs = timeoutMs;
  }

  async put(
    content: Uint8Array | AsyncIterable<Uint8Array>,
    options: PutOptions = {},
  ): Promise<string> {
    const signal = this.#requestSignal(options.signal);
    let expected: string;
    let returned: CID;
    try {
      if (content instanceof Uint8Array) {
        expected = await computeCid(content);
        returned = (await this.#client.add(content, { ...KUBO_ADD_OPTIONS, pin: true, signal }))
          .cid;
      } else {
        // Hash the stream locally while it uploads, chunk for chunk, without buffering it.
        const copy = new LockstepCopy();
        const expectedPromise = computeCid(copy);
        expectedPromise.catch(() => undefined); // awaited below; avoid an unhandled rejection
        try {
          returned = (
            await this.#client.add(forwardWithCopy(content, copy), {
              ...KUBO_ADD_OPTIONS,
              pin: true,
              signal,
            })
          ).cid;
        } finally {
          copy.close(new Error("the upload to Kubo ended early"));
        }
        expected = await expectedPromise;
      }
    } catch (err) {
      throw this.#toError("add content", options.signal, signal, err);
    }
    if (returned.toString() !== expected) {
      throw new IntegrityError(
        `Kubo at ${this.url} stored the content as ${returned} but its CID is ${expected}: the node ignored the add options (cid-version 1, raw-leaves, chunker size-262144, balanced DAG) or altered the bytes; check its Import.* config`,
      );
    }
    return expected;
  }

  async get(cidText: string, options: GetOptions = {}): Promise<Uint8Array> {
    assertValidMaxBytes(options.maxBytes);
    const cid = parseCanonicalCid(cidText);
    const signal = this.#requestSignal(options.signal);
    let bytes: Uint8Array;
    try {
      bytes = await collectBytes(
        // length: ask the node for at most one byte over the limit; we count regardless.
        this.#client.cat(cid, {
          signal,
          length: options.maxBytes === undefined ? undefined : options.maxBytes + 1,
          ...(options.offline === true ? OFFLINE_QUERY : {}),
        }),
        options.maxBytes,
        (received) => {
          throw new ContentTooLargeError(
            `${cid} from Kubo at ${this.url} is over maxBytes ${options.maxBytes} (received ${received} bytes so far): raise maxBytes if this content is expected`,
          );
        },
      );
    } catch (err) {
      if (options.offline === true && isKuboMissingBlockError(err)) {
        throw new ContentNotFoundError(`${cid} is not stored by Kubo at ${this.url}`, {
          cause: err,
        });
      }
      throw await this.#toReadError(cid, options.signal, signal, err);
    }
    await assertBytesMatchCid(cid, bytes, `Kubo at ${this.url}`);
    return bytes;
  }

  /**
   * Reads block by block (`block/get`), hashing each block against its CID before the UnixFS
   * exporter sees it: `cat` output could only be checked once all of it had been received, so
   * streaming it would send unverified bytes. One RPC call per block (256 KiB), each with its own
   * timeout, so a long read of a large file is not cut by `timeoutMs`.
   */
  async *stream(cidText: string, options: StreamOptions = {}): AsyncGenerator<Uint8Array> {
    const cid = parseCanonicalCid(cidText);
    const verifiedFs = unixfs({
      blockstore: this.#verifiedBlocks(options.signal, options.offline === true),
    });
    try {
      yield* verifiedFs.cat(cid, { signal: options.signal, ...boundedReadAhead() });
    } catch (err) {
      if (err instanceof StorageError) throw err;
      if (options.signal?.aborted === true) throw toError(options.signal.reason);
      if (err instanceof Error && (err.name === "NotAFileError" || err.name === "NotUnixFSError")) {
        throw new IntegrityError(
          `${cid} from Kubo at ${this.url} is not a single file: Databank stores single blobs; pass a CID returned by put()`,
          { cause: err },
        );
      }
      throw this.#toError(`read ${cid}`, options.signal, this.#lifetime.signal, err);
    }
  }

  async unpin(cidText: string): Promise<void> {
    const cid = parseCanonicalCid(cidText);
    const signal = this.#requestSignal(undefined);
    try {
      await this.#client.pin.rm(cid, { recursive: true, signal });
    } catch (err) {
      if (/not pinned/i.test(firstLine(err)) && httpStatus(err) !== undefined) return;
      throw this.#toError(`unpin ${cid}`, undefined, signal, err);
    }
  }

  async collectGarbage(options: GcOptions = {}): Promise<GcResult> {
    // A repo gc walks the whole repo: it gets a longer deadline than one RPC call.
    const signal = AbortSignal.any([
      this.#lifetime.signal,
      AbortSignal.timeout(this.#timeoutMs * GC_TIMEOUT_FACTOR),
      ...(options.signal === undefined ? [] : [options.signal]),
    ]);
    let removedBlocks = 0;
    try {
      for await (const result of this.#client.repo.gc({ signal })) {
        if (result.err !== undefined && result.err !== null) {
          throw new StorageUnavailableError(
            `Kubo at ${this.url} failed to collect garbage: ${firstLine(result.err)}; check the node's logs`,
          );
        }
        removedBlocks += 1;
      }
    } catch (err) {
      throw this.#toError("collect garbage", options.signal, signal, err);
    }
    return { removedBlocks };
  }

  /** A read-only blockstore over `block/get` that refuses any block not hashing to its CID. */
  #verifiedBlocks(
    callerSignal: AbortSignal | undefined,
    offline: boolean,
  ): Parameters<typeof unixfs>[0]["blockstore"] {
    const readVerified = async (cid: CID): Promise<Uint8Array> => {
      const signal = this.#requestSignal(callerSignal);
      let block: Uint8Array;
      try {
        block = await this.#client.block.get(cid, { signal, ...(offline ? OFFLINE_QUERY : {}) });
      } catch (err) {
        if (offline && isKuboMissingBlockError(err)) {
          throw new ContentNotFoundError(`${cid} is not stored by Kubo at ${this.url}`, {
            cause: err,
          });
        }
        throw await this.#toReadError(cid, callerSignal, signal, err);
      }
      const digest = await sha256.digest(block);
      if (!equalBytes(digest.bytes, cid.multihash.bytes)) {
        throw new IntegrityError(
          `Kubo at ${this.url} returned a block for ${cid} that does not hash to it: the node's copy is corrupted or altered; discard it and fetch from another source`,
        );
      }
      return block;
    };
    return {
      get: async function* (cid: CID) {
        yield await readVerified(cid);
      },
      put: () => {
        throw new Error("the verified Kubo reader is read-only");
      },
      has: async () => false,
    } as unknown as Parameters<typeof unixfs>[0]["blockstore"];
  }

  async has(cidText: string): Promise<boolean> {
    const cid = parseCanonicalCid(cidText);
    const signal = this.#requestSignal(undefined);
    try {
      // offline=true (Kubo's global --offline flag) answers from local blocks only.
      const stat = await this.#client.files.stat(`/ipfs/${cid}`, {
        withLocal: true,
        signal,
        ...OFFLINE_QUERY,
      });
      return stat.local === true;
    } catch (err) {
      if (isKuboMissingBlockError(err)) {
        return false;
      }
      throw this.#toError(`check ${cid}`, undefined, signal, err);
    }
  }

  async pin(cidText: string): Promise<void> {
    const cid = parseCanonicalCid(cidText);
    const signal = this.#requestSignal(undefined);
    try {
      await this.#client.pin.add(cid, { recursive: true, signal });
    } catch (err) {
      throw await this.#toReadError(cid, undefined, signal, err);
    }
  }

  async stop(): Promise<void> {
    this.#lifetime.abort(new Error("the Kubo content store was stopped"));
  }

  #requestSignal(callerSignal: AbortSignal | undefined): AbortSignal {
    const signals = [this.#lifetime.signal, AbortSignal.timeout(this.#timeoutMs)];
    if (callerSignal !== undefined) {
      signals.push(callerSignal);
    }
    return AbortSignal.any(signals);
  }

  /** A timed-out read means "content not found" only if the node itself is still answering. */
  async #toReadError(
    cid: CID,
    callerSignal: AbortSignal | undefined,
    requestSignal: AbortSignal,
    err: unknown,
  ): Promise<Error> {
    const error = this.#toError(`read ${cid}`, callerSignal, requestSignal, err);
    if (!(error instanceof StorageUnavailableError) || !isTimeout(requestSignal)) {
      return error;
    }
    if (!(await this.#isResponsive())) {
      return error;
    }
    return new ContentNotFoundError(
      `Kubo at ${this.url} is up but could not produce ${cid} within ${this.#timeoutMs} ms: make sure a peer of that node provides it, or raise timeoutMs`,
      { cause: err },
    );
  }

  async #isResponsive(): Promise<boolean> {
    try {
      await this.#client.version({
        signal: AbortSignal.any([
          this.#lifetime.signal,
          AbortSignal.timeout(Math.min(PROBE_TIMEOUT_MS, this.#timeoutMs)),
        ]),
      });
      return true;
    } catch {
      return false;
    }
  }

  #toError(
    action: string,
    callerSignal: AbortSignal | undefined,
    requestSignal: AbortSignal,
    err: unknown,
  ): Error {
    if (err instanceof StorageError) {
      return err;
    }
    if (callerSignal?.aborted === true) {
      return callerSignal.reason instanceof Error ? callerSignal.reason : toError(err);
    }
    if (this.#lifetime.signal.aborted) {
      return new StorageUnavailableError(
        `cannot ${action}: this Kubo content store was stopped; create a new one`,
        { cause: err },
      );
    }
    if (isTimeout(requestSignal)) {
      return new StorageUnavailableError(
        `Kubo at ${this.url} did not answer "${action}" within ${this.#timeoutMs} ms: check that the node is running and reachable, or raise timeoutMs`,
        { cause: err },
      );
    }
    const status = httpStatus(err);
    if (status === 401 || status === 403) {
      return new StorageUnavailableError(
        `Kubo at ${this.url} refused "${action}" (HTTP ${status}): set the auth header expected by the service (headers: { Authorization: ... })`,
        { cause: err },
      );
    }
    if (status !== undefined) {
      return new StorageUnavailableError(
        `Kubo at ${this.url} failed to ${action} (HTTP ${status}: ${firstLine(err)}): check the node's logs and that the URL points at its RPC API`,
        { cause: err },
      );
    }
    return new StorageUnavailableError(
      `cannot reach Kubo RPC at ${this.url} to ${action} (${describeNetworkError(err)}): start the node or fix the url`,
      { cause: err },
    );
  }
}

/**
 * Kubo's global `--offline` flag, sent as a query parameter. kubo-rpc-client forwards unknown
 * option keys as query parameters but does not type them (and its `searchParams` option is
 * dropped when given a URLSearchParams), hence the untyped spread.
 */
const OFFLINE_QUERY: Record<string, unknown> = { offline: true };

function isTimeout(signal: AbortSignal): boolean {
  return (
    signal.aborted && signal.reason instanceof DOMException && signal.reason.name === "TimeoutError"
  );
}

function httpStatus(err: unknown): number | undefined {
  if (err instanceof Error && err.name === "HTTPError" && "response" in err) {
    const response = (err as { response?: { status?: unknown } }).response;
    return typeof response?.status === "number" ? response.status : undefined;
  }
  return undefined;
}

function isKuboMissingBlockError(err: unknown): boolean {
  return (
    httpStatus(err) !== undefined &&
    err instanceof Error &&
    /not found|could not find|no link named/i.test(err.message)
  );
}

function describeNetworkError(err: unknown): string {
  const cause =
    err instanceof Error ? (err.cause as { code?: unknown; message?: unknown }) : undefined;
  if (typeof cause?.code === "string") {
    return cause.code;
  }
  return firstLine(err);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((value, index) => value === b[index]);
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
