// Counters against replay, shared by advert authentication (auth.ts) and the sync-link heartbeats
// (heartbeat-link.ts). Pure.
//
// Sender: the counter is its wall clock in µs, or the last counter + 1 when the clock has not moved
// on, so it keeps growing across a restart of the sender as long as the clock does not run back.
// Receiver: per sender, the highest counter and a 64-counter bitmap below it (IPsec-style window):
// a counter at or below the window, or seen before, is a replay. A receiver that has no window for
// a sender (it has just started, and forgot everything it had seen) takes a first counter only when
// its time is within `firstSkewMs` of its own clock (default DEFAULT_FIRST_SKEW_MS): a datagram
// captured earlier and replayed after the restart is older than that. Optionally `maxSkewMs` is
// checked on every counter (both boxes on NTP).

export const REPLAY_WINDOW = 64n;
/** A first counter from a sender may be this far from our clock (the clocks of a pair must agree this well). */
export const DEFAULT_FIRST_SKEW_MS = 60_000;
/** Senders remembered at once; beyond, the least recently heard is forgotten (then its next counter is a first one). */
export const MAX_SENDERS = 64;

export class CounterClock {
  #last = 0n;

  /** The next counter; `wallClockMs` is Date.now(). */
  next(wallClockMs: number): bigint {
    const fromClock = BigInt(Math.max(0, Math.floor(wallClockMs * 1000)));
    this.#last = fromClock > this.#last ? fromClock : this.#last + 1n;
    return this.#last;
  }
}

export type ReplayVerdict = 'ok' | 'replay' | 'clock';

export interface ReplayOptions {
  /** Every counter's time must be within this of our clock. */
  maxSkewMs?: number;
  /** A first counter's time must be within this of our clock (default DEFAULT_FIRST_SKEW_MS). */
  firstSkewMs?: number;
}

interface Window {
  highest: bigint;
  /** Bit i set: counter highest - i was seen (bit 0 is highest itself). */
  seen: bigint;
}

function skewOf(counter: bigint, wallClockMs: number): number {
  return Math.abs(Number(counter / 1000n) - wallClockMs);
}

/** Replay windows of any number of senders (keyed by their address). */
export class ReplayWindows {
  readonly #opts: ReplayOptions;
  readonly #windows = new Map<number, Window>();

  constructor(opts: ReplayOptions = {}) {
    this.#opts = opts;
  }

  /** Whether `counter` from `sender` is new; records it when it is. Call only for authentic datagrams. */
  check(sender: number, counter: bigint, wallClockMs: number): ReplayVerdict {
    if (this.#opts.maxSkewMs !== undefined && skewOf(counter, wallClockMs) > this.#opts.maxSkewMs) return 'clock';
    const w = this.#windows.get(sender);
    if (!w) {
      if (skewOf(counter, wallClockMs) > (this.#opts.firstSkewMs ?? DEFAULT_FIRST_SKEW_MS)) return 'clock';
      if (this.#windows.size >= MAX_SENDERS) this.#windows.delete(this.#windows.keys().next().value!);
      this.#windows.set(sender, { highest: counter, seen: 1n });
      return 'ok';
    }
    // Most recently heard last, for the eviction above.
    this.#windows.delete(sender);
    this.#windows.set(sender, w);
    if (counter > w.highest) {
      const shift = counter - w.highest;
      w.seen = shift >= REPLAY_WINDOW ? 1n : ((w.seen << shift) | 1n) & ((1n << REPLAY_WINDOW) - 1n);
      w.highest = counter;
      return 'ok';
    }
    const age = w.highest - counter;
    if (age >= REPLAY_WINDOW) return 'replay';
    const bit = 1n << age;
    if ((w.seen & bit) !== 0n) return 'replay';
    w.seen |= bit;
    return 'ok';
  }

  forget(sender: number): void {
    this.#windows.delete(sender);
  }
}
