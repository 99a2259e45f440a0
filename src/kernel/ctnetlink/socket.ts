// ctnetlink over NETLINK_NETFILTER: event subscription (NEW / UPDATE / DESTROY), table dumps, and
// batched create / update / delete for commits.
//
// Batches: ctnetlink does not use nfnetlink's BATCH_BEGIN/END transactions; the kernel walks every
// message of one sendmsg buffer in turn (netlink_rcv_skb) and answers each failed one with an
// NLMSG_ERROR even without NLM_F_ACK. So only the last message of a buffer asks for an ack: one
// ack per buffer marks it done, and errors name their message by sequence number. That keeps the
// acks few, so a batch cannot overrun our receive buffer with successes.
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { isSystemError } from '../errors.ts';
import { loadNative } from '../native.ts';
import { SO_RCVBUF, SO_RCVBUFFORCE, SOL_SOCKET } from '../socket-constants.ts';
import { AttributeEncoder } from '../netlink/attributes.ts';
import { NETLINK_NETFILTER, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST } from '../netlink/constants.ts';
import type { NetlinkMessage } from '../netlink/message.ts';
import { NetlinkSocket } from '../netlink/socket.ts';
import type { NetlinkTransport } from '../netlink/socket.ts';
import {
  AF_UNSPEC, IPCTNL_MSG_CT_DELETE, IPS_CONFIRMED, IPCTNL_MSG_CT_GET, IPCTNL_MSG_CT_NEW, IPS_UNCHANGEABLE, NFNL_MSG_TYPE_MASK,
  NFNL_SUBSYS_CTNETLINK, NFNL_SUBSYS_SHIFT, NFNLGRP_CONNTRACK_DESTROY, NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE,
} from './constants.ts';
import { CtUnsupported, decodeEntry, encodeNfgenmsg, writeEntryMessage } from './entry.ts';
import type { CtEntry, EncodeOptions } from './entry.ts';

/** nlmsg_type of a ctnetlink conntrack message. */
export function ctMsgType(msg: number): number {
  return (NFNL_SUBSYS_CTNETLINK << NFNL_SUBSYS_SHIFT) | msg;
}

export type CtEventKind = 'new' | 'update' | 'destroy';

const GROUPS: Record<CtEventKind, number> = {
  new: NFNLGRP_CONNTRACK_NEW,
  update: NFNLGRP_CONNTRACK_UPDATE,
  destroy: NFNLGRP_CONNTRACK_DESTROY,
};

/** The event kind of a multicast ctnetlink message (by its group), or undefined. */
export function eventKind(group: number): CtEventKind | undefined {
  if (group === NFNLGRP_CONNTRACK_NEW) return 'new';
  if (group === NFNLGRP_CONNTRACK_UPDATE) return 'update';
  if (group === NFNLGRP_CONNTRACK_DESTROY) return 'destroy';
  return undefined;
}

export interface CtEventStreamOptions {
  /** Receive buffer in bytes (SO_RCVBUFFORCE). Default 8 MiB: event bursts are large. */
  rcvbuf?: number;
  kinds?: CtEventKind[];
}

export interface CtEventStreamEvents {
  entry: [kind: CtEventKind, entry: CtEntry, msg: NetlinkMessage];
  /** Events were lost (ENOBUFS): the owner must resync from a dump. */
  overrun: [];
  error: [err: Error];
}

/** A transport whose receiving can be paused without the NetlinkSocket above it knowing. */
export class RecvGate implements NetlinkTransport {
  readonly #t: NetlinkTransport;
  #cb: Parameters<NetlinkTransport['recvStart']>[0] | undefined;
  #paused = false;

  constructor(t: NetlinkTransport) {
    this.#t = t;
  }

  get portId(): number { return this.#t.portId; }
  send(data: Uint8Array): number { return this.#t.send(data); }
  recvStart(cb: Parameters<NetlinkTransport['recvStart']>[0]): void {
    this.#cb = cb;
    if (!this.#paused) this.#t.recvStart(cb);
  }

  recvStop(): void {
    this.#cb = undefined;
    this.#t.recvStop();
  }

  addMembership(group: number): void { this.#t.addMembership(group); }
  dropMembership(group: number): void { this.#t.dropMembership(group); }
  setOption(level: number, name: number, value: number): void { this.#t.setOption(level, name, value); }
  ref(): void { this.#t.ref(); }
  unref(): void { this.#t.unref(); }
  close(): void { this.#t.close(); }

  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    if (this.#cb !== undefined) this.#t.recvStop();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#cb !== undefined) this.#t.recvStart(this.#cb);
  }
}

/** Conntrack events from the kernel, decoded. Counts what it could not decode. */
export class CtEventStream extends EventEmitter<CtEventStreamEvents> {
  overruns = 0;
  unsupported = 0;
  malformed = 0;
  /**
   * Events whose nlmsg_pid is this port id (those a commit socket of ours caused) are counted in
   * `skipped` and dropped before decoding: a commit of 100,000 entries would otherwise decode
   * 100,000 echoes on the committing thread.
   */
  skipPortId: number | undefined;
  skipped = 0;
  readonly #sock: NetlinkSocket;
  readonly #transport: NetlinkTransport | undefined;
  #rcvbuf: number;

  constructor(sock: NetlinkSocket, kinds: CtEventKind[] = ['new', 'update', 'destroy'], transport?: NetlinkTransport, rcvbuf = 0) {
    super();
    this.#sock = sock;
    this.#transport = transport;
    this.#rcvbuf = rcvbuf;
    sock.on('message', (m, group) => this.#onMessage(m, group));
    sock.on('error', (err) => {
      if (isSystemError(err, 'ENOBUFS')) {
        this.overruns++;
        this.emit('overrun');
      } else if (this.listenerCount('error') > 0) {
        this.emit('error', err);
      }
    });
    for (const k of kinds) sock.subscribe(GROUPS[k]);
  }

  static open(opts: CtEventStreamOptions = {}): CtEventStream {
    const rcvbuf = opts.rcvbuf ?? 8 << 20;
    const t = new RecvGate(loadNative().openNetlink(NETLINK_NETFILTER, { rcvbuf }));
    let sock: NetlinkSocket | undefined;
    try {
      sock = new NetlinkSocket(t);
      return new CtEventStream(sock, opts.kinds, t, rcvbuf);
    } catch (e) {
      if (sock !== undefined) sock.close();
      else t.close();
      throw e;
    }
  }

  /** The receive buffer size asked for (the kernel doubles it for bookkeeping). */
  get rcvbuf(): number {
    return this.#rcvbuf;
  }

  /**
   * Doubles the receive buffer, up to `max` bytes (after an overrun, as conntrackd does).
   * Returns the new size, or undefined when already at `max`.
   */
  growRcvbuf(max: number): number | undefined {
    if (this.#transport === undefined || this.#rcvbuf >= max) return undefined;
    const next = Math.min(max, Math.max(this.#rcvbuf * 2, 65536));
    try {
      this.#transport.setOption(SOL_SOCKET, SO_RCVBUFFORCE, next);
    } catch {
      this.#transport.setOption(SOL_SOCKET, SO_RCVBUF, next);
    }
    this.#rcvbuf = next;
    return next;
  }

  get portId(): number {
    return this.#sock.portId;
  }

  /**
   * Stops reading events (they wait in the socket's receive buffer, or are lost as an overrun if
   * it fills) until resume(): a commit runs at the kernel's speed instead of sharing its thread
   * with the echoes of its own creates. Only for a stream made with open().
   */
  pause(): void {
    if (this.#transport instanceof RecvGate) this.#transport.pause();
  }

  resume(): void {
    if (this.#transport instanceof RecvGate) this.#transport.resume();
  }

  close(): void {
    this.#sock.close();
  }

  unref(): void {
    this.#sock.unref();
  }

  #onMessage(m: NetlinkMessage, group: number): void {
    const kind = eventKind(group);
    if (kind === undefined || (m.type >> NFNL_SUBSYS_SHIFT) !== NFNL_SUBSYS_CTNETLINK) return;
    if (this.skipPortId !== undefined && m.pid === this.skipPortId) {
      this.skipped++;
      return;
    }
    let e: CtEntry;
    try {
      e = decodeEntry(m.payload);
    } catch (err) {
      if (err instanceof CtUnsupported) this.unsupported++;
      else this.malformed++;
      return;
    }
    this.emit('entry', kind, e, m);
  }
}

export interface DumpStats {
  entries: number;
  unsupported: number;
  malformed: number;
}

/** Dumps the conntrack table (IPv4 and IPv6), entry by entry. */
export async function dumpConntrack(sock: NetlinkSocket, onEntry: (e: CtEntry, msg: NetlinkMessage) => void): Promise<DumpStats> {
  const stats: DumpStats = { entries: 0, unsupported: 0, malformed: 0 };
  await sock.dumpEach(ctMsgType(IPCTNL_MSG_CT_GET), encodeNfgenmsg(AF_UNSPEC), (m) => {
    if ((m.type & NFNL_MSG_TYPE_MASK) !== IPCTNL_MSG_CT_NEW) return;
    let e: CtEntry;
    try {
      e = decodeEntry(m.payload);
    } catch (err) {
      if (err instanceof CtUnsupported) stats.unsupported++;
      else stats.malformed++;
      return;
    }
    stats.entries++;
    onEntry(e, m);
  }, { timeoutMs: 30_000 });
  return stats;
}

export type CtOp = 'create' | 'update' | 'delete';

export interface CtBatchItem {
  op: CtOp;
  entry: CtEntry;
}

export interface CtBatchFailure {
  item: CtBatchItem;
  /** Negative errno, as the kernel reports it. */
  error: number;
}

export interface CtBatchResult {
  sent: number;
  failed: CtBatchFailure[];
  /** sendmsg calls. */
  sends: number;
}

export interface CtBatchWriterOptions {
  /** Bytes per sendmsg. The kernel refuses a buffer larger than its socket send buffer (default 208 KiB). */
  maxBatchBytes?: number;
  /** Receive buffer for the error replies. */
  rcvbuf?: number;
  timeoutMs?: number;
}

/** nlmsg flags per operation: create-or-update (no EXCL) so a commit over live entries refreshes them. */
function flagsFor(op: CtOp): number {
  if (op === 'create') return NLM_F_REQUEST | NLM_F_CREATE;
  if (op === 'update') return NLM_F_REQUEST;
  return NLM_F_REQUEST;
}

/** Exclusive create, for callers that want EEXIST reported. */
export const CT_CREATE_EXCL_FLAGS = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;

const KEY_OPTS: EncodeOptions = { purpose: 'key' };
const CREATE_OPTS: EncodeOptions = { purpose: 'create', statusMask: ~IPS_UNCHANGEABLE >>> 0, statusSet: IPS_CONFIRMED };

/** Encodes one batch item as a netlink message (exported for the golden-byte tests). */
export function encodeBatchItem(item: CtBatchItem, seq: number): Buffer {
  const w = new AttributeEncoder();
  writeBatchItem(w, item, seq);
  return Buffer.from(w.encode());
}

/** Appends one batch item's message to the batch being built. */
function writeBatchItem(w: AttributeEncoder, item: CtBatchItem, seq: number): void {
  const type = ctMsgType(item.op === 'delete' ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW);
  writeEntryMessage(w, type, flagsFor(item.op), seq, item.entry, item.op === 'delete' ? KEY_OPTS : CREATE_OPTS);
}

/**
 * Sends create / update / delete requests many per sendmsg (NetlinkSocket's bulk batches), one
 * batch at a time per writer. Messages are encoded straight into the batch's buffer.
 */
export class CtBatchWriter {
  readonly #sock: NetlinkSocket;
  readonly #maxBytes: number;
  readonly #batch: AttributeEncoder;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(t: NetlinkTransport, opts: CtBatchWriterOptions = {}) {
    this.#maxBytes = opts.maxBatchBytes ?? 128 << 10;
    this.#batch = new AttributeEncoder(undefined, this.#maxBytes);
    // Errors without the request echoed (CAP_ACK) and without extended-ack text: a failing
    // commit answers thousands of them.
    this.#sock = new NetlinkSocket(t, { extAck: false, capAck: true, timeoutMs: opts.timeoutMs ?? 10_000 });
  }

  static open(opts: CtBatchWriterOptions = {}): CtBatchWriter {
    const t = loadNative().openNetlink(NETLINK_NETFILTER, { rcvbuf: opts.rcvbuf ?? 4 << 20 });
    try {
      return new CtBatchWriter(t, opts);
    } catch (e) {
      t.close();
      throw e;
    }
  }

  /** The port id: events caused by this writer carry it, so a daemon can ignore its own commits. */
  get portId(): number {
    return this.#sock.portId;
  }

  close(): void {
    this.#sock.close();
  }

  /** Applies every item; resolves with the failures (never rejects for per-entry errors). */
  apply(items: readonly CtBatchItem[]): Promise<CtBatchResult> {
    const run = this.#busy.then(() => this.#applyAll(items));
    this.#busy = run.catch(() => undefined);
    return run;
  }

  async #applyAll(items: readonly CtBatchItem[]): Promise<CtBatchResult> {
    const result: CtBatchResult = { sent: 0, failed: [], sends: 0 };
    const w = this.#batch;
    let i = 0;
    while (i < items.length) {
      w.truncate(0);
      const bySeq = new Map<number, CtBatchItem>();
      let lastOff = 0;
      while (i < items.length) {
        const start = w.offset;
        const seq = this.#sock.nextSeq();
        try {
          writeBatchItem(w, items[i]!, seq);
        } catch {
          // An entry that cannot be encoded fails alone, as the kernel would refuse it.
          w.truncate(start);
          result.failed.push({ item: items[i]!, error: -constants.errno.EINVAL });
          i++;
          continue;
        }
        // Full: this one goes first in the next datagram (one oversized message goes alone).
        if (start > 0 && w.offset > this.#maxBytes) {
          w.truncate(start);
          break;
        }
        lastOff = start;
        bySeq.set(seq, items[i]!);
        i++;
      }
      if (w.offset === 0) continue; // every item of this round failed to encode
      await this.#sock.sendBatch(w.encode(), lastOff, (seq, error) => {
        const item = bySeq.get(seq);
        if (item !== undefined) result.failed.push({ item, error });
      });
      result.sent += bySeq.size;
      result.sends++;
    }
    return result;
  }
}
