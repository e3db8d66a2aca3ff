/**
 * The delivery worker's durable state, in the node's SQLite database (tables `delivery_*`).
 * Every method is one synchronous statement or one transaction, so each durable step of a
 * delivery is all-or-nothing whatever instant the process dies at (docs/data-bank-node.md,
 * "Delivery and crash safety").
 *
 * Key material at rest is always sealed: each record's data key under the purchase's delivery
 * key K, and K itself only HPKE-sealed — to the custodian's own X25519 key while the delivery is
 * built (so a restart resumes with the same K; cleared once the purchase settles), and to the
 * buyer for the manifest CID (what the API releases once the delivery is final). K never is
 * stored in plaintext.
 */
import type { DatabaseSync } from "node:sqlite";
import type { Address, Hex } from "viem";
import type { SealedRecordKey } from "../../lib/crypto/deliveryKey.js";
import { CursorTables } from "./cursorTables.js";

/** Where a purchase is in its delivery. */
export type DeliveryStatus = "pending" | "delivering" | "delivered" | "refunded" | "failed";

/** A purchase this node must deliver, as stored. */
export interface PurchaseRow {
  purchaseId: bigint;
  poolId: number;
  buyer: Address;
  amount: bigint;
  deadline: number;
  /** The pool's erasure count at purchase (part of the `Purchase` struct `fulfill` takes). */
  erasureMark: number;
  buyerKey: Hex;
  /** Block of its `PurchaseCreated`. */
  createdBlock: bigint;
  status: DeliveryStatus;
  /** The uploaded manifest, once uploaded (or the delivered one, from the chain). */
  manifestCid: string | undefined;
  recordsRoot: Hex | undefined;
  recordCount: number | undefined;
  /** Records root of the active set the manifest was built from (it identifies the set). */
  setHash: Hex | undefined;
  /** Nonce reserved for the fulfil transaction (reused if that transaction never got mined). */
  fulfillNonce: number | undefined;
  /** The fulfil transaction sent, or the one that delivered. */
  fulfillTx: Hex | undefined;
  /** Last error, one line. */
  error: string | undefined;
  /**
   * The purchase's delivery key K sealed to the custodian's own X25519 key (HPKE), kept while the
   * delivery is built so that a restart seals further records under the same K.
   */
  custodianSealedKey: Hex | undefined;
  /**
   * K sealed to the buyer for `manifestCid` (HPKE): written in the same statement as the manifest
   * CID, released by the API once the delivery is final.
   */
  buyerSealedKey: Hex | undefined;
}

/** A record's data key sealed under the purchase's delivery key. */
export interface StoredSealedKey {
  tokenId: bigint;
  dataCid: string;
  sealedKey: SealedRecordKey;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS delivery_cursor (
  name TEXT PRIMARY KEY,
  block TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS delivery_purchases (
  purchase_id TEXT PRIMARY KEY,
  pool_id INTEGER NOT NULL,
  buyer TEXT NOT NULL,
  amount TEXT NOT NULL,
  deadline INTEGER NOT NULL,
  erasure_mark INTEGER NOT NULL,
  buyer_key TEXT NOT NULL,
  created_block TEXT NOT NULL,
  status TEXT NOT NULL,
  manifest_cid TEXT,
  records_root TEXT,
  record_count INTEGER,
  set_hash TEXT,
  fulfill_nonce INTEGER,
  fulfill_tx TEXT,
  error TEXT,
  updated_at INTEGER NOT NULL,
  custodian_sealed_key TEXT,
  buyer_sealed_key TEXT
);
CREATE INDEX IF NOT EXISTS delivery_purchases_status ON delivery_purchases (status);
-- The per-record keys of deliveries in progress: wrapped_key holds a record's data key sealed
-- under the delivery key (v2, JSON {nonce, ciphertext}); the table keeps its v1 name so that an
-- existing database opens unchanged. Rows of a purchase without custodian_sealed_key are v1
-- leftovers (keys wrapped to the buyer) and are discarded by the worker.
CREATE TABLE IF NOT EXISTS delivery_wrapped_keys (
  purchase_id TEXT NOT NULL,
  token_id TEXT NOT NULL,
  data_cid TEXT NOT NULL,
  wrapped_key TEXT NOT NULL,
  batch INTEGER NOT NULL,
  PRIMARY KEY (purchase_id, token_id)
);
`;

type Row = Record<string, unknown>;

const optionalText = (value: unknown): string | undefined =>
  value === null || value === undefined ? undefined : String(value);
const optionalNumber = (value: unknown): number | undefined =>
  value === null || value === undefined ? undefined : Number(value);

function toPurchaseRow(row: Row): PurchaseRow {
  return {
    purchaseId: BigInt(row.purchase_id as string),
    poolId: Number(row.pool_id),
    buyer: row.buyer as Address,
    amount: BigInt(row.amount as string),
    deadline: Number(row.deadline),
    erasureMark: Number(row.erasure_mark),
    buyerKey: row.buyer_key as Hex,
    createdBlock: BigInt(row.created_block as string),
    status: row.status as DeliveryStatus,
    manifestCid: optionalText(row.manifest_cid),
    recordsRoot: optionalText(row.records_root) as Hex | undefined,
    recordCount: optionalNumber(row.record_count),
    setHash: optionalText(row.set_hash) as Hex | undefined,
    fulfillNonce: optionalNumber(row.fulfill_nonce),
    fulfillTx: optionalText(row.fulfill_tx) as Hex | undefined,
    error: optionalText(row.error),
    custodianSealedKey: optionalText(row.custodian_sealed_key) as Hex | undefined,
    buyerSealedKey: optionalText(row.buyer_sealed_key) as Hex | undefined,
  };
}

/** Columns added since the table was first created: added to an existing database on open. */
const ADDED_COLUMNS = ["custodian_sealed_key", "buyer_sealed_key"] as const;

/** The delivery tables of one database. */
export class DeliveryStore extends CursorTables {
  readonly #db: DatabaseSync;

  /** Creates the tables if needed. */
  constructor(db: DatabaseSync) {
    super(db, "delivery_cursor");
    this.#db = db;
    db.exec(SCHEMA);
    const present = new Set(
      (db.prepare("PRAGMA table_info(delivery_purchases)").all() as Row[]).map((c) => c.name),
    );
    for (const column of ADDED_COLUMNS) {
      if (!present.has(column)) {
        db.exec(`ALTER TABLE delivery_purchases ADD COLUMN ${column} TEXT`);
      }
    }
  }

  /** Records new purchases and moves the cursor past them, atomically. */
  recordPurchases(
    cursorName: string,
    block: bigint,
    purchases: readonly Omit<
      PurchaseRow,
      | "status"
      | "manifestCid"
      | "recordsRoot"
      | "recordCount"
      | "setHash"
      | "fulfillNonce"
      | "fulfillTx"
      | "error"
      | "custodianSealedKey"
      | "buyerSealedKey"
    >[],
  ): number {
    const insert = this.#db.prepare(
      `INSERT OR IGNORE INTO delivery_purchases
       (purchase_id, pool_id, buyer, amount, deadline, erasure_mark, buyer_key, created_block, status, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
    );
    return this.transaction(() => {
      let added = 0;
      for (const p of purchases) {
        const result = insert.run(
          p.purchaseId.toString(),
          p.poolId,
          p.buyer,
          p.amount.toString(),
          p.deadline,
          p.erasureMark,
          p.buyerKey,
          p.createdBlock.toString(),
          Date.now(),
        );
        added += Number(result.changes);
      }
      this.setCursor(cursorName, block);
      return added;
    });
  }

  /** One purchase. */
  purchase(purchaseId: bigint): PurchaseRow | undefined {
    const row = this.purchaseRow<Row>("delivery_purchases", purchaseId);
    return row === undefined ? undefined : toPurchaseRow(row);
  }

  /** Purchases in one of `statuses`, by purchase id ascending. */
  purchasesIn(statuses: readonly DeliveryStatus[]): PurchaseRow[] {
    return this.purchaseRowsIn<Row>("delivery_purchases", statuses).map(toPurchaseRow);
  }

  /** Updates some columns of a purchase (always bumping `updated_at`). */
  update(
    purchaseId: bigint,
    fields: Partial<{
      status: DeliveryStatus;
      manifestCid: string | null;
      recordsRoot: Hex | null;
      recordCount: number | null;
      setHash: Hex | null;
      fulfillNonce: number | null;
      fulfillTx: Hex | null;
      error: string | null;
      custodianSealedKey: Hex | null;
      buyerSealedKey: Hex | null;
    }>,
  ): void {
    const columns: Record<string, string> = {
      status: "status",
      manifestCid: "manifest_cid",
      recordsRoot: "records_root",
      recordCount: "record_count",
      setHash: "set_hash",
      fulfillNonce: "fulfill_nonce",
      fulfillTx: "fulfill_tx",
      error: "error",
      custodianSealedKey: "custodian_sealed_key",
      buyerSealedKey: "buyer_sealed_key",
    };
    const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
    const assignments = entries.map(([key]) => `${columns[key]} = ?`);
    this.#db
      .prepare(
        `UPDATE delivery_purchases SET ${[...assignments, "updated_at = ?"].join(", ")} WHERE purchase_id = ?`,
      )
      .run(
        ...entries.map(([, value]) => value as string | number | null),
        Date.now(),
        purchaseId.toString(),
      );
  }

  /** The sealed record keys of a purchase, by token id ascending. */
  sealedKeys(purchaseId: bigint): StoredSealedKey[] {
    const rows = this.#db
      .prepare(
        "SELECT token_id, data_cid, wrapped_key FROM delivery_wrapped_keys WHERE purchase_id = ?",
      )
      .all(purchaseId.toString()) as Row[];
    return rows
      .map((row) => ({
        tokenId: BigInt(row.token_id as string),
        dataCid: row.data_cid as string,
        sealedKey: JSON.parse(row.wrapped_key as string) as SealedRecordKey,
      }))
      .sort((a, b) => (a.tokenId < b.tokenId ? -1 : a.tokenId > b.tokenId ? 1 : 0));
  }

  /** The highest batch number stored for a purchase (−1 when none). */
  lastBatch(purchaseId: bigint): number {
    const row = this.#db
      .prepare("SELECT MAX(batch) AS batch FROM delivery_wrapped_keys WHERE purchase_id = ?")
      .get(purchaseId.toString()) as Row;
    return row.batch === null ? -1 : Number(row.batch);
  }

  /**
   * Stores one batch of sealed record keys and marks the purchase `delivering`, in one
   * transaction: a batch is either wholly stored or absent.
   */
  storeBatch(purchaseId: bigint, batch: number, keys: readonly StoredSealedKey[]): void {
    const insert = this.#db.prepare(
      `INSERT OR REPLACE INTO delivery_wrapped_keys (purchase_id, token_id, data_cid, wrapped_key, batch)
       VALUES (?, ?, ?, ?, ?)`,
    );
    this.transaction(() => {
      for (const key of keys) {
        insert.run(
          purchaseId.toString(),
          key.tokenId.toString(),
          key.dataCid,
          JSON.stringify({ nonce: key.sealedKey.nonce, ciphertext: key.sealedKey.ciphertext }),
          batch,
        );
      }
      this.update(purchaseId, { status: "delivering" });
    });
  }

  /** Deletes the sealed keys of records no longer in the set. */
  deleteSealedKeys(purchaseId: bigint, tokenIds: readonly bigint[]): void {
    const remove = this.#db.prepare(
      "DELETE FROM delivery_wrapped_keys WHERE purchase_id = ? AND token_id = ?",
    );
    this.transaction(() => {
      for (const tokenId of tokenIds) remove.run(purchaseId.toString(), tokenId.toString());
    });
  }

  /** Frees a purchase's sealed record keys (the manifest on IPFS holds them). */
  clearSealedKeys(purchaseId: bigint): void {
    this.#db
      .prepare("DELETE FROM delivery_wrapped_keys WHERE purchase_id = ?")
      .run(purchaseId.toString());
  }
}
