/**
 * Turns a store's chunk stream into an HTTP response body that never holds more than a chunk or
 * two: chunks are read only as the client takes them (the server waits for the socket to drain
 * before asking for more).
 *
 * The first chunk is read before the response starts, so that "not found", a corrupt first block
 * or a store that does not answer still become a proper HTTP error status. A failure after that
 * can only cut the response short: the body then ends without its final chunk, which every HTTP
 * client reports as an error, so a truncated download is never mistaken for a complete one.
 */

/** How a body ended, as passed to {@link StreamBodyParams.onEnd}. */
export type StreamBodyEnd = "sent" | "failed" | "cancelled" | "stalled";

/** Parameters of {@link openStreamBody}. */
export interface StreamBodyParams {
  /** Starts the read; `signal` is aborted when the body is cancelled, stalls or times out. */
  open: (signal: AbortSignal) => AsyncIterable<Uint8Array>;
  /** How long the first chunk may take; longer rejects with a TimeoutError. */
  firstChunkTimeoutMs: number;
  /**
   * How long the body may wait for the client to take the next chunk. A client that stops
   * reading is cut off after this, so it cannot hold a download slot (and its buffers) forever.
   */
  stallTimeoutMs: number;
  /** Called exactly once, when the body is finished one way or another (releases the slot). */
  onEnd: (how: StreamBodyEnd) => void;
  /**
   * Cuts the response off after a failure or stall (e.g. destroys the socket). Without it the
   * body stream is errored instead, which some servers answer by appending an error text to the
   * body before closing: with the socket destroyed the client can only see a truncated transfer.
   */
  abortResponse?: (error: Error) => void;
}

/**
 * Reads the first chunk, then returns the body that sends it and the rest.
 *
 * @throws whatever the first read throws (a StorageError, the caller's abort reason), or a
 *   DOMException named "TimeoutError" after `firstChunkTimeoutMs`; `onEnd("failed")` has then
 *   been called.
 */
export async function openStreamBody(
  params: StreamBodyParams,
): Promise<ReadableStream<Uint8Array>> {
  const reading = new AbortController();
  const iterator = params.open(reading.signal)[Symbol.asyncIterator]();
  let ended = false;
  const end = (how: StreamBodyEnd) => {
    if (ended) return;
    ended = true;
    reading.abort(new Error(`the download was ${how}`));
    // Lets the store's generator run its cleanup (close block reads, timers).
    void iterator.return?.()?.catch(() => undefined);
    params.onEnd(how);
  };

  let first: IteratorResult<Uint8Array>;
  let firstTimer: NodeJS.Timeout | undefined;
  try {
    first = await Promise.race([
      iterator.next(),
      new Promise<never>((_, reject) => {
        firstTimer = setTimeout(
          () =>
            reject(
              new DOMException(
                `the store sent nothing within ${params.firstChunkTimeoutMs} ms`,
                "TimeoutError",
              ),
            ),
          params.firstChunkTimeoutMs,
        );
      }),
    ]);
  } catch (error) {
    end("failed");
    throw error;
  } finally {
    clearTimeout(firstTimer);
  }

  let pending: Uint8Array | undefined = first.done === true ? undefined : first.value;
  let stallTimer: NodeJS.Timeout | undefined;
  const cutOff = (controller: ReadableStreamDefaultController<Uint8Array>, error: Error) => {
    if (params.abortResponse === undefined) controller.error(error);
    else params.abortResponse(error);
  };
  const waitForClient = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      end("stalled");
      cutOff(
        controller,
        new Error(`the client took no data for ${params.stallTimeoutMs} ms: download cut off`),
      );
    }, params.stallTimeoutMs);
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (first.done === true) {
          controller.close();
          end("sent");
        }
      },
      async pull(controller) {
        clearTimeout(stallTimer);
        if (ended) return;
        if (pending !== undefined) {
          controller.enqueue(pending);
          pending = undefined;
          waitForClient(controller);
          return;
        }
        let next: IteratorResult<Uint8Array>;
        try {
          next = await iterator.next();
        } catch (error) {
          end("failed");
          cutOff(controller, error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (ended) return;
        if (next.done === true) {
          controller.close();
          end("sent");
          return;
        }
        controller.enqueue(next.value);
        waitForClient(controller);
      },
      cancel() {
        clearTimeout(stallTimer);
        end("cancelled");
      },
    },
    // One chunk queued at most: the next is read only once the client has taken this one.
    { highWaterMark: 1 },
  );
}
