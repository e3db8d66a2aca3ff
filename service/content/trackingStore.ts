/**
 * The node's content store as its routes and workers see it: the same store, except that every
 * put and pin (1) holds the garbage collection gate while it writes, so a collection never
 * deletes the blocks of an upload in flight, and (2) is recorded with its time in the upload log,
 * which starts its grace period and marks it as the node's own to collect later.
 */
import type { ContentStore } from "../../lib/storage/index.js";
import type { GcGate } from "./gcGate.js";
import type { UploadLog } from "./uploadLog.js";

/** Parameters of {@link trackStoredContent}. */
export interface TrackStoredContentParams {
  /** The store written to. */
  store: ContentStore;
  /** Where each stored CID is recorded with its time. */
  log: UploadLog;
  /** Held shared by every write. */
  gate: GcGate;
  /** Clock (unix ms); tests move it. */
  now: () => number;
}

/** Wraps `store`; reads pass straight through. */
export function trackStoredContent(params: TrackStoredContentParams): ContentStore {
  const { store, log, gate, now } = params;
  const tracked = async (write: () => Promise<string>): Promise<string> => {
    const release = await gate.enterWrite();
    try {
      const cid = await write();
      // Recorded before the gate is released: a collection can never see the content pinned but
      // not yet listed (it would not collect it, but neither would its grace have started).
      log.record(cid, now());
      return cid;
    } finally {
      release();
    }
  };
  return {
    kind: store.kind,
    put: (bytes, options) => tracked(() => store.put(bytes, options)),
    pin: async (cid) => {
      await tracked(async () => {
        await store.pin(cid);
        return cid;
      });
    },
    get: (cid, options) => store.get(cid, options),
    stream: (cid, options) => store.stream(cid, options),
    has: (cid) => store.has(cid),
    unpin: (cid) => store.unpin(cid),
    collectGarbage: (options) => store.collectGarbage(options),
    stop: () => store.stop(),
  };
}
