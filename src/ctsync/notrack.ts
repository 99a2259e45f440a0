// NOTRACK as conntrackd defines it: every message sent once (no resend queue, no ACK/NACK, no
// HELLO), ALIVE after an idle second, every received message processed whatever its order (the
// sequence number only feeds the statistics), RESYNC honoured with a bulk send. ACK and NACK from
// an FTFW peer are counted as malformed. Same shape as FtfwCore so SyncNode can use either.
import { DatagramPacker } from './datagrams.ts';
import { decodeDatagram, encodeControl, encodeData } from './wire/codec.ts';
import type { DataType, SyncEntry } from './wire/codec.ts';
import type { FtfwSink, FtfwStats, SyncProtocol } from './ftfw.ts';
import { newFtfwStats, seqAfter } from './ftfw.ts';

export interface NotrackOptions {
  aliveMs?: number;
  maxDatagram?: number;
  initialSeq: number;
}

export class NotrackCore implements SyncProtocol {
  readonly stats: FtfwStats;
  readonly #sink: FtfwSink;
  readonly #aliveMs: number;
  readonly #maxDatagram: number;
  #nextSeq: number;
  /** Queued entries by key, coalesced until sent. */
  readonly #tx = new Map<string, { type: DataType; entry: SyncEntry } | { resync: true }>();
  #lastTx = 0;
  #lastRecv: number | undefined;
  #resyncs = 0;

  constructor(opts: NotrackOptions, sink: FtfwSink) {
    this.#sink = sink;
    this.#aliveMs = opts.aliveMs ?? 1000;
    this.#maxDatagram = opts.maxDatagram ?? 1472;
    this.#nextSeq = opts.initialSeq >>> 0;
    this.stats = newFtfwStats();
  }

  get pending(): { tx: number; resend: number; entries: number } {
    return { tx: this.#tx.size, resend: 0, entries: this.#tx.size };
  }

  get helloDone(): boolean {
    return true;
  }

  enqueue(key: string, type: DataType, entry: SyncEntry): void {
    const old = this.#tx.get(key);
    const t = old !== undefined && 'type' in old && old.type === 'new' && type === 'update' ? 'new' : type;
    this.#tx.set(key, { type: t, entry });
  }

  requestResync(): void {
    this.#tx.set(`\0resync${this.#resyncs++}`, { resync: true });
  }

  receive(datagram: Uint8Array, _now: number): void {
    this.stats.datagramsReceived++;
    const d = decodeDatagram(datagram);
    for (const r of d.drops) this.stats.drops[r]++;
    for (const m of d.messages) {
      this.stats.messagesReceived++;
      if (this.#lastRecv !== undefined) {
        if (seqAfter(m.seq, (this.#lastRecv + 1) >>> 0)) this.stats.lost += (m.seq - this.#lastRecv - 1) >>> 0;
        else if (!seqAfter(m.seq, this.#lastRecv)) this.stats.old++;
      }
      if (this.#lastRecv === undefined || seqAfter(m.seq, this.#lastRecv)) this.#lastRecv = m.seq;
      if (m.kind === 'data') {
        this.stats.applied++;
        this.#sink.apply(m.type, m.entry);
      } else if (m.kind === 'resync') {
        this.#sink.resyncRequested();
      } else if (m.kind === 'ack' || m.kind === 'nack') {
        this.stats.drops['bad-type']++; // conntrackd NOTRACK: "malformed"
      }
    }
  }

  flush(now: number): void {
    if (this.#tx.size === 0) return;
    const packer = new DatagramPacker(this.#maxDatagram, this.stats, (d) => this.#sink.send(d));
    for (const item of this.#tx.values()) {
      const seq = this.#nextSeq;
      this.#nextSeq = (seq + 1) >>> 0;
      packer.add('resync' in item ? encodeControl({ kind: 'resync', flags: 0, seq, from: 0, to: 0 }) : encodeData(item.type, item.entry, seq));
    }
    this.#tx.clear();
    packer.end();
    this.#lastTx = now;
  }

  tick(now: number): void {
    if (now - this.#lastTx < this.#aliveMs) {
      this.flush(now);
      return;
    }
    if (this.#tx.size === 0) {
      const seq = this.#nextSeq;
      this.#nextSeq = (seq + 1) >>> 0;
      const packer = new DatagramPacker(this.#maxDatagram, this.stats, (d) => this.#sink.send(d));
      packer.add(encodeControl({ kind: 'alive', flags: 0, seq }));
      packer.end();
      this.#lastTx = now;
      return;
    }
    this.flush(now);
  }
}
