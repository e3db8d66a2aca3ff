/**
 * Memory peaks of a benchmark phase, and the units the tables print. Free of Hardhat, so that a
 * benchmark's child process (scripts/bench/deliveryBuyer.ts) can use it too.
 */

/**
 * Samples RSS, heap and ArrayBuffer memory every `intervalMs` (default 50) until stopped; returns
 * the peaks and the starting values.
 */
export function sampleMemory(intervalMs = 50) {
  const baseline = process.memoryUsage();
  let rss = baseline.rss;
  let heapUsed = baseline.heapUsed;
  let arrayBuffers = baseline.arrayBuffers;
  const sample = () => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss);
    heapUsed = Math.max(heapUsed, now.heapUsed);
    arrayBuffers = Math.max(arrayBuffers, now.arrayBuffers);
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { baseline, rss, heapUsed, arrayBuffers };
    },
  };
}

/** Peaks returned by {@link sampleMemory}'s `stop`. */
export type MemoryPeak = ReturnType<ReturnType<typeof sampleMemory>["stop"]>;

/** Bytes as MiB, two decimals. */
export function mib(bytes: number): number {
  return round(bytes / 1024 / 1024);
}

/** Two decimals. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
