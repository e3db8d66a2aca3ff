/**
 * Content storage for Databank: one ContentStore interface, two backends (an embedded Helia
 * node, or a Kubo / Kubo-compatible pinning RPC), one CID convention (cid.ts).
 */
import { createHeliaStore } from "./helia.js";
import type { HeliaStoreOptions } from "./helia.js";
import { createKuboStore } from "./kubo.js";
import type { KuboStoreOptions } from "./kubo.js";
import type { ContentStore } from "./types.js";

export type ContentStoreOptions =
  ({ backend: "helia" } & HeliaStoreOptions) | ({ backend: "kubo" } & KuboStoreOptions);

export async function createContentStore(options: ContentStoreOptions): Promise<ContentStore> {
  switch (options.backend) {
    case "helia": {
      const { backend: _backend, ...heliaOptions } = options;
      return createHeliaStore(heliaOptions);
    }
    case "kubo": {
      const { backend: _backend, ...kuboOptions } = options;
      return createKuboStore(kuboOptions);
    }
  }
}

export {
  CHUNK_SIZE_BYTES,
  KUBO_ADD_OPTIONS,
  MAX_LINKS_PER_NODE,
  assertBytesMatchCid,
  computeCid,
  parseCanonicalCid,
  unixfsImporterOptions,
} from "./cid.js";
export { createHeliaStore, DEFAULT_FETCH_TIMEOUT_MS } from "./helia.js";
export type { HeliaContentStore, HeliaStoreOptions } from "./helia.js";
export { createKuboStore, DEFAULT_KUBO_TIMEOUT_MS } from "./kubo.js";
export type { KuboContentStore, KuboStoreOptions } from "./kubo.js";
export { DEFAULT_LISTEN_ADDRESSES, isLoopbackMultiaddr } from "./loopback.js";
export {
  ContentNotFoundError,
  ContentTooLargeError,
  IntegrityError,
  InvalidCidError,
  StorageError,
  StorageUnavailableError,
  isStorageError,
} from "./types.js";
export type {
  ContentBlock,
  ContentStore,
  ContentStoreKind,
  GcOptions,
  GcResult,
  GetOptions,
  PutOptions,
  StreamOptions,
  StorageErrorCode,
} from "./types.js";
