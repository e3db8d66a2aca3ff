/**
 * ContentStore backed by an embedded Helia node (see helia-node.ts for its networking).
 * Content is imported with the cid.ts convention, pinned on put, and verified twice on read:
 * every block is re-hashed as it leaves the blockstore (Helia only verifies blocks that arrive
 * over the network, not the ones already on disk), then the assembled bytes are re-hashed to
 * the requested CID. A raw CID is its one block, so re-hashing the block is hashing it to the CID.
 */
import { unixfs } from "@helia/unixfs";
import type { UnixFS } from "@helia/unixfs";
import type { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { assertValidMaxBytes, boundedReadAhead, collectBytes } from "./bytes.js";
import { assertBytesMatchCid, parseCanonicalCid, unixfsImporterOptions } from "./cid.js";
import { createLoopbackHelia, openDiskStores } from "./helia-node.js";
import type { DatabankHelia, DiskStores } from "./helia-node.js";
import { DEFAULT_LISTEN_ADDRESSES, parseLoopbackMultiaddr } from "./loopback.js";
import {
  ContentNotFoundError,
  ContentTooLargeError,
  IntegrityError,
  InvalidCidError,
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

export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;

export interface HeliaStoreOptions {
  /** Blocks and pins persist under this folder; in memory (lost on stop) if omitted. */
  dataDir?: string;
  /** Loopback multiaddrs to listen on; default ["/ip4/127.0.0.1/tcp/0"] (a free port). */
  listen?: string[];
  /** Loopback multiaddrs (with /p2p/<peer id>) dialled at start; blocks are fetched from them. */
  peers?: string[];
  /** How long get/pin wait for blocks missing locally before NOT_FOUND; default 30 s. */
  fetchTimeoutMs?: number;
}

export interface HeliaContentStore extends ContentStore {
  readonly kind: "helia";
  /** This node's libp2p peer id; stable across restarts when dataDir is set. */
  readonly peerId: string;
  /** Addresses other nodes can dial, each ending in /p2p/<peer id>. */
  multiaddrs(): string[];
  /** Connects to a loopback peer so that bitswap can fetch blocks from it. */
  dial(address: string, options?: { signal?: AbortSignal }): Promise<void>;
}

export async function createHeliaStore(
  options: HeliaStoreOptions = {},
): Promise<HeliaContentStore> {
  const listen = (options.listen ?? DEFAULT_LISTEN_ADDRESSES).map((address) =>
    parseLoopbackMultiaddr(address, "listen on").toString(),
  );
  for (const peer of options.peers ?? []) {
    parseLoopbackMultiaddr(peer, "dial");
  }
  const fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;

  const stores = options.dataDir === undefined ? undefined : await openDiskStores(options.dataDir);
  const helia = createLoopbackHelia({ listen, stores });
  try {
    await helia.start();
  } catch (err) {
    await stores?.close();
    throw new StorageUnavailableError(
      `the embedded IPFS node could not start on ${listen.join(", ")}: ${errorMessage(err)}; free the port or pick another listen address`,
      { cause: err },
    );
  }

  const store = new HeliaStore(helia, stores, fetchTimeoutMs);
  try {
    for (const peer of options.peers ?? []) {
      await store.dial(peer);
    }
  } catch (err) {
    await store.stop();
    throw err;
  }
  return store;
}

class HeliaStore implements HeliaContentStore {
  readonly kind = "helia" as const;
  readonly peerId: string;
  readonly #helia: DatabankHelia;
  readonly #stores: DiskStores | undefined;
  readonly #fetchTimeoutMs: number;
  /** A block-verifying view of the blockstore. */
  readonly #verifiedBlocks: VerifyingBlockstore;
  /** Reads through {@link #verifiedBlocks}. */
  readonly #verifiedFs: UnixFS;
  /** Existence checks need no hashing. */
  readonly #plainFs: UnixFS;
  #stopped = false;

  constructor(helia: DatabankHelia, stores: DiskStores | undefined, fetchTimeoutMs: number) {
    this.#helia = helia;
    this.#stores = stores;
    this.#fetchTimeoutMs = fetchTimeoutMs;
    this.peerId = helia.libp2p.peerId.toString();
    this.#plainFs = unixfs(helia);
    this.#verifiedBlocks = verifyingBlockstore(helia);
    this.#verifiedFs = unixfs({ blockstore: this.#verifiedBlocks });
  }

  multiaddrs(): string[] {
    return this.#helia.libp2p.getMultiaddrs().map((address) => address.toString());
  }

  async dial(address: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const target = parseLoopbackMultiaddr(address, "dial");
    try {
      await this.#helia.libp2p.dial(target, {
        signal: withTimeout(options.signal, this.#fetchTimeoutMs),
      });
    } catch (err) {
      throw new StorageUnavailableError(
        `could not connect to IPFS peer ${address}: ${errorMessage(err)}; check that the peer is running and the address includes its /p2p/<peer id>`,
        { cause: err },
      );
    }
  }

  async put(
    content: Uint8Array | AsyncIterable<Uint8Array>,
    options: PutOptions = {},
  ): Promise<string> {
    const importOptions = { ...unixfsImporterOptions(), signal: options.signal };
    let cid: CID;
    try {
      cid =
        content instanceof Uint8Array
          ? await this.#plainFs.addBytes(content, importOptions)
          : await this.#plainFs.addByteStream(content, importOptions);
      await this.#pinLocal(cid, options.signal);
    } catch (err) {
      throw rethrowAbort(options.signal, err) ?? this.#unavailable("store content", err);
    }
    return cid.toString();
  }

  async get(cidText: string, options: GetOptions = {}): Promise<Uint8Array> {
    assertValidMaxBytes(options.maxBytes);
    const cid = parseCanonicalCid(cidText);
    const signal = withTimeout(options.signal, this.#fetchTimeoutMs);
    const tooLarge = (size: bigint | number): never => {
      throw new ContentTooLargeError(
        `${cid} is at least ${size} bytes, over maxBytes ${options.maxBytes}: raise maxBytes if this content is expected`,
      );
    };
    try {
      if (cid.code === RAW_CODE) {
        // Content of up to one chunk is one raw block: read once, hashed against its CID on the
        // way (no UnixFS stat and cat, each reading and hashing it again). A delivery reads
        // 100,000 of these.
        // verifyingBlockstore's get is an async generator (the type allows a sync one too).
        // `offline` reaches Helia's blockstore as it does through the exporter (see stream).
        const readOptions: { signal: AbortSignal; offline?: boolean } = {
          signal,
          offline: options.offline,
        };
        const block = this.#verifiedBlocks.get(cid, readOptions) as AsyncIterable<Uint8Array>;
        return await collectBytes(block, options.maxBytes, tooLarge);
      }
      // The root's declared size lets us refuse early; counting while streaming still guards
      // against a root that lies about its size.
      const stat = await this.#verifiedFs.stat(cid, { signal, offline: options.offline });
      if (options.maxBytes !== undefined && stat.size > BigInt(options.maxBytes)) {
        tooLarge(stat.size);
      }
      const bytes = await collectBytes(
        this.#verifiedFs.cat(cid, { signal, offline: options.offline }),
        options.maxBytes,
        tooLarge,
      );
      await assertBytesMatchCid(cid, bytes, "the embedded IPFS node");
      return bytes;
    } catch (err) {
      if (options.offline === true && isMissingBlockError(err)) {
        throw new ContentNotFoundError(`${cid} is not (completely) stored here`, { cause: err });
      }
      throw this.#toReadError(cid, options.signal, signal, err);
    }
  }

  async *stream(cidText: string, options: StreamOptions = {}): AsyncGenerator<Uint8Array> {
    const cid = parseCanonicalCid(cidText);
    // No deadline on the whole read (a slow client may take minutes over a large file); instead
    // each block must arrive within fetchTimeoutMs. The clock stops while the consumer holds a
    // chunk, so a slow reader is never mistaken for a missing block.
    const idle = new IdleDeadline(this.#fetchTimeoutMs);
    const signal =
      options.signal === undefined ? idle.signal : AbortSignal.any([options.signal, idle.signal]);
    try {
      idle.start();
      // Every block passes the verifying blockstore before the exporter sees it, so each chunk
      // yielded here comes from blocks already hashed against their CIDs, back to the root.
      for await (const chunk of this.#verifiedFs.cat(cid, {
        signal,
        offline: options.offline,
        ...boundedReadAhead(),
      })) {
        idle.pause();
        yield chunk;
        idle.start();
      }
    } catch (err) {
      if (options.offline === true && isMissingBlockError(err)) {
        throw new ContentNotFoundError(`${cid} is not (completely) stored here`, { cause: err });
      }
      throw this.#toReadError(cid, options.signal, idle.signal, err);
    } finally {
      idle.pause();
    }
  }

  async unpin(cidText: string): Promise<void> {
    const cid = parseCanonicalCid(cidText);
    try {
      for await (const unpinned of this.#helia.pins.rm(cid)) {
        void unpinned; // pins.rm is lazy like pins.add
      }
    } catch (err) {
      // Not pinned as a root (never was, or already released): nothing to do.
      if (err instanceof Error && err.name === "NotFoundError") {
        return;
      }
      throw this.#unavailable(`unpin ${cid}`, err);
    }
  }

  async collectGarbage(options: GcOptions = {}): Promise<GcResult> {
    let removedBlocks = 0;
    try {
      // helia.gc() takes the blockstore's write lock and deletes every block no pin holds.
      await this.#helia.gc({
        signal: options.signal,
        onProgress: (event: { type: string }) => {
          if (event.type === "helia:gc:deleted") removedBlocks += 1;
        },
      });
    } catch (err) {
      throw rethrowAbort(options.signal, err) ?? this.#unavailable("collect garbage", err);
    }
    return { removedBlocks };
  }

  async has(cidText: string): Promise<boolean> {
    const cid = parseCanonicalCid(cidText);
    try {
      // offline: only look at local blocks; localSize counts the bytes of leaves held here.
      const stat = await this.#plainFs.stat(cid, { extended: true, offline: true });
      return stat.type === "raw" || stat.localSize === stat.size;
    } catch (err) {
      if (isMissingBlockError(err)) {
        return false;
      }
      // The block under this hash is not what the CID's codec says (e.g. a raw block's hash
      // re-encoded as dag-pb): no content has this CID here, which is not a storage fault.
      if (isUndecodableRootError(err)) {
        return false;
      }
      throw this.#unavailable(`check ${cid}`, err);
    }
  }

  async pin(cidText: string): Promise<void> {
    const cid = parseCanonicalCid(cidText);
    const signal = withTimeout(undefined, this.#fetchTimeoutMs);
    try {
      await this.#pinLocal(cid, signal);
    } catch (err) {
      throw this.#toReadError(cid, undefined, signal, err);
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) {
      return;
    }
    this.#stopped = true;
    try {
      await this.#helia.stop();
    } finally {
      await this.#stores?.close();
    }
  }

  /** Pins recursively; fetches missing blocks from connected peers (bitswap verifies them). */
  async #pinLocal(cid: CID, signal: AbortSignal | undefined): Promise<void> {
    if (await this.#helia.pins.isPinned(cid, { signal })) {
      return;
    }
    try {
      for await (const pinnedBlock of this.#helia.pins.add(cid, { signal })) {
        void pinnedBlock; // pins.add is lazy: the walk only happens while we iterate
      }
    } catch (err) {
      // A concurrent put/pin of the same content got there first: that is what we wanted.
      if (!(err instanceof Error && err.name === "AlreadyPinnedError")) {
        throw err;
      }
    }
  }

  #toReadError(
    cid: CID,
    callerSignal: AbortSignal | undefined,
    fetchSignal: AbortSignal,
    err: unknown,
  ): Error {
    if (err instanceof StorageError) {
      return err;
    }
    const callerAbort = rethrowAbort(callerSignal, err);
    if (callerAbort !== undefined) {
      return callerAbort;
    }
    if (fetchSignal.aborted) {
      const peerCount = this.#helia.libp2p.getPeers().length;
      return new ContentNotFoundError(
        `${cid} is not stored here and none of the ${peerCount} connected peers sent it within ${this.#fetchTimeoutMs} ms: dial a peer that holds it, or raise fetchTimeoutMs`,
        { cause: err },
      );
    }
    if (err instanceof Error && (err.name === "NotAFileError" || err.name === "NotUnixFSError")) {
      return new InvalidCidError(
        `${cid} is not a file (e.g. a directory): Databank stores single blobs; pass a CID returned by put()`,
        { cause: err },
      );
    }
    return this.#unavailable(`read ${cid}`, err);
  }

  #unavailable(action: string, err: unknown): Error {
    if (err instanceof StorageError) {
      return err;
    }
    return new StorageUnavailableError(
      `the embedded IPFS node could not ${action}: ${errorMessage(err)}; check the dataDir is readable and writable`,
      { cause: err },
    );
  }
}

/**
 * A read view of Helia's blockstore that re-hashes each block against its CID before the
 * UnixFS exporter sees it, so a corrupted or tampered local block is reported as such
 * (INTEGRITY) instead of surfacing as a decoding error or wrong bytes.
 */
type VerifyingBlockstore = Parameters<typeof unixfs>[0]["blockstore"];

/** The multicodec code of `raw` (a single block holding the content itself). */
const RAW_CODE = 0x55;

function verifyingBlockstore(helia: DatabankHelia): VerifyingBlockstore {
  return {
    get: async function* (cid, options) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of helia.blockstore.get(cid, options)) {
        chunks.push(chunk);
      }
      const block = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const digest = await sha256.digest(block);
      if (!equalBytes(digest.bytes, cid.multihash.bytes)) {
        throw new IntegrityError(
          `block ${cid} in the local blockstore does not hash to its CID: the dataDir is corrupted or was tampered with; delete the block file and fetch the content again`,
        );
      }
      yield block;
    },
    put: (cid, bytes, options) => helia.blockstore.put(cid, bytes, options),
    has: (cid, options) => helia.blockstore.has(cid, options),
  };
}

/**
 * An abort signal that fires when its clock, started and paused by the reader, runs past
 * `timeoutMs` in one stretch; the reason is a TimeoutError like AbortSignal.timeout's.
 */
class IdleDeadline {
  readonly #controller = new AbortController();
  readonly #timeoutMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  start(): void {
    this.pause();
    this.#timer = setTimeout(() => {
      this.#controller.abort(
        new DOMException(`no block within ${this.#timeoutMs} ms`, "TimeoutError"),
      );
    }, this.#timeoutMs);
  }

  pause(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((value, index) => value === b[index]);
}

function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

/** When the caller aborted, surface their abort reason rather than a storage error. */
function rethrowAbort(callerSignal: AbortSignal | undefined, err: unknown): Error | undefined {
  if (callerSignal?.aborted !== true) {
    return undefined;
  }
  const reason: unknown = callerSignal.reason;
  return reason instanceof Error ? reason : err instanceof Error ? err : new Error(String(reason));
}

function isMissingBlockError(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.name === "NotFoundError" || err.name === "BlockNotFoundWhileOfflineError")
  );
}

function isUndecodableRootError(err: unknown): boolean {
  return err instanceof Error && err.name === "NotUnixFSError";
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
