/**
 * A purchase's delivery as one stream: a CAR (CARv1, `application/vnd.ipld.car`) whose root and
 * first block is the manifest, followed by each record's envelope in the manifest's order. A
 * buyer then opens 100,000 records over one HTTP response instead of 100,000 requests, and still
 * checks every block against its CID (lib/delivery re-hashes each envelope whatever its source).
 *
 * Only single-block envelopes (`raw` CIDs, up to 256 KiB: every record of a typical pool) are in
 * the stream; an envelope split into a UnixFS DAG, or one this node no longer holds (unpinned
 * after its consent ended), is left out, and the buyer fetches it with `GET /v1/content/{cid}`.
 * Large envelopes gain nothing from batching: their request overhead is small beside their size.
 */
import { CarWriter } from "@ipld/car/writer";
import { CID } from "multiformats/cid";
import * as rawCodec from "multiformats/codecs/raw";
import { mapOrdered } from "../../lib/async/index.js";
import { isStorageError, type ContentStore } from "../../lib/storage/index.js";

/** The media type of the stream (CARv1). */
export const CAR_CONTENT_TYPE = "application/vnd.ipld.car; version=1";

/** Envelopes read from the store at once while the stream is sent. */
const READ_AHEAD = 32;
/** Size the stream's small CAR sections are gathered into before they are sent. */
const CHUNK_BYTES = 64 * 1024;

/** Parameters of {@link deliveryCar}. */
export interface DeliveryCarParams {
  /** Where the manifest and envelopes are read from (offline: what it holds). */
  store: Pick<ContentStore, "get">;
  /** The manifest's CID (`deliveryCid`), the CAR's root. */
  manifestCid: string;
  /** Aborted when the client goes away or stalls: reading stops. */
  signal: AbortSignal;
}

/**
 * The CAR's bytes, in chunks of about 64 KiB, read from the store only as fast as they are taken.
 *
 * @throws StorageError NOT_FOUND (first chunk) when the manifest is not held here; a store failure
 *   later ends the stream with an error (the response is then cut short, never completed).
 */
export async function* deliveryCar(
  params: DeliveryCarParams,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { store, signal } = params;
  const root = CID.parse(params.manifestCid);
  const manifest = await store.get(params.manifestCid, { offline: true, signal });
  const envelopeCids = manifestEnvelopeCids(manifest);
  const { writer, out } = CarWriter.create([root]);

  let failure: { error: unknown } | undefined;
  // The writer hands each section over only when it is taken (backpressure), so reading stays
  // at most READ_AHEAD envelopes ahead of the client.
  const writing = (async () => {
    try {
      await writer.put({ cid: root, bytes: manifest });
      const blocks = mapOrdered(envelopeCids, READ_AHEAD, (cid) =>
        readHeldBlock(store, cid, signal),
      );
      for await (const block of blocks) {
        if (block !== undefined) await writer.put(block);
      }
    } catch (error) {
      failure = { error };
    } finally {
      await writer.close();
    }
  })();

  yield* gather(out, CHUNK_BYTES);
  await writing;
  if (failure !== undefined) throw failure.error;
}

/** A raw envelope's verified block, or undefined when it is not one held here. */
async function readHeldBlock(
  store: DeliveryCarParams["store"],
  cid: CID,
  signal: AbortSignal,
): Promise<{ cid: CID; bytes: Uint8Array } | undefined> {
  if (cid.code !== rawCodec.code) return undefined;
  try {
    return { cid, bytes: await store.get(cid.toString(), { offline: true, signal }) };
  } catch (error) {
    if (isStorageError(error, "NOT_FOUND")) return undefined;
    throw error;
  }
}

/** The envelopes' CIDs in the manifest's order (the node's own manifest: no root recomputed). */
function manifestEnvelopeCids(manifest: Uint8Array): CID[] {
  const { records } = JSON.parse(new TextDecoder().decode(manifest)) as {
    records?: { dataCid?: unknown }[];
  };
  if (!Array.isArray(records)) throw new TypeError("the manifest lists no records");
  return records.map(({ dataCid }) => CID.parse(String(dataCid)));
}

/** Concatenates small chunks into ones of about `size` bytes (fewer writes to the socket). */
async function* gather(
  chunks: AsyncIterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = (): Uint8Array => {
    const chunk = new Uint8Array(pendingBytes);
    let offset = 0;
    for (const part of pending) {
      chunk.set(part, offset);
      offset += part.length;
    }
    pending = [];
    pendingBytes = 0;
    return chunk;
  };
  for await (const part of chunks) {
    pending.push(part);
    pendingBytes += part.length;
    if (pendingBytes >= size) yield flush();
  }
  if (pendingBytes > 0) yield flush();
}
