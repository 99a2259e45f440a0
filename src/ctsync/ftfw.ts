// FTFW reliability as conntrackd defines it, as a pure core: fed datagrams and time, it calls
// `send` with datagrams and `apply` with the peer's entries. No sockets, no timers of its own.
//
// Sender: objects (entries by key) are queued, coalesced while queued, and sent with their
// latest state; each sent message gets the next sequence number and waits in the resend queue
// until ACKed. A NACK moves its range back to the transmit queue (new seq, current state).
// Receiver: one expected-seq tracker; in-sequence messages fill an ACK window (ACK after W);
// a gap is processed anyway, ACKs what came before it and NACKs the hole; older messages are
// dropped. HELLO (this node started) and HELLO_BACK (answer) reset the peers' trackers.
// Two departures from conntrackd, both invisible on the wire: a peer's (re)start re-queues our
// unacknowledged entries instead of dropping them, and HELLO messages after the first of a hello
// phase are still checked for gaps (conntrackd skips the check for every HELLO message, so a loss
// during start-up goes unnoticed and is even covered by the next ACK range).
// Idle for `aliveMs`: ACK what is unacknowledged, or send ALIVE.
// Our hello phase under loss, where a conntrackd pair loses entries for good (the wire stays the
// same; only timing and one RESYNC differ):
// - conntrackd takes our HELLO messages unchecked, so one of them lost is never NACKed and its
//   next ACK range covers it. So entries and RESYNC requests wait until the peer has answered our
//   HELLO (at once, if nothing has gone yet); we answer a peer's HELLO within aliveMs / 10.
// - conntrackd empties its whole resend queue at every message of ours that carries HELLO, so a
//   loss in its messages from before our last HELLO reached it cannot be repaired by a NACK (the
//   NACK finds nothing, and a NACK carrying HELLO empties the queue itself). A gap seen before the
//   peer has provably read our last HELLO is repaired by asking for a RESYNC once it has (unless
//   one went after our hello phase: its answer covers the gap).
// A message we cannot use (an expectation, an odd attribute) still takes its place in the sequence
// and is then dropped and counted, as in conntrackd: otherwise its seq would be NACKed for ever.
import { DatagramPacker } from './datagrams.ts';
import {
  decodeDatagram, DROP_REASONS, encodeControl, encodeData,
} from './wire/codec.ts';
import type { DataType, DropReason, SyncEntry, WireMessage } from './wire/codec.ts';
import { NET_F_HELLO, NET_F_HELLO_BACK } from './wire/constants.ts';

/** 32-bit serial arithmetic (RFC 1982), as conntrackd's before()/after(). */
export function seqBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
export function seqAfter(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}
function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

export interface FtfwOptions {
  /** ACKWindowSize. Default 300. */
  ackWindow?: number;
  /** ResendQueueSize in messages. Default 131072. */
  resendQueueSize?: number;
  /** Idle interval before ALIVE / ACK. Default 1000 ms. */
  aliveMs?: number;
  /** Largest datagram: interface MTU - 28 for UDP. Default 1472. */
  maxDatagram?: number;
  /**
   * Most messages sent and not yet acknowledged; further entries wait for ACKs. Flow control
   * conntrackd does not have: a burst (a bulk send, 100,000 new connections) otherwise overruns
   * the peer's socket buffer and turns into NACK storms. Keep it well above the peer's ACK window
   * (conntrackd's default 300), or the peer's idle ACK (1 s) paces us. Default 2000.
   */
  maxInFlight?: number;
  /**
   * Most entries waiting to be sent or acknowledged. While the peer is away nothing is
   * acknowledged and every new connection would wait here; beyond the limit new entries are
   * dropped and counted (the peer's resync on its return brings them). Default 262144.
   */
  pendingLimit?: number;
  /** First sequence number (conntrackd: time(NULL)). */
  initialSeq: number;
}

export interface FtfwSink {
  send(datagram: Buffer): void;
  /** A data message from the peer, in arrival order. */
  apply(type: DataType, entry: SyncEntry): void;
  /** The peer asked for our whole table (RESYNC). */
  resyncRequested(): void;
}

export interface FtfwStats {
  datagramsSent: number;
  messagesSent: number;
  bytesSent: number;
  datagramsReceived: number;
  messagesReceived: number;
  /** Data messages applied. */
  applied: number;
  /** Messages behind the expected seq (duplicates, late copies): dropped. */
  old: number;
  /** Sequence numbers skipped by gaps. */
  lost: number;
  nacksSent: number;
  acksSent: number;
  /** Messages sent again because the peer NACKed them. */
  retransmitted: number;
  /** Transmit passes that left entries waiting for ACKs (maxInFlight reached). */
  heldBack: number;
  /** Messages sent again because the peer's ACKs passed over them. */
  resentSkipped: number;
  /** Resend-queue entries released by ACKs. */
  acked: number;
  /** Resend-queue entries dropped because it was full. */
  resendEvicted: number;
  /** New entries not queued because pendingLimit entries were already waiting. */
  pendingDropped: number;
  /** The peer started a hello phase (it restarted): our unacknowledged entries were sent again. */
  peerRestarts: number;
  /** RESYNC requests sent because the peer's messages were lost while our HELLO was unanswered. */
  helloResyncs: number;
  drops: Record<DropReason, number>;
}

/** Every counter at zero; the NOTRACK and ALARM senders report the same shape. */
export function newFtfwStats(): FtfwStats {
  const drops = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  return {
    datagramsSent: 0, messagesSent: 0, bytesSent: 0, datagramsReceived: 0, messagesReceived: 0, applied: 0, old: 0,
    lost: 0, nacksSent: 0, acksSent: 0, retransmitted: 0, resentSkipped: 0, heldBack: 0, acked: 0, resendEvicted: 0, pendingDropped: 0, peerRestarts: 0,
    helloResyncs: 0, drops,
  };
}

/** What SyncNode needs from a mode's core (FTFW, NOTRACK). */
export interface SyncProtocol {
  readonly stats: FtfwStats;
  readonly pending: { tx: number; resend: number; entries: number };
  /** FTFW: the bounds of the resend queue and of the entries awaiting an ACK. */
  readonly limits?: { resend: number; entries: number };
  enqueue(key: string, type: DataType, entry: SyncEntry): void;
  requestResync(): void;
  /** Sends again everything not yet acknowledged (modes without acknowledgements: absent). */
  resendUnacked?(): void;
  receive(datagram: Uint8Array, now: number): void;
  flush(now: number): void;
  tick(now: number): void;
}

type Control = { kind: 'ack' | 'nack' | 'resync'; from: number; to: number } | { kind: 'alive' };

interface ObjectState {
  type: DataType;
  entry: SyncEntry;
  /** 'tx': waiting to be sent; 'rs': sent, waiting for an ACK (at seq). */
  where: 'tx' | 'rs';
  seq: number;
}

type TxItem = { obj: string } | { ctl: Control };
type RsItem = { obj: string } | { ctl: Control };

export class FtfwCore implements SyncProtocol {
  readonly stats: FtfwStats;
  readonly #sink: FtfwSink;
  readonly #window: number;
  readonly #rsMax: number;
  readonly #aliveMs: number;
  readonly #maxDatagram: number;
  readonly #maxInFlight: number;
  readonly #pendingLimit: number;

  #nextSeq: number;
  readonly #objects = new Map<string, ObjectState>();
  #tx: TxItem[] = [];
  /** Resend queue in send order (a Map keeps insertion order). */
  readonly #rs = new Map<number, RsItem>();

  /** Receive side. */
  #lastRecv: number | undefined;
  #ackFrom: number | undefined;
  #windowLeft: number;

  #helloing = true;
  #helloBackPending = false;
  /** Seq of the last message we sent with HELLO. */
  #lastHelloSeq: number | undefined;
  /** The peer has read (or lost) every message of ours that carried HELLO: it empties its resend queue no more. */
  #helloSettled = false;
  /** A gap in the peer's messages seen before #helloSettled: NACKs may find nothing; RESYNC once settled. */
  #gapWhileHelloing = false;
  /** A RESYNC went out after our hello phase: its answer repairs everything lost before. */
  #resyncSinceHello = false;
  /** The peer's messages carry HELLO (it has not heard our HELLO_BACK yet). */
  #peerHelloing = false;
  #peerHelloEndedAt = Number.NEGATIVE_INFINITY;
  #lastTx = 0;
  #lastHelloAnswer = Number.NEGATIVE_INFINITY;
  #lastSweep = 0;
  /** The peer has acknowledged from here on: older unacknowledged messages were skipped. */
  #skippedBefore: number | undefined;

  constructor(opts: FtfwOptions, sink: FtfwSink) {
    this.#sink = sink;
    this.#window = opts.ackWindow ?? 300;
    this.#rsMax = opts.resendQueueSize ?? 131072;
    this.#aliveMs = opts.aliveMs ?? 1000;
    this.#maxDatagram = opts.maxDatagram ?? 1472;
    this.#maxInFlight = opts.maxInFlight ?? 2000;
    this.#pendingLimit = opts.pendingLimit ?? 262144;
    this.#nextSeq = opts.initialSeq >>> 0;
    this.#windowLeft = this.#window;
    this.stats = newFtfwStats();
  }

  /** The bounds of the queues `pending` counts. */
  get limits(): { resend: number; entries: number } {
    return { resend: this.#rsMax, entries: this.#pendingLimit };
  }

  /** Messages waiting to be sent, sent but not yet acknowledged, and entries not yet acknowledged. */
  get pending(): { tx: number; resend: number; entries: number } {
    return { tx: this.#tx.length, resend: this.#rs.size, entries: this.#objects.size };
  }

  /** Whether the peer has answered our HELLO. */
  get helloDone(): boolean {
    return !this.#helloing;
  }

  /** Queues the latest state of an entry. While queued, later changes replace it. */
  enqueue(key: string, type: DataType, entry: SyncEntry): void {
    const o = this.#objects.get(key);
    if (o === undefined) {
      if (this.#objects.size >= this.#pendingLimit) {
        this.stats.pendingDropped++;
        return;
      }
      this.#objects.set(key, { type, entry, where: 'tx', seq: 0 });
      this.#tx.push({ obj: key });
      return;
    }
    // A pending NEW stays NEW with newer data; otherwise the latest event decides.
    o.type = o.where === 'tx' && o.type === 'new' && type === 'update' ? 'new' : type;
    o.entry = entry;
    if (o.where === 'rs') {
      this.#rs.delete(o.seq);
      o.where = 'tx';
      this.#tx.push({ obj: key });
    }
  }

  /**
   * Everything sent and not yet acknowledged goes out again (new seq, current state): the peer
   * could not have used it (authentication was not yet established both ways).
   */
  resendUnacked(): void {
    this.#requeueUnacked(true);
    if (this.#helloing) this.#queueCtl({ kind: 'alive' }); // our HELLO was not read either; entries wait for its answer
  }

  /** Asks the peer for its whole table (once: a request still waiting to go covers this one). */
  requestResync(): void {
    if (this.#resyncWaiting()) return;
    this.#tx.push({ ctl: { kind: 'resync', from: 0, to: 0 } });
  }

  #resyncWaiting(): boolean {
    return this.#tx.some((i) => 'ctl' in i && i.ctl.kind === 'resync');
  }

  /** Handles one datagram from the peer. Call flush() afterwards to send what it queued. */
  receive(datagram: Uint8Array, now: number): void {
    this.stats.datagramsReceived++;
    const d = decodeDatagram(datagram);
    for (const r of d.drops) this.stats.drops[r]++;
    for (const m of d.messages) this.#receiveMessage(m, now);
  }

  #receiveMessage(m: WireMessage, now: number): void {
    this.stats.messagesReceived++;
    if ((m.flags & NET_F_HELLO_BACK) !== 0) this.#helloing = false;
    const hello = (m.flags & NET_F_HELLO) !== 0;
    if (hello) this.#helloBackPending = true;
    if (hello && !this.#peerHelloing) {
      // The first HELLO of a hello phase: the peer (re)started and numbers afresh, unless this is
      // a late copy (reordering) of its previous hello phase, just ended: older than the last seq.
      const last = this.#lastRecv;
      const late = last !== undefined && !seqAfter(m.seq, last) && now - this.#peerHelloEndedAt < this.#aliveMs;
      if (!late) {
        this.#peerHelloing = true;
        this.#resetReceive();
        this.#process(m);
        this.#countInWindow(m.seq);
        this.#lastRecv = m.seq;
        this.#peerStarted();
        return;
      }
    }
    const last = this.#lastRecv;
    if (last !== undefined) {
      const expected = seqAdd(last, 1);
      if (m.seq !== expected) {
        if (!seqAfter(m.seq, expected)) {
          this.stats.old++;
          return;
        }
        this.#setPeerHelloing(hello, now);
        // A gap: apply this one anyway, acknowledge what came before, ask for the hole.
        this.stats.lost += (m.seq - expected) >>> 0;
        if (!this.#helloSettled) this.#gapWhileHelloing = true;
        this.#process(m);
        if (this.#ackFrom !== undefined) this.#queueCtl({ kind: 'ack', from: this.#ackFrom, to: seqAdd(expected, -1) });
        this.#queueCtl({ kind: 'nack', from: expected, to: seqAdd(m.seq, -1) });
        this.#ackFrom = m.seq;
        this.#windowLeft = this.#window - 1;
        this.#lastRecv = m.seq;
        return;
      }
    }
    this.#setPeerHelloing(hello, now);
    this.#process(m);
    this.#countInWindow(m.seq);
    this.#lastRecv = m.seq;
  }

  /**
   * The peer (re)started (the first HELLO of its hello phase): its sequence numbers start afresh,
   * and it will never NACK what we sent before. conntrackd drops its resend queue here; we send
   * those entries again instead (new seq, current state), so nothing lost just before a restart
   * or during start-up stays lost. ACKs and NACKs refer to old numbers: dropped. An unacknowledged
   * RESYNC request goes again: ours at start-up may have been lost, and the peer never NACKs a
   * message of ours that it missed before its restart.
   */
  #peerStarted(): void {
    this.stats.peerRestarts++;
    this.#requeueUnacked(true);
  }

  /**
   * The resend queue's entries back to the transmit queue (new seq, current state). Its ACKs and
   * NACKs are dropped (they name numbers of the moment); a RESYNC request goes again if asked.
   */
  #requeueUnacked(keepResync = false): void {
    for (const item of this.#rs.values()) {
      if (!('obj' in item)) {
        if (keepResync && item.ctl.kind === 'resync') this.#tx.push(item);
        continue;
      }
      const o = this.#objects.get(item.obj);
      if (o === undefined || o.where !== 'rs') continue;
      o.where = 'tx';
      this.#tx.push(item);
    }
    this.#rs.clear();
  }

  #resetReceive(): void {
    this.#lastRecv = undefined;
    this.#ackFrom = undefined;
    this.#windowLeft = this.#window;
  }

  #setPeerHelloing(hello: boolean, now: number): void {
    if (this.#peerHelloing && !hello) this.#peerHelloEndedAt = now;
    this.#peerHelloing = hello;
  }

  #countInWindow(seq: number): void {
    if (this.#ackFrom === undefined) {
      this.#ackFrom = seq;
      this.#windowLeft = this.#window;
    }
    this.#windowLeft--;
    if (this.#windowLeft <= 0) {
      this.#queueCtl({ kind: 'ack', from: this.#ackFrom, to: seq });
      this.#ackFrom = undefined;
      this.#windowLeft = this.#window;
    }
  }

  #process(m: WireMessage): void {
    switch (m.kind) {
      case 'data':
        this.stats.applied++;
        this.#sink.apply(m.type, m.entry);
        break;
      case 'ack':
        this.#release(m.from, m.to);
        this.#checkHelloSettled(m.to);
        break;
      case 'nack':
        this.#retransmit(m.from, m.to);
        this.#checkHelloSettled(m.to);
        break;
      case 'resync':
        this.#sink.resyncRequested();
        break;
      case 'alive':
      case 'skip': // its seq is tracked (no NACK for ever); the drop was counted by receive()
        break;
    }
  }

  /**
   * The peer's ACK or NACK reaching `to` was written after it read our message `to`: once that is
   * at or past our last HELLO (and we say HELLO no more), it will not empty its resend queue again.
   * Every gap from before then was seen by now (its later messages arrive after this one).
   */
  #checkHelloSettled(to: number): void {
    if (this.#helloSettled || this.#helloing || this.#lastHelloSeq === undefined || seqBefore(to, this.#lastHelloSeq)) return;
    this.#helloSettled = true;
    if (!this.#gapWhileHelloing || this.#resyncSinceHello) return;
    if (this.#resyncWaiting()) return; // held for the handshake: goes now
    this.stats.helloResyncs++;
    this.requestResync();
  }

  #release(from: number, to: number): void {
    if (seqBefore(to, from)) {
      this.stats.drops['bad-type']++;
      return;
    }
    if (this.#skippedBefore === undefined || seqAfter(from, this.#skippedBefore)) this.#skippedBefore = from;
    for (const [seq, item] of this.#rs) {
      if (seqBefore(seq, from)) continue;
      if (seqAfter(seq, to)) break;
      this.#rs.delete(seq);
      this.stats.acked++;
      if ('obj' in item) {
        const o = this.#objects.get(item.obj);
        if (o !== undefined && o.where === 'rs' && o.seq === seq) this.#objects.delete(item.obj);
      }
    }
  }

  #retransmit(from: number, to: number): void {
    if (seqBefore(to, from)) return;
    for (const [seq, item] of [...this.#rs]) {
      if (seqBefore(seq, from) || seqAfter(seq, to)) continue;
      this.#rs.delete(seq);
      this.stats.retransmitted++;
      if ('obj' in item) {
        const o = this.#objects.get(item.obj);
        if (o === undefined || o.where !== 'rs' || o.seq !== seq) continue;
        o.where = 'tx';
        this.#tx.push(item);
      } else {
        this.#tx.push(item);
      }
    }
  }

  #queueCtl(c: Control): void {
    this.#tx.push({ ctl: c });
  }

  /** The flags of the message about to get seq `seq`. */
  #flags(seq: number): number {
    let f = 0;
    if (this.#helloing) {
      f = NET_F_HELLO;
      this.#lastHelloSeq = seq;
    }
    if (this.#helloBackPending) {
      f |= NET_F_HELLO_BACK;
      this.#helloBackPending = false;
    }
    return f;
  }

  /** Sends everything queued, packed into datagrams. */
  flush(now: number): void {
    if (this.#tx.length === 0) {
      // Answer a HELLO soon rather than with the next message (up to aliveMs away): the peer holds
      // its entries for it. At most one such ALIVE per tenth of aliveMs while it keeps saying HELLO.
      if (!this.#helloBackPending || now - this.#lastHelloAnswer < this.#aliveMs / 10) return;
      this.#lastHelloAnswer = now;
      this.#tx.push({ ctl: { kind: 'alive' } });
    }
    const items = this.#tx;
    this.#tx = [];
    const sentBefore = this.stats.messagesSent;
    const packer = new DatagramPacker(this.#maxDatagram, this.stats, (d) => this.#sink.send(d));
    const out = (b: Buffer): void => packer.add(b);
    const held: TxItem[] = [];
    let heldForAcks = false;
    let heldForHello = false;
    for (const item of items) {
      if ('obj' in item) {
        const o = this.#objects.get(item.obj);
        if (o === undefined || o.where !== 'tx') continue; // superseded or released
      }
      if (this.#helloing && ('obj' in item || item.ctl.kind === 'resync')) {
        // Until the peer answers our HELLO it takes our messages unchecked and may ACK lost ones.
        held.push(item);
        heldForHello = true;
        continue;
      }
      if ('obj' in item && this.#rs.size >= this.#maxInFlight) {
        held.push(item); // waits for ACKs; control messages still go
        heldForAcks = true;
        continue;
      }
      const seq = this.#nextSeq;
      if ('ctl' in item) {
        const c = item.ctl;
        const msg = c.kind === 'alive' ? encodeControl({ kind: 'alive', flags: this.#flags(seq), seq })
          : encodeControl({ kind: c.kind, flags: this.#flags(seq), seq, from: c.from, to: c.to });
        if (c.kind === 'ack') this.stats.acksSent++;
        if (c.kind === 'nack') this.stats.nacksSent++;
        if (c.kind === 'resync') this.#resyncSinceHello = true;
        this.#nextSeq = seqAdd(seq, 1);
        out(msg);
        if (c.kind !== 'alive') this.#rsAdd(seq, item);
      } else {
        const o = this.#objects.get(item.obj)!;
        const msg = encodeData(o.type, o.entry, seq, this.#flags(seq));
        this.#nextSeq = seqAdd(seq, 1);
        out(msg);
        o.where = 'rs';
        o.seq = seq;
        this.#rsAdd(seq, item);
      }
    }
    // Nothing said yet and something waits for the handshake: say HELLO now, not after aliveMs.
    if (heldForHello && this.#lastHelloSeq === undefined) {
      const seq = this.#nextSeq;
      out(encodeControl({ kind: 'alive', flags: this.#flags(seq), seq }));
      this.#nextSeq = seqAdd(seq, 1);
    }
    if (this.stats.messagesSent !== sentBefore) {
      packer.end();
      this.#lastTx = now;
    }
    if (heldForAcks) this.stats.heldBack++;
    if (held.length > 0) this.#tx = held.concat(this.#tx);
  }

  #rsAdd(seq: number, item: RsItem): void {
    if (this.#rs.size >= this.#rsMax) {
      const [oldSeq, oldest] = this.#rs.entries().next().value as [number, RsItem];
      this.#rs.delete(oldSeq);
      this.stats.resendEvicted++;
      if ('obj' in oldest) {
        const o = this.#objects.get(oldest.obj);
        if (o !== undefined && o.where === 'rs' && o.seq === oldSeq) this.#objects.delete(oldest.obj);
      }
    }
    this.#rs.set(seq, item);
  }

  /**
   * Messages the peer's ACKs have passed over without covering (it dropped them as old: reordered
   * at a hello or overtaken) would wait forever, as the peer never NACKs them. Sent again, once per
   * alive interval, so a late ACK still has its chance. Not in conntrackd; invisible on the wire.
   */
  #sweepSkipped(now: number): void {
    this.#lastSweep = now;
    const before = this.#skippedBefore;
    if (before === undefined) return;
    for (const [seq, item] of [...this.#rs]) {
      if (!seqBefore(seq, before)) break;
      this.#rs.delete(seq);
      this.stats.resentSkipped++;
      if ('obj' in item) {
        const o = this.#objects.get(item.obj);
        if (o === undefined || o.where !== 'rs' || o.seq !== seq) continue;
        o.where = 'tx';
      }
      this.#tx.push(item);
    }
  }

  /** Timers: after `aliveMs` without sending, ACK what is unacknowledged, else ALIVE. */
  tick(now: number): void {
    if (now - this.#lastSweep >= this.#aliveMs) this.#sweepSkipped(now);
    if (now - this.#lastTx < this.#aliveMs) {
      this.flush(now);
      return;
    }
    // Nothing went out for a whole interval (entries may be queued, waiting for ACKs).
    if (this.#ackFrom !== undefined && this.#lastRecv !== undefined) {
      this.#queueCtl({ kind: 'ack', from: this.#ackFrom, to: this.#lastRecv });
      this.#ackFrom = undefined;
      this.#windowLeft = this.#window;
    } else {
      this.#queueCtl({ kind: 'alive' });
    }
    this.flush(now);
  }
}
