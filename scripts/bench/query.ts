/**
 * The query engine's compute (issue 11): `answerQuery` over 1,000, 10,000 and 100,000 synthetic
 * resume-like records (the demo's generator), records already parsed in memory, no chain, no
 * decryption: the custodian's end-to-end time adds those. The query is the demo's kind, and
 * heavier: count, mean, median (noisy histogram) and an education histogram by city × experience
 * bucket, filtered on education, at ε = 0.5.
 *
 * Figures: median wall time of 11 runs (after one warm-up), records per second, and the JS heap
 * grown during one run (heapUsed after − before; the npm script passes --expose-gc so garbage is
 * collected first, but a collection during the run can still make it an underestimate: the
 * engine's own state is a few numbers per group and bin, the records themselves are the caller's).
 * The target: 10,000 records well under 1 s.
 *
 * Run alone: `npm run bench:query`; writes bench/query.txt.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { answerQuery, assertQuery, type CheckedQuery } from "../../lib/query/index.js";
import { demoQueryPolicy } from "../demo/queryPolicy.js";
import { demoResume } from "../demo/resumes.js";
import type { BenchRow } from "./types.js";

const SUITE = "query";
/** Record counts measured by default. */
export const QUERY_COUNTS = [1_000, 10_000, 100_000] as const;
const RUNS = 11;

/** The demo's resume schema (lib/custodian/schemas/resume.schema.json). */
export function resumeSchema(): object {
  return JSON.parse(
    readFileSync(new URL("../../lib/custodian/schemas/resume.schema.json", import.meta.url), "utf8"),
  ) as object;
}

/**
 * The query document measured (also by scripts/bench/queryE2e.ts): count, mean, median and an
 * education histogram by city × experience bucket, filtered on education, at ε = 0.5.
 */
export function benchQueryDocument() {
  return {
      version: 1,
      epsilon: "0.5",
      filters: [{ field: "education", op: "in", values: ["bachelor", "master", "doctorate"] }],
      groupBy: [{ field: "city" }, { field: "yearsOfExperience", buckets: [0, 5, 10, 20, 40] }],
      aggregates: [
        { kind: "count" },
        { kind: "mean", field: "yearsOfExperience", lo: 0, hi: 40 },
        { kind: "quantile", field: "yearsOfExperience", q: [0.5], buckets: [0, 5, 10, 15, 20, 30, 40] },
        { kind: "histogram", field: "education" },
      ],
  };
}

/** {@link benchQueryDocument}, checked against the demo's resume schema and a policy for it. */
function benchQuery(): CheckedQuery {
  return assertQuery({
    recordSchema: resumeSchema(),
    policy: demoQueryPolicy(),
    query: benchQueryDocument(),
  });
}

/** Options of {@link benchQueryEngine}. */
export interface BenchQueryOptions {
  /** Record counts to measure; default {@link QUERY_COUNTS}. */
  counts?: readonly number[];
}

/** Measures answerQuery at each count. */
export async function benchQueryEngine(options: BenchQueryOptions = {}): Promise<BenchRow[]> {
  const query = benchQuery();
  const rows: BenchRow[] = [];
  for (const count of options.counts ?? QUERY_COUNTS) {
    const records = Array.from({ length: count }, (_, index) => demoResume(index));
    const size = `${count.toLocaleString("en-US")} records`;
    await answerQuery({ records, query }); // warm-up: JIT, first allocation of the pools
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    await answerQuery({ records, query });
    const heapGrown = process.memoryUsage().heapUsed - heapBefore;
    const times: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      await answerQuery({ records, query });
      times.push(performance.now() - started);
    }
    const median = times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
    rows.push(
      { suite: SUITE, operation: "answerQuery (median of 11)", size, value: round(median), unit: "ms" },
      { suite: SUITE, operation: "throughput", size, value: Math.round(count / (median / 1000)), unit: "records/s" },
      { suite: SUITE, operation: "JS heap grown during one answer", size, value: round(heapGrown / 1024 / 1024), unit: "MiB" },
    );
  }
  return rows;
}

/** The rows as `npm run bench` prints them. */
export async function printQueryTable(rows: readonly BenchRow[]): Promise<void> {
  const { printTable } = await import("./table.js");
  printTable(
    "Query engine: answerQuery over parsed records in memory (city × experience groups, count + mean + median + histogram, ε = 0.5)",
    ["operation", "size", "value", "unit"],
    rows.map((row) => [row.operation, row.size ?? "", String(row.value), row.unit]),
  );
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

// Run alone (`npm run bench:query`): print the table and write bench/query.txt.
if (process.argv.some((arg) => arg.endsWith(join("bench", "query.ts")))) {
  const counts = process.env.DATABANK_BENCH_QUERY_COUNTS?.split(",").map(Number) ?? QUERY_COUNTS;
  const rows = await benchQueryEngine({ counts });
  await printQueryTable(rows);
  const text = rows
    .map((r) => `${r.operation.padEnd(36)} ${(r.size ?? "").padEnd(16)} ${String(r.value).padStart(10)} ${r.unit}`)
    .join("\n");
  await writeFile(join("bench", "query.txt"), `${text}\n`);
}
