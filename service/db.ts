/**
 * The node's durable state: one SQLite file (`<dataDir>/node.sqlite`) opened with Node's built-in
 * `node:sqlite`. Each worker owns its tables (`acceptance_…`, `delivery_…`) and creates them itself
 * with `CREATE TABLE IF NOT EXISTS`, so modules can land independently.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";

/** How long a statement waits for a lock held by another connection before failing. */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if needed) the node's database.
 *
 * - WAL: readers never block the writer, and a crash leaves the file consistent.
 * - `synchronous=FULL`: a transaction is on disk when `COMMIT` returns, so a record such as "this
 *   contribution was accepted" survives a power loss right after the chain confirmed it.
 * - a busy timeout, since a second connection (a CLI inspecting the file) may briefly hold a lock.
 *
 * @param path - file path, or ":memory:" for a throw-away database (tests)
 */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Runs `work` in one transaction (`BEGIN IMMEDIATE`: takes the write lock up front, so two
 * connections never deadlock upgrading a read lock); rolls back if it throws.
 */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
