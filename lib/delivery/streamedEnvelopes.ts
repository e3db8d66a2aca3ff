/**
 * Matching a stream of envelope blocks (the node's delivery CAR) to a manifest's records, in
 * order. The node leaves out envelopes it cannot stream, so a record whose block is not next is
 * fetched by the caller instead; a stream that fails, or that sends a block no later record
 * expects (out of order, repeated, foreign), is given up and closed, and every record after it is
 * fetched. Nothing here verifies bytes: the caller hashes every envelope to its record's CID.
 * Browser-safe.
 */
import type { CID } from "multiformats/cid";
import type { ContentBlock } from "../storage/types.js";

/** The stream as the records take from it. */
export interface StreamedEnvelopes {
  /**
   * The envelope of record `index` (whose CID is `cid`) when it is the stream's next block, else
   * undefined (fetch it). Calls must come in ascending `index` order, as lib/async `mapOrdered`
   * starts them; each waits for the one before.
   *
   * @throws Error once the stream is stopped (the delivery ended early): nothing is fetched then.
   */
  take(index: number, cid: CID): Promise<Uint8Array | undefined>;
  /**
   * Stops: takes waiting for the stream reject at once, the stream's signal is aborted (closing
   * the response) and later takes reject.
   */
  stop(): void;
}

/** Parameters of {@link takeInOrder}. */
export interface TakeInOrderParams {
  /** Opens the stream (lib/api `lazyEnvelopes`); `signal` is aborted by `stop`. */
  open: (signal: AbortSignal) => AsyncIterable<ContentBlock>;
  /** The records' CIDs in manifest order, to tell a left-out record from a stream out of order. */
  dataCids: readonly string[];
}

/** Takes a stream's blocks record by record (see the module comment). */
export function takeInOrder(params: TakeInOrderParams): StreamedEnvelopes {
  const stopping = new AbortController();
  const iterator = params.open(stopping.signal)[Symbol.asyncIterator]();
  /** The stream's next block, not yet taken, and the record it belongs to (once looked up). */
  let held: { block: ContentBlock; index?: number } | undefined;
  let ended = false;
  let positions: Map<string, number> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const giveUp = () => {
    ended = true;
    held = undefined;
    void iterator.return?.()?.catch?.(() => undefined);
  };
  const assertRunning = () => {
    if (stopping.signal.aborted) throw new Error("the delivery was stopped");
  };
  /** Which record a block is for; undefined for a CID the manifest does not list. */
  const recordOf = (cid: CID): number | undefined => {
    positions ??= new Map(params.dataCids.map((dataCid, index) => [dataCid, index]));
    return positions.get(cid.toString());
  };
  const takeNow = async (index: number, cid: CID): Promise<Uint8Array | undefined> => {
    assertRunning();
    if (held === undefined && !ended) {
      try {
        const next = await iterator.next();
        if (next.done) ended = true;
        else held = { block: next.value };
      } catch {
        // A cut stream is not fatal: the records after it are fetched one by one.
        ended = true;
      }
      assertRunning();
    }
    if (held === undefined) return undefined;
    if (held.block.cid.equals(cid)) {
      const { bytes } = held.block;
      held = undefined;
      return bytes;
    }
    // This record was left out, so the block must be a later record's; otherwise the stream is
    // out of order and matching it would only delay every record after this one.
    held.index ??= recordOf(held.block.cid);
    if (held.index === undefined || held.index <= index) giveUp();
    return undefined;
  };
  return {
    take(index, cid) {
      const taken = queue.then(() => takeNow(index, cid));
      queue = taken.catch(() => undefined);
      return taken;
    },
    stop() {
      stopping.abort();
      giveUp();
    },
  };
}
