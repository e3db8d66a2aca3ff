/**
 * The buyer's side of a delivery: verify the manifest against the chain, recover every record's
 * data key, fetch every envelope, check it hashes to its CID and decrypt it.
 *
 * What is verified, in order (the first failure throws a {@link DeliveryError}):
 * 0. when `expected.deliveryCid` is given, the manifest's bytes hash to it;
 * 1. the manifest is a self-consistent v1 or v2 manifest ({@link parseManifest}: commitments equal
 *    keccak256 of the CIDs, the root recomputed from all records equals the manifest's root, so
 *    every listed record is included in that root);
 * 2. the manifest's root, count and buyer key equal the on-chain ones ({@link verifyManifest});
 * 3. the caller's private key is the buyer key's;
 * 4. (v2) the custodian has released the delivery key (else KEY_NOT_RELEASED: the delivery is not
 *    final), it opens with the buyer's key for this purchase and manifest CID, and it opens every
 *    record's sealed key — all before any envelope is fetched;
 * 5. per record: the fetched bytes hash to its CID (re-checked here whatever `fetchContent`
 *    promises), (v1) the data key unwraps with the buyer's key, the envelope decrypts with it.
 *
 * Browser-safe (the dApp reuses it): no `node:` imports; CIDs are computed with lib/storage/cid.ts
 * (multiformats and the UnixFS importer, both browser-safe).
 */
import type { CID } from "multiformats/cid";
import type { Hex } from "viem";
import { mapOrdered } from "../async/index.js";
import type { ContentBlock } from "../storage/types.js";
import type { AesGcmKey } from "../crypto/aesGcm.js";
import { bytesToHex } from "../crypto/bytes.js";
import { importDeliveryKey, openDeliveryKey, openRecordKey } from "../crypto/deliveryKey.js";
import { openRecordWithDataKey, unwrapWrappedKey } from "../crypto/envelope.js";
import { EnvelopeError } from "../crypto/errors.js";
import { publicKeyFromPrivate } from "../crypto/keys.js";
import { assertBytesMatchCid, computeCid, parseCanonicalCid } from "../storage/cid.js";
import { DeliveryError } from "./errors.js";
import {
  parseManifest,
  verifyManifest,
  type DeliveryManifest,
  type DeliveryManifestV2,
  type ExpectedDelivery,
  type ManifestRecord,
} from "./manifest.js";
import { takeInOrder } from "./streamedEnvelopes.js";
import { errorText } from "../format/errorText.js";

/** One decrypted record. */
export interface DeliveredRecord {
  /** The consent token id. */
  tokenId: bigint;
  /** CID of the record's envelope. */
  dataCid: string;
  /** Media type recorded in the envelope, e.g. "application/json". */
  contentType: string;
  /** The record's bytes. */
  plaintext: Uint8Array;
}

/** Progress of {@link openDelivery}: records opened so far out of the total. */
export interface DeliveryProgress {
  done: number;
  total: number;
}

/** Arguments of {@link openDelivery}. */
export interface OpenDeliveryParameters {
  /** The manifest's bytes (fetched by `deliveryCid` from `PurchaseFulfilled`, CID-verified). */
  manifest: Uint8Array;
  /** Root and count from `PurchaseFulfilled`, buyer key from `PurchaseCreated`. */
  expected: ExpectedDelivery;
  /**
   * Fetches content by CID. Should return CID-verified bytes (the node's `GET /v1/content/{cid}`
   * does); they are re-verified here anyway.
   */
  fetchContent: (cid: string) => Promise<Uint8Array>;
  /** The buyer's X25519 private key (derived from its wallet, lib/crypto/keys). */
  buyerPrivateKey: Uint8Array;
  /**
   * v2 manifests only: the delivery key the custodian released, sealed to the buyer (`deliveryKey`
   * of `GET /v1/purchases/{id}/delivery`, 0x-hex), or a function returning it (e.g.
   * {@link waitForDeliveryKey} polling the node), undefined while it is not released. Absent or
   * undefined for a v2 manifest: KEY_NOT_RELEASED. Not used for v1 manifests.
   */
  deliveryKey?: string | (() => Promise<string | undefined>);
  /**
   * Opens the envelopes as one stream, in the manifest's order (the node's
   * `GET /v1/purchases/{id}/delivery/car`: lib/api `lazyEnvelopes`), with a signal aborted when the
   * delivery stops early or fails, which must close the stream. Called once every record key is
   * open. Each record takes its envelope from it when the next block is that record's, and
   * fetches it with `fetchContent` otherwise (an envelope the stream leaves out), or once the
   * stream failed or went out of order (./streamedEnvelopes.ts). Every block is hashed to its
   * record's CID like a fetched one. Absent: every envelope is fetched.
   */
  envelopes?: (signal: AbortSignal) => AsyncIterable<ContentBlock>;
  /** Records fetched and decrypted at once; default {@link DEFAULT_OPEN_CONCURRENCY} (32). */
  concurrency?: number;
  /** Called after each record is opened. */
  onProgress?: (progress: DeliveryProgress) => void;
}

/**
 * Default number of records fetched and decrypted at once: enough to hide the latency of a remote
 * content source (the node's HTTP API, an IPFS gateway) while memory stays bounded by it.
 */
export const DEFAULT_OPEN_CONCURRENCY = 32;

/**
 * Verifies and opens a delivery, collecting every record.
 *
 * @returns the records, by token id ascending.
 * @throws DeliveryError (see the module comment); a record's failure names its token id.
 */
export async function openDelivery(params: OpenDeliveryParameters): Promise<DeliveredRecord[]> {
  const results: DeliveredRecord[] = [];
  for await (const record of streamDelivery(params)) results.push(record);
  return results;
}

/**
 * Verifies a delivery, then yields its records in manifest order (token id ascending) as they are
 * fetched and decrypted, `concurrency` at a time: memory holds the manifest, the data keys and at
 * most `concurrency` records, whatever the delivery's size, so a caller writing each record out
 * (JSON Lines, CSV) opens 100,000 records in bounded memory. Everything checked before the first
 * envelope is fetched (manifest, chain values, buyer key, every sealed key) is checked before the
 * first record is yielded. Stopping the iteration early stops fetching.
 *
 * @throws DeliveryError (see the module comment); a record's failure names its token id and is
 *   thrown in manifest order (records before it are yielded first).
 */
export async function* streamDelivery(
  params: OpenDeliveryParameters,
): AsyncGenerator<DeliveredRecord, void, undefined> {
  if (params.expected.deliveryCid !== undefined) {
    await assertManifestCid(params.manifest, params.expected.deliveryCid);
  }
  const manifest = parseManifest(params.manifest);
  verifyManifest(manifest, params.expected);
  assertBuyerKey(params.buyerPrivateKey, manifest);
  // v2: every record key is recovered before any envelope is fetched, so a wrong or withheld
  // delivery key fails at once instead of after downloading the data.
  const dataKeys =
    manifest.version === 2
      ? await openSealedKeys(
          manifest,
          params.expected.deliveryCid ?? (await computeCid(params.manifest)),
          params,
        )
      : undefined;

  const concurrency = params.concurrency ?? DEFAULT_OPEN_CONCURRENCY;
  const total = manifest.records.length;
  const list: readonly ManifestRecord[] = manifest.records;
  const streamed =
    params.envelopes &&
    takeInOrder({ open: params.envelopes, dataCids: list.map((record) => record.dataCid) });
  // mapOrdered starts the records in index order, so the stream is taken in index order.
  const records = mapOrdered(
    list,
    concurrency,
    (record, index) =>
      openRecord(record, dataKeys?.[index], params, async (cid) => {
        const streamedBytes = await streamed?.take(index, cid);
        return streamedBytes ?? (await fetchContent(record, params.fetchContent));
      }),
    // Stopping early or failing: close the stream first, so that the records still in flight
    // (which mapOrdered lets settle) do not wait on it.
    { cancelInFlight: () => streamed?.stop() },
  );
  let done = 0;
  try {
    for await (const record of records) {
      done++;
      params.onProgress?.({ done, total });
      yield record;
    }
  } finally {
    // mapOrdered let the records in flight settle: their keys can be zeroed.
    streamed?.stop();
    dataKeys?.forEach((key) => key.fill(0));
  }
}

/**
 * (v2) Gets the released delivery key, opens it with the buyer's key and opens every record's
 * sealed key with it.
 *
 * @returns the data keys, in the manifest's record order.
 * @throws DeliveryError KEY_NOT_RELEASED, or UNDECRYPTABLE (naming the token for a record key).
 */
async function openSealedKeys(
  manifest: DeliveryManifestV2,
  manifestCid: string,
  params: OpenDeliveryParameters,
): Promise<Uint8Array[]> {
  const source = params.deliveryKey;
  const sealed = typeof source === "function" ? await source() : source;
  if (sealed === undefined) {
    throw new DeliveryError(
      "KEY_NOT_RELEASED",
      `the custodian has not released the delivery key yet: the delivery of purchase ${manifest.purchaseId} is not final (its fulfil transaction is not mined and confirmed); try again later`,
    );
  }
  const binding = {
    chainId: manifest.chainId,
    databank: manifest.databank,
    purchaseId: manifest.purchaseId,
  };
  let deliveryKey: Uint8Array;
  try {
    deliveryKey = await openDeliveryKey(sealed, params.buyerPrivateKey, binding, {
      role: "buyer",
      manifestCid,
    });
  } catch (cause) {
    throw new DeliveryError(
      "UNDECRYPTABLE",
      `the delivery key released by the custodian does not open with the buyer key for purchase ${manifest.purchaseId} and manifest ${manifestCid} (${errorText(cause)})`,
      { cause },
    );
  }
  let key: AesGcmKey;
  try {
    key = await importDeliveryKey(deliveryKey);
  } finally {
    deliveryKey.fill(0);
  }
  const dataKeys: Uint8Array[] = [];
  try {
    for (const record of manifest.records) {
      const { tokenId, dataCid } = record;
      try {
        dataKeys.push(await openRecordKey(key, record.sealedKey, { ...binding, tokenId, dataCid }));
      } catch (cause) {
        throw new DeliveryError(
          "UNDECRYPTABLE",
          `record ${tokenId}: its sealed key does not open with the released delivery key (tampered, or moved from another record or purchase)`,
          { tokenId, cause },
        );
      }
    }
  } catch (error) {
    dataKeys.forEach((dataKey) => dataKey.fill(0));
    throw error;
  }
  return dataKeys;
}

async function assertManifestCid(bytes: Uint8Array, deliveryCid: string): Promise<void> {
  try {
    await assertBytesMatchCid(parseCanonicalCid(deliveryCid), bytes, "the content source");
  } catch (cause) {
    throw new DeliveryError(
      "INTEGRITY",
      `the manifest's bytes do not hash to the delivery CID ${deliveryCid} recorded on-chain`,
      { cause },
    );
  }
}

function assertBuyerKey(privateKey: Uint8Array, manifest: DeliveryManifest): void {
  let publicKey: Hex;
  try {
    publicKey = bytesToHex(publicKeyFromPrivate(privateKey));
  } catch (cause) {
    throw new DeliveryError("WRONG_BUYER", "the buyer private key is not a 32-byte X25519 key", {
      cause,
    });
  }
  if (publicKey !== manifest.buyerKey) {
    throw new DeliveryError(
      "WRONG_BUYER",
      `this private key's public key ${publicKey} is not the purchase's buyer key ${manifest.buyerKey}: derive it with the wallet that bought`,
    );
  }
}

/**
 * Fetches, verifies and decrypts one record.
 *
 * @param openedKey - (v2) the record's data key, already opened; (v1) undefined: it is unwrapped
 *   here. Zeroed by the caller.
 */
async function openRecord(
  record: ManifestRecord,
  openedKey: Uint8Array | undefined,
  params: OpenDeliveryParameters,
  fetchEnvelope: (cid: CID) => Promise<Uint8Array>,
): Promise<DeliveredRecord> {
  const { tokenId, dataCid } = record;
  const envelope = await fetchVerified(record, fetchEnvelope);
  let dataKey: Uint8Array;
  try {
    if (openedKey !== undefined) dataKey = new Uint8Array(openedKey);
    else if ("wrappedKey" in record) {
      dataKey = await unwrapWrappedKey(record.wrappedKey, params.buyerPrivateKey);
    } else throw new Error("a v2 record reached the v1 path without its key");
  } catch (cause) {
    if (cause instanceof EnvelopeError && cause.code === "NOT_A_RECIPIENT") {
      throw new DeliveryError("WRONG_BUYER", `record ${tokenId}: its key is for another buyer`, {
        tokenId,
        cause,
      });
    }
    throw new DeliveryError(
      "UNDECRYPTABLE",
      `record ${tokenId}: its wrapped key does not open with the buyer key (${errorText(cause)})`,
      { tokenId, cause },
    );
  }
  try {
    const { contentType, plaintext } = await openRecordWithDataKey(envelope, dataKey);
    return { tokenId, dataCid, contentType, plaintext };
  } catch (cause) {
    throw new DeliveryError(
      "UNDECRYPTABLE",
      `record ${tokenId}: envelope ${dataCid} does not decrypt with its delivered key (${errorText(cause)})`,
      { tokenId, cause },
    );
  } finally {
    dataKey.fill(0);
  }
}

/** The record's envelope, from wherever `fetchEnvelope` takes it, hashed to its CID. */
async function fetchVerified(
  record: ManifestRecord,
  fetchEnvelope: (cid: CID) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const { tokenId, dataCid } = record;
  let cid;
  try {
    cid = parseCanonicalCid(dataCid);
  } catch (cause) {
    throw new DeliveryError("INVALID_MANIFEST", `record ${tokenId}: ${errorText(cause)}`, {
      tokenId,
      cause,
    });
  }
  const bytes = await fetchEnvelope(cid);
  try {
    await assertBytesMatchCid(cid, bytes, "the content source");
  } catch (cause) {
    throw new DeliveryError(
      "INTEGRITY",
      `record ${tokenId}: the bytes fetched for ${dataCid} do not hash to it (altered or corrupted)`,
      { tokenId, cause },
    );
  }
  return bytes;
}

/** Fetches one envelope with `fetchContent`. */
async function fetchContent(
  record: ManifestRecord,
  fetch: OpenDeliveryParameters["fetchContent"],
): Promise<Uint8Array> {
  try {
    return await fetch(record.dataCid);
  } catch (cause) {
    // Both lib/storage and lib/api report bytes that do not hash to their CID with code INTEGRITY.
    const code =
      (cause as { code?: unknown } | null)?.code === "INTEGRITY" ? "INTEGRITY" : "FETCH_FAILED";
    throw new DeliveryError(
      code,
      `record ${record.tokenId}: cannot fetch envelope ${record.dataCid}: ${errorText(cause)}`,
      { tokenId: record.tokenId, cause },
    );
  }
}
