/**
 * Reading `GET /v1/purchases/{id}/delivery/car`: a CARv1 whose one root is the delivery's manifest
 * CID and whose blocks are the envelopes in the manifest's order (service/content/deliveryCar.ts).
 * Nothing here is trusted: lib/delivery hashes every envelope to its record's CID before using it,
 * and a node cannot make the reader buffer without bound (at most 1 MiB between two blocks) or
 * wait without end (30 s without a byte). Browser-safe.
 */
import { CarBlockIterator } from "@ipld/car/iterator";
import type { ContentBlock } from "../storage/types.js";
import { errorText } from "../format/errorText.js";

/**
 * Most bytes read between two blocks: a streamed envelope is one raw block of at most 256 KiB
 * (lib/storage/cid.ts), plus its CID and length, plus at most one network chunk read ahead.
 */
export const MAX_BYTES_BETWEEN_BLOCKS = 1024 * 1024;
/** Longest wait for the next bytes of the stream before it is given up. */
export const STREAM_IDLE_TIMEOUT_MS = 30_000;

/** A delivery opened as one stream. */
export interface DeliveryStream {
  /** The manifest's CID (the CAR's root). */
  manifestCid: string;
  /**
   * The envelopes as the node sent them (not yet verified), in the manifest's order; envelopes the
   * node does not stream (large ones, or ones it no longer holds) are absent and are fetched one
   * by one. Iterate once; stopping early closes the response.
   */
  envelopes: AsyncIterable<ContentBlock>;
}

/** Why a delivery stream could not be read. */
export class DeliveryStreamError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DeliveryStreamError";
  }
}

/** Options of {@link readDeliveryStream}. */
export interface ReadDeliveryStreamOptions {
  /** Who sent the stream, for messages ("the data bank node at http://…"). */
  source: string;
  /** Longest wait for the next bytes; default {@link STREAM_IDLE_TIMEOUT_MS}. */
  idleTimeoutMs?: number;
}

/**
 * Reads the stream's header from a response body.
 *
 * @throws DeliveryStreamError when the body is not a CAR with exactly one root.
 */
export async function readDeliveryStream(
  body: ReadableStream<Uint8Array>,
  options: ReadDeliveryStreamOptions,
): Promise<DeliveryStream> {
  const { source } = options;
  const reader = body.getReader();
  // Stopping early (or a failure) cancels the download instead of leaving it open.
  const cancel = () => void reader.cancel().catch(() => undefined);
  const budget = { received: 0, atLastBlock: 0 };
  try {
    const chunks = boundedChunks(reader, budget, source, options.idleTimeoutMs);
    let car: CarBlockIterator;
    try {
      car = await CarBlockIterator.fromIterable(chunks);
    } catch (cause) {
      throw new DeliveryStreamError(`${source} did not send a CAR: ${errorText(cause)}`, {
        cause,
      });
    }
    const roots = await car.getRoots();
    if (roots.length !== 1) {
      throw new DeliveryStreamError(
        `${source} sent a CAR with ${roots.length} roots, not one (the manifest)`,
      );
    }
    const blocks = car[Symbol.asyncIterator]();
    return {
      manifestCid: roots[0]!.toString(),
      envelopes: cancelOnReturn(
        (async function* () {
          try {
            for (;;) {
              const next = await blocks.next();
              if (next.done) return;
              budget.atLastBlock = budget.received;
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

/**
 * A body's chunks (ReadableStream is not async-iterable in every browser), refusing more than
 * {@link MAX_BYTES_BETWEEN_BLOCKS} past the last block and a wait of more than `idleTimeoutMs`.
 */
async function* boundedChunks(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  budget: { received: number; atLastBlock: number },
  source: string,
  idleTimeoutMs = STREAM_IDLE_TIMEOUT_MS,
): AsyncGenerator<Uint8Array> {
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DeliveryStreamError(
              `${source} sent nothing for ${idleTimeoutMs / 1000} s: the stream is given up`,
            ),
          ),
        idleTimeoutMs,
      );
    });
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await Promise.race([reader.read(), idle]);
    } finally {
      clearTimeout(timer);
    }
    if (read.done) return;
    budget.received += read.value.byteLength;
    if (budget.received - budget.atLastBlock > MAX_BYTES_BETWEEN_BLOCKS) {
      throw new DeliveryStreamError(
        `${source} sent more than ${MAX_BYTES_BETWEEN_BLOCKS} bytes without completing a block: no envelope block is that large`,
      );
    }
    yield read.value;
  }
}

/**
 * The envelopes of a delivery whose manifest the caller already holds, for lib/delivery's
 * `envelopes` option: the stream is opened only when the first envelope is asked for (after every
 * record key is open, so no stream idles while the buyer waits for the delivery key), with the
 * signal lib/delivery aborts when it stops early. When the stream cannot be opened (a node
 * without the route, a delivery not final there yet) or is not of `manifestCid`, it yields nothing
 * and `onUnavailable` says why: every envelope is then fetched one by one.
 */
export function lazyEnvelopes(
  open: (signal: AbortSignal) => Promise<DeliveryStream>,
  manifestCid: string,
  onUnavailable?: (reason: string) => void,
): (signal: AbortSignal) => AsyncIterable<ContentBlock> {
  return (signal) => ({
    async *[Symbol.asyncIterator]() {
      let stream: DeliveryStream;
      try {
        stream = await open(signal);
      } catch (error) {
        if (!signal.aborted) onUnavailable?.(errorText(error));
        return;
      }
      if (stream.manifestCid !== manifestCid) {
        await stream.envelopes[Symbol.asyncIterator]().return?.();
        onUnavailable?.(`the stream is of manifest ${stream.manifestCid}, not ${manifestCid}`);
        return;
      }
      yield* stream.envelopes;
    },
  });
}
