/**
 * Reading `GET /v1/purchases/{id}/delivery/car`: a CAR whose root and first block is the
 * delivery's manifest, followed by the envelopes in the manifest's order (service/content/
 * deliveryCar.ts). Nothing here is trusted: the manifest's bytes are hashed to the root here, and
 * lib/delivery hashes every envelope to its record's CID before using it. Browser-safe.
 */
import { CarBlockIterator } from "@ipld/car/iterator";
import type { CID } from "multiformats/cid";
import { assertBytesMatchCid } from "../storage/cid.js";

/** One block of the stream: a CID and the bytes claimed for it (not yet verified). */
export interface StreamedBlock {
  cid: CID;
  bytes: Uint8Array;
}

/** A delivery opened as one stream. */
export interface DeliveryStream {
  /** The manifest's CID (the CAR's root). */
  manifestCid: string;
  /** The manifest's bytes, hashed to `manifestCid`. */
  manifest: Uint8Array;
  /**
   * The envelopes, in the manifest's order; envelopes the node does not stream (large ones, or
   * ones it no longer holds) are absent and are fetched one by one. Iterate once; stopping early
   * closes the response.
   */
  envelopes: AsyncIterable<StreamedBlock>;
}

/** Why a delivery stream could not be read. */
export class DeliveryStreamError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DeliveryStreamError";
  }
}

/**
 * Reads the stream's header and manifest from a response body.
 *
 * @throws DeliveryStreamError when the body is not a CAR with one root whose first block is the
 *   manifest, hashing to that root.
 */
export async function readDeliveryStream(
  body: ReadableStream<Uint8Array>,
  source: string,
): Promise<DeliveryStream> {
  const reader = body.getReader();
  // Stopping early (or a failure) cancels the download instead of leaving it open.
  const cancel = () => void reader.cancel().catch(() => undefined);
  try {
    let car: CarBlockIterator;
    try {
      car = await CarBlockIterator.fromIterable(chunksOf(reader));
    } catch (cause) {
      throw new DeliveryStreamError(`${source} did not send a CAR: ${errorText(cause)}`, {
        cause,
      });
    }
    const roots = await car.getRoots();
    const blocks = car[Symbol.asyncIterator]();
    const first = await blocks.next().catch((cause: unknown) => {
      throw new DeliveryStreamError(`${source} sent a truncated CAR: ${errorText(cause)}`, {
        cause,
      });
    });
    const root = roots[0];
    if (roots.length !== 1 || root === undefined || first.done || !first.value.cid.equals(root)) {
      throw new DeliveryStreamError(
        `${source} sent a CAR that does not start with its one root, the manifest`,
      );
    }
    try {
      await assertBytesMatchCid(root, first.value.bytes, source);
    } catch (cause) {
      throw new DeliveryStreamError(`the manifest ${source} sent does not hash to ${root}`, {
        cause,
      });
    }
    return {
      manifestCid: root.toString(),
      manifest: first.value.bytes,
      envelopes: cancelOnReturn(
        (async function* () {
          try {
            for (;;) {
              const next = await blocks.next();
              if (next.done) return;
              yield next.value;
            }
          } finally {
            cancel();
          }
        })(),
        cancel,
      ),
    };
  } catch (error) {
    cancel();
    throw error;
  }
}

/**
 * `blocks`, whose `return()` also cancels the body: a generator closed before its first `next()`
 * never runs its `finally` (lazyEnvelopes closes a stream of another manifest that way), which
 * would leave the response open.
 */
function cancelOnReturn<T>(blocks: AsyncGenerator<T>, cancel: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => blocks.next(),
      return: async () => {
        cancel();
        return blocks.return(undefined);
      },
    }),
  };
}

/** A body's chunks (ReadableStream is not async-iterable in every browser). */
async function* chunksOf(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The envelopes of a delivery whose manifest the caller already holds, opening the stream only
 * when they are first asked for (lib/delivery asks once every record key is open, so no stream
 * idles while the buyer waits for the delivery key). When the stream cannot be opened (a node
 * without the route, a delivery not final there yet) or is not of `manifestCid`, it yields
 * nothing and `onUnavailable` says why: every envelope is then fetched one by one.
 */
export function lazyEnvelopes(
  open: () => Promise<DeliveryStream>,
  manifestCid: string,
  onUnavailable?: (reason: string) => void,
): AsyncIterable<StreamedBlock> {
  return {
    async *[Symbol.asyncIterator]() {
      let stream: DeliveryStream;
      try {
        stream = await open();
      } catch (error) {
        onUnavailable?.(errorText(error));
        return;
      }
      if (stream.manifestCid !== manifestCid) {
        await stream.envelopes[Symbol.asyncIterator]().return?.();
        onUnavailable?.(`the stream is of manifest ${stream.manifestCid}, not ${manifestCid}`);
        return;
      }
      yield* stream.envelopes;
    },
  };
}
