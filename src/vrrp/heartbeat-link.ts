// Both ends of the sync-link heartbeat path, pure (bytes, `now` and the wall clock in; heartbeats
// and what they say out): signs what goes out, checks what comes in, counts every refusal by reason.
//
// With a key: a heartbeat must carry a good MAC and a new counter (replay.ts; a first counter after
// our start within a minute of our clock), and it is `trusted` (may start an accelerated takeover)
// only once the peer has echoed a counter we sent since our start: a heartbeat recorded before
// our restart cannot echo one, so nothing replayed across a restart of either side starts a
// takeover. Without a key every heartbeat is untrusted: it may delay a takeover (veto), never
// cause one (instance.ts).
import { decodeHeartbeat, encodeHeartbeat } from './heartbeat.ts';
import type { HeartbeatKey } from './heartbeat.ts';
import { CounterClock, ReplayWindows } from './replay.ts';

export const HEARTBEAT_DROP_REASONS = [
  'malformed', // not one well-formed version-2 heartbeat
  'foreign', // not from the peer's address, or not on the sync interface
  'key_id', // unsigned while we have a key, signed with another key id, or signed while we have none
  'mac', // HMAC mismatch: forged or altered
  'replay', // counter seen before, or older than the window
  'clock', // a first counter too far from our clock (a replay after our restart, or the clocks disagree)
] as const;
export type HeartbeatDrop = (typeof HEARTBEAT_DROP_REASONS)[number];

export interface HeartbeatLinkOptions {
  /** Our address on the sync link (bound into our MACs). */
  local: number;
  peer: number;
  key?: HeartbeatKey;
}

export interface HeartbeatIn {
  masters: ReadonlySet<string>;
  /** May start an accelerated takeover (see the header). */
  trusted: boolean;
  /** When (our monotonic clock) the peer last heard a heartbeat of ours; undefined: not since our start. */
  peerHeardUsAt: number | undefined;
}

export interface HeartbeatLinkStatus {
  signed: boolean;
  trusted: boolean;
  sent: number;
  received: number;
  /** Milliseconds since the last heartbeat taken; null: none yet. */
  lastReceivedMsAgo: number | null;
  drops: Record<HeartbeatDrop, number>;
}

/** Heartbeats we sent remembered (counter -> when), to read the peer's echo. */
const SENT_REMEMBERED = 64;

export class HeartbeatLink {
  readonly #opts: HeartbeatLinkOptions;
  readonly #clock = new CounterClock();
  readonly #windows = new ReplayWindows();
  readonly #sent: Array<{ counter: bigint; at: number }> = [];
  readonly #drops = Object.fromEntries(HEARTBEAT_DROP_REASONS.map((r) => [r, 0])) as Record<HeartbeatDrop, number>;
  #first: bigint | undefined;
  #echo = 0n;
  #trusted = false;
  #sentCount = 0;
  #received = 0;
  #lastAt: number | undefined;
  /** Why the latest refused datagram was refused. */
  lastDrop: HeartbeatDrop | undefined;

  constructor(opts: HeartbeatLinkOptions) {
    this.#opts = opts;
  }

  /** The datagram to send now, naming the instances we are MASTER of. */
  encode(now: number, wallClockMs: number, masters: string[]): Uint8Array {
    const counter = this.#clock.next(wallClockMs);
    this.#first ??= counter;
    this.#sent.push({ counter, at: now });
    if (this.#sent.length > SENT_REMEMBERED) this.#sent.shift();
    this.#sentCount++;
    const key = this.#opts.key;
    return encodeHeartbeat({ counter, echo: this.#echo, masters }, key ? { key, source: this.#opts.local } : undefined);
  }

  /** A datagram from `source`; `foreign`: it arrived on another interface. undefined: refused (counted). */
  receive(now: number, wallClockMs: number, source: number, bytes: Uint8Array, foreign = false): HeartbeatIn | undefined {
    if (foreign || source !== this.#opts.peer) return this.#drop('foreign');
    const d = decodeHeartbeat(bytes, source, this.#opts.key);
    if (!d.ok) return this.#drop(d.reason);
    const h = d.heartbeat;
    if (this.#opts.key) {
      const verdict = this.#windows.check(source, h.counter, wallClockMs);
      if (verdict !== 'ok') return this.#drop(verdict);
      if (this.#first !== undefined && h.echo >= this.#first) this.#trusted = true;
    }
    if (h.counter > this.#echo) this.#echo = h.counter;
    this.#received++;
    this.#lastAt = now;
    return { masters: new Set(h.masters), trusted: this.#trusted, peerHeardUsAt: this.#heardAt(h.echo) };
  }

  status(now: number): HeartbeatLinkStatus {
    return {
      signed: this.#opts.key !== undefined,
      trusted: this.#trusted,
      sent: this.#sentCount,
      received: this.#received,
      lastReceivedMsAgo: this.#lastAt === undefined ? null : Math.round(now - this.#lastAt),
      drops: { ...this.#drops },
    };
  }

  /** When we sent the heartbeat the peer echoes; older than we remember: before the oldest we do. */
  #heardAt(echo: bigint): number | undefined {
    if (this.#first === undefined || echo < this.#first) return undefined;
    const hit = this.#sent.find((s) => s.counter === echo);
    if (hit) return hit.at;
    return this.#sent.length > 0 && echo < this.#sent[0]!.counter ? this.#sent[0]!.at - 1 : undefined;
  }

  #drop(reason: HeartbeatDrop): undefined {
    this.#drops[reason]++;
    this.lastDrop = reason;
    return undefined;
  }
}
