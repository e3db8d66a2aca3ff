/**
 * What the purchase workers' SQLite stores share (service/custodian/deliveryStore.ts,
 * service/custodian/queries/store.ts): a synchronous transaction helper, named scan cursors (the
 * last block whose events a scan has recorded) in a `<name TEXT, block TEXT>` table of their own,
 * and the reads of a purchases table keyed by `purchase_id` (decimal text) with a `status`.
 */
import type { DatabaseSync } from "node:sqlite";

/** The base of a worker's store: transactions and scan cursors. */
export class CursorTables {
  readonly #db: DatabaseSync;
  readonly #cursorTable: string;

  /**
   * @param db - the node's database
   * @param cursorTable - the store's cursor table (created by the store's own schema)
   */
  constructor(db: DatabaseSync, cursorTable: string) {
    this.#db = db;
    this.#cursorTable = cursorTable;
  }

  /** Runs `work` in one transaction (it must be synchronous). */
  transaction<T>(work: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** The last block scanned by the cursor `name`, if any. */
  cursor(name: string): bigint | undefined {
    const row = this.#db
      .prepare(`SELECT block FROM ${this.#cursorTable} WHERE name = ?`)
      .get(name) as { block: string } | undefined;
    return row === undefined ? undefined : BigInt(row.block);
  }

  /** Moves the cursor `name` to `block` (inside a caller's transaction, or alone). */
  setCursor(name: string, block: bigint): void {
    this.#db
      .prepare(
        `INSERT INTO ${this.#cursorTable} (name, block) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET block = excluded.block`,
      )
      .run(name, block.toString());
  }

  /** The row of `purchaseId` in the purchases table `table`. */
  protected purchaseRow<R>(table: string, purchaseId: bigint): R | undefined {
    return this.#db
      .prepare(`SELECT * FROM ${table} WHERE purchase_id = ?`)
      .get(purchaseId.toString()) as R | undefined;
  }

  /** The rows of `table` in one of `statuses`, by purchase id ascending. */
  protected purchaseRowsIn<R>(table: string, statuses: readonly string[]): R[] {
    const marks = statuses.map(() => "?").join(", ");
    // Ids are decimal text: ordered by length, then text, they are in numeric order at any size.
    return this.#db
      .prepare(
        `SELECT * FROM ${table} WHERE status IN (${marks}) ORDER BY length(purchase_id), purchase_id`,
      )
      .all(...statuses) as R[];
  }
}
