/**
 * Turns decrypted records into files a buyer can load: JSON Lines (lossless) and CSV (a flat table
 * of the JSON records' top-level fields).
 *
 * Decisions (also in docs/data-bank-node.md):
 * - A record is JSON when its content type is `application/json` or `*\/*+json` (parameters
 *   ignored) and its bytes are UTF-8 JSON. Custodians only accept JSON records, so anything else is
 *   unexpected but must not be lost or crash the export.
 * - JSON Lines: one object per record, `{"tokenId","dataCid","contentType","data"}` for a JSON
 *   record, `{"tokenId","dataCid","contentType","dataBase64"}` for any other record. Nothing is
 *   skipped.
 * - CSV (RFC 4180: CRLF line ends, fields quoted when they contain `"`, `,`, CR or LF, quotes
 *   doubled): columns `tokenId`, `dataCid`, then the union of the JSON objects' top-level fields in
 *   first-seen order (a field named like a fixed column becomes `data.<name>`). Strings as they
 *   are; numbers and booleans as JSON; null and missing fields empty; arrays joined by "; " (their
 *   object elements as JSON); nested objects as JSON. Records that are not JSON objects (binary,
 *   or a JSON array or scalar) are left out of the CSV and listed in `skipped` with the reason;
 *   they are in the JSON Lines file.
 *
 * Browser-safe: no `node:` imports.
 */
import type { DeliveredRecord } from "./buyer.js";

/** A record left out of the CSV. */
export interface SkippedRecord {
  tokenId: bigint;
  contentType: string;
  reason: string;
}

/** The CSV text and what it leaves out. */
export interface CsvExport {
  /** The whole file, header first, CRLF line ends (empty records: the header alone). */
  text: string;
  /** The header's columns. */
  columns: string[];
  /** Records left out (not JSON objects), with why. */
  skipped: SkippedRecord[];
}

const FIXED_COLUMNS = ["tokenId", "dataCid"] as const;
const utf8 = new TextDecoder("utf-8", { fatal: true });

type Parsed = { kind: "json"; value: unknown } | { kind: "binary"; reason: string };

/** Whether a media type names JSON (`application/json`, `application/ld+json`, …). */
export function isJsonContentType(contentType: string): boolean {
  const essence = contentType.split(";")[0]!.trim().toLowerCase();
  return essence === "application/json" || /^[a-z0-9.+-]+\/[a-z0-9.+-]+\+json$/.test(essence);
}

function parseRecord(record: DeliveredRecord): Parsed {
  if (!isJsonContentType(record.contentType)) {
    return { kind: "binary", reason: `content type ${record.contentType} is not JSON` };
  }
  try {
    return { kind: "json", value: JSON.parse(utf8.decode(record.plaintext)) };
  } catch {
    return { kind: "binary", reason: "its bytes are not UTF-8 JSON" };
  }
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let offset = 0; offset < bytes.length; offset += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000));
  }
  return btoa(binary);
}

/** One record as its JSON Lines line, `\n` included (see the module comment for the format). */
export function jsonLine(record: DeliveredRecord): string {
  const parsed = parseRecord(record);
  const line: Record<string, unknown> = {
    tokenId: record.tokenId.toString(),
    dataCid: record.dataCid,
    contentType: record.contentType,
  };
  if (parsed.kind === "json") line.data = parsed.value;
  else line.dataBase64 = base64(record.plaintext);
  return `${JSON.stringify(line)}\n`;
}

/** One JSON object per line, `\n` after each (see the module comment for the line format). */
export function toJsonLines(records: readonly DeliveredRecord[]): string {
  return records.map(jsonLine).join("");
}

/** Quotes a CSV field when RFC 4180 requires it. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A JSON value as CSV cell text (see the module comment). */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    return value
      .map((item) => (typeof item === "string" ? item : item === null ? "" : JSON.stringify(item)))
      .join("; ");
  }
  return JSON.stringify(value);
}

/** A CSV row's content, as {@link CsvColumns.add} returns it for a record kept in the CSV. */
export interface CsvRowData {
  tokenId: string;
  dataCid: string;
  data: Record<string, unknown>;
}

/**
 * The CSV's columns, learnt one record at a time, for callers that stream records (the header is
 * known only once every record is seen): pass 1 {@link CsvColumns.add}s each record and keeps the
 * returned row data somewhere cheap (e.g. a temporary file), pass 2 writes
 * {@link CsvColumns.header} then {@link CsvColumns.row} of each.
 */
export class CsvColumns {
  /** JSON field -> column name, in first-seen order. */
  readonly #dataColumns = new Map<string, string>();
  /** Records left out (not JSON objects), with why. */
  readonly skipped: SkippedRecord[] = [];

  /** Learns a record's fields; its row data, or undefined when it is left out (see `skipped`). */
  add(record: DeliveredRecord): CsvRowData | undefined {
    const parsed = parseRecord(record);
    if (parsed.kind === "binary") {
      this.skipped.push({
        tokenId: record.tokenId,
        contentType: record.contentType,
        reason: parsed.reason,
      });
      return undefined;
    }
    const value = parsed.value;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      const what = Array.isArray(value)
        ? "an array"
        : `a JSON ${value === null ? "null" : typeof value}`;
      this.skipped.push({
        tokenId: record.tokenId,
        contentType: record.contentType,
        reason: `it is ${what}, not an object`,
      });
      return undefined;
    }
    const data = value as Record<string, unknown>;
    for (const field of Object.keys(data)) {
      if (!this.#dataColumns.has(field)) {
        const fixed = (FIXED_COLUMNS as readonly string[]).includes(field);
        this.#dataColumns.set(field, fixed ? `data.${field}` : field);
      }
    }
    return { tokenId: record.tokenId.toString(), dataCid: record.dataCid, data };
  }

  /** The header's columns so far. */
  get columns(): string[] {
    return [...FIXED_COLUMNS, ...this.#dataColumns.values()];
  }

  /** The header line, CRLF included. */
  header(): string {
    return `${this.columns.map(csvField).join(",")}\r\n`;
  }

  /** One row, CRLF included, over every column learnt. */
  row({ tokenId, dataCid, data }: CsvRowData): string {
    const cells = [tokenId, dataCid, ...[...this.#dataColumns.keys()].map((f) => csvCell(data[f]))];
    return `${cells.map(csvField).join(",")}\r\n`;
  }
}

/** The CSV of the JSON object records (see the module comment). */
export function toCsv(records: readonly DeliveredRecord[]): CsvExport {
  const columns = new CsvColumns();
  const rows = records.map((record) => columns.add(record)).filter((row) => row !== undefined);
  return {
    text: columns.header() + rows.map((row) => columns.row(row)).join(""),
    columns: columns.columns,
    skipped: columns.skipped,
  };
}
