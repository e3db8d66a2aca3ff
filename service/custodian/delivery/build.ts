/**
 * Building a purchase's delivery (manifest v2): draw (or reopen) the purchase's delivery key K,
 * seal every active record's data key under it in durable batches, build and upload the manifest,
 * and seal K to the buyer for that manifest's CID — CID and sealed K stored in one statement.
 *
 * Each record's data key comes from the key custody (service/custodian/delivery/keyCustody.ts):
 * kept at rest under the KEK after the record's first delivery (or its acceptance), so only a
 * record never seen before costs an envelope fetch and an HPKE open; a record whose consent ended
 * is refused there, before anything is opened.
 */
import type { AesGcmKey } from "../../../lib/crypto/aesGcm.js";
import {
  generateDeliveryKey,
  importDeliveryKey,
  openDeliveryKey,
  sealDeliveryKey,
  sealRecordKey,
  type PurchaseBinding,
} from "../../../lib/crypto/deliveryKey.js";
import { fromHex32, publicKeyFromPrivate } from "../../../lib/crypto/keys.js";
import { buildManifest, encodeManifest } from "../../../lib/delivery/manifest.js";
import { setRecordsRoot, type ActiveContribution } from "../activeSet.js";
import type { PurchaseRow, StoredSealedKey } from "../deliveryStore.js";
import type { ChainView } from "./chainView.js";
import { mapLimit } from "../../../lib/async/index.js";
import { errorText } from "../../../lib/format/errorText.js";
import type { DeliveryContext } from "./context.js";
import type { BuiltDelivery } from "./fulfil.js";
import type { CustodyRecord, KeyCustody } from "./keyCustody.js";

/** Parameters of {@link createDeliveryBuilder}. */
export interface DeliveryBuilderParams {
  /** The worker's shared context. */
  ctx: DeliveryContext;
  /** Chain reads (the active set, the purchase's binding). */
  chain: ChainView;
  /** Where records' data keys come from (kept at rest, else opened from the envelope once). */
  custody: KeyCustody;
  /** The custodian's X25519 private key: K is kept sealed to it while the delivery is built. */
  custodianPrivateKey: Uint8Array;
  /** Record keys sealed and persisted per batch (one transaction each). */
  batchSize: number;
  /** Records whose key is fetched and sealed at once inside a batch. */
  concurrency: number;
}

/** Builds deliveries. */
export interface DeliveryBuilder {
  /**
   * The manifest for the current active set: the stored one when the set is unchanged, else
   * built (sealing only the record keys not already sealed) and uploaded.
   */
  prepareManifest(row: PurchaseRow): Promise<BuiltDelivery>;
}

/** Creates the delivery builder of one worker. */
export function createDeliveryBuilder(params: DeliveryBuilderParams): DeliveryBuilder {
  const { ctx, chain, custody, batchSize, concurrency } = params;
  const { store, log } = ctx;
  const custodianKey = new Uint8Array(params.custodianPrivateKey);
  const custodianPublicKey = publicKeyFromPrivate(custodianKey);

  /**
   * The purchase's delivery key K: opened from its custodian-sealed form when one is stored (a
   * resumed or rebuilt delivery), else drawn at random and stored sealed to the custodian's own key
   * before anything is sealed under it. Zero it after use.
   */
  async function purchaseDeliveryKey(
    row: PurchaseRow,
    binding: PurchaseBinding,
  ): Promise<Uint8Array> {
    if (row.custodianSealedKey !== undefined) {
      return openDeliveryKey(row.custodianSealedKey, custodianKey, binding, { role: "custodian" });
    }
    const deliveryKey = generateDeliveryKey();
    const sealed = await sealDeliveryKey(deliveryKey, custodianPublicKey, binding, {
      role: "custodian",
    });
    // Keys stored without a K are v1 leftovers (wrapped to the buyer) and a v1 manifest must not
    // be sent any more: both go, in the same step that stores K.
    store.transaction(() => {
      store.clearSealedKeys(row.purchaseId);
      store.update(row.purchaseId, {
        custodianSealedKey: sealed,
        manifestCid: null,
        buyerSealedKey: null,
        setHash: null,
      });
    });
    return deliveryKey;
  }

  /**
   * Seals a batch of records' data keys under the delivery key: the kept keys read from the key
   * custody at once, any other (never kept, or refused because its consent ended) asked for one by
   * one, `concurrency` at a time.
   */
  async function sealBatch(
    row: PurchaseRow,
    chunk: readonly ActiveContribution[],
    key: AesGcmKey,
    binding: PurchaseBinding,
  ): Promise<StoredSealedKey[]> {
    const custodyRecord = (c: ActiveContribution): CustodyRecord => ({
      chainId: binding.chainId,
      databank: binding.databank,
      poolId: row.poolId,
      tokenId: c.tokenId,
      dataCid: c.dataCid,
    });
    const kept = await custody.keptKeys(chunk.map(custodyRecord));
    try {
      return await mapLimit(chunk, concurrency, async (c) => {
        const keptKey = kept.get(c.tokenId);
        kept.delete(c.tokenId);
        return reseal(c, keptKey ?? (await recordKey(custodyRecord(c))), key, binding);
      });
    } finally {
      for (const leftover of kept.values()) leftover.fill(0);
    }
  }

  /** A record's data key with no kept key to read: opened from its envelope (and kept), or refused. */
  async function recordKey(record: CustodyRecord): Promise<Uint8Array> {
    try {
      return await custody.dataKey(record, () => ctx.content.get(record.dataCid));
    } catch (error) {
      throw new Error(
        `record ${record.tokenId} (${record.dataCid}) cannot be re-wrapped: ${errorText(error)}`,
        { cause: error },
      );
    }
  }

  /** Seals one record's data key under the delivery key, and zeroes the data key. */
  async function reseal(
    c: ActiveContribution,
    dataKey: Uint8Array,
    key: AesGcmKey,
    binding: PurchaseBinding,
  ): Promise<StoredSealedKey> {
    try {
      const sealedKey = await sealRecordKey(key, dataKey, {
        ...binding,
        tokenId: c.tokenId,
        dataCid: c.dataCid,
      });
      return { tokenId: c.tokenId, dataCid: c.dataCid, sealedKey };
    } finally {
      dataKey.fill(0);
    }
  }

  async function prepareManifest(row: PurchaseRow): Promise<BuiltDelivery> {
    const set = await chain.activeSet(row.poolId);
    // The one records root of this attempt: it names the set, goes into the manifest, and is what
    // `fulfill` commits to (the fulfil step compares sets, not roots).
    const root = setRecordsRoot(set);
    if (row.manifestCid !== undefined && row.setHash === root && row.buyerSealedKey !== undefined) {
      return { cid: row.manifestCid, root: row.recordsRoot!, count: row.recordCount!, set };
    }
    const id = row.purchaseId;
    const binding = await chain.binding(id);
    const deliveryKey = await purchaseDeliveryKey(row, binding);
    try {
      const key = await importDeliveryKey(deliveryKey);
      // The sealed keys stored by an earlier attempt (read once), less those of records that left
      // the set; the batches sealed below are added as they are stored.
      const inSet = new Map(set.map((c) => [c.tokenId, c]));
      const sealed = new Map<bigint, StoredSealedKey>();
      const stale: bigint[] = [];
      for (const stored of store.sealedKeys(id)) {
        if (inSet.get(stored.tokenId)?.dataCid === stored.dataCid)
          sealed.set(stored.tokenId, stored);
        else stale.push(stored.tokenId);
      }
      if (stale.length > 0) store.deleteSealedKeys(id, stale);
      const missing = set.filter((c) => !sealed.has(c.tokenId));
      const resumed = sealed.size;

      let batch = store.lastBatch(id);
      for (let offset = 0; offset < missing.length; offset += batchSize) {
        batch++;
        const chunk = missing.slice(offset, offset + batchSize);
        const keys = await sealBatch(row, chunk, key, binding);
        store.storeBatch(id, batch, keys);
        for (const k of keys) sealed.set(k.tokenId, k);
        log("delivery.keys-wrapped", {
          purchaseId: id.toString(),
          batch,
          records: keys.length,
          wrappedSoFar: resumed + offset + keys.length,
          total: set.length,
        });
        await ctx.checkpoint("keys-wrapped-batch", { purchaseId: id, batch, records: keys.length });
      }

      // Built in the set's order from the set's own commitments, so the manifest lists exactly the
      // records `root` was computed over.
      const manifest = buildManifest({
        ...binding,
        poolId: row.poolId,
        buyer: row.buyer,
        buyerKey: row.buyerKey,
        records: set.map((c) => {
          const k = sealed.get(c.tokenId);
          if (k === undefined)
            throw new Error(`purchase ${id}: record ${c.tokenId} has no sealed key`);
          return { ...k, dataCommitment: c.dataCommitment };
        }),
        recordsRoot: root,
      });
      const cid = await ctx.content.put(encodeManifest(manifest));
      // One HPKE operation for the whole delivery, bound to this manifest's CID.
      const buyerSealedKey = await sealDeliveryKey(deliveryKey, fromHex32(row.buyerKey), binding, {
        role: "buyer",
        manifestCid: cid,
      });
      // The manifest CID and the key that opens it are stored in the same statement, so a restart
      // either rebuilds both or reuses both.
      store.update(id, {
        status: "delivering",
        manifestCid: cid,
        buyerSealedKey,
        recordsRoot: root,
        recordCount: set.length,
        setHash: root,
        error: null,
      });
      log("delivery.manifest-uploaded", {
        purchaseId: id.toString(),
        deliveryCid: cid,
        recordsRoot: root,
        recordCount: set.length,
      });
      await ctx.checkpoint("manifest-uploaded", { purchaseId: id, cid, root, count: set.length });
      return { cid, root, count: set.length, set };
    } finally {
      deliveryKey.fill(0);
    }
  }

  return { prepareManifest };
}
