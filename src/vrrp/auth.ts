// Advert authentication: HMAC-SHA256 with a replay window, CARP-style, Stockade's own format.
//
// Why our own: keepalived's `auth_hmac` (an IETF-draft trailer) exists only in keepalived >= 2.3.x
// upstream; Debian 12's keepalived 2.2.7 has no such option (its binary knows only `authentication`
// PASS/AH for version 2), so there was no peer to be compatible with. VRRP itself has none
// (RFC 3768 removed it; version 3 never had it). Only Stockade peers understand the trailer:
// keepalived 2.2.7 drops such adverts ("vrrp packet too long, length 60 and expect 32", seen in the
// lab), so authenticated instances pair with Stockade only.
//
// Wire: the normal VRRP message (v2 or v3, checksum as configured, covering the message only) is
// followed by a 28-byte trailer:
//
//   byte  0      0x53 ('S'): Stockade HMAC-SHA256, format 1
//   byte  1      key id, 1..255 (several keys may be accepted at once, for rotation)
//   bytes 2-3    zero
//   bytes 4-11   64-bit counter, big-endian: max(previous + 1, sender's wall clock in µs), so it
//                keeps growing across restarts as long as the clock does not run backwards
//   bytes 12-27  HMAC-SHA256(key, "STKVRRP1" | sender IPv4 | message with checksum bytes zeroed |
//                trailer bytes 0-11), first 16 bytes
//
// The MAC binds the sender address (no replay from another box) and leaves out the checksum and
// destination, so unicast copies to several peers share one MAC. Receivers keep, per sender, the
// highest counter seen and a 64-counter bitmap below it (replay.ts): a counter at or below the
// window, or seen before, is a replay. A receiver that restarted has forgotten its windows, so a
// first counter from a sender is taken only when its time is within a minute of the receiver's
// clock (replay.ts DEFAULT_FIRST_SKEW_MS): adverts captured earlier do not replay after a restart.
// Optionally (maxClockSkewMs, needs NTP on both boxes) every counter is held to that skew.
import { createHmac, timingSafeEqual } from '../common/index.ts';
import { CounterClock, ReplayWindows } from './replay.ts';

export const TRAILER_LENGTH = 28;
export const TRAILER_TYPE = 0x53;
const MAC_LENGTH = 16;
const MAC_OFFSET = 12;
const DOMAIN = new TextEncoder().encode('STKVRRP1');
export { REPLAY_WINDOW } from './replay.ts';
export const MIN_KEY_LENGTH = 16;

export interface AuthKeys {
  /** Key id -> secret. */
  keys: ReadonlyMap<number, Uint8Array>;
  /** The key this box signs with. */
  activeKeyId: number;
  /** When set, a counter whose time is further than this from the receiver's clock is refused. */
  maxClockSkewMs?: number;
  /** A first counter after the receiver's start: its time within this of the receiver's clock (default 60 s). */
  firstCounterSkewMs?: number;
}

function macOf(key: Uint8Array, source: number, message: Uint8Array, trailerHead: Uint8Array): Uint8Array {
  const h = createHmac('sha256', key);
  h.update(DOMAIN);
  const src = new Uint8Array(4);
  new DataView(src.buffer).setUint32(0, source >>> 0);
  h.update(src);
  const m = Uint8Array.from(message);
  if (m.length >= 8) {
    m[6] = 0;
    m[7] = 0;
  }
  h.update(m);
  h.update(trailerHead);
  return new Uint8Array(h.digest().subarray(0, MAC_LENGTH));
}

/** Signs adverts for one sender address; holds the counter. */
export class AdvertSigner {
  private readonly counter = new CounterClock();
  private readonly keys: AuthKeys;
  private readonly source: number;

  constructor(keys: AuthKeys, source: number) {
    this.keys = keys;
    this.source = source;
  }

  /** The trailer for `message`; `wallClockMs` is the sender's real-time clock (Date.now()). */
  trailer(message: Uint8Array, wallClockMs: number): Uint8Array {
    const key = this.keys.keys.get(this.keys.activeKeyId);
    if (!key) throw new Error(`no key with id ${this.keys.activeKeyId}`);
    const counter = this.counter.next(wallClockMs);
    const t = new Uint8Array(TRAILER_LENGTH);
    const dv = new DataView(t.buffer);
    t[0] = TRAILER_TYPE;
    t[1] = this.keys.activeKeyId;
    dv.setBigUint64(4, counter);
    t.set(macOf(key, this.source, message, t.subarray(0, MAC_OFFSET)), MAC_OFFSET);
    return t;
  }
}

/** auth_clock: the counter's time is too far from our clock (a replay after our restart, or the clocks disagree). */
export type AuthFailure = 'auth_missing' | 'auth_key_id' | 'auth_mac' | 'auth_replay' | 'auth_clock';

/** Checks trailers from any number of senders; keeps each sender's replay window. */
export class AdvertVerifier {
  private readonly keys: AuthKeys;
  private readonly windows: ReplayWindows;

  constructor(keys: AuthKeys) {
    this.keys = keys;
    this.windows = new ReplayWindows({
      ...(keys.maxClockSkewMs !== undefined ? { maxSkewMs: keys.maxClockSkewMs } : {}),
      ...(keys.firstCounterSkewMs !== undefined ? { firstSkewMs: keys.firstCounterSkewMs } : {}),
    });
  }

  /** Verifies and, when valid and fresh, records the counter. */
  verify(source: number, message: Uint8Array, trailer: Uint8Array, wallClockMs: number): { ok: true; counter: bigint } | { ok: false; reason: AuthFailure } {
    if (trailer.length !== TRAILER_LENGTH || trailer[0] !== TRAILER_TYPE) return { ok: false, reason: 'auth_missing' };
    const key = this.keys.keys.get(trailer[1]!);
    if (!key) return { ok: false, reason: 'auth_key_id' };
    const want = macOf(key, source, message, trailer.subarray(0, MAC_OFFSET));
    if (!timingSafeEqual(want, trailer.subarray(MAC_OFFSET, MAC_OFFSET + MAC_LENGTH))) return { ok: false, reason: 'auth_mac' };
    const counter = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength).getBigUint64(4);
    const verdict = this.windows.check(source, counter, wallClockMs);
    if (verdict === 'replay') return { ok: false, reason: 'auth_replay' };
    if (verdict === 'clock') return { ok: false, reason: 'auth_clock' };
    return { ok: true, counter };
  }

  /** Forget one sender's window (e.g. when an operator rotates that peer's clock back). */
  forget(source: number): void {
    this.windows.forget(source);
  }
}
