/**
 * The one error type of lib/delivery. Callers (the buyer CLI, the dApp, tests) branch on `code`,
 * never on message text; messages are one line naming what failed and, for a record, its token id.
 */

/** Why a delivery could not be verified or opened. */
export type DeliveryErrorCode =
  /** The manifest is not UTF-8 JSON of the v1 or v2 format (a field missing, malformed, out of order). */
  | "INVALID_MANIFEST"
  /** The manifest is for another purchase, buyer, contract or chain than the one expected. */
  | "WRONG_PURCHASE"
  /** The records' Merkle root differs from the manifest's or the on-chain `recordsRoot`. */
  | "ROOT_MISMATCH"
  /** The number of records differs from the manifest's or the on-chain `recordCount`. */
  | "COUNT_MISMATCH"
  /** A record's `dataCommitment` is not keccak256 of its `dataCid`. */
  | "COMMITMENT_MISMATCH"
  /** Fetched bytes do not hash to the CID they were requested by. */
  | "INTEGRITY"
  /** Content could not be fetched. */
  | "FETCH_FAILED"
  /** A wrapped key (or the manifest) is for another buyer key than the purchase's / the caller's. */
  | "WRONG_BUYER"
  /**
   * A wrapped or sealed key, the delivery key or an envelope failed to decrypt (tampered, sealed
   * with another key, or moved from another record or purchase).
   */
  | "UNDECRYPTABLE"
  /**
   * (v2) The custodian has not released the delivery key: `fulfill` is not mined and confirmed yet,
   * so the delivery is not final and no record can be opened. Retry later.
   */
  | "KEY_NOT_RELEASED";

/** A delivery failed verification or decryption; `tokenId` names the record when one is at fault. */
export class DeliveryError extends Error {
  /** Machine-readable reason. */
  readonly code: DeliveryErrorCode;
  /** The record at fault, when the failure is about one record. */
  readonly tokenId: bigint | undefined;

  /**
   * @param code - machine-readable reason
   * @param message - one line saying what is wrong
   * @param options - the record at fault and the underlying cause (kept for debugging)
   */
  constructor(
    code: DeliveryErrorCode,
    message: string,
    options: { tokenId?: bigint; cause?: unknown } = {},
  ) {
    super(message.replace(/\s*\n\s*/g, " "), { cause: options.cause });
    this.name = "DeliveryError";
    this.code = code;
    this.tokenId = options.tokenId;
  }
}

/** Whether `value` is a {@link DeliveryError} (of `code`, when given). */
export function isDeliveryError(value: unknown, code?: DeliveryErrorCode): value is DeliveryError {
  return value instanceof DeliveryError && (code === undefined || value.code === code);
}
