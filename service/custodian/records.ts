/**
 * The acceptance worker's tables in the node's database: the event cursor, one row per
 * contribution to a pool this node custodies (status and the reason of a rejection, never the
 * record), and the duplicate fingerprints of the pools' active records, each reserved together
 * with the transaction that brings its record in (see ./reservations.ts for their recovery).
 */
import type { DatabaseSync } from "node:sqlite";
import type { Hash, Hex } from "viem";
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

/**
 * Columns added to `acceptance_fingerprints` after its first release (added to an older database
 * on open). A row written by a version without them gets state 'unverified': nothing says whether
 * its transaction was ever sent, so it is checked once against the chain.
 */
const RESERVATION_COLUMNS: Record<string, string> = {
  state: "TEXT NOT NULL DEFAULT 'unverified'",
  contributor: "TEXT",
  tx_hash: "TEXT",
  tx_nonce: "INTEGER",
  raw_tx: "TEXT",
  reserved_at: "INTEGER",
};

/** Where a fingerprint reservation stands. */
export type ReservationState =
  /** Its transaction is signed and recorded, not known to be mined: recovery asks the chain. */
  | "sending"
  /** Its contribution is active on-chain and its id recorded. */
  | "confirmed"
  /** Left by a version that recorded no transaction with it: recovery asks the chain once. */
  | "unverified";

/** A custodian transaction signed before it is sent, so that a restart can find or resend it. */
export interface ReservedTransaction {
  hash: Hash;
  /** The custodian account's nonce it was signed with. */
  nonce: number;
  /** The signed transaction, as `eth_sendRawTransaction` takes it. */
  raw: Hex;
}

/** A new reservation: a record's fingerprint and the transaction that brings the record in. */
export interface NewReservation {
  poolId: number;
  /** The record's duplicate fingerprint (HMAC of its normalised plaintext). */
  fingerprint: string;
  dataCid: string;
  /** The pending contribution being accepted; undefined for a relay (its id is in the receipt). */
  contributionId?: bigint;
  /** The relayed consent's signer; undefined for an acceptance. */
  contributor?: string;
  transaction: ReservedTransaction;
}

/** A reservation as stored. */
export interface FingerprintReservation {
  poolId: number;
  fingerprint: string;
  dataCid: string;
  contributionId?: bigint;
  contributor?: string;
  state: ReservationState;
  /** Set while the state is 'sending'. */
  transaction?: ReservedTransaction;
}

/** Who asks whether a fingerprint is taken: its own unfinished reservation does not count. */
export interface FingerprintClaimant {
  /** The pending contribution being checked (acceptance); undefined for a relay. */
  contributionId?: bigint;
  /** The submitter (a relay's signer, or the sender of `submitContribution`). */
  contributor: string;
  dataCid: string;
}

interface ReservationRow {
  pool_id: number;
  fingerprint: string;
  contribution_id: string | null;
  data_cid: string;
  state: string;
  contributor: string | null;
  tx_hash: string | null;
  tx_nonce: number | null;
  raw_tx: string | null;
}

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
    const present = new Set(
      (db.prepare("PRAGMA table_info(acceptance_fingerprints)").all() as { name: string }[]).map(
        (column) => column.name,
      ),
    );
    for (const [name, definition] of Object.entries(RESERVATION_COLUMNS)) {
      if (!present.has(name)) {
        db.exec(`ALTER TABLE acceptance_fingerprints ADD COLUMN ${name} ${definition}`);
      }
    }
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

  /**
   * Whether an equivalent record is already active (or being brought in) in the pool. The
   * claimant's own unfinished reservation (left by a crash: the same pending contribution, or a
   * relay of the same data CID by the same signer) does not count: a submission is never a
   * duplicate of itself; the send step settles that reservation first.
   */
  isDuplicate(poolId: number, fingerprint: string, claimant: FingerprintClaimant): boolean {
    const held = this.reservation(poolId, fingerprint);
    if (held === undefined) return false;
    return !isOwnReservation(held, claimant);
  }

  /** The reservation of a fingerprint in a pool, if any. */
  reservation(poolId: number, fingerprint: string): FingerprintReservation | undefined {
    const row = this.#db
      .prepare("SELECT * FROM acceptance_fingerprints WHERE pool_id = ? AND fingerprint = ?")
      .get(poolId, fingerprint) as ReservationRow | undefined;
    return row === undefined ? undefined : toReservation(row);
  }

  /** Reservations not confirmed yet (a crash left them 'sending', or an older version 'unverified'). */
  unsettledReservations(): FingerprintReservation[] {
    const rows = this.#db
      .prepare("SELECT * FROM acceptance_fingerprints WHERE state <> 'confirmed' ORDER BY rowid")
      .all() as unknown as ReservationRow[];
    return rows.map(toReservation);
  }

  /**
   * Reserves a fingerprint together with the signed transaction that brings its record in, in
   * one statement, before that transaction is sent: a crash at any point leaves either nothing or
   * a reservation whose transaction a restart can look up on-chain (or resend).
   *
   * @returns false when the fingerprint is already reserved (a duplicate, or a reservation to
   *   settle first).
   */
  reserveFingerprint(reservation: NewReservation): boolean {
    const { transaction } = reservation;
    const result = this.#db
      .prepare(
        `INSERT INTO acceptance_fingerprints
           (pool_id, fingerprint, contribution_id, data_cid, state, contributor, tx_hash, tx_nonce,
            raw_tx, reserved_at)
         VALUES (?, ?, ?, ?, 'sending', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(
        reservation.poolId,
        reservation.fingerprint,
        reservation.contributionId?.toString() ?? null,
        reservation.dataCid,
        reservation.contributor?.toLowerCase() ?? null,
        transaction.hash,
        transaction.nonce,
        transaction.raw,
        Date.now(),
      );
    return Number(result.changes) === 1;
  }

  /** Marks a reservation confirmed: its record is active on-chain as `contributionId`. */
  confirmFingerprint(poolId: number, fingerprint: string, contributionId: bigint): void {
    this.#db
      .prepare(
        `UPDATE acceptance_fingerprints
         SET state = 'confirmed', contribution_id = ?, tx_hash = NULL, tx_nonce = NULL,
             raw_tx = NULL
         WHERE pool_id = ? AND fingerprint = ?`,
      )
      .run(contributionId.toString(), poolId, fingerprint);
  }

  /**
   * Attaches the contribution id to an unbound relay reservation of the same pool, data CID and
   * signer (the scan saw its `ContributionSubmitted`); its state is left to the recovery.
   */
  bindFingerprint(
    poolId: number,
    dataCid: string,
    contributor: string,
    contributionId: bigint,
  ): void {
    this.#db
      .prepare(
        `UPDATE acceptance_fingerprints SET contribution_id = ?
         WHERE pool_id = ? AND data_cid = ? AND contribution_id IS NULL
           AND (contributor IS NULL OR contributor = ?)`,
      )
      .run(contributionId.toString(), poolId, dataCid, contributor.toLowerCase());
  }

  /** Releases a reservation whose transaction failed or can never be mined. */
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
    this.bindFingerprint(
      submission.poolId,
      submission.dataCid,
      submission.contributor,
      submission.contributionId,
    );
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

function toReservation(row: ReservationRow): FingerprintReservation {
  return {
    poolId: row.pool_id,
    fingerprint: row.fingerprint,
    dataCid: row.data_cid,
    contributionId: row.contribution_id === null ? undefined : BigInt(row.contribution_id),
    contributor: row.contributor ?? undefined,
    state: row.state as ReservationState,
    transaction:
      row.tx_hash === null || row.tx_nonce === null || row.raw_tx === null
        ? undefined
        : { hash: row.tx_hash as Hash, nonce: row.tx_nonce, raw: row.raw_tx as Hex },
  };
}

/**
 * Whether `held` is the claimant's own reservation: the same pending contribution, or (not yet
 * confirmed) a relay of the same data CID by the same signer, or one an older version left
 * without its signer.
 */
export function isOwnReservation(
  held: FingerprintReservation,
  claimant: FingerprintClaimant,
): boolean {
  if (claimant.contributionId !== undefined) return held.contributionId === claimant.contributionId;
  return (
    held.state !== "confirmed" &&
    held.contributionId === undefined &&
    held.dataCid === claimant.dataCid &&
    (held.contributor === undefined || held.contributor === claimant.contributor.toLowerCase())
  );
}
