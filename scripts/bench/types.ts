/** One measured figure of a benchmark suite. */
export interface BenchRow {
  /** Which benchmark produced the row, e.g. "envelope". */
  suite: string;
  /** What was measured, e.g. "seal". */
  operation: string;
  /** Input size label, when the figure depends on it, e.g. "50 MiB". */
  size?: string;
  /** The measured figure. */
  value: number;
  /** Unit of `value`, e.g. "MB/s". */
  unit: string;
}
