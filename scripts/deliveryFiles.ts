/**
 * Writes a streamed delivery (lib/delivery `streamDelivery`) to JSON Lines and CSV files in
 * bounded memory: each record is written out as it arrives; the CSV, whose header is the union of
 * every record's fields, is written in two passes — rows kept in a temporary file next to it while
 * the columns are learnt, then header and rows. Files are written under a `.partial` name and
 * renamed once complete; when the stream fails (a record does not verify) they are removed, so a
 * failed delivery leaves no file behind. Used by the buyer CLI and the delivery benchmark.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import {
  CsvColumns,
  jsonLine,
  type CsvRowData,
  type DeliveredRecord,
  type SkippedRecord,
} from "../lib/delivery/index.js";

/** Parameters of {@link writeDeliveryFiles}. */
export interface WriteDeliveryFilesParams {
  /** The records, in the order they should appear (streamDelivery's). */
  records: AsyncIterable<DeliveredRecord>;
  /** Where to write the JSON Lines file; none when undefined. */
  jsonlPath?: string;
  /** Where to write the CSV file; none when undefined. */
  csvPath?: string;
}

/** What was written. */
export interface WrittenDelivery {
  /** Records read from the stream. */
  count: number;
  /** Records left out of the CSV (not JSON objects); they are in the JSON Lines file. */
  skipped: SkippedRecord[];
}

/** Writes with backpressure: waits for `drain` when the stream's buffer is full. */
async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, "finish");
}

/** Streams the records to the requested files; see the module comment. */
export async function writeDeliveryFiles(
  params: WriteDeliveryFilesParams,
): Promise<WrittenDelivery> {
  const partial = (path: string | undefined) =>
    path === undefined ? undefined : `${path}.partial`;
  const jsonlPartial = partial(params.jsonlPath);
  const csvPartial = partial(params.csvPath);
  const rowsPath = params.csvPath === undefined ? undefined : `${params.csvPath}.rows.tmp`;
  try {
    const written = await writeAll(params, jsonlPartial, rowsPath, csvPartial);
    if (jsonlPartial !== undefined) await rename(jsonlPartial, params.jsonlPath!);
    if (csvPartial !== undefined) await rename(csvPartial, params.csvPath!);
    return written;
  } catch (error) {
    for (const path of [jsonlPartial, csvPartial])
      if (path !== undefined) await rm(path, { force: true });
    throw error;
  } finally {
    if (rowsPath !== undefined) await rm(rowsPath, { force: true });
  }
}

async function writeAll(
  params: WriteDeliveryFilesParams,
  jsonlPath: string | undefined,
  rowsPath: string | undefined,
  csvPath: string | undefined,
): Promise<WrittenDelivery> {
  const jsonl = jsonlPath === undefined ? undefined : createWriteStream(jsonlPath);
  const rows = rowsPath === undefined ? undefined : createWriteStream(rowsPath);
  const columns = new CsvColumns();
  let count = 0;
  try {
    for await (const record of params.records) {
      count++;
      if (jsonl !== undefined) await write(jsonl, jsonLine(record));
      if (rows !== undefined) {
        const row = columns.add(record);
        if (row !== undefined) await write(rows, `${JSON.stringify(row)}\n`);
      }
    }
  } finally {
    if (jsonl !== undefined) await close(jsonl);
    if (rows !== undefined) await close(rows);
  }
  if (csvPath !== undefined && rowsPath !== undefined) {
    const csv = createWriteStream(csvPath);
    try {
      await write(csv, columns.header());
      const lines = createInterface({ input: createReadStream(rowsPath), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.length > 0) await write(csv, columns.row(JSON.parse(line) as CsvRowData));
      }
    } finally {
      await close(csv);
    }
  }
  return { count, skipped: columns.skipped };
}
