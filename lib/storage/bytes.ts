/**
 * Byte-stream helpers shared by the backends: bounded buffering (so a hostile or mistaken CID
 * cannot make us hold gigabytes) and a lock-step tee (so streamed uploads can be hashed locally
 * while they are sent, without buffering the whole stream).
 */

/** Concatenates a stream, calling `onTooLarge` (which must throw) as soon as it passes maxBytes. */
export async function collectBytes(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number | undefined,
  onTooLarge: (receivedBytes: number) => never,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Breaking out of for-await (via the throw) calls return() on the source, which cancels the
  // underlying HTTP body or block fetches instead of draining them.
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (maxBytes !== undefined && total > maxBytes) {
      onTooLarge(total);
    }
    chunks.push(chunk);
  }
  return concatChunks(chunks, total);
}

function concatChunks(chunks: Uint8Array[], totalBytes: number): Uint8Array {
  if (chunks.length === 1) {
    return chunks[0];
  }
  const out = new Uint8Array(totalBytes);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export function assertValidMaxBytes(maxBytes: number | undefined): void {
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
}

interface PendingRead {
  resolve(result: IteratorResult<Uint8Array, undefined>): void;
  reject(error: unknown): void;
}

/**
 * A second reader of a stream that advances in lock step with the first: the producer hands each
 * chunk over only when this reader asks for one, so memory stays bounded by one chunk.
 */
export class LockstepCopy implements AsyncIterable<Uint8Array> {
  #pendingReads: PendingRead[] = [];
  #readRequested: (() => void) | undefined;
  #closed: { error?: unknown } | undefined;
  #readerGone = false;

  /** Resolves once the reader has taken the chunk (or immediately if the reader has stopped). */
  async deliver(chunk: Uint8Array): Promise<void> {
    while (this.#pendingReads.length === 0) {
      if (this.#readerGone || this.#closed !== undefined) {
        return;
      }
      await new Promise<void>((resolve) => {
        this.#readRequested = resolve;
      });
    }
    this.#pendingReads.shift()?.resolve({ value: chunk, done: false });
  }

  /** Ends the copy: normally (no error) or with the producer's failure. */
  close(error?: unknown): void {
    if (this.#closed !== undefined) {
      return;
    }
    this.#closed = { error };
    for (const read of this.#pendingReads.splice(0)) {
      if (error === undefined) {
        read.resolve({ value: undefined, done: true });
      } else {
        read.reject(error);
      }
    }
    this.#readRequested?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array, undefined> {
    return {
      next: () => {
        if (this.#closed !== undefined) {
          return this.#closed.error === undefined
            ? Promise.resolve({ value: undefined, done: true })
            : Promise.reject(this.#closed.error);
        }
        return new Promise((resolve, reject) => {
          this.#pendingReads.push({ resolve, reject });
          this.#readRequested?.();
        });
      },
      return: async () => {
        // The reader quit early (e.g. the hasher failed): never block the producer on it again.
        this.#readerGone = true;
        this.#readRequested?.();
        return { value: undefined, done: true };
      },
    };
  }
}

/** Yields `source` unchanged while feeding every chunk to `copy`; closes `copy` at the end. */
export async function* forwardWithCopy(
  source: AsyncIterable<Uint8Array>,
  copy: LockstepCopy,
): AsyncGenerator<Uint8Array, void, undefined> {
  let completed = false;
  try {
    for await (const chunk of source) {
      await copy.deliver(chunk);
      yield chunk;
    }
    completed = true;
  } finally {
    copy.close(
      completed ? undefined : new Error("the upload stopped before the end of the stream"),
    );
  }
}

/** Blocks a stream reads ahead of its consumer: enough to hide a round trip, ~1 MiB per stream. */
export const STREAM_READ_AHEAD_BLOCKS = 4;

/**
 * The UnixFS exporter option that bounds a stream's read-ahead. By default the exporter loads all
 * the children of a DAG node at once (up to 174 leaves, 43.5 MiB) whatever the consumer's pace,
 * which made each 60 MiB download hold tens of MiB. @helia/unixfs passes the option through to
 * the exporter without declaring it, hence the untyped object.
 */
export function boundedReadAhead(): Record<string, unknown> {
  return { blockReadConcurrency: STREAM_READ_AHEAD_BLOCKS };
}
