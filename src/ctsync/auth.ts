// Optional datagram authentication, beyond conntrackd (which has none, so it is off when pairing
// with conntrackd). Every datagram gets a 48-byte trailer:
//
//   bytes 0-7    sender's counter, big-endian: max(previous + 1, wall clock ms << 20), so it keeps
//                growing across the sender's restarts as long as its clock does not run backwards
//   bytes 8-15   echo: the highest counter the sender has seen (with a valid tag) from the receiver
//   bytes 16-47  HMAC-SHA256(key, "STKSYNC2" | sender id | receiver id | bytes 0-15 | payload)
//
// Direction: the ids are the two ends' addresses on the sync link (with multicast the receiver's is
// the group, and the sender's is the datagram's source address), so a datagram reflected back to its sender fails its tag there (counted as
// auth-reflected) and one from another pair using the same key fails too.
// Replay: a sliding window over counters (IPsec-style) while the receiver runs. A restarted
// receiver has forgotten its window; instead of trusting the first counter it sees, it accepts a
// datagram only once the peer echoes a counter from the receiver's current life (>= its first
// one): a handshake riding on traffic both sides send anyway (FTFW's ALIVE / ACK every second).
// Until then datagrams with good tags are dropped as auth-stale, but their counters are echoed,
// so the handshake completes with the next datagram each way; FTFW resends what was dropped.
// No synchronised clocks needed: each side compares only against its own counters.
import { createHmac, timingSafeEqual } from '../common/index.ts';

export const AUTH_COUNTER_LEN = 8;
export const AUTH_ECHO_LEN = 8;
export const AUTH_TAG_LEN = 32;
export const AUTH_TRAILER_LEN = AUTH_COUNTER_LEN + AUTH_ECHO_LEN + AUTH_TAG_LEN;
export const MIN_KEY_LEN = 32;
const DOMAIN = Buffer.from('STKSYNC2');

export const AUTH_DROPS = ['auth-short', 'auth-bad-tag', 'auth-reflected', 'auth-replayed', 'auth-stale'] as const;
export type AuthDrop = typeof AUTH_DROPS[number];

export interface AuthStats {
  signed: number;
  verified: number;
  drops: Record<AuthDrop, number>;
}

export interface AuthOptions {
  key: Buffer;
  /** This end's id (its sync address) and the other end's (the peer's sync address). */
  self: string;
  peer: string;
  /** Multicast: the group, which stands for the receiver in both directions. */
  group?: string;
  /** Counters this far behind the highest seen are still accepted once (reordering). Default 1024. */
  replayWindow?: number;
  /** Wall clock in ms (tests); default Date.now. */
  clock?: () => number;
}

export function newAuthDrops(): Record<AuthDrop, number> {
  return Object.fromEntries(AUTH_DROPS.map((r) => [r, 0])) as Record<AuthDrop, number>;
}

export class DatagramAuth {
  readonly stats: AuthStats = { signed: 0, verified: 0, drops: newAuthDrops() };
  readonly #key: Buffer;
  readonly #window: number;
  readonly #clock: () => number;
  readonly #out: Buffer;
  readonly #in: Buffer;
  readonly #group: string | undefined;
  /** Next counter to send; the first one of this life (echoes below it are from before). */
  #counter = 0n;
  #first: bigint | undefined;
  /** Highest counter with a valid tag heard from the peer: echoed back. */
  #heard = 0n;
  #highest: bigint | undefined;
  /** Bit i set: counter (highest - i) has been accepted. */
  #seen = 0n;
  /** A stale datagram came in: the peer needs a datagram from us (probe()) to finish the handshake. */
  probeDue = false;

  constructor(opts: AuthOptions) {
    if (opts.key.length < MIN_KEY_LEN) throw new RangeError(`sync key must be at least ${MIN_KEY_LEN} bytes`);
    this.#key = Buffer.from(opts.key);
    this.#window = opts.replayWindow ?? 1024;
    this.#clock = opts.clock ?? Date.now;
    this.#group = opts.group;
    this.#out = direction(opts.self, opts.group ?? opts.peer);
    this.#in = direction(opts.peer, opts.group ?? opts.self);
  }

  #tag(dir: Buffer, head: Buffer, payload: Uint8Array): Buffer {
    return createHmac('sha256', this.#key).update(DOMAIN).update(dir).update(head).update(payload).digest();
  }

  #nextCounter(): bigint {
    const clock = BigInt(Math.floor(this.#clock())) << 20n;
    const c = clock > this.#counter ? clock : this.#counter;
    this.#first ??= c;
    this.#counter = c + 1n;
    return c;
  }

  /** payload + counter + echo + tag. */
  sign(payload: Uint8Array): Buffer {
    const head = Buffer.alloc(AUTH_COUNTER_LEN + AUTH_ECHO_LEN);
    head.writeBigUInt64BE(this.#nextCounter(), 0);
    head.writeBigUInt64BE(this.#heard, AUTH_COUNTER_LEN);
    this.stats.signed++;
    return Buffer.concat([payload, head, this.#tag(this.#out, head, payload)]);
  }

  /**
   * The payload if the datagram is authentic, from the peer to us, new and fresh; else undefined
   * (counted). `source`: the datagram's source address, which names the sender with multicast.
   */
  verify(datagram: Uint8Array, source?: string): Buffer | undefined {
    const dirIn = this.#group !== undefined && source !== undefined ? direction(source, this.#group) : this.#in;
    const d = Buffer.isBuffer(datagram) ? datagram : Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    if (d.length < AUTH_TRAILER_LEN) return this.#drop('auth-short');
    const end = d.length - AUTH_TRAILER_LEN;
    const payload = d.subarray(0, end);
    const head = d.subarray(end, end + AUTH_COUNTER_LEN + AUTH_ECHO_LEN);
    const tag = d.subarray(end + AUTH_COUNTER_LEN + AUTH_ECHO_LEN);
    if (!timingSafeEqual(tag, this.#tag(dirIn, head, payload))) {
      // Only on failure: is it our own datagram sent back to us?
      return this.#drop(timingSafeEqual(tag, this.#tag(this.#out, head, payload)) ? 'auth-reflected' : 'auth-bad-tag');
    }
    const counter = head.readBigUInt64BE(0);
    const echo = head.readBigUInt64BE(AUTH_COUNTER_LEN);
    if (counter > this.#heard) this.#heard = counter;
    // Before we have sent anything, the peer cannot have heard this life of ours: make it hear us.
    if (this.#first === undefined || echo < this.#first) {
      this.probeDue = true;
      return this.#drop('auth-stale');
    }
    if (!this.#accept(counter)) return this.#drop('auth-replayed');
    this.stats.verified++;
    return payload;
  }

  /** An empty signed datagram: carries our counter and echo only (the peer's protocol sees nothing). */
  probe(): Buffer {
    this.probeDue = false;
    return this.sign(Buffer.alloc(0));
  }

  /** Whether the peer has shown it heard this life of ours (verify accepted something). */
  get established(): boolean {
    return this.#highest !== undefined;
  }

  #drop(reason: AuthDrop): undefined {
    this.stats.drops[reason]++;
    return undefined;
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

/** "sender\0receiver": which way a datagram goes. */
function direction(from: string, to: string): Buffer {
  return Buffer.from(`${from}\0${to}\0`, 'utf8');
}
