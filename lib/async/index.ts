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

/**
 * Maps `items` through `fn` with at most `limit` calls in flight and yields the results in input
 * order, each as soon as it and every result before it are ready: memory holds at most `limit`
 * results whatever the number of items. Calls start in input order. A rejection is thrown when its
 * turn comes (results before it are yielded first). Stopping the iteration early starts no more
 * calls and waits for those in flight to settle.
 */
export async function* mapOrdered<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R, void, undefined> {
  const inFlight: Promise<R>[] = [];
  let next = 0;
  const startNext = (): void => {
    const index = next++;
    const result = fn(items[index]!, index);
    // Awaited in order below; a rejection while earlier results are pending is not unhandled.
    result.catch(() => undefined);
    inFlight.push(result);
  };
  const width = Math.max(1, Math.floor(limit));
  try {
    while (next < items.length && inFlight.length < width) startNext();
    while (inFlight.length > 0) {
      const result = await inFlight.shift()!;
      if (next < items.length) startNext();
      yield result;
    }
  } finally {
    await Promise.allSettled(inFlight);
  }
}
