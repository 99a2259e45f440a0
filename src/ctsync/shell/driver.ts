// The replication loop on a real kernel: ctnetlink events and dumps in, SyncNode in the middle,
// UDP to the peer, batched commits out. What `stockade daemon` will run for sync (without the
// VRRP wiring and the control socket, which come with the daemon).
//
// Lost kernel events (ENOBUFS) double the event buffer up to its maximum and schedule a resync
// from a dump, reconciled against the internal cache (counted in `overruns` / `resyncs`).
// Events caused by our own commit socket are not echoed back to the peer.
// With the external cache off (conntrackd's DisableExternalCache), the peer's entries are written
// to the kernel as they arrive, in batches on the commit socket. Statistics-only (conntrackd -S):
// no transport is opened; the internal cache and its counters are all there is.
import { SyncNode } from '../node.ts';
import type { CommitItem, SyncNodeOptions } from '../node.ts';
import { openMulticastTransport, openUdpTransport, SEND_QUEUE_MAX } from './udp.ts';
import type { SyncTransport } from './udp.ts';
import { CtBatchWriter, CtEventStream, dumpConntrack, type CtBatchResult, type CtEntry } from '../../kernel/ctnetlink/index.ts';
import { NETLINK_NETFILTER, NetlinkSocket } from '../../kernel/netlink/index.ts';
import { constants as osConstants } from 'node:os';

const { ENOENT, EEXIST, EOPNOTSUPP } = osConstants.errno;

export interface SyncDriverOptions extends Omit<SyncNodeOptions, 'ftfw'> {
  local: string;
  /** The sync interface: the socket is bound to it (default: the interface holding `local`). */
  device?: string;
  /** The peer's address (udp); with multicast, its address if known (for the filter), else ''. */
  peer: string;
  port: number;
  /** Multicast group instead of UDP to the peer. */
  multicastGroup?: string;
  /** FTFW options besides the first seq (from the clock, as conntrackd). */
  ackWindow?: number;
  resendQueueSize?: number;
  /** Sync link MTU; datagrams are MTU - 28. Default 1500. */
  mtu?: number;
  eventBuffer?: number;
  eventBufferMax?: number;
  /** Delay before the resync after an overrun (conntrackd's NetlinkOverrunResync; default 1000 ms). */
  overrunResyncMs?: number;
  /** Ask the peer for its table once started. */
  startupResync?: boolean;
  clock?: () => number;
}

export interface SyncDriverStats {
  overruns: number;
  resyncs: number;
  ownEvents: number;
  bufferGrowths: number;
  /** External cache off: the peer's entries written to the kernel, and the writes it refused. */
  injected: number;
  injectFailed: number;
}

export interface SyncBound {
  name: string;
  size: number;
  limit: number;
  /** Turned away by the bound (refused, evicted, dropped, or kernel overruns for the event buffer). */
  dropped: number;
}

export class SyncDriver {
  readonly node: SyncNode;
  readonly #stats = { overruns: 0, resyncs: 0, bufferGrowths: 0, injected: 0, injectFailed: 0 };
  readonly #clock: () => number;
  readonly #events: CtEventStream;
  readonly #writer: CtBatchWriter;
  readonly #dump: NetlinkSocket;
  readonly #eventBufferMax: number;
  readonly #overrunResyncMs: number;
  #transport: SyncTransport | undefined;
  #timer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #flushQueued = false;
  #injectQueued = false;
  #injecting: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(opts: SyncDriverOptions) {
    this.#clock = opts.clock ?? (() => performance.now());
    this.#eventBufferMax = opts.eventBufferMax ?? 256 << 20;
    this.#overrunResyncMs = opts.overrunResyncMs ?? 1000;
    if (opts.authKey !== undefined && opts.peer === '' && opts.multicastGroup === undefined && opts.statsOnly !== true) {
      throw new Error('sync: authentication needs the peer\'s address (it is bound into every MAC)');
    }
    this.node = new SyncNode({
      ...opts,
      authSelf: opts.local,
      authPeer: opts.peer,
      ...(opts.multicastGroup !== undefined ? { authGroup: opts.multicastGroup } : {}),
      ftfw: {
        initialSeq: Math.floor(Date.now() / 1000),
        maxDatagram: (opts.mtu ?? 1500) - 28,
        ...(opts.ackWindow !== undefined ? { ackWindow: opts.ackWindow } : {}),
        ...(opts.resendQueueSize !== undefined ? { resendQueueSize: opts.resendQueueSize } : {}),
      },
      filter: SyncDriver.#filterOf(opts),
    }, (d) => this.#transport?.send(d));
    this.#writer = CtBatchWriter.open();
    this.#dump = NetlinkSocket.open(NETLINK_NETFILTER);
    // 64 MiB (a limit, not an allocation) holds a burst of 100,000 new connections.
    this.#events = CtEventStream.open({ rcvbuf: opts.eventBuffer ?? 64 << 20 });
    // Our own commits' events are dropped by the stream before decoding (counted as ownEvents).
    this.#events.skipPortId = this.#writer.portId;
    this.#events.on('entry', (kind, e) => {
      this.node.onKernelEvent(kind, e, this.#clock());
      this.#flushSoon();
    });
    this.#events.on('overrun', () => this.#onOverrun());
  }

  /** The node's filter: the configured one, and never our own or the peer's sync addresses. */
  static #filterOf(opts: SyncDriverOptions) {
    return { ...opts.filter, ignoreAddresses: [opts.local, ...(opts.peer !== '' ? [opts.peer] : []), ...(opts.filter?.ignoreAddresses ?? [])] };
  }

  /** A config apply that keeps the caches: the filter and commit timeout of `opts` from now. */
  retune(opts: SyncDriverOptions): void {
    this.node.retune({ filter: SyncDriver.#filterOf(opts), ...(opts.commitTimeout !== undefined ? { commitTimeout: opts.commitTimeout } : {}) });
  }

  static async start(opts: SyncDriverOptions): Promise<SyncDriver> {
    const d = new SyncDriver(opts);
    try {
      await d.#loadFromKernel();
      const onDatagram = (buf: Buffer, source: string): void => {
        d.node.onDatagram(buf, d.#clock(), source);
        d.#flushSoon();
        if (d.node.pendingInjected > 0) d.#injectSoon();
      };
      if (opts.statsOnly === true) return d;
      const device = opts.device !== undefined ? { device: opts.device } : {};
      d.#transport = opts.multicastGroup !== undefined
        ? await openMulticastTransport({ local: opts.local, group: opts.multicastGroup, port: opts.port, ...device }, onDatagram)
        : await openUdpTransport({ local: opts.local, peer: opts.peer, port: opts.port, ...device }, onDatagram);
      if (opts.startupResync === true) d.node.requestResync();
      d.#timer = setInterval(() => d.node.tick(d.#clock()), 50);
      d.#flushSoon();
      return d;
    } catch (e) {
      d.close();
      throw e;
    }
  }

  get stats(): SyncDriverStats {
    return { ...this.#stats, ownEvents: this.#events.skipped };
  }

  get transport(): SyncTransport | undefined {
    return this.#transport;
  }

  get eventBuffer(): number {
    return this.#events.rcvbuf;
  }

  /**
   * Every queue, cache and buffer that grows with input: how full, its bound, and what the bound
   * turned away (shown by `ctl sync -s`).
   */
  bounds(): SyncBound[] {
    const n = this.node;
    const p = n.ftfw.pending;
    const lim = n.ftfw.limits;
    const t = this.#transport;
    return [
      { name: 'internal cache', size: n.internal.size, limit: n.internal.limit, dropped: n.internal.stats.full },
      { name: 'external cache', size: n.external.size, limit: n.external.limit, dropped: n.external.stats.full },
      ...(lim !== undefined ? [
        { name: 'entries awaiting ack', size: p.entries, limit: lim.entries, dropped: n.ftfw.stats.pendingDropped },
        { name: 'resend queue', size: p.resend, limit: lim.resend, dropped: n.ftfw.stats.resendEvicted },
      ] : []),
      { name: 'kernel write queue', size: n.pendingInjected, limit: n.injectLimit, dropped: n.stats.injectDropped },
      ...(t !== undefined ? [{ name: 'send queue', size: t.sendQueued, limit: SEND_QUEUE_MAX, dropped: t.sendDropped }] : []),
      { name: 'event buffer (bytes)', size: this.#events.rcvbuf, limit: this.#eventBufferMax, dropped: this.#stats.overruns },
    ];
  }

  #flushSoon(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(() => {
      this.#flushQueued = false;
      if (!this.#closed) this.node.flush(this.#clock());
    });
  }

  /**
   * External cache off: the peer's entries into the kernel, one batch per turn of the loop, and
   * one batch at a time, its retries included: a later state of a connection is never overtaken
   * by the retry of an earlier one.
   */
  #injectSoon(): void {
    if (this.#injectQueued) return;
    this.#injectQueued = true;
    this.#injecting = this.#injecting.then(() => new Promise<void>((next) => setImmediate(next))).then(async () => {
      this.#injectQueued = false;
      if (this.#closed) return;
      const items = this.node.takeInjected();
      if (items.length === 0) return;
      try {
        const r = await this.#applyReplacingStale(items);
        // Deleting what the kernel no longer has is fine (conntrackd ignores ENOENT too).
        const failed = r.failed.filter((f) => !(f.item.op === 'delete' && f.error === -ENOENT)).length;
        this.#stats.injected += r.sent - r.failed.length;
        this.#stats.injectFailed += failed;
      } catch {
        this.#stats.injectFailed += items.length;
      }
    });
  }

  async #dumpKernel(): Promise<CtEntry[]> {
    const all: CtEntry[] = [];
    await dumpConntrack(this.#dump, (e) => all.push(e));
    return all;
  }

  async #loadFromKernel(): Promise<void> {
    this.node.loadKernelTable(await this.#dumpKernel(), this.#clock());
  }

  #onOverrun(): void {
    this.#stats.overruns++;
    if (this.#events.growRcvbuf(this.#eventBufferMax) !== undefined) this.#stats.bufferGrowths++;
    if (this.#resyncTimer !== undefined) return;
    this.#resyncTimer = setTimeout(() => {
      this.#resyncTimer = undefined;
      void this.resyncFromKernel().catch(() => this.#onOverrun());
    }, this.#overrunResyncMs);
  }

  /** -R: re-reads the kernel table; tells the peer what changed. */
  async resyncFromKernel(): Promise<void> {
    const entries = await this.#dumpKernel();
    if (this.#closed) return;
    this.#stats.resyncs++;
    this.node.reconcileKernelTable(entries, this.#clock());
    this.#flushSoon();
  }

  /** -B */
  bulkSend(): void {
    this.node.bulkSend();
    this.#flushSoon();
  }

  /** -n */
  requestResync(): void {
    this.node.requestResync();
    this.#flushSoon();
  }

  /**
   * -c: the external cache into the kernel, in batches. Event reading pauses meanwhile: the
   * kernel echoes every create to our event socket, and reading those (only to drop them) on
   * this thread slowed a commit of 100,000 by a fifth. Events queue in the socket buffer; should
   * it overflow, that is an overrun like any other (grow, resync).
   */
  async commit(): Promise<CtBatchResult> {
    const items = this.node.commitItems(this.#clock());
    this.#events.pause();
    try {
      return await this.#applyReplacingStale(items);
    } finally {
      if (!this.#closed) this.#events.resume();
    }
  }

  /**
   * Writes to the kernel. An entry it already holds (a box that comes back still holds its old
   * ones; with the external cache off, every later state of a peer's connection) is updated in
   * place, except that NAT is set only at creation: the kernel refuses the update (EOPNOTSUPP),
   * leaving the stale entry (a SNATed connection stuck in its first state, old windows, not
   * liberal). As conntrackd does when an update or create fails: delete it and create it again, once.
   */
  async #applyReplacingStale(items: CommitItem[]): Promise<CtBatchResult> {
    const r = await this.#writer.apply(items);
    const stale = r.failed.filter((f) => f.item.op === 'create' && (f.error === -EOPNOTSUPP || f.error === -EEXIST));
    if (stale.length === 0) return r;
    const gone = await this.#writer.apply(stale.map((f) => ({ op: 'delete' as const, entry: f.item.entry })));
    const again = await this.#writer.apply(stale.map((f) => f.item));
    return {
      sent: r.sent,
      failed: [...r.failed.filter((f) => !stale.includes(f)), ...again.failed],
      sends: r.sends + gone.sends + again.sends,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#resyncTimer !== undefined) clearTimeout(this.#resyncTimer);
    this.#events.close();
    this.#writer.close();
    this.#dump.close();
    this.#transport?.close();
  }
}
