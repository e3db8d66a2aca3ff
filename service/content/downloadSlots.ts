/**
 * The cap on concurrent large downloads (`DATABANK_MAX_CONCURRENT_DOWNLOADS`). A download holds a
 * slot from its first byte read to its last byte sent (or its failure); a request finding every
 * slot taken is refused at once (503 with Retry-After) rather than queued, so a burst of requests
 * costs neither memory nor open sockets waiting in line, and a client knows when to come back.
 */

/** Parameters of {@link DownloadSlots}. */
export interface DownloadSlotsParams {
  /** How many downloads may run at once (at least 1). */
  limit: number;
}

export class DownloadSlots {
  readonly limit: number;
  #inUse = 0;

  constructor(params: DownloadSlotsParams) {
    if (!Number.isSafeInteger(params.limit) || params.limit < 1) {
      throw new RangeError(
        `the download limit must be an integer of at least 1, got ${params.limit}`,
      );
    }
    this.limit = params.limit;
  }

  /** Downloads running now. */
  get inUse(): number {
    return this.#inUse;
  }

  /**
   * Takes a slot if one is free. Returns its release function (safe to call more than once), or
   * undefined when every slot is taken.
   */
  tryAcquire(): (() => void) | undefined {
    if (this.#inUse >= this.limit) return undefined;
    this.#inUse += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse -= 1;
    };
  }
}
