// A netlink socket speaking request/ack, request/dump and multicast events over a transport
// (the native addon in production, a fake kernel in unit tests).
//
// - Replies are matched to requests by sequence number; only datagrams from the kernel (sender
//   port id 0) are accepted, so another process cannot inject replies or events.
// - Multicast datagrams (group != 0, from NETLINK_PKTINFO) are events, emitted as 'message';
//   they never match a request even when their seq collides with one of ours.
// - Dumps run one at a time per socket (the kernel allows one dump in progress per socket);
//   their timeout is an idle timeout, renewed by every part, so big dumps are fine.
// - A receive overrun (ENOBUFS) is emitted as 'error' with code 'ENOBUFS': events were lost and
//   the owner must resync. On a socket with no groups it can only mean our replies were lost,
//   so pending requests fail with it instead of waiting for their timeout.
// - The socket keeps the event loop alive only while it waits for a reply or has groups.
// - Batching: requests made while corked go out together, several messages per datagram (each
//   with its own seq, so each still gets its own reply or error): those made in one turn of the
//   event loop at its end (setImmediate), the rest at uncork(). So requests that depend on
//   earlier replies still go out together, wave by wave. The kernel takes every message of a
//   datagram in order and reports each failure; only the last message asks for an ack, which
//   settles the others that had no error (see #flush). The result is the same as sending them
//   one by one, in fewer system calls and acks. Dumps are never batched: one starts with the
//   queue flushed, alone in its datagram.
// - A timeout is the time the reply was not there to read, not the time the process was busy:
//   the event loop runs expired timers before it polls sockets, so after a long synchronous
//   stretch (a flush of many datagrams, each processed by the kernel inside send(), on a loaded
//   or emulated CPU) the acks wait unread while their timers fire. An expired timer therefore
//   fails its requests only after one poll of the socket (AfterPollTimer), and a batch's timers
//   start once the whole flush is sent.
// - Bulk batches (sendBatch): a datagram of messages the caller encoded itself, one promise for
//   all of them and each failure reported by sequence number; for conntrack commits of 100,000
//   entries, where a promise and a timer per message would cost as much as the kernel's work.
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { AfterPollTimer } from '../../common/index.ts';
import { isSystemError, systemError } from '../errors.ts';
import type { SystemError } from '../errors.ts';
import { loadNative } from '../native.ts';
import type { NativeNetlinkSocket, NetlinkOpenOptions } from '../native.ts';
import { decodeAck, decodeDone, NetlinkError } from './ack.ts';
import {
  NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR,
  NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NLMSG_MIN_TYPE, NLMSG_OFF_FLAGS, NLMSG_OFF_SEQ, NLMSG_OFF_TYPE, SOL_NETLINK,
} from './constants.ts';
import { decodeMessages, encodeMessage } from './message.ts';
import type { NetlinkMessage } from './message.ts';

/** What NetlinkSocket needs from the addon's netlink socket. */
export type NetlinkTransport = Pick<NativeNetlinkSocket,
  'portId' | 'send' | 'recvStart' | 'recvStop' | 'addMembership' | 'dropMembership' | 'setOption' | 'ref' | 'unref' | 'close'>;

export interface NetlinkSocketOptions extends NetlinkOpenOptions {
  /** NETLINK_EXT_ACK: errors carry the kernel's message and the bad attribute's offset. Default true. */
  extAck?: boolean;
  /** NETLINK_CAP_ACK: errors do not echo the whole request back. Default true. */
  capAck?: boolean;
  /** NETLINK_GET_STRICT_CHK: strict header checks (and filtering) for dump requests. Default false. */
  strictCheck?: boolean;
  /** Default timeout for a reply (dumps: between parts). Default 5000 ms. */
  timeoutMs?: number;
}

export interface RequestOptions {
  /** Flags besides NLM_F_REQUEST (and NLM_F_ACK / NLM_F_DUMP, which request()/dump() add). */
  flags?: number;
  timeoutMs?: number;
}

export interface NetlinkSocketEvents {
  /** A multicast message and its group number. */
  message: [msg: NetlinkMessage, group: number];
  /** Receive errors: code 'ENOBUFS' means events were lost. */
  error: [err: Error];
}

interface Pending {
  seq: number;
  type: number;
  dump: boolean;
  replies: NetlinkMessage[];
  onMessage: ((m: NetlinkMessage) => void) | undefined;
  interrupted: boolean;
  timeoutMs: number;
  /** Fails it one poll after the timeout unless answered or renewed first. */
  timer: AfterPollTimer | undefined;
  /** The timer shared with the other requests of its batch, instead of `timer`. */
  batch: BatchTimer | undefined;
  /**
   * The last request of its batch datagram carries the batch's one NLM_F_ACK: its ack (or
   * error) settles the others still waiting, as done (see #flush).
   */
  covers: Pending[] | undefined;
  /** A bulk batch (sendBatch): its first seq, and where the errors of its messages go. */
  bulk: { first: number; onError: (seq: number, error: number) => void } | undefined;
  resolve: (replies: NetlinkMessage[]) => void;
  reject: (err: Error) => void;
}

/**
 * One timer for the requests of a batch datagram: a timer each would be hundreds set and cleared
 * per batch (costly on an emulated CPU). It fails those still waiting when it fires.
 */
interface BatchTimer {
  timer: AfterPollTimer | undefined;
  waiting: Set<Pending>;
}

const DEFAULT_TIMEOUT_MS = 5000;
const SEQ_MAX = 0xffffffff;
/** A batch datagram's size limit: well under the default socket send buffer (net.core.wmem_default). */
const BATCH_MAX_BYTES = 64 * 1024;

export class NetlinkSocket extends EventEmitter<NetlinkSocketEvents> {
  /** Datagrams dropped because a process other than the kernel sent them. */
  foreignDatagrams = 0;
  /** Unicast messages matching no pending request (e.g. replies after a timeout). */
  strayMessages = 0;

  readonly #t: NetlinkTransport;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  /** Bulk batches waiting for their last message's ack (by that seq in #pending too). */
  readonly #bulk = new Set<Pending>();
  readonly #groups = new Set<number>();
  #seq = 0;
  #receiving = false;
  #closed = false;
  #dumpActive = false;
  readonly #dumpQueue: Array<() => void> = [];
  #corked = 0;
  /** Requests waiting to be sent together, in the order they were made. */
  #outbox: Array<{ seq: number; p: Pending; bytes: Buffer }> = [];
  /** A flush of the outbox is scheduled for the end of this turn of the event loop. */
  #flushScheduled = false;
  /** Datagrams sent (a batch counts once). */
  datagramsSent = 0;

  constructor(transport: NetlinkTransport, opts: NetlinkSocketOptions = {}) {
    super();
    this.#t = transport;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (opts.extAck ?? true) transport.setOption(SOL_NETLINK, NETLINK_EXT_ACK, 1);
    if (opts.capAck ?? true) transport.setOption(SOL_NETLINK, NETLINK_CAP_ACK, 1);
    if (opts.strictCheck ?? false) transport.setOption(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
  }

  /** A socket of `protocol` (NETLINK_ROUTE, NETLINK_NETFILTER, NETLINK_GENERIC) over the addon. */
  static open(protocol: number, opts: NetlinkSocketOptions = {}): NetlinkSocket {
    const open: NetlinkOpenOptions = {};
    if (opts.rcvbuf !== undefined) open.rcvbuf = opts.rcvbuf;
    if (opts.noEnobufs !== undefined) open.noEnobufs = opts.noEnobufs;
    const t = loadNative().openNetlink(protocol, open);
    try {
      return new NetlinkSocket(t, opts);
    } catch (e) {
      t.close();
      throw e;
    }
  }

  get portId(): number {
    return this.#t.portId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The next sequence number (never 0, which events and unsolicited messages use). */
  nextSeq(): number {
    this.#seq = this.#seq >= SEQ_MAX ? 1 : this.#seq + 1;
    return this.#seq;
  }

  /**
   * Sends a request with NLM_F_ACK and resolves with the replies that came before the ack
   * (none for most NEW/DEL/SET requests; the object for a GET). Rejects with NetlinkError.
   */
  request(type: number, payload: Uint8Array, opts: RequestOptions = {}): Promise<NetlinkMessage[]> {
    return this.#start(type, payload, NLM_F_REQUEST | NLM_F_ACK | (opts.flags ?? 0), false, undefined, opts.timeoutMs);
  }

  /** A dump (NLM_F_DUMP): every part until NLMSG_DONE. */
  dump(type: number, payload: Uint8Array, opts: RequestOptions = {}): Promise<NetlinkMessage[]> {
    return this.#queueDump(() => this.#start(type, payload, NLM_F_REQUEST | NLM_F_DUMP | (opts.flags ?? 0), true, undefined, opts.timeoutMs));
  }

  /** A dump delivered message by message, for dumps too big to hold (conntrack tables). */
  async dumpEach(type: number, payload: Uint8Array, onMessage: (m: NetlinkMessage) => void, opts: RequestOptions = {}): Promise<void> {
    await this.#queueDump(() => this.#start(type, payload, NLM_F_REQUEST | NLM_F_DUMP | (opts.flags ?? 0), true, onMessage, opts.timeoutMs));
  }

  /**
   * From now until the matching uncork(), requests are queued instead of sent (their promises
   * are returned as usual) and go out together at the end of the event loop's turn (or at
   * uncork()). Nests: the outermost uncork() sends.
   */
  cork(): void {
    this.#corked++;
  }

  /** Sends what cork() queued: as many messages per datagram as fit in 64 KiB, in order. */
  uncork(): void {
    if (this.#corked === 0) return;
    this.#corked--;
    if (this.#corked === 0) this.#flush();
  }

  #flush(): void {
    const queued = this.#outbox;
    this.#outbox = [];
    const sent: Array<Array<{ seq: number; p: Pending }>> = [];
    for (let i = 0; i < queued.length;) {
      let size = 0;
      let j = i;
      while (j < queued.length && (j === i || size + queued[j]!.bytes.length <= BATCH_MAX_BYTES)) size += queued[j++]!.bytes.length;
      const part = queued.slice(i, j);
      i = j;
      // Entries settled meanwhile (the socket closed) are left out.
      const live = part.filter((e) => this.#pending.get(e.seq) === e.p);
      if (live.length === 0) continue;
      // One ack per datagram, not per message: the kernel takes the messages in order and sends
      // an error for any that fails with or without NLM_F_ACK, so when the last one's ack (or
      // error) comes, the others' errors have come before it, and the rest succeeded. Replies
      // (a GET's object) still come before that ack. Hundreds of acks fewer to make and read.
      if (live.length > 1) {
        const tail = live[live.length - 1]!;
        tail.p.covers = [];
        for (const e of live.slice(0, -1)) {
          e.bytes.writeUInt16LE(e.bytes.readUInt16LE(NLMSG_OFF_FLAGS) & ~NLM_F_ACK, NLMSG_OFF_FLAGS);
          tail.p.covers.push(e.p);
        }
      }
      try {
        this.#t.send(live.length === 1 ? live[0]!.bytes : Buffer.concat(live.map((e) => e.bytes)));
        this.datagramsSent++;
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        for (const entry of live) this.#settle(entry.seq, entry.p, err);
        continue;
      }
      sent.push(live);
    }
    // Armed once every datagram is out (see the top of the file).
    for (const live of sent) {
      if (live.length === 1) this.#arm(live[0]!.seq, live[0]!.p);
      else this.#armBatch(live.map((e) => e.p));
    }
  }

  /** Arms one timer per timeout length for requests sent together (see BatchTimer). */
  #armBatch(ps: readonly Pending[]): void {
    const byTimeout = new Map<number, Pending[]>();
    for (const p of ps) {
      const same = byTimeout.get(p.timeoutMs);
      if (same === undefined) byTimeout.set(p.timeoutMs, [p]);
      else same.push(p);
    }
    for (const [timeoutMs, group] of byTimeout) {
      const batch: BatchTimer = { timer: undefined, waiting: new Set(group) };
      for (const p of group) p.batch = batch;
      batch.timer = new AfterPollTimer(timeoutMs, () => {
        // Those answered by the poll in between are no longer waiting.
        for (const p of [...batch.waiting]) {
          this.#settle(p.seq, p, systemError(constants.errno.ETIMEDOUT, 'netlink', `no reply to message type ${p.type} (seq ${p.seq}) within ${timeoutMs} ms`));
        }
      });
    }
  }

  /**
   * Sends `datagram`: requests the caller encoded with seqs from nextSeq(), in order, the last
   * one starting at `lastOffset` (this sets NLM_F_ACK on it; the others must not have it).
   * Resolves when that one's ack (or error) comes: the kernel takes a datagram's messages in
   * order and answers every failure, ack or not, so all of them are handled then. Each failure
   * goes to onError(seq, negative errno) rather than to a rejection; it rejects only when the
   * outcome is unknown (no reply in time, replies lost, the socket closed).
   */
  sendBatch(datagram: Buffer, lastOffset: number, onError: (seq: number, error: number) => void, opts: RequestOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(systemError(constants.errno.EBADF, 'netlink', 'socket is closed'));
        return;
      }
      const first = datagram.readUInt32LE(NLMSG_OFF_SEQ);
      const seq = datagram.readUInt32LE(lastOffset + NLMSG_OFF_SEQ);
      datagram.writeUInt16LE(datagram.readUInt16LE(lastOffset + NLMSG_OFF_FLAGS) | NLM_F_ACK, lastOffset + NLMSG_OFF_FLAGS);
      const p: Pending = {
        seq, type: datagram.readUInt16LE(lastOffset + NLMSG_OFF_TYPE), dump: false, replies: [], onMessage: undefined, interrupted: false,
        timeoutMs: opts.timeoutMs ?? this.#timeoutMs, timer: undefined, batch: undefined, covers: undefined,
        bulk: { first, onError }, resolve: () => resolve(), reject,
      };
      this.#pending.set(seq, p);
      this.#bulk.add(p);
      this.#updateReceiving();
      this.#sendNow(seq, p, datagram);
    });
  }

  /** The bulk batch a seq before its last message belongs to. */
  #bulkOf(seq: number): Pending | undefined {
    for (const p of this.#bulk) if (((seq - p.bulk!.first) >>> 0) < ((p.seq - p.bulk!.first) >>> 0)) return p;
    return undefined;
  }

  /** Join a multicast group: its messages are emitted as 'message'. */
  subscribe(group: number): void {
    this.#assertOpen();
    this.#t.addMembership(group);
    this.#groups.add(group);
    this.#updateReceiving();
  }

  unsubscribe(group: number): void {
    this.#assertOpen();
    this.#t.dropMembership(group);
    this.#groups.delete(group);
    this.#updateReceiving();
  }

  /** Lets the process exit while only subscriptions keep this socket receiving. */
  unref(): void {
    this.#t.unref();
  }

  ref(): void {
    this.#t.ref();
  }

  /** Closes the socket; pending requests fail with ECANCELED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(systemError(constants.errno.ECANCELED, 'netlink', 'socket closed'));
    this.#outbox = [];
    this.#groups.clear();
    this.#receiving = false;
    this.#t.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw systemError(constants.errno.EBADF, 'netlink', 'socket is closed');
  }

  /** Starts the dump now if none is running (so it is sent synchronously), else queues it. */
  #queueDump(run: () => Promise<NetlinkMessage[]>): Promise<NetlinkMessage[]> {
    return new Promise((resolve, reject) => {
      const go = (): void => {
        this.#dumpActive = true;
        run().then(resolve, reject).finally(() => {
          this.#dumpActive = false;
          this.#dumpQueue.shift()?.();
        });
      };
      if (this.#dumpActive) this.#dumpQueue.push(go);
      else go();
    });
  }

  #start(type: number, payload: Uint8Array, flags: number, dump: boolean,
    onMessage: ((m: NetlinkMessage) => void) | undefined, timeoutMs: number | undefined): Promise<NetlinkMessage[]> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(systemError(constants.errno.EBADF, 'netlink', 'socket is closed'));
        return;
      }
      const seq = this.nextSeq();
      const p: Pending = {
        seq, type, dump, replies: [], onMessage, interrupted: false,
        timeoutMs: timeoutMs ?? this.#timeoutMs, timer: undefined, batch: undefined, covers: undefined, bulk: undefined, resolve, reject,
      };
      const bytes = encodeMessage({ type, flags, seq, pid: 0, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength) });
      this.#pending.set(seq, p);
      this.#updateReceiving();
      if (this.#corked > 0 && !dump) {
        this.#outbox.push({ seq, p, bytes });
        if (!this.#flushScheduled) {
          this.#flushScheduled = true;
          setImmediate(() => {
            this.#flushScheduled = false;
            if (!this.#closed && this.#outbox.length > 0) this.#flush();
          });
        }
        return;
      }
      this.#sendNow(seq, p, bytes);
    });
  }

  /** Sends one datagram for `p` now and starts its timeout; a send that throws settles it. */
  #sendNow(seq: number, p: Pending, datagram: Buffer): void {
    // What was queued before this goes first: the kernel sees requests in the order they were made.
    if (this.#outbox.length > 0) this.#flush();
    try {
      this.#t.send(datagram);
      this.datagramsSent++;
    } catch (e) {
      this.#settle(seq, p, e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.#arm(seq, p);
  }

  #arm(seq: number, p: Pending): void {
    p.timer?.cancel();
    // Settled by the poll in between, or renewed by a dump part: the timer is cancelled or
    // refreshed, and this does not run.
    p.timer = new AfterPollTimer(p.timeoutMs, () => this.#settle(seq, p, systemError(constants.errno.ETIMEDOUT, 'netlink',
      `no ${p.dump ? 'dump part' : 'reply'} to message type ${p.type} (seq ${seq}) within ${p.timeoutMs} ms`)));
  }

  #settle(seq: number, p: Pending, result: Error | NetlinkMessage[]): void {
    if (this.#pending.get(seq) !== p) return;
    this.#pending.delete(seq);
    if (p.bulk !== undefined) this.#bulk.delete(p);
    p.timer?.cancel();
    if (p.batch !== undefined) {
      p.batch.waiting.delete(p);
      if (p.batch.waiting.size === 0) p.batch.timer?.cancel();
    }
    this.#updateReceiving();
    if (result instanceof Error) p.reject(result);
    else p.resolve(result);
  }

  #failAll(err: Error): void {
    for (const [seq, p] of [...this.#pending]) this.#settle(seq, p, err);
  }

  #updateReceiving(): void {
    if (this.#closed) return;
    const want = this.#pending.size > 0 || this.#groups.size > 0;
    if (want && !this.#receiving) {
      this.#t.recvStart((err, data, pid, group) => this.#onDatagram(err, data, pid, group));
      this.#receiving = true;
    } else if (!want && this.#receiving) {
      this.#t.recvStop();
      this.#receiving = false;
    }
  }

  #onDatagram(err: SystemError | null, data: Buffer, pid: number, group: number): void {
    if (err !== null) {
      this.#onReceiveError(err);
      return;
    }
    if (pid !== 0) {
      this.foreignDatagrams++;
      return;
    }
    let msgs: NetlinkMessage[];
    try {
      msgs = decodeMessages(data);
    } catch (e) {
      this.#onReceiveError(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    // A dump's timeout is per part: renewed once per datagram (not per message: a part holds many).
    let renew: Pending | undefined;
    for (const m of msgs) {
      if (group !== 0) this.emit('message', m, group);
      else {
        const p = this.#onReply(m);
        if (p !== renew && renew !== undefined) this.#renew(renew);
        renew = p;
      }
      if (this.#closed) return;
    }
    if (renew !== undefined) this.#renew(renew);
  }

  /** Restarts a waiting dump's timeout (refresh: no new timer). */
  #renew(p: Pending): void {
    if (this.#pending.get(p.seq) === p && p.timer !== undefined) {
      p.timer.refresh();
    }
  }

  /** Delivers a reply; returns the dump it was a part of, if any (its timeout is renewed). */
  #onReply(m: NetlinkMessage): Pending | undefined {
    const p = this.#pending.get(m.seq);
    if (p === undefined) {
      const bulk = this.#bulkOf(m.seq);
      if (bulk !== undefined && m.type === NLMSG_ERROR) {
        const ack = decodeAck(m);
        if (ack.error !== 0) bulk.bulk!.onError(m.seq, ack.error);
      } else {
        this.strayMessages++;
      }
      return undefined;
    }
    if (m.type === NLMSG_ERROR && p.bulk !== undefined) {
      const ack = decodeAck(m);
      if (ack.error !== 0) p.bulk.onError(m.seq, ack.error);
      this.#settle(m.seq, p, p.replies);
      return undefined;
    }
    if (m.type === NLMSG_ERROR) {
      const ack = decodeAck(m);
      if (ack.error !== 0) this.#settle(m.seq, p, new NetlinkError(ack.error, p.type, ack));
      else this.#settle(m.seq, p, p.replies);
      // The batch's one ack (see #flush): those before it that had no error succeeded.
      if (p.covers !== undefined) for (const q of p.covers) this.#settle(q.seq, q, q.replies);
      return undefined;
    }
    if (m.type === NLMSG_DONE) {
      // A multi-part reply to a plain request is followed by its ack: keep waiting for that.
      if (!p.dump) return undefined;
      const done = decodeDone(m);
      if (done.error < 0) this.#settle(m.seq, p, new NetlinkError(done.error, p.type, done, 'dump'));
      else if (p.interrupted) this.#settle(m.seq, p, new NetlinkError(constants.errno.EINTR, p.type,
        { message: 'dump interrupted: the table changed during the dump; retry' }, 'dump'));
      else this.#settle(m.seq, p, p.replies);
      return undefined;
    }
    if (m.type < NLMSG_MIN_TYPE) return undefined; // NOOP, OVERRUN: nothing to deliver
    if ((m.flags & NLM_F_DUMP_INTR) !== 0) p.interrupted = true;
    if (p.onMessage !== undefined) {
      try {
        p.onMessage(m);
      } catch (e) {
        this.#settle(m.seq, p, e instanceof Error ? e : new Error(String(e)));
        return undefined;
      }
    } else {
      p.replies.push(m);
    }
    return p.dump ? p : undefined;
  }

  #onReceiveError(err: Error): void {
    if (this.#groups.size === 0 && this.#pending.size > 0 && isSystemError(err, 'ENOBUFS')) {
      this.#failAll(err);
      if (this.listenerCount('error') > 0) this.emit('error', err);
      return;
    }
    // With groups an unhandled 'error' throws, as Node's emitters do: lost events must not pass silently.
    if (this.listenerCount('error') > 0 || this.#groups.size > 0) this.emit('error', err);
    else this.#failAll(err);
  }
}
