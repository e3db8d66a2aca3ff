/**
 * The one error type the node's modules throw for problems a client caused or can act on. The app
 * turns it into `{ error: { code, message, ...details } }` with its status; any other error is a
 * bug or an outage and becomes a generic 500.
 */

/** A JSON-safe extra field of an error response (reason, fieldErrors, issues…). */
export type ErrorDetails = Record<string, unknown>;

/** An error with an HTTP status, a stable machine-readable code and a plain-words message. */
export class ServiceError extends Error {
  /** HTTP status (4xx for client problems, 502/503 for a dependency that is down). */
  readonly status: number;
  /** Stable code clients branch on, e.g. "INVALID_SIGNATURE". */
  readonly code: string;
  /** Extra fields merged into the error object of the response. */
  readonly details: ErrorDetails;

  constructor(
    status: number,
    code: string,
    message: string,
    details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ServiceError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}
