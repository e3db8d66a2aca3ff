/**
 * Key custody at rest (docs/data-bank-node.md, "Key custody"): the custodian keeps each accepted
 * record's 32-byte data key in SQLite, sealed with AES-256-GCM under a key-encryption key (KEK), so
 * that a delivery seals a record's key under the purchase's delivery key without HPKE-opening the
 * record's envelope again (about 1 ms per record, against a few microseconds here: the seals go
 * through node:crypto, lib/crypto/aesGcm.ts).
 *
 * The KEK is derived, never stored: HKDF-SHA256 of the custodian's X25519 private key with a salt
 * and an `info` of its own ({@link deriveKeyEncryptionKey}). The database alone therefore opens
 * nothing; the X25519 key that does open the rows already opens every envelope's custodian entry,
 * so a separate secret would add one more key to back up without protecting anything more.
 * Each row's associated data names the chain, the Databank, the pool, the token id and the data
 * CID, so a row copied to another record fails authentication (and is re-derived from the
 * envelope).
 *
 * Crypto-shredding: when a consent ends (revoked by its holder, or retired after expiry) the row
 * is deleted and the token id written to a tombstone table in the same transaction; every later
 * request for that record's key fails with {@link RecordRevokedError} before any unwrap, so the
 * node never HPKE-opens that envelope's custodian entry again. The contributor's own entry in the
 * envelope is untouched: the contributor can still open and export its record.
 *
 * Who fills it: the acceptance paths (the relay and the acceptance worker, through
 * service/custodian/acceptedKeys.ts) with {@link KeyCustody.keep}, since they unwrap the data key
 * anyway when they check a contribution; and, as a fallback for records whose key was not kept
 * then (accepted before key custody, or a crash between the accepting transaction and the
 * write), the delivery path lazily: the record's first delivery HPKE-opens its envelope once and
 * keeps the key.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { getAddress, type Address } from "viem";
import { randomBytes, utf8Encode } from "../../../lib/crypto/bytes.js";
import { DATA_KEY_LENGTH } from "../../../lib/crypto/dataKeyWrap.js";
import { unwrapDataKey } from "../../../lib/crypto/envelope.js";
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  importAesGcmKey,
  type AesGcmKey,
} from "../../../lib/crypto/aesGcm.js";

/** Length of the key-encryption key (AES-256). */
export const KEK_LENGTH = 32;
const NONCE_LENGTH = 12;
const SEALED_LENGTH = NONCE_LENGTH + DATA_KEY_LENGTH + 16;
const KEK_SALT = utf8Encode("databank/custodian/key-custody/v1");
const KEK_INFO = utf8Encode("databank/custodian/key-custody/kek");
const AAD_LABEL = "databank/custodian/data-key-at-rest/v1";

/** Which record a kept data key belongs to: every field is bound into the row's seal. */
export interface CustodyRecord {
  /** Chain the Databank is on. */
  chainId: number;
  /** The Databank contract. */
  databank: Address;
  /** The pool the record was contributed to. */
  poolId: number;
  /** The record's consent token id (= contribution id). */
  tokenId: bigint;
  /** CID of the record's envelope. */
  dataCid: string;
}

/** Why a kept data key was removed (stored with the tombstone). */
export type ShredReason = "revoked" | "retired";

/** A request for a record's key after its consent ended: the node refuses, by design. */
export class RecordRevokedError extends Error {
  /** The record's token id. */
  readonly tokenId: bigint;

  /**
   * @param tokenId - the record
   * @param reason - how its consent ended
   */
  constructor(tokenId: bigint, reason: string) {
    super(
      `record ${tokenId} was ${reason}: the custodian shredded its data key and refuses to open its envelope again`,
    );
    this.name = "RecordRevokedError";
    this.tokenId = tokenId;
  }
}

/** Parameters of {@link createKeyCustody}. */
export interface KeyCustodyParams {
  /** The node's database; the custody owns the `custody_*` tables. */
  db: DatabaseSync;
  /** The custodian's X25519 private key (32 bytes): opens envelopes, and the KEK is derived from it. */
  custodianPrivateKey: Uint8Array;
  /**
   * Whether data keys are kept at rest; default true. With false every request HPKE-opens the
   * envelope and nothing is stored (the path before key custody, which the benchmark measures);
   * tombstones are still honoured.
   */
  keepKeys?: boolean;
  /** Structured log; receives token ids and counts, never keys. */
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** The custodian's kept data keys. */
export interface KeyCustody {
  /**
   * The record's data key: from the kept row when there is one (no HPKE), else HPKE-opened from
   * the envelope `loadEnvelope` returns, and kept for next time. The caller zeroes it.
   *
   * @throws RecordRevokedError when the record's consent ended (before anything is loaded or opened).
   */
  dataKey(record: CustodyRecord, loadEnvelope: () => Promise<Uint8Array>): Promise<Uint8Array>;
  /**
   * The kept keys of many records of one pool at once (two statements for the lot instead of two
   * per record): a delivery reads 100,000 of them. Records with no usable kept key, or whose
   * consent ended, are left out; ask {@link dataKey} for those (which refuses the ended ones). The
   * caller zeroes the keys.
   */
  keptKeys(records: readonly CustodyRecord[]): Promise<Map<bigint, Uint8Array>>;
  /**
   * Keeps a record's data key (idempotent). For the acceptance path, which unwraps the key when it
   * checks a contribution: calling this then spares the first delivery its HPKE open.
   *
   * @throws RecordRevokedError when the record's consent already ended.
   */
  keep(record: CustodyRecord, dataKey: Uint8Array): Promise<void>;
  /**
   * Crypto-shreds records whose consent ended: deletes their kept keys and writes their
   * tombstones, in one transaction. Idempotent.
   *
   * @returns how many kept keys were deleted.
   */
  shred(tokenIds: readonly bigint[], reason: ShredReason): number;
  /** Whether the record's consent ended (a tombstone is stored). */
  isShredded(tokenId: bigint): boolean;
  /** Whether a data key is kept for the record (for tests and status). */
  has(tokenId: bigint): boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS custody_data_keys (
  token_id TEXT PRIMARY KEY,
  pool_id INTEGER NOT NULL,
  data_cid TEXT NOT NULL,
  -- nonce (12 bytes) || AES-256-GCM ciphertext of the data key || tag (16 bytes), under the KEK
  sealed_key BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS custody_tombstones (
  token_id TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  shredded_at INTEGER NOT NULL
);
`;

/**
 * The KEK: HKDF-SHA256 of the custodian's X25519 private key (salt and info of their own),
 * imported for AES-GCM (lib/crypto/aesGcm.ts: node:crypto, a few microseconds per kept key). The
 * derived bytes are zeroed once imported.
 */
export async function deriveKeyEncryptionKey(custodianPrivateKey: Uint8Array): Promise<AesGcmKey> {
  if (custodianPrivateKey.length !== 32) throw new Error("the custodian key must be 32 bytes");
  const raw = hkdf(sha256, custodianPrivateKey, KEK_SALT, KEK_INFO, KEK_LENGTH);
  try {
    return await importAesGcmKey(raw);
  } finally {
    raw.fill(0);
  }
}

/** The pool part of the last associated data encoded (a delivery reads 100,000 keys in a row). */
let lastPool: { chainId: number; databank: Address; poolId: number; json: string } | undefined;

/**
 * The associated data of a kept key: the record it belongs to, as a JSON array. The pool's part
 * (with its checksummed address) is encoded once and reused while records of the same pool follow.
 */
function associatedData(record: CustodyRecord): Uint8Array<ArrayBuffer> {
  const { chainId, databank, poolId } = record;
  if (
    lastPool === undefined ||
    lastPool.chainId !== chainId ||
    lastPool.databank !== databank ||
    lastPool.poolId !== poolId
  ) {
    const json = JSON.stringify([AAD_LABEL, chainId, getAddress(databank), poolId]);
    // Without its closing bracket: the record's fields are appended to it.
    lastPool = { chainId, databank, poolId, json: json.slice(0, -1) };
  }
  return utf8Encode(
    `${lastPool.json},${JSON.stringify(record.tokenId.toString())},${JSON.stringify(record.dataCid)}]`,
  );
}

/** A row of `custody_data_keys`, as read. */
interface KeptRow {
  data_cid: string;
  sealed_key: Uint8Array;
}

/** Creates the key custody on `db` (tables created if needed). */
export function createKeyCustody(params: KeyCustodyParams): KeyCustody {
  const { db } = params;
  const log = params.log ?? (() => undefined);
  const keepKeys = params.keepKeys ?? true;
  const custodianKey = new Uint8Array(params.custodianPrivateKey);
  db.exec(SCHEMA);
  let kek: Promise<AesGcmKey> | undefined;
  const keyEncryptionKey = () => (kek ??= deriveKeyEncryptionKey(custodianKey));

  const statements = new Map<string, StatementSync>();
  const prepared = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  function tombstone(tokenId: bigint): string | undefined {
    const row = prepared("SELECT reason FROM custody_tombstones WHERE token_id = ?").get(
      tokenId.toString(),
    ) as { reason: string } | undefined;
    return row?.reason;
  }

  function refuseIfShredded(tokenId: bigint): void {
    const reason = tombstone(tokenId);
    if (reason !== undefined) throw new RecordRevokedError(tokenId, reason);
  }

  async function seal(record: CustodyRecord, dataKey: Uint8Array): Promise<Uint8Array> {
    const nonce = randomBytes(NONCE_LENGTH);
    const ciphertext = await aesGcmEncrypt(
      await keyEncryptionKey(),
      { nonce, associatedData: associatedData(record) },
      dataKey,
    );
    const sealed = new Uint8Array(SEALED_LENGTH);
    sealed.set(nonce, 0);
    sealed.set(ciphertext, NONCE_LENGTH);
    return sealed;
  }

  /** The kept key, or undefined when there is none or it does not open for this record. */
  async function opened(record: CustodyRecord): Promise<Uint8Array | undefined> {
    const row = prepared(
      "SELECT data_cid, sealed_key FROM custody_data_keys WHERE token_id = ?",
    ).get(record.tokenId.toString()) as KeptRow | undefined;
    return row === undefined ? undefined : openRow(record, row);
  }

  /** Opens a kept row for its record; undefined when it is for another CID or does not open. */
  async function openRow(record: CustodyRecord, row: KeptRow): Promise<Uint8Array | undefined> {
    const sealed = row.sealed_key;
    if (row.data_cid !== record.dataCid || sealed.length !== SEALED_LENGTH) return undefined;
    try {
      return await aesGcmDecrypt(
        await keyEncryptionKey(),
        { nonce: sealed.subarray(0, NONCE_LENGTH), associatedData: associatedData(record) },
        sealed.subarray(NONCE_LENGTH),
      );
    } catch {
      // Another KEK (the custodian key changed) or a damaged row: re-derived from the envelope.
      log("custody.key-unreadable", { tokenId: record.tokenId.toString() });
      return undefined;
    }
  }

  async function keep(record: CustodyRecord, dataKey: Uint8Array): Promise<void> {
    if (dataKey.length !== DATA_KEY_LENGTH) throw new Error("a data key is 32 bytes");
    const sealed = await seal(record, dataKey);
    // The tombstone is checked in the same synchronous step as the write, so a shred that ran
    // while the key was being sealed wins.
    refuseIfShredded(record.tokenId);
    prepared(
      `INSERT OR REPLACE INTO custody_data_keys (token_id, pool_id, data_cid, sealed_key, created_at)
       VALUES (?, ?, ?, ?, ?)`,
    ).run(record.tokenId.toString(), record.poolId, record.dataCid, sealed, Date.now());
  }

  async function keptKeys(records: readonly CustodyRecord[]): Promise<Map<bigint, Uint8Array>> {
    const keys = new Map<bigint, Uint8Array>();
    if (!keepKeys || records.length === 0) return keys;
    // The token ids as one JSON array parameter, joined against each table by its primary key.
    const ids = JSON.stringify(records.map((record) => record.tokenId.toString()));
    const buried = new Set(
      (
        prepared(
          "SELECT t.token_id FROM custody_tombstones t JOIN json_each(?) j ON t.token_id = j.value",
        ).all(ids) as { token_id: string }[]
      ).map((row) => row.token_id),
    );
    const rows = new Map(
      (
        prepared(
          `SELECT k.token_id, k.data_cid, k.sealed_key FROM custody_data_keys k
           JOIN json_each(?) j ON k.token_id = j.value`,
        ).all(ids) as unknown as (KeptRow & { token_id: string })[]
      ).map((row) => [row.token_id, row]),
    );
    for (const record of records) {
      const id = record.tokenId.toString();
      const row = rows.get(id);
      if (row === undefined || buried.has(id)) continue;
      const key = await openRow(record, row);
      if (key !== undefined) keys.set(record.tokenId, key);
    }
    return keys;
  }

  return {
    keptKeys,
    async dataKey(record, loadEnvelope) {
      refuseIfShredded(record.tokenId);
      const kept = keepKeys ? await opened(record) : undefined;
      if (kept !== undefined) return kept;
      const dataKey = await unwrapDataKey(await loadEnvelope(), custodianKey);
      if (keepKeys) await keep(record, dataKey);
      return dataKey;
    },
    async keep(record, dataKey) {
      refuseIfShredded(record.tokenId);
      await keep(record, dataKey);
    },
    shred(tokenIds, reason) {
      if (tokenIds.length === 0) return 0;
      const remove = prepared("DELETE FROM custody_data_keys WHERE token_id = ?");
      const bury = prepared(
        "INSERT OR IGNORE INTO custody_tombstones (token_id, reason, shredded_at) VALUES (?, ?, ?)",
      );
      let removed = 0;
      db.exec("BEGIN IMMEDIATE");
      try {
        for (const tokenId of tokenIds) {
          removed += Number(remove.run(tokenId.toString()).changes);
          bury.run(tokenId.toString(), reason, Date.now());
        }
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
      log("custody.shredded", { count: tokenIds.length, keysDeleted: removed, reason });
      return removed;
    },
    isShredded(tokenId) {
      return tombstone(tokenId) !== undefined;
    },
    has(tokenId) {
      return (
        prepared("SELECT 1 AS kept FROM custody_data_keys WHERE token_id = ?").get(
          tokenId.toString(),
        ) !== undefined
      );
    },
  };
}
