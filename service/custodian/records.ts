/**
 * The acceptance worker's tables in the node's database: the event cursor, one row per
 * contribution to a pool this node custodies (status and the reason of a rejection, never the
 * record), and the duplicate fingerprints of the pools' active records.
 */
import type { DatabaseSync } from "node:sqlite";
import type { FieldError, RejectionReason } from "../../lib/custodian/index.js";
import { inTransaction } from "../db.js";

/** Status of a contribution as the API reports it. */
export type ContributionStatus = "pending" | "active" | "rejected" | "revoked";

/** How a contribution reached the node: relayed by it, or submitted on-chain by the contributor. */
export type ContributionOrigin = "relay" | "submission";

/** One contribution as recorded by the node. */
export interface ContributionRecord {
  contributionId: bigint;
  poolId: number;
  contributor: string;
  dataCid: string;
  /** Unix seconds; 0 = until revoked. */
  expiresAt: number;
  origin: ContributionOrigin;
  status: ContributionStatus;
  reason?: RejectionReason;
  message?: string;
  fieldErrors?: FieldError[];
  /** Failed attempts to check a pending submission (the envelope or schema could not be fetched). */
  attempts: number;
  /** Unix milliseconds before which a pending submission is not retried. */
  nextAttemptAt: number;
  transactionHash?: string;
}

/** What a check or an on-chain outcome sets on a contribution. */
export interface ContributionOutcome {
  status: ContributionStatus;
  reason?: RejectionReason;
  message?: string;
  fieldErrors?: FieldError[];
  transactionHash?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS acceptance_cursor (
  databank TEXT PRIMARY KEY,
  next_block TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS acceptance_contributions (
  contribution_id TEXT PRIMARY KEY,
  pool_id INTEGER NOT NULL,
  contributor TEXT NOT NULL,
  data_cid TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  origin TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  message TEXT,
  field_errors TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  transaction_hash TEXT,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS acceptance_contributions_pending
  ON acceptance_contributions (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS acceptance_fingerprints (
  pool_id INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  contribution_id TEXT,
  data_cid TEXT NOT NULL,
  PRIMARY KEY (pool_id, fingerprint)
) STRICT;
CREATE INDEX IF NOT EXISTS acceptance_fingerprints_contribution
  ON acceptance_fingerprints (contribution_id);
`;

interface ContributionRow {
  contribution_id: string;
  pool_id: number;
  contributor: string;
  data_cid: string;
  expires_at: number;
  origin: string;
  status: string;
  reason: string | null;
  message: string | null;
  field_errors: string | null;
  attempts: number;
  next_attempt_at: number;
  transaction_hash: string | null;
}

/** The acceptance tables; every method is one short synchronous statement or transaction. */
export class AcceptanceRecords {
  readonly #db: DatabaseSync;

  /** Creates the tables if they do not exist. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
  }

  /** The first block not yet scanned for `databank`, or undefined before the first scan. */
  cursor(databank: string): bigint | undefined {
    const row = this.#db
      .prepare("SELECT next_block FROM acceptance_cursor WHERE databank = ?")
      .get(databank.toLowerCase()) as { next_block: string } | undefined;
    return row === undefined ? undefined : BigInt(row.next_block);
  }

  /**
   * Records the submissions and revocations found in a block range and moves the cursor past it,
   * in one transaction: a crash either keeps the whole range or none of it.
   */
  commitScan(
    databank: string,
    nextBlock: bigint,
    changes: { submitted: NewSubmission[]; revoked: bigint[] },
  ): void {
    inTransaction(this.#db, () => {
      for (const submission of changes.submitted) this.#insertSubmission(submission);
      for (const id of changes.revoked) this.#markRevoked(id);
      this.#db
        .prepare(
          `INSERT INTO acceptance_cursor (databank, next_block) VALUES (?, ?)
           ON CONFLICT (databank) DO UPDATE SET next_block = excluded.next_block`,
        )
        .run(databank.toLowerCase(), nextBlock.toString());
    });
  }

  /** One contribution, if the node knows it. */
  contribution(id: bigint): ContributionRecord | undefined {
    const row = this.#db
      .prepare("SELECT * FROM acceptance_contributions WHERE contribution_id = ?")
      .get(id.toString()) as ContributionRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** Pending submissions due for a check at `now` (unix ms), oldest first. */
  duePending(now: number, limit: number): ContributionRecord[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM acceptance_contributions
         WHERE status = 'pending' AND next_attempt_at <= ?
         ORDER BY next_attempt_at, CAST(contribution_id AS INTEGER) LIMIT ?`,
      )
      .all(now, limit) as unknown as ContributionRow[];
    return rows.map(toRecord);
  }

  /** Sets the outcome of a contribution (creating its row for a relayed one). */
  setOutcome(record: NewSubmission & { origin: ContributionOrigin }, outcome: ContributionOutcome) {
    this.#db
      .prepare(
        `INSERT INTO acceptance_contributions
           (contribution_id, pool_id, contributor, data_cid, expires_at, origin, status, reason,
            message, field_errors, transaction_hash, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (contribution_id) DO UPDATE SET
           status = excluded.status, reason = excluded.reason, message = excluded.message,
           field_errors = excluded.field_errors,
           transaction_hash = COALESCE(excluded.transaction_hash, transaction_hash),
           updated_at = excluded.updated_at`,
      )
      .run(
        record.contributionId.toString(),
        record.poolId,
        record.contributor,
        record.dataCid,
        record.expiresAt,
        record.origin,
        outcome.status,
        outcome.reason ?? null,
        outcome.message ?? null,
        outcome.fieldErrors === undefined ? null : JSON.stringify(outcome.fieldErrors),
        outcome.transactionHash ?? null,
        Date.now(),
      );
  }

  /** Records a failed attempt to check a pending submission and when to try again. */
  postpone(id: bigint, nextAttemptAt: number, message: string): void {
    this.#db
      .prepare(
        `UPDATE acceptance_contributions
         SET attempts = attempts + 1, next_attempt_at = ?, message = ?, updated_at = ?
         WHERE contribution_id = ?`,
      )
      .run(nextAttemptAt, message, Date.now(), id.toString());
  }

  /** Whether an equivalent record is already active (or being accepted) in the pool. */
  hasFingerprint(poolId: number, fingerprint: string): boolean {
    return (
      this.#db
        .prepare("SELECT 1 FROM acceptance_fingerprints WHERE pool_id = ? AND fingerprint = ?")
        .get(poolId, fingerprint) !== undefined
    );
  }

  /**
   * Reserves a fingerprint before the accepting transaction is sent, so that a crash after the
   * chain accepted the record still leaves it known. `contributionId` is undefined for a relay,
   * whose id is only known from the receipt (see {@link bindFingerprint}).
   *
   * @returns false when the fingerprint is already taken (a duplicate).
   */
  reserveFingerprint(
    poolId: number,
    fingerprint: string,
    dataCid: string,
    contributionId?: bigint,
  ): boolean {
    const result = this.#db
      .prepare(
        `INSERT INTO acceptance_fingerprints (pool_id, fingerprint, contribution_id, data_cid)
         VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(poolId, fingerprint, contributionId?.toString() ?? null, dataCid);
    return Number(result.changes) === 1;
  }

  /** Attaches the contribution id to the reservation of the same pool and data CID. */
  bindFingerprint(poolId: number, dataCid: string, contributionId: bigint): void {
    this.#db
      .prepare(
        `UPDATE acceptance_fingerprints SET contribution_id = ?
         WHERE pool_id = ? AND data_cid = ? AND contribution_id IS NULL`,
      )
      .run(contributionId.toString(), poolId, dataCid);
  }

  /** Releases a reservation whose transaction failed. */
  releaseFingerprint(poolId: number, fingerprint: string): void {
    this.#db
      .prepare("DELETE FROM acceptance_fingerprints WHERE pool_id = ? AND fingerprint = ?")
      .run(poolId, fingerprint);
  }

  #insertSubmission(submission: NewSubmission): void {
    // A relayed contribution may already be recorded by the relay itself: keep that row.
    this.#db
      .prepare(
        `INSERT INTO acceptance_contributions
           (contribution_id, pool_id, contributor, data_cid, expires_at, origin, status, updated_at)
         VALUES (?, ?, ?, ?, ?, 'submission', 'pending', ?) ON CONFLICT DO NOTHING`,
      )
      .run(
        submission.contributionId.toString(),
        submission.poolId,
        submission.contributor,
        submission.dataCid,
        submission.expiresAt,
        Date.now(),
      );
    // A relay that crashed between its transaction and its bookkeeping left an unbound reservation.
    this.bindFingerprint(submission.poolId, submission.dataCid, submission.contributionId);
  }

  #markRevoked(id: bigint): void {
    // A revoked record's fingerprint is released: the contributor may contribute it again.
    this.#db
      .prepare("DELETE FROM acceptance_fingerprints WHERE contribution_id = ?")
      .run(id.toString());
    this.#db
      .prepare(
        `UPDATE acceptance_contributions SET status = 'revoked', updated_at = ?
         WHERE contribution_id = ?`,
      )
      .run(Date.now(), id.toString());
  }
}

/** A `ContributionSubmitted` event of a pool this node custodies. */
export interface NewSubmission {
  contributionId: bigint;
  poolId: number;
  contributor: string;
  dataCid: string;
  expiresAt: number;
}

function toRecord(row: ContributionRow): ContributionRecord {
  return {
    contributionId: BigInt(row.contribution_id),
    poolId: row.pool_id,
    contributor: row.contributor,
    dataCid: row.data_cid,
    expiresAt: row.expires_at,
    origin: row.origin as ContributionOrigin,
    status: row.status as ContributionStatus,
    reason: (row.reason ?? undefined) as RejectionReason | undefined,
    message: row.message ?? undefined,
    fieldErrors:
      row.field_errors === null ? undefined : (JSON.parse(row.field_errors) as FieldError[]),
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    transactionHash: row.transaction_hash ?? undefined,
  };
}
