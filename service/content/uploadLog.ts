/**
 * The content this node has stored, with when (`content_uploads` in the node's SQLite database).
 * Garbage collection only ever removes content listed here: what the node did not add itself
 * (another application's pins on a shared Kubo node) is never its to remove; and the time starts
 * the grace period during which an upload is kept although nothing references it yet.
 */
import type { DatabaseSync } from "node:sqlite";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS content_uploads (
  cid TEXT PRIMARY KEY,
  uploaded_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS content_uploads_time ON content_uploads (uploaded_at);
`;

export class UploadLog {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
  }

  /** Records that `cid` was stored at `atMs` (unix ms); storing it again restarts its grace. */
  record(cid: string, atMs: number): void {
    this.#db
      .prepare(
        `INSERT INTO content_uploads (cid, uploaded_at) VALUES (?, ?)
         ON CONFLICT (cid) DO UPDATE SET uploaded_at = max(uploaded_at, excluded.uploaded_at)`,
      )
      .run(cid, atMs);
  }

  /** The CIDs stored before `beforeMs` (unix ms), oldest first. */
  storedBefore(beforeMs: number): string[] {
    return this.#db
      .prepare("SELECT cid FROM content_uploads WHERE uploaded_at < ? ORDER BY uploaded_at")
      .all(beforeMs)
      .map((row) => String(row.cid));
  }

  /** When `cid` was last stored (unix ms), or undefined if it is not listed. */
  storedAt(cid: string): number | undefined {
    const row = this.#db.prepare("SELECT uploaded_at FROM content_uploads WHERE cid = ?").get(cid);
    return row === undefined ? undefined : Number(row.uploaded_at);
  }

  /** Drops `cid` from the list (once it has been collected). */
  forget(cid: string): void {
    this.#db.prepare("DELETE FROM content_uploads WHERE cid = ?").run(cid);
  }
}
