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

/** Text gathered before it is handed to the file stream (bounded: a few records' worth). */
const WRITE_BATCH_CHARS = 64 * 1024;

/**
 * A file written in batches: a delivery's 100,000 lines written one `write` each would cost a
 * buffer and a stream call per line, more than the line's record took to decrypt. Backpressure:
 * a batch waits for `drain` when the stream's buffer is full.
 */
class BatchedFile {
  readonly #stream: WriteStream;
  #pending: string[] = [];
  #pendingChars = 0;

  /** @param path - the file, created or truncated */
  constructor(path: string) {
    this.#stream = createWriteStream(path);
  }

  async write(text: string): Promise<void> {
    this.#pending.push(text);
    this.#pendingChars += text.length;
    if (this.#pendingChars >= WRITE_BATCH_CHARS) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const text = this.#pending.join("");
    this.#pending = [];
    this.#pendingChars = 0;
    if (!this.#stream.write(text)) await once(this.#stream, "drain");
  }

  /** Writes what is pending and closes the file. */
  async close(): Promise<void> {
    try {
      await this.#flush();
    } finally {
      this.#stream.end();
      await once(this.#stream, "finish");
    }
  }
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
  const jsonl = jsonlPath === undefined ? undefined : new BatchedFile(jsonlPath);
  const rows = rowsPath === undefined ? undefined : new BatchedFile(rowsPath);
  const columns = new CsvColumns();
  let count = 0;
  try {
    for await (const record of params.records) {
      count++;
      if (jsonl !== undefined) await jsonl.write(jsonLine(record));
      if (rows !== undefined) {
        const row = columns.add(record);
        if (row !== undefined) await rows.write(`${JSON.stringify(row)}\n`);
      }
    }
  } finally {
    if (jsonl !== undefined) await jsonl.close();
    if (rows !== undefined) await rows.close();
  }
  if (csvPath !== undefined && rowsPath !== undefined) {
    const csv = new BatchedFile(csvPath);
    try {
      await csv.write(columns.header());
      const lines = createInterface({ input: createReadStream(rowsPath), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.length > 0) await csv.write(columns.row(JSON.parse(line) as CsvRowData));
      }
    } finally {
      await csv.close();
    }
  }
  return { count, skipped: columns.skipped };
}
