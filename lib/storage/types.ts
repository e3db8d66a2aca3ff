/**
 * The storage contract shared by every content backend (embedded Helia node, remote Kubo RPC).
 * Callers only ever see CIDv1 strings and StorageError codes, never backend-specific types, so
 * the data bank node can switch backends without touching its own code.
 */

import type { CID } from "multiformats/cid";

export type ContentStoreKind = "helia" | "kubo";

/** One block: a CID and the bytes stored (or claimed) under it. */
export interface ContentBlock {
  cid: CID;
  bytes: Uint8Array;
}

export interface PutOptions {
  signal?: AbortSignal;
}

export interface GetOptions {
  signal?: AbortSignal;
  /** Refuse (TOO_LARGE) content bigger than this many bytes instead of buffering it. */
  maxBytes?: number;
  /** Local blocks only: content not (completely) held here is NOT_FOUND at once, never fetched. */
  offline?: boolean;
}

export interface StreamOptions {
  /** Aborts the read; the stream then rejects with the caller's abort reason. */
  signal?: AbortSignal;
  /** Local blocks only: a block not held here is NOT_FOUND at once, never fetched. */
  offline?: boolean;
}

export interface GcOptions {
  signal?: AbortSignal;
}

/** What one store-level garbage collection removed. */
export interface GcResult {
  /** Blocks deleted because no pin (recursive or direct) holds them. */
  removedBlocks: number;
}

export interface ContentStore {
  readonly kind: ContentStoreKind;
  /** Stores and pins the bytes; resolves to their CIDv1 string (see cid.ts for the convention). */
  put(bytes: Uint8Array | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<string>;
  /** Returns the bytes only after re-hashing them to the requested CID (verify on read). */
  get(cid: string, options?: GetOptions): Promise<Uint8Array>;
  /**
   * The content as a stream of chunks, in order, without holding it all in memory. Every block is
   * hashed against its CID before any of its bytes are yielded (see docs/storage.md, "Verify on
   * read"), so a consumer never sees an unverified byte; a bad block ends the stream with
   * INTEGRITY. Errors (NOT_FOUND, INVALID_CID, ...) surface on the first read, not on the call.
   */
  stream(cid: string, options?: StreamOptions): AsyncIterable<Uint8Array>;
  /** True when the complete content is held by this store right now; never fetches. */
  has(cid: string): Promise<boolean>;
  /** Keeps the content (fetching it first if needed) until explicitly unpinned. */
  pin(cid: string): Promise<void>;
  /** Releases a pin set by put/pin, so the blocks can be collected; a no-op when not pinned. */
  unpin(cid: string): Promise<void>;
  /** Deletes every block no pin holds (Helia: `helia.gc()`; Kubo: `repo gc`). */
  collectGarbage(options?: GcOptions): Promise<GcResult>;
  /** Releases sockets, files and timers; the store is unusable afterwards. */
  stop(): Promise<void>;
}

export type StorageErrorCode =
  "INVALID_CID" | "NOT_FOUND" | "INTEGRITY" | "UNAVAILABLE" | "TOO_LARGE";

/** Base class: branch on `code`, show `message` (one line saying what to fix). */
export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StorageError";
    this.code = code;
  }
}

export class InvalidCidError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_CID", message, options);
    this.name = "InvalidCidError";
  }
}

export class ContentNotFoundError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NOT_FOUND", message, options);
    this.name = "ContentNotFoundError";
  }
}

export class IntegrityError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INTEGRITY", message, options);
    this.name = "IntegrityError";
  }
}

export class StorageUnavailableError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("UNAVAILABLE", message, options);
    this.name = "StorageUnavailableError";
  }
}

export class ContentTooLargeError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TOO_LARGE", message, options);
    this.name = "ContentTooLargeError";
  }
}

export function isStorageError(value: unknown, code?: StorageErrorCode): value is StorageError {
  return value instanceof StorageError && (code === undefined || value.code === code);
}
