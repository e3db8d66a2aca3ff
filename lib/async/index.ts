/** Public API of lib/async: bounded concurrency for the node, the CLIs and the demo. */

/**
 * Maps `items` through `fn` with at most `limit` calls in flight; the results are in input order.
 * The first rejection rejects the whole map (calls already started still run to completion).
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, work));
  return results;
}

/** Options of {@link mapOrdered}. */
export interface MapOrderedOptions {
  /**
   * Called when the iteration ends with calls still in flight (a rejection in its turn, or the
   * consumer stopping early), before waiting for them to settle: lets the caller make them end
   * sooner (abort what they wait on).
   */
  cancelInFlight?: () => void;
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight and yields the results in input
 * order, each as soon as it and every result before it are ready: memory holds at most `limit`
 * results whatever the number of items. Calls start in input order. A rejection is thrown when its
 * turn comes (results before it are yielded first). Stopping the iteration early, or a rejection,
 * starts no more calls and waits for those in flight to settle (after `cancelInFlight`).
 *
 * @throws RangeError when `limit` is not a positive number.
 */
export async function* mapOrdered<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  options: MapOrderedOptions = {},
): AsyncGenerator<R, void, undefined> {
  if (!(limit >= 1)) throw new RangeError(`limit must be a positive number, not ${limit}`);
  const width = Math.floor(limit);
  const inFlight: Promise<R>[] = [];
  let next = 0;
  const startNext = (): void => {
    const index = next++;
    const result = fn(items[index]!, index);
    // Awaited in order below; a rejection while earlier results are pending is not unhandled.
    result.catch(() => undefined);
    inFlight.push(result);
  };
  try {
    while (next < items.length && inFlight.length < width) startNext();
    while (inFlight.length > 0) {
      const result = await inFlight.shift()!;
      if (next < items.length) startNext();
      yield result;
    }
  } finally {
    if (inFlight.length > 0) {
      options.cancelInFlight?.();
      await Promise.allSettled(inFlight);
    }
  }
}
