/**
 * The custodian sends every transaction (relays, accepts, rejects, deliveries) from one EVM
 * account. Two transactions prepared concurrently would read the same pending nonce and one would
 * replace or block the other, so every send goes through one FIFO queue. Each send also has a gas
 * ceiling (`gasWithinCeiling` in ./chain.ts), so nobody can make the custodian pay without bound.
 */

/** Runs tasks one at a time, in the order they were queued. */
export interface TransactionQueue {
  /**
   * Runs `task` once every task queued before it has settled, and returns its result. A task that
   * throws does not stop the queue. A task should send its transaction and wait for its receipt
   * before returning, so that the next one reads the next nonce.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
}

/** Creates a FIFO mutex for the custodian's transactions (one per custodian account and process). */
export function createTransactionQueue(): TransactionQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    exclusive<T>(task: () => Promise<T>): Promise<T> {
      const run = tail.then(() => task());
      // The next task waits for this one to settle, whether it succeeded or not.
      tail = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
  };
}
