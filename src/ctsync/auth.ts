// Optional datagram authentication, beyond conntrackd (which has none, so it is off when pairing
// with conntrackd): every datagram gets a trailer of a 64-bit counter and HMAC-SHA256 over
// counter + payload; the receiver checks the tag in constant time and keeps a sliding replay
// window over counters. A restarted sender starts its counter from the clock (ms << 20), so it
// is above anything it sent before; the receiver accepts a jump forward.
import { createHmac, timingSafeEqual } from '../common/hmac.ts';

export const AUTH_COUNTER_LEN = 8;
export const AUTH_TAG_LEN = 32;
export const AUTH_TRAILER_LEN = AUTH_COUNTER_LEN + AUTH_TAG_LEN;
export const MIN_KEY_LEN = 32;

export type AuthDrop = 'auth-short' | 'auth-bad-tag' | 'auth-replayed';

export interface AuthStats {
  signed: number;
  verified: number;
  drops: Record<AuthDrop, number>;
}

export interface AuthOptions {
  key: Buffer;
  /** Counters this far behind the highest seen are still accepted once (reordering). Default 1024. */
  replayWindow?: number;
  /** First counter to send; default from the clock. */
  initialCounter?: bigint;
}

export class DatagramAuth {
  readonly stats: AuthStats = { signed: 0, verified: 0, drops: { 'auth-short': 0, 'auth-bad-tag': 0, 'auth-replayed': 0 } };
  readonly #key: Buffer;
  readonly #window: number;
  #counter: bigint;
  #highest: bigint | undefined;
  /** Bit i set: counter (highest - i) has been seen. */
  #seen = 0n;

  constructor(opts: AuthOptions) {
    if (opts.key.length < MIN_KEY_LEN) throw new RangeError(`sync key must be at least ${MIN_KEY_LEN} bytes`);
    this.#key = Buffer.from(opts.key);
    this.#window = opts.replayWindow ?? 1024;
    this.#counter = opts.initialCounter ?? BigInt(Date.now()) << 20n;
  }

  #tag(counter: Buffer, payload: Uint8Array): Buffer {
    return createHmac('sha256', this.#key).update(counter).update(payload).digest();
  }

  /** payload + counter + tag. */
  sign(payload: Uint8Array): Buffer {
    const c = Buffer.alloc(AUTH_COUNTER_LEN);
    c.writeBigUInt64BE(this.#counter);
    this.#counter++;
    this.stats.signed++;
    return Buffer.concat([payload, c, this.#tag(c, payload)]);
  }

  /** The payload if the datagram is authentic and new; else undefined (counted). */
  verify(datagram: Uint8Array): Buffer | undefined {
    const d = Buffer.isBuffer(datagram) ? datagram : Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    if (d.length < AUTH_TRAILER_LEN) {
      this.stats.drops['auth-short']++;
      return undefined;
    }
    const end = d.length - AUTH_TRAILER_LEN;
    const payload = d.subarray(0, end);
    const c = d.subarray(end, end + AUTH_COUNTER_LEN);
    const tag = d.subarray(end + AUTH_COUNTER_LEN);
    if (!timingSafeEqual(tag, this.#tag(c, payload))) {
      this.stats.drops['auth-bad-tag']++;
      return undefined;
    }
    if (!this.#accept(c.readBigUInt64BE(0))) {
      this.stats.drops['auth-replayed']++;
      return undefined;
    }
    this.stats.verified++;
    return payload;
  }

  #accept(n: bigint): boolean {
    const w = BigInt(this.#window);
    if (this.#highest === undefined || n > this.#highest) {
      const shift = this.#highest === undefined ? w : n - this.#highest;
      this.#seen = shift >= w ? 1n : ((this.#seen << shift) | 1n) & ((1n << w) - 1n);
      this.#highest = n;
      return true;
    }
    const back = this.#highest - n;
    if (back >= w) return false;
    const bit = 1n << back;
    if ((this.#seen & bit) !== 0n) return false;
    this.#seen |= bit;
    return true;
  }
}
