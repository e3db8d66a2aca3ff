/**
 * Keeps garbage collection and writes to the store apart. An upload writes its blocks before it
 * has a CID and pins them only at the end; a collection running in between would delete them as
 * unpinned. So every put or pin holds the gate shared, and a collection holds it alone: it waits
 * for the writes in flight to finish (new ones wait behind it), and gives up for this round if
 * they do not finish in time, so a stalled upload can neither be damaged nor block uploads long.
 */

/** Parameters of {@link GcGate}. */
export interface GcGateParams {
  /** How long a collection waits for writes in flight before skipping its round. */
  maxWaitMs: number;
}

export class GcGate {
  readonly #maxWaitMs: number;
  #writers = 0;
  #onDrained: (() => void) | undefined;
  /** Settles when the collection holding the gate ends; undefined when none does. */
  #collecting: Promise<void> | undefined;

  constructor(params: GcGateParams) {
    this.#maxWaitMs = params.maxWaitMs;
  }

  /** Writes in flight now. */
  get writers(): number {
    return this.#writers;
  }

  /** Waits for any collection to end, then counts a write in flight until `release` is called. */
  async enterWrite(): Promise<() => void> {
    // Bounded: each collection ends (it waits at most maxWaitMs, then works a bounded list).
    while (this.#collecting !== undefined) await this.#collecting;
    this.#writers += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#writers -= 1;
      if (this.#writers === 0) this.#onDrained?.();
    };
  }

  /**
   * Runs `work` with no write in flight. Resolves to `{ ran: false }` when writes were still in
   * flight after maxWaitMs (nothing was done), else to `{ ran: true, value }`.
   */
  async collect<T>(work: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    while (this.#collecting !== undefined) await this.#collecting;
    let finish!: () => void;
    this.#collecting = new Promise((resolve) => (finish = resolve));
    try {
      if (!(await this.#drained())) return { ran: false };
      return { ran: true, value: await work() };
    } finally {
      this.#collecting = undefined;
      finish();
    }
  }

  async #drained(): Promise<boolean> {
    if (this.#writers === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<boolean>((resolve) => {
        this.#onDrained = () => resolve(true);
        timer = setTimeout(() => resolve(false), this.#maxWaitMs);
      });
    } finally {
      clearTimeout(timer);
      this.#onDrained = undefined;
    }
  }
}
