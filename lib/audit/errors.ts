/**
 * Typed errors of the audit library. Each says what went wrong and, where the caller can act on
 * it, what to change; the CLI prints `message` as its one line.
 */

/** Base class of every error the audit library throws, so callers can tell them from bugs. */
export class AuditError extends Error {
  override name = "AuditError";
}

/** The logs of a block range could not be read, even after retries and range halving. */
export class LogFetchError extends AuditError {
  override name = "LogFetchError";

  /**
   * @param fromBlock - first block of the range that failed
   * @param toBlock - last block of the range that failed
   * @param attempts - how many times the range was tried
   * @param cause - the last RPC error
   */
  constructor(
    readonly fromBlock: bigint,
    readonly toBlock: bigint,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `could not read the logs of blocks ${fromBlock}-${toBlock} after ${attempts} attempts: ${shortMessage(cause)}`,
      { cause },
    );
  }
}

/** There is no contract at the audited address (wrong --databank, or wrong chain). */
export class NotAContractError extends AuditError {
  override name = "NotAContractError";

  /** @param address - the address that holds no code */
  constructor(readonly address: string) {
    super(`no contract at ${address} on this chain: check --databank and --rpc-url`);
  }
}

/** A delivery manifest is not a valid v1 manifest (see docs/data-bank-node.md). */
export class ManifestFormatError extends AuditError {
  override name = "ManifestFormatError";
}

/** The first line of an error's message, without viem's multi-line details. */
export function shortMessage(error: unknown): string {
  if (error && typeof error === "object" && "shortMessage" in error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    if (typeof short === "string" && short.length > 0) return short;
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
