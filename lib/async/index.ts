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
