// A model of conntrackd 1.4.7's FTFW (src/sync-ftfw.c, src/network.c), message for message, to put
// opposite our core in unit tests with a fake clock. What matters here is where it differs from
// our core: every message carrying HELLO empties its whole resend queue (so a NACK that carries
// HELLO, or one that arrives after a HELLO, finds nothing to resend) and skips the sequence check;
// it NACKs a gap once and never again. Built from the reference notes (reference/conntrackd-sync.md
// section 2.2) and sync-ftfw.c; the lab test daemon-conntrackd checks the real one.
import { entryKey } from '../../../src/ctsync/convert.ts';
import { DatagramPacker } from '../../../src/ctsync/datagrams.ts';
import { newFtfwStats, seqAfter, seqBefore } from '../../../src/ctsync/ftfw.ts';
import { decodeDatagram, encodeControl, encodeData } from '../../../src/ctsync/wire/codec.ts';
import type { DataType, SyncEntry, WireMessage } from '../../../src/ctsync/wire/codec.ts';
import { NET_F_HELLO, NET_F_HELLO_BACK } from '../../../src/ctsync/wire/constants.ts';

type Ctl = { kind: 'ack' | 'nack' | 'resync'; from: number; to: number } | { kind: 'alive' };
type Item = { obj: string } | { ctl: Ctl; seq: number };

interface Obj {
  type: DataType;
  entry: SyncEntry;
  /** Which queue its one queue node is in (an object is in at most one). */
  q: 'none' | 'tx' | 'rs';
  seq: number;
}

export class ConntrackdModel {
  /** What it has applied from its peer (its external cache): key -> entry. */
  readonly external = new Map<string, SyncEntry>();
  readonly #internal = new Map<string, Obj>();
  readonly #send: (d: Buffer) => void;
  readonly #window: number;
  #seq: number;
  #tx: Item[] = [];
  #rs: Item[] = [];
  #hello: 'init' | 'say' | 'done' = 'init';
  #sayHelloBack = false;
  #lastRecv: number | undefined;
  #ackFrom = 0;
  #ackFromSet = false;
  #windowLeft: number;
  #lastXmit = 0;
  resyncsServed = 0;

  constructor(initialSeq: number, send: (d: Buffer) => void, window = 300) {
    this.#seq = initialSeq >>> 0;
    this.#send = send;
    this.#window = window;
    this.#windowLeft = window;
  }

  get rsQueue(): number {
    return this.#rs.length;
  }

  /** A kernel event (ftfw_enqueue): the object goes (back) to the transmit queue. */
  enqueue(key: string, type: DataType, entry: SyncEntry): void {
    const o = this.#internal.get(key);
    if (o === undefined) {
      this.#internal.set(key, { type, entry, q: 'tx', seq: 0 });
      this.#tx.push({ obj: key });
      return;
    }
    o.type = type;
    o.entry = entry;
    if (o.q === 'rs') this.#rs = this.#rs.filter((i) => !('obj' in i && i.obj === key));
    if (o.q !== 'tx') this.#tx.push({ obj: key });
    o.q = 'tx';
  }

  /** conntrackd -n */
  requestResync(): void {
    this.#tx.push({ ctl: { kind: 'resync', from: 0, to: 0 }, seq: 0 });
  }

  receive(d: Buffer): void {
    for (const m of decodeDatagram(d).messages) this.#recv(m);
  }

  #recv(m: WireMessage): void {
    let hello = false;
    if ((m.flags & NET_F_HELLO) !== 0) {
      this.#sayHelloBack = true;
      hello = true;
    }
    if ((m.flags & NET_F_HELLO_BACK) !== 0 && this.#hello === 'say') this.#hello = 'done';
    let processed: boolean;
    if (hello) {
      if (this.#ackFromSet && seqBefore(m.seq, this.#ackFrom)) {
        this.#windowLeft = this.#window - 1;
        this.#ackFrom = m.seq;
      }
      // "flush the resend queues since the other does not know anything about that data"
      for (const i of this.#rs) if ('obj' in i) this.#internal.get(i.obj)!.q = 'none';
      this.#rs = [];
      processed = this.#inSync(m);
    } else if (this.#lastRecv === undefined || m.seq === ((this.#lastRecv + 1) >>> 0)) {
      processed = this.#inSync(m);
    } else if (seqAfter(m.seq, this.#lastRecv)) {
      const exp = (this.#lastRecv + 1) >>> 0;
      processed = this.#digest(m);
      if (processed) {
        if (this.#ackFromSet) {
          this.#queueCtl({ kind: 'ack', from: this.#ackFrom, to: (exp - 1) >>> 0 });
          this.#ackFromSet = false;
        }
        this.#queueCtl({ kind: 'nack', from: exp, to: (m.seq - 1) >>> 0 });
        this.#windowLeft = this.#window - 1;
        this.#ackFrom = m.seq;
        this.#ackFromSet = true;
      }
    } else {
      processed = false; // "we don't accept delayed packets"
    }
    if (processed) this.#lastRecv = m.seq;
  }

  #inSync(m: WireMessage): boolean {
    if (!this.#digest(m)) return false;
    if (!this.#ackFromSet) {
      this.#ackFromSet = true;
      this.#ackFrom = m.seq;
    }
    if (--this.#windowLeft <= 0) {
      this.#queueCtl({ kind: 'ack', from: this.#ackFrom, to: m.seq });
      this.#windowLeft = this.#window;
      this.#ackFromSet = false;
    }
    return true;
  }

  #digest(m: WireMessage): boolean {
    switch (m.kind) {
      case 'data': {
        const k = entryKey(m.entry);
        if (m.type === 'destroy') this.external.delete(k);
        else this.external.set(k, m.entry);
        return true;
      }
      case 'ack':
      case 'nack': {
        if (seqBefore(m.to, m.from)) return false;
        const inRange = (seq: number): boolean => !seqBefore(seq, m.from) && !seqAfter(seq, m.to);
        const keep: Item[] = [];
        for (const i of this.#rs) {
          const seq = 'obj' in i ? this.#internal.get(i.obj)!.seq : i.seq;
          if (!inRange(seq)) { keep.push(i); continue; }
          if (m.kind === 'ack') {
            if ('obj' in i) this.#internal.get(i.obj)!.q = 'none';
          } else {
            if ('obj' in i) this.#internal.get(i.obj)!.q = 'tx';
            this.#tx.push(i);
          }
        }
        this.#rs = keep;
        return true;
      }
      case 'resync':
        this.resyncsServed++;
        for (const [key, o] of this.#internal) {
          if (o.q === 'tx') continue;
          if (o.q === 'rs') this.#rs = this.#rs.filter((i) => !('obj' in i && i.obj === key));
          o.q = 'tx';
          this.#tx.push({ obj: key });
        }
        return true;
      case 'alive':
        return true;
      case 'skip':
        return false;
    }
  }

  #queueCtl(c: Ctl): void {
    this.#tx.push({ ctl: c, seq: 0 });
  }

  #flags(): number {
    let f = 0;
    if (this.#hello === 'init') this.#hello = 'say';
    if (this.#hello === 'say') f |= NET_F_HELLO;
    if (this.#sayHelloBack) {
      f |= NET_F_HELLO_BACK;
      this.#sayHelloBack = false;
    }
    return f;
  }

  /** The transmit pass (tx_queue_xmit for every item, then the flush); re-arms the alive alarm. */
  flush(now: number): void {
    if (this.#tx.length === 0) return;
    const items = this.#tx;
    this.#tx = [];
    const packer = new DatagramPacker(1472, newFtfwStats(), this.#send);
    for (const i of items) {
      const seq = this.#seq;
      this.#seq = (seq + 1) >>> 0;
      if ('ctl' in i) {
        const c = i.ctl;
        packer.add(c.kind === 'alive' ? encodeControl({ kind: 'alive', flags: this.#flags(), seq })
          : encodeControl({ kind: c.kind, flags: this.#flags(), seq, from: c.from, to: c.to }));
        if (c.kind !== 'alive') this.#rs.push({ ctl: c, seq });
      } else {
        const o = this.#internal.get(i.obj)!;
        packer.add(encodeData(o.type, o.entry, seq, this.#flags()));
        o.seq = seq;
        o.q = 'rs';
        this.#rs.push(i);
      }
    }
    packer.end();
    this.#lastXmit = now;
  }

  /** The alive alarm: 1 s after the last transmit pass, ACK what is unacknowledged, else ALIVE. */
  tick(now: number): void {
    if (now - this.#lastXmit >= 1000) {
      if (this.#ackFromSet && this.#lastRecv !== undefined) {
        this.#queueCtl({ kind: 'ack', from: this.#ackFrom, to: this.#lastRecv });
        this.#ackFromSet = false;
      } else {
        this.#queueCtl({ kind: 'alive' });
      }
      this.#lastXmit = now;
    }
    this.flush(now);
  }
}
