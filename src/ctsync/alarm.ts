// ALARM as conntrackd defines it: no control messages at all (no ALIVE, RESYNC, ACK, NACK or
// HELLO); every synced entry is re-sent on a refresh timer, re-armed on each change to a random
// 1..RefreshTime s plus 0.2..1.0 s; destroys are sent when they happen. The receiver ignores any
// message with a flag set and applies data messages whatever their order (the sequence number only
// feeds the statistics); the external cache drops entries not refreshed within CacheTimeout
// (SyncNode does that). Same shape as FtfwCore.
import { DatagramPacker } from './datagrams.ts';
import { decodeDatagram, encodeData } from './wire/codec.ts';
import type { DataType, SyncEntry } from './wire/codec.ts';
import type { FtfwSink, FtfwStats, SyncProtocol } from './ftfw.ts';
import { newFtfwStats, seqAfter } from './ftfw.ts';

export interface AlarmOptions {
  /** RefreshTime in seconds. Default 60 (conntrackd's default; its example uses 15). */
  refreshS?: number;
  maxDatagram?: number;
  initialSeq: number;
  /** Injected for tests; default Math.random. */
  random?: () => number;
}

interface Refresh {
  entry: SyncEntry;
  due: number;
  updated: boolean;
}

export class AlarmCore implements SyncProtocol {
  readonly stats: FtfwStats;
  readonly #sink: FtfwSink;
  readonly #refreshMs: number;
  readonly #maxDatagram: number;
  readonly #random: () => number;
  #nextSeq: number;
  #now = 0;
  readonly #refresh = new Map<string, Refresh>();
  /** Messages to send at the next flush, coalesced by key. */
  readonly #tx = new Map<string, { type: DataType; entry: SyncEntry }>();
  #lastRecv: number | undefined;

  constructor(opts: AlarmOptions, sink: FtfwSink) {
    this.#sink = sink;
    this.#refreshMs = (opts.refreshS ?? 60) * 1000;
    this.#maxDatagram = opts.maxDatagram ?? 1472;
    this.#random = opts.random ?? Math.random;
    this.#nextSeq = opts.initialSeq >>> 0;
    this.stats = newFtfwStats();
  }

  get pending(): { tx: number; resend: number; entries: number } {
    return { tx: this.#tx.size, resend: 0, entries: this.#refresh.size };
  }

  #arm(): number {
    // 1..RefreshTime s, plus 0.2..1.0 s, as conntrackd's cache timer.
    return this.#now + Math.max(1000, Math.floor(this.#random() * this.#refreshMs)) + 200 + Math.floor(this.#random() * 800);
  }

  enqueue(key: string, type: DataType, entry: SyncEntry): void {
    if (type === 'destroy') {
      this.#refresh.delete(key);
      this.#tx.set(key, { type, entry });
      return;
    }
    const r = this.#refresh.get(key);
    this.#refresh.set(key, { entry, due: this.#arm(), updated: r !== undefined || type === 'update' });
    const queued = this.#tx.get(key);
    this.#tx.set(key, { type: queued?.type === 'new' ? 'new' : type, entry });
  }

  /** ALARM has no RESYNC: a no-op, as conntrackd's -n in this mode. */
  requestResync(): void {}

  receive(datagram: Uint8Array, now: number): void {
    this.#now = now;
    this.stats.datagramsReceived++;
    const d = decodeDatagram(datagram);
    for (const r of d.drops) this.stats.drops[r]++;
    for (const m of d.messages) {
      this.stats.messagesReceived++;
      if (m.flags !== 0 || m.kind !== 'data') continue; // any flag: ignored in this mode
      if (this.#lastRecv !== undefined) {
        if (seqAfter(m.seq, (this.#lastRecv + 1) >>> 0)) this.stats.lost += (m.seq - this.#lastRecv - 1) >>> 0;
        else if (!seqAfter(m.seq, this.#lastRecv)) this.stats.old++;
      }
      if (this.#lastRecv === undefined || seqAfter(m.seq, this.#lastRecv)) this.#lastRecv = m.seq;
      this.stats.applied++;
      this.#sink.apply(m.type, m.entry);
    }
  }

  flush(now: number): void {
    this.#now = now;
    if (this.#tx.size === 0) return;
    const packer = new DatagramPacker(this.#maxDatagram, this.stats, (d) => this.#sink.send(d));
    for (const item of this.#tx.values()) {
      const seq = this.#nextSeq;
      this.#nextSeq = (seq + 1) >>> 0;
      packer.add(encodeData(item.type, item.entry, seq));
    }
    this.#tx.clear();
    packer.end();
  }

  /** Re-sends every entry whose refresh timer has fired, and re-arms it. */
  tick(now: number): void {
    this.#now = now;
    for (const [key, r] of this.#refresh) {
      if (r.due > now) continue;
      if (!this.#tx.has(key)) this.#tx.set(key, { type: r.updated ? 'update' : 'new', entry: r.entry });
      r.due = this.#arm();
      this.stats.retransmitted++;
    }
    this.flush(now);
  }
}
