/**
 * An in-memory sliding-window rate limiter (one node process; limits reset on restart, which is
 * acceptable for a per-minute anti-abuse limit and needs no shared store).
 */

/** Outcome of {@link SlidingWindowRateLimiter.take}. */
export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Allows at most `limit` events per key in any window of `windowMs`. */
export class SlidingWindowRateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #events = new Map<string, number[]>();

  constructor(params: { limit: number; windowMs: number; now?: () => number }) {
    this.#limit = params.limit;
    this.#windowMs = params.windowMs;
    this.#now = params.now ?? Date.now;
  }

  /** Counts one event for `key` if the window allows it. */
  take(key: string): RateLimitVerdict {
    const now = this.#now();
    const since = now - this.#windowMs;
    const recent = (this.#events.get(key) ?? []).filter((time) => time > since);
    if (recent.length >= this.#limit) {
      this.#events.set(key, recent);
      const retryAfterMs = recent[0]! + this.#windowMs - now;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
    }
    recent.push(now);
    this.#events.set(key, recent);
    if (this.#events.size > 10_000) this.#sweep(since);
    return { allowed: true };
  }

  /** Forgets keys with no event in the window, so memory stays bounded by active keys. */
  #sweep(since: number): void {
    for (const [key, times] of this.#events) {
      if (times.at(-1)! <= since) this.#events.delete(key);
    }
  }
}
