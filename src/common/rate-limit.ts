// One rate limiter for log lines a peer or a client can cause (rejected packets and requests):
// a flood must not fill the disk, and the lines that do get out say how many were held back.
// Pure: the caller passes the time. Fixed one-second windows per key: simple, and at most
// 2 x perSecond lines in any second, which is all a disk needs.

/** Keys beyond this share one bucket: the map cannot grow with input. */
const MAX_KEYS = 256;
const OVERFLOW_KEY = '(other)';

interface Bucket {
  windowStart: number;
  used: number;
  /** Held back since the last one let through. */
  pending: number;
}

export type Take = { ok: true; suppressedBefore: number } | { ok: false };

export class RateLimiter {
  readonly perSecond: number;
  readonly #buckets = new Map<string, Bucket>();
  /** Held back so far, by key (never reset: `ctl` shows it). */
  readonly suppressed: Record<string, number> = {};

  constructor(perSecond: number) {
    if (!(perSecond >= 1)) throw new RangeError('rate limit: at least 1 a second');
    this.perSecond = perSecond;
  }

  /** Whether one more event under `key` may go out at `nowMs`; if so, how many were held back before it. */
  take(key: string, nowMs: number): Take {
    if (!this.#buckets.has(key) && this.#buckets.size >= MAX_KEYS) key = OVERFLOW_KEY;
    let b = this.#buckets.get(key);
    if (b === undefined) {
      b = { windowStart: nowMs, used: 0, pending: 0 };
      this.#buckets.set(key, b);
    }
    if (nowMs - b.windowStart >= 1000 || nowMs < b.windowStart) {
      b.windowStart = nowMs;
      b.used = 0;
    }
    if (b.used >= this.perSecond) {
      b.pending++;
      this.suppressed[key] = (this.suppressed[key] ?? 0) + 1;
      return { ok: false };
    }
    b.used++;
    const suppressedBefore = b.pending;
    b.pending = 0;
    return { ok: true, suppressedBefore };
  }
}
