/**
 * The one content-addressing convention of Databank. Every backend must produce exactly these
 * CIDs, because CIDs are what the contracts record and what buyers verify downloads against.
 *
 * Convention (identical to `ipfs add --cid-version=1` on a stock Kubo node, whose defaults are
 * raw leaves, 256 KiB fixed-size chunks and a balanced DAG with at most 174 links per node):
 * - CIDv1, sha2-256, base32 string form ("bafk…" / "bafy…");
 * - content up to one chunk: a single `raw` block, so the CID is sha2-256 of the bytes;
 * - larger content: 256 KiB `raw` leaves under a balanced UnixFS `dag-pb` tree (174 links/node).
 */
import { importByteStream, importBytes } from "ipfs-unixfs-importer";
import type { ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { bases } from "multiformats/basics";
import type { MultibaseDecoder } from "multiformats/bases/interface";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { IntegrityError, InvalidCidError } from "./types.js";

/** Kubo's default chunk size: a stock `ipfs add --cid-version=1` reproduces our CIDs. */
export const CHUNK_SIZE_BYTES = 262_144;
/** Kubo's default (Import.UnixFSFileMaxLinks); only matters above 174 chunks (43.5 MiB). */
export const MAX_LINKS_PER_NODE = 174;

const DAG_PB_CODE = 0x70;
const SHA2_256_DIGEST_BYTES = 32;

/** The Kubo RPC `add` options that produce the same DAG as `unixfsImporterOptions()`. */
export const KUBO_ADD_OPTIONS = {
  cidVersion: 1,
  rawLeaves: true,
  chunker: `size-${CHUNK_SIZE_BYTES}`,
  trickle: false,
  hashAlg: "sha2-256",
  wrapWithDirectory: false,
} as const;

export type ConventionImporterOptions = Required<
  Pick<
    ImporterOptions,
    "cidVersion" | "rawLeaves" | "reduceSingleLeafToSelf" | "chunker" | "layout"
  >
>;

/** Options for ipfs-unixfs-importer (and @helia/unixfs add*) implementing the convention. */
export function unixfsImporterOptions(): ConventionImporterOptions {
  // Every knob is explicit so that a change of library defaults cannot silently change CIDs.
  return {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: CHUNK_SIZE_BYTES }),
    layout: balanced({ maxChildrenPerNode: MAX_LINKS_PER_NODE }),
  };
}

/** A blockstore that keeps nothing: computing a CID must not cost disk or memory. */
const discardingBlockstore = {
  put: async (cid: CID): Promise<CID> => cid,
};

/** Hashes content into its CIDv1 string without storing anything. */
export async function computeCid(content: Uint8Array | AsyncIterable<Uint8Array>): Promise<string> {
  if (content instanceof Uint8Array && content.length > 0 && content.length <= CHUNK_SIZE_BYTES) {
    // Up to one chunk the convention's DAG is a single raw block: its CID is sha2-256 of the
    // bytes, so the importer (and its per-call setup, costly for the 100,000 small envelopes of a
    // large delivery) is skipped. The tests compare both ways at the edges.
    return CID.createV1(raw.code, await sha256.digest(content)).toString();
  }
  const options = unixfsImporterOptions();
  const result =
    content instanceof Uint8Array
      ? await importBytes(content, discardingBlockstore, options)
      : await importByteStream(content, discardingBlockstore, options);
  return result.cid.toString();
}

/**
 * Decodes every multibase multiformats knows (base32upper "B…" included), so that a CID in another
 * spelling is recognised and its canonical spelling can be suggested (it is still refused).
 */
const anyMultibase: MultibaseDecoder<string> = Object.values(bases)
  .map(({ decoder }) => decoder as { or(other: unknown): unknown } & MultibaseDecoder<string>)
  .reduce((all, decoder) => all.or(decoder) as typeof decoder);

/** The one accepted spelling, in words, for error messages. */
const CANONICAL_SPELLING = "CIDv1 in lowercase base32, bafk…/bafy…, no spaces";

/**
 * Parses a CID string that must be in the one canonical spelling Databank accepts: CIDv1, lowercase
 * base32 (exactly what `CID.toString()` of a v1 CID gives, and what `computeCid()` / `put()`
 * return), no surrounding spaces, and a product of the convention (raw or dag-pb, sha2-256).
 *
 * Why only one spelling: the contracts commit to `keccak256(dataCid)` of the string, so the same
 * content under another spelling (base58 `z…`, base36 `k…`, CIDv0 `Qm…`, uppercase `B…`, padded)
 * would count as new data: a revoked record could be submitted again, or copied into another pool.
 * Every boundary (the node's API, the acceptance worker, the clients, the storage backends) parses
 * with this function so that no second spelling gets in anywhere.
 *
 * @throws InvalidCidError saying what is wrong and, when the input is a CID in another spelling,
 *   its canonical spelling.
 */
export function parseCanonicalCid(text: string): CID {
  if (typeof text !== "string") {
    throw new InvalidCidError(`a CID must be a string (${CANONICAL_SPELLING})`);
  }
  let cid: CID;
  try {
    cid = CID.parse(text.trim(), anyMultibase);
  } catch (err) {
    throw new InvalidCidError(
      `${JSON.stringify(abbreviate(text))} is not a CID: pass the CID returned by put() (${CANONICAL_SPELLING})`,
      { cause: err },
    );
  }
  const isConventionCodec = cid.code === raw.code || cid.code === DAG_PB_CODE;
  const isSha256 =
    cid.multihash.code === sha256.code && cid.multihash.size === SHA2_256_DIGEST_BYTES;
  if (!isConventionCodec || !isSha256) {
    throw new InvalidCidError(
      `${abbreviate(text)} is not a raw/dag-pb sha2-256 CID: Databank content CIDs come from computeCid() / put()`,
    );
  }
  // A v0 CID is dag-pb sha2-256 too, so it converts: say which spelling to use instead.
  const canonical = cid.toV1().toString();
  if (text !== canonical) {
    throw new InvalidCidError(
      `${JSON.stringify(abbreviate(text))} is not spelled the one way Databank accepts ` +
        `(${CANONICAL_SPELLING}): write it as ${canonical}`,
    );
  }
  return cid;
}

/** Throws INTEGRITY unless `bytes` hash to `cid` under the convention (verify on read). */
export async function assertBytesMatchCid(
  cid: CID,
  bytes: Uint8Array,
  source: string,
): Promise<void> {
  if (cid.code === raw.code && bytes.length > 0 && bytes.length <= CHUNK_SIZE_BYTES) {
    // One raw block (what computeCid gives such bytes): comparing digests spares building and
    // base32-spelling a CID for each of a delivery's 100,000 envelopes.
    const digest = await sha256.digest(bytes);
    if (cid.multihash.code === sha256.code && equalDigests(digest.digest, cid.multihash.digest)) {
      return;
    }
  }
  const actual = await computeCid(bytes);
  if (actual !== cid.toString()) {
    throw new IntegrityError(
      `${source} returned ${bytes.byteLength} bytes for ${cid} that hash to ${actual}: the content was altered or corrupted; discard it and fetch from another source`,
    );
  }
}

function equalDigests(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function abbreviate(text: string): string {
  const maxChars = 80;
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}
