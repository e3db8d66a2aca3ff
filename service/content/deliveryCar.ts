/**
 * A purchase's delivery as one stream: a CARv1 (`application/vnd.ipld.car`) whose one root is the
 * manifest's CID and whose blocks are the records' envelopes, in the manifest's order. A buyer
 * then opens 100,000 records over one HTTP response instead of 100,000 requests, and still checks
 * every block against its record's CID (lib/delivery re-hashes each envelope whatever its source).
 *
 * The manifest itself is not a block of the stream: the buyer fetches it first (to check it against
 * the chain and open the record keys before any envelope), and a manifest over 256 KiB is a UnixFS
 * DAG whose root block is not the file's bytes, so sending the file under its CID would not be a
 * valid CAR. Only single-block envelopes (`raw` CIDs, up to 256 KiB: every record of a typical
 * pool) are in the stream; an envelope split into a UnixFS DAG, or one this node no longer holds
 * (unpinned after its consent ended), is left out, and the buyer fetches it with
 * `GET /v1/content/{cid}`. Large envelopes gain nothing from batching: their request overhead is
 * small beside their size.
 */
import { blockLength, createWriter, headerLength } from "@ipld/car/buffer-writer";
import { CID } from "multiformats/cid";
import * as rawCodec from "multiformats/codecs/raw";
import { mapOrdered } from "../../lib/async/index.js";
import { isStorageError, type ContentBlock, type ContentStore } from "../../lib/storage/index.js";

/** The media type of the stream (CARv1). */
export const CAR_CONTENT_TYPE = "application/vnd.ipld.car; version=1";

/** Envelopes read from the store at once while the stream is sent. */
const READ_AHEAD = 32;
/** Size the stream's small CAR sections are gathered into before they are sent. */
const CHUNK_BYTES = 64 * 1024;

/** Manifests whose envelope lists are kept parsed (see {@link createEnvelopeLists}). */
const MANIFESTS_KEPT = 4;

/** The envelopes' CIDs of a manifest, in its order. */
export interface EnvelopeLists {
  /** @throws StorageError NOT_FOUND when the manifest is not held here. */
  of(manifestCid: string): Promise<CID[]>;
}

/**
 * The envelope lists of the manifests streamed last, kept parsed: a manifest never changes under
 * its CID, and one of 100,000 records is 25 MB of JSON, which a buyer retrying (or several buyers
 * of one pool's deliveries) would otherwise make the node read and parse at every request. Holds
 * the last {@link MANIFESTS_KEPT} (about 100 bytes per record each).
 */
export function createEnvelopeLists(store: Pick<ContentStore, "get">): EnvelopeLists {
  const lists = new Map<string, Promise<CID[]>>();
  return {
    of(manifestCid) {
      let list = lists.get(manifestCid);
      if (list === undefined) {
        // No request's signal: the read is shared. It is local (offline) and bounded by the store.
        list = store.get(manifestCid, { offline: true }).then(manifestEnvelopeCids);
        const kept = list;
        // A failed read is not kept: the next request reads again.
        kept.catch(() => {
          if (lists.get(manifestCid) === kept) lists.delete(manifestCid);
        });
      } else lists.delete(manifestCid); // re-inserted below: the most recent is last
      lists.set(manifestCid, list);
      while (lists.size > MANIFESTS_KEPT) lists.delete(lists.keys().next().value!);
      return list;
    },
  };
}

/** Parameters of {@link deliveryCar}. */
export interface DeliveryCarParams {
  /** Where the envelopes are read from (offline: what it holds). */
  store: Pick<ContentStore, "get">;
  /** The manifests' envelope lists ({@link createEnvelopeLists} over the same store). */
  envelopeLists: EnvelopeLists;
  /** The manifest's CID (`deliveryCid`), the CAR's root. */
  manifestCid: string;
  /** Aborted when the client goes away or stalls: reading stops. */
  signal: AbortSignal;
}

/**
 * The CAR's bytes: the header, then the envelopes' sections in chunks of about 64 KiB, read from
 * the store (at most 32 ahead) only as fast as the chunks are taken.
 *
 * @throws StorageError NOT_FOUND (first chunk) when the manifest is not held here; a store failure
 *   later ends the stream with an error (the response is then cut short, never completed).
 */
export async function* deliveryCar(
  params: DeliveryCarParams,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { store, signal } = params;
  const root = CID.parse(params.manifestCid);
  const envelopeCids = await params.envelopeLists.of(params.manifestCid);
  const roots = [root];
  yield createWriter(new ArrayBuffer(headerLength({ roots })), { roots }).close();

  // Sections only (no header of their own): a writer with no room for one, never closed.
  const sections = (bytes: number) => createWriter(new ArrayBuffer(bytes), { headerSize: 0 });
  let chunk = sections(CHUNK_BYTES);
  const blocks = mapOrdered(envelopeCids, READ_AHEAD, (cid) => readHeldBlock(store, cid, signal));
  for await (const block of blocks) {
    if (block === undefined) continue;
    const length = blockLength(block);
    if (chunk.byteOffset + length > chunk.bytes.byteLength) {
      if (chunk.byteOffset > 0) yield chunk.bytes.subarray(0, chunk.byteOffset);
      chunk = sections(Math.max(CHUNK_BYTES, length));
    }
    chunk.write(block);
  }
  if (chunk.byteOffset > 0) yield chunk.bytes.subarray(0, chunk.byteOffset);
}

/** A raw envelope's verified block, or undefined when it is not one held here. */
async function readHeldBlock(
  store: DeliveryCarParams["store"],
  cid: CID,
  signal: AbortSignal,
): Promise<ContentBlock | undefined> {
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
