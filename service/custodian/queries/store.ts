/**
 * The query worker's durable state, in the node's SQLite database (tables `query_*`). Every
 * method is one statement or one transaction, so each durable step of answering a query is
 * all-or-nothing whatever instant the process dies at.
 *
 * Nothing secret is stored: the answer is uploaded only as an envelope sealed to the custodian
 * itself, and its data key only sealed to the buyer (HPKE), released by the API once `fulfillQuery`
 * is final. No plaintext answer and no record ever reach this table.
 */
import type { DatabaseSync } from "node:sqlite";
import { CursorTables } from "../cursorTables.js";
import type { Address, Hex } from "viem";

/** Where a query purchase is. */
export type QueryStatus =
  /** Seen, not answered yet. */
  | "pending"
  /** Answer computed, sealed and uploaded; `fulfillQuery` not mined yet. */
  | "answering"
  /** `fulfillQuery` mined: the buyer was charged, the answer's key is released once final. */
  | "answered"
  /** The custodian declined it (`rejectPurchase`); the buyer was credited in full. */
  | "rejected"
  /** The buyer took a refund after the deadline. */
  | "refunded"
  /** It can no longer be answered (deadline passed); the buyer can take a refund. */
  | "failed";

/** A query purchase of a pool this node custodies, as stored. */
export interface QueryRow {
  purchaseId: bigint;
  poolId: number;
  buyer: Address;
  amount: bigint;
  deadline: number;
  /** The pool's `statisticsEnded` at purchase (the purchase's `erasureMark`). */
  statisticsMark: number;
  /** Most ε the answer may spend, micro-ε. */
  epsilon: number;
  buyerKey: Hex;
  queryCid: string;
  queryDigest: Hex;
  /** Block of its `QueryPurchased`. */
  createdBlock: bigint;
  status: QueryStatus;
  /** The sealed answer uploaded (or, once answered, the one `fulfillQuery` recorded). */
  answerCid: string | undefined;
  /** The answer's data key sealed to the buyer for `answerCid` (HPKE), released once final. */
  buyerSealedKey: Hex | undefined;
  recordsRoot: Hex | undefined;
  recordCount: number | undefined;
  statisticsSeen: number | undefined;
  /** ε the answer spent, micro-ε. */
  epsilonSpent: number | undefined;
  /** Nonce reserved for the fulfil or reject transaction (reused if that one never got mined). */
  txNonce: number | undefined;
  /** The fulfil or reject transaction sent. */
  txHash: Hex | undefined;
  /** Why it was rejected (sent to the chain), or the last error, one line. */
  reason: string | undefined;
}

/** A new query purchase, from its `QueryPurchased` event. */
export type NewQueryPurchase = Pick<
  QueryRow,
  | "purchaseId"
  | "poolId"
  | "buyer"
  | "amount"
  | "deadline"
  | "statisticsMark"
  | "epsilon"
  | "buyerKey"
  | "queryCid"
  | "queryDigest"
  | "createdBlock"
>;

/** Columns {@link QueryStore.update} may change (null clears). */
export type QueryUpdate = Partial<{
  status: QueryStatus;
  answerCid: string | null;
  buyerSealedKey: Hex | null;
  recordsRoot: Hex | null;
  recordCount: number | null;
  statisticsSeen: number | null;
  epsilonSpent: number | null;
  txNonce: number | null;
  txHash: Hex | null;
  reason: string | null;
}>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS query_cursor (
  name TEXT PRIMARY KEY,
  block TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS query_purchases (
  purchase_id TEXT PRIMARY KEY,
  pool_id INTEGER NOT NULL,
  buyer TEXT NOT NULL,
  amount TEXT NOT NULL,
  deadline INTEGER NOT NULL,
  statistics_mark INTEGER NOT NULL,
  epsilon INTEGER NOT NULL,
  buyer_key TEXT NOT NULL,
  query_cid TEXT NOT NULL,
  query_digest TEXT NOT NULL,
  created_block TEXT NOT NULL,
  status TEXT NOT NULL,
  answer_cid TEXT,
  buyer_sealed_key TEXT,
  records_root TEXT,
  record_count INTEGER,
  statistics_seen INTEGER,
  epsilon_spent INTEGER,
  tx_nonce INTEGER,
  tx_hash TEXT,
  reason TEXT
);
CREATE INDEX IF NOT EXISTS query_purchases_status ON query_purchases (status);
`;

const COLUMNS: Record<keyof QueryUpdate, string> = {
  status: "status",
  answerCid: "answer_cid",
  buyerSealedKey: "buyer_sealed_key",
  recordsRoot: "records_root",
  recordCount: "record_count",
  statisticsSeen: "statistics_seen",
  epsilonSpent: "epsilon_spent",
  txNonce: "tx_nonce",
  txHash: "tx_hash",
  reason: "reason",
};

type SqlRow = Record<string, string | number | null>;

/** The `query_*` tables. */
export class QueryStore extends CursorTables {
  readonly #db: DatabaseSync;

  /** Creates the tables if they do not exist. */
  constructor(db: DatabaseSync) {
    super(db, "query_cursor");
    this.#db = db;
    db.exec(SCHEMA);
  }

  /**
   * Records new purchases and moves the cursor to `toBlock`, in one transaction (a purchase seen
   * twice is kept once).
   *
   * @returns how many were new.
   */
  recordPurchases(cursor: string, toBlock: bigint, purchases: readonly NewQueryPurchase[]): number {
    return this.transaction(() => {
      const insert = this.#db.prepare(
        `INSERT OR IGNORE INTO query_purchases (purchase_id, pool_id, buyer, amount, deadline,
           statistics_mark, epsilon, buyer_key, query_cid, query_digest, created_block, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
      );
      let added = 0;
      for (const p of purchases) {
        const result = insert.run(
          p.purchaseId.toString(),
          p.poolId,
          p.buyer,
          p.amount.toString(),
          p.deadline,
          p.statisticsMark,
          p.epsilon,
          p.buyerKey,
          p.queryCid,
          p.queryDigest,
          p.createdBlock.toString(),
        );
        added += Number(result.changes);
      }
      this.setCursor(cursor, toBlock);
      return added;
    });
  }

  /** A purchase, if this node tracks it. */
  purchase(purchaseId: bigint): QueryRow | undefined {
    const row = this.purchaseRow<SqlRow>("query_purchases", purchaseId);
    return row === undefined ? undefined : toRow(row);
  }

  /** Purchases in any of `statuses`, oldest first. */
  purchasesIn(statuses: readonly QueryStatus[]): QueryRow[] {
    return this.purchaseRowsIn<SqlRow>("query_purchases", statuses).map(toRow);
  }

  /** Changes some columns of a purchase in one statement. */
  update(purchaseId: bigint, changes: QueryUpdate): void {
    const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return;
    const sets = entries.map(([key]) => `${COLUMNS[key as keyof QueryUpdate]} = ?`).join(", ");
    this.#db
      .prepare(`UPDATE query_purchases SET ${sets} WHERE purchase_id = ?`)
      .run(...entries.map(([, value]) => value as string | number | null), purchaseId.toString());
  }
}

function toRow(row: SqlRow): QueryRow {
  const text = (value: string | number | null | undefined) =>
    value === null || value === undefined ? undefined : String(value);
  const int = (value: string | number | null | undefined) =>
    value === null || value === undefined ? undefined : Number(value);
  return {
    purchaseId: BigInt(row.purchase_id!),
    poolId: Number(row.pool_id),
    buyer: row.buyer as Address,
    amount: BigInt(row.amount!),
    deadline: Number(row.deadline),
    statisticsMark: Number(row.statistics_mark),
    epsilon: Number(row.epsilon),
    buyerKey: row.buyer_key as Hex,
    queryCid: String(row.query_cid),
    queryDigest: row.query_digest as Hex,
    createdBlock: BigInt(row.created_block!),
    status: row.status as QueryStatus,
    answerCid: text(row.answer_cid),
    buyerSealedKey: text(row.buyer_sealed_key) as Hex | undefined,
    recordsRoot: text(row.records_root) as Hex | undefined,
    recordCount: int(row.record_count),
    statisticsSeen: int(row.statistics_seen),
    epsilonSpent: int(row.epsilon_spent),
    txNonce: int(row.tx_nonce),
    txHash: text(row.tx_hash) as Hex | undefined,
    reason: text(row.reason),
  };
}
