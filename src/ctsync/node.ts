// One sync node: kernel events -> filter -> internal cache -> FTFW -> datagrams, and datagrams ->
// (authentication) -> FTFW -> external cache -> commit items for the kernel. Pure: the caller
// feeds kernel events, datagrams and time, sends what `send` gets, and applies commit items.
// The daemon (later) and the lab's replication test drive it the same way.
import { DatagramAuth, newAuthDrops } from './auth.ts';
import type { AuthDrop } from './auth.ts';
import { EntryCache } from './cache.ts';
import { entryKey, toCtEntry, toSyncEntry } from './convert.ts';
import { compileFilter, filterEntry } from './filter.ts';
import type { CompiledFilter, FilterConfig, FilterVerdict } from './filter.ts';
import { FtfwCore } from './ftfw.ts';
import type { FtfwOptions, FtfwSink, SyncProtocol } from './ftfw.ts';
import { NotrackCore } from './notrack.ts';
import { AlarmCore } from './alarm.ts';
import type { DataType, SyncEntry } from './wire/codec.ts';
import type { CtEntry } from '../kernel/ctnetlink/index.ts';

export type KernelEventKind = 'new' | 'update' | 'destroy';

export interface SyncNodeOptions {
  /** conntrackd's modes. Default ftfw. */
  mode?: 'ftfw' | 'notrack' | 'alarm';
  /** ALARM: RefreshTime (default 60 s) and CacheTimeout (default 180 s). */
  refreshS?: number;
  cacheTimeoutS?: number;
  ftfw: FtfwOptions;
  filter?: FilterConfig;
  /** HMAC-SHA256 key (>= 32 bytes); absent: no authentication (conntrackd peers). */
  authKey?: Buffer;
  /**
   * Which way datagrams go, bound into every MAC: this box's sync address, the peer's, and the
   * multicast group if any. The driver passes them; two nodes that both leave them out pair too.
   */
  authSelf?: string;
  authPeer?: string;
  authGroup?: string;
  /** Wall clock in ms for the authentication counter (tests); default Date.now. */
  authClock?: () => number;
  replayWindow?: number;
  cacheLimit?: number;
  /** conntrackd's CommitTimeout: fixed timeout for committed entries. */
  commitTimeout?: number;
  /**
   * false: conntrackd's DisableExternalCache. The peer's entries are not cached but queued for the
   * kernel at once (takeInjected(): create for new and update, delete for destroy).
   */
  externalCache?: boolean;
  /** conntrackd -S: the internal cache and its statistics only; nothing is sent or received. */
  statsOnly?: boolean;
  /** External cache off: most kernel writes waiting for the next batch; beyond, dropped and counted. Default 65536. */
  injectLimit?: number;
}

/** Least time between two authentication probes (answers to stale datagrams), in ms. */
const PROBE_INTERVAL_MS = 100;

export interface CommitItem {
  op: 'create' | 'delete';
  entry: CtEntry;
}

export interface SyncNodeStats {
  events: Record<KernelEventKind, number>;
  filtered: Record<Exclude<FilterVerdict, 'sync'>, number>;
  bulkSends: number;
  resyncRequests: number;
  authDrops: Record<AuthDrop, number>;
  /** Authentication handshake datagrams sent (answers to stale datagrams). */
  authProbes: number;
  /** External cache off: peer entries dropped because the kernel write queue was full. */
  injectDropped: number;
}

/** Whether two snapshots of one connection differ in anything the peer keeps (not the timeout). */
function sameState(a: SyncEntry, b: SyncEntry): boolean {
  return a.status === b.status && a.tcpState === b.tcpState && a.mark === b.mark && a.snat === b.snat && a.dnat === b.dnat
    && a.spat === b.spat && a.dpat === b.dpat && a.wscaleOrig === b.wscaleOrig && a.wscaleReply === b.wscaleReply;
}

export class SyncNode {
  readonly internal: EntryCache;
  readonly external: EntryCache;
  /** The mode's protocol core (named for the default mode). */
  readonly ftfw: SyncProtocol;
  readonly stats: SyncNodeStats = {
    events: { new: 0, update: 0, destroy: 0 },
    filtered: { 'ignored-address': 0, 'ignored-protocol': 0, 'ignored-state': 0 },
    bulkSends: 0,
    resyncRequests: 0,
    authDrops: newAuthDrops(),
    authProbes: 0,
    injectDropped: 0,
  };
  #filter: CompiledFilter;
  readonly #auth: DatagramAuth | undefined;
  readonly #send: (d: Buffer) => void;
  #commitTimeout: number | undefined;
  readonly #alarm: boolean;
  readonly #externalCache: boolean;
  readonly #statsOnly: boolean;
  readonly #injectLimit: number;
  #injected: CommitItem[] = [];
  #lastExpire = 0;
  #lastProbe = Number.NEGATIVE_INFINITY;
  #now = 0;

  /**
   * A config apply: a new filter and commit timeout, caches kept. Entries the new filter refuses
   * stay until they expire or are deleted; new events follow the new filter.
   */
  retune(opts: Pick<SyncNodeOptions, 'filter' | 'commitTimeout'>): void {
    this.#filter = compileFilter(opts.filter ?? {});
    this.#commitTimeout = opts.commitTimeout;
  }

  constructor(opts: SyncNodeOptions, send: (datagram: Buffer) => void) {
    this.#send = send;
    this.#filter = compileFilter(opts.filter ?? {});
    this.#commitTimeout = opts.commitTimeout;
    this.#externalCache = opts.externalCache ?? true;
    this.#statsOnly = opts.statsOnly ?? false;
    this.#injectLimit = opts.injectLimit ?? 65536;
    this.internal = new EntryCache('internal', opts.cacheLimit !== undefined ? { limit: opts.cacheLimit } : {});
    this.#alarm = opts.mode === 'alarm';
    this.external = new EntryCache('external', {
      ...(opts.cacheLimit !== undefined ? { limit: opts.cacheLimit } : {}),
      // ALARM: the peer refreshes every entry; one not refreshed within CacheTimeout is gone.
      ...(this.#alarm ? { fixedLifetime: opts.cacheTimeoutS ?? 180 } : {}),
    });
    if (opts.authKey !== undefined) {
      this.#auth = new DatagramAuth({
        key: opts.authKey, self: opts.authSelf ?? '', peer: opts.authPeer ?? '',
        ...(opts.authGroup !== undefined ? { group: opts.authGroup } : {}),
        ...(opts.authClock !== undefined ? { clock: opts.authClock } : {}),
        ...(opts.replayWindow !== undefined ? { replayWindow: opts.replayWindow } : {}),
      });
      this.stats.authDrops = this.#auth.stats.drops;
    }
    const sink: FtfwSink = {
      send: (d) => this.#send(this.#auth !== undefined ? this.#auth.sign(d) : d),
      apply: (type, e) => this.#applyRemote(type, e),
      resyncRequested: () => {
        this.stats.resyncRequests++;
        this.bulkSend();
      },
    };
    this.ftfw = opts.mode === 'notrack' ? new NotrackCore(opts.ftfw, sink)
      : opts.mode === 'alarm' ? new AlarmCore({ ...opts.ftfw, ...(opts.refreshS !== undefined ? { refreshS: opts.refreshS } : {}) }, sink)
      : new FtfwCore(opts.ftfw, sink);
  }

  #applyRemote(type: DataType, e: SyncEntry): void {
    if (!this.#externalCache) {
      // conntrackd's external_inject: no cache, the entry's own timeout (conntrackd ignores
      // CommitTimeout with DisableExternalCache, and so do we).
      if (this.#injected.length >= this.#injectLimit) {
        // The kernel is not keeping up: what is dropped here comes back with the next resync.
        this.stats.injectDropped++;
        return;
      }
      const entry = toCtEntry(e);
      this.#injected.push({ op: type === 'destroy' ? 'delete' : 'create', entry });
      return;
    }
    if (type === 'destroy') this.external.remove(e);
    else this.external.upsert(e, this.#now);
  }

  /** Kernel writes queued by the peer's messages when the external cache is off. */
  get pendingInjected(): number {
    return this.#injected.length;
  }

  get injectLimit(): number {
    return this.#injectLimit;
  }

  /** Takes the queued kernel writes (external cache off), oldest first. */
  takeInjected(): CommitItem[] {
    const items = this.#injected;
    this.#injected = [];
    return items;
  }

  #enqueue(key: string, type: DataType, e: SyncEntry): void {
    if (!this.#statsOnly) this.ftfw.enqueue(key, type, e);
  }

  /** A kernel conntrack event (not one caused by our own commits: the caller drops those). */
  onKernelEvent(kind: KernelEventKind, ct: CtEntry, now: number): void {
    this.#now = now;
    this.stats.events[kind]++;
    const e = toSyncEntry(ct);
    const verdict = filterEntry(this.#filter, e);
    if (verdict !== 'sync') {
      this.stats.filtered[verdict]++;
      return;
    }
    const key = entryKey(e);
    if (kind === 'destroy') {
      // Only what the peer may have: entries we never synced need no destroy.
      if (!this.internal.has(e)) return;
      this.internal.remove(e);
      this.#enqueue(key, 'destroy', e);
      return;
    }
    const r = this.internal.upsert(e, now);
    if (r === 'full') return;
    this.#enqueue(key, r === 'created' ? 'new' : 'update', e);
  }

  /** Replaces the internal cache with a kernel dump (resync, -R); sends nothing by itself. */
  loadKernelTable(entries: Iterable<CtEntry>, now: number): void {
    this.#now = now;
    this.internal.flush();
    for (const ct of entries) {
      const e = toSyncEntry(ct);
      if (filterEntry(this.#filter, e) === 'sync') this.internal.upsert(e, now);
    }
  }

  /**
   * After lost events (ENOBUFS): makes the internal cache equal to a fresh kernel dump and tells
   * the peer only what changed: entries that vanished are destroyed, new or changed ones sent.
   */
  reconcileKernelTable(entries: Iterable<CtEntry>, now: number): { sent: number; destroyed: number } {
    this.#now = now;
    const seen = new Set<string>();
    let sent = 0;
    for (const ct of entries) {
      const e = toSyncEntry(ct);
      if (filterEntry(this.#filter, e) !== 'sync') continue;
      const key = entryKey(e);
      seen.add(key);
      const old = this.internal.get(e);
      if (old !== undefined && sameState(old.entry, e)) {
        this.internal.refresh(e, now); // fresher timeout, nothing to tell the peer
        continue;
      }
      const r = this.internal.upsert(e, now);
      if (r === 'full') continue;
      this.#enqueue(key, r === 'created' ? 'new' : 'update', e);
      sent++;
    }
    let destroyed = 0;
    for (const c of [...this.internal.entries()]) {
      const key = entryKey(c.entry);
      if (seen.has(key)) continue;
      this.internal.remove(c.entry);
      this.#enqueue(key, 'destroy', c.entry);
      destroyed++;
    }
    return { sent, destroyed };
  }

  /** Queues the whole internal cache for the peer (-B, and the answer to a RESYNC). */
  bulkSend(): void {
    if (this.#statsOnly) return;
    this.stats.bulkSends++;
    for (const c of this.internal.entries()) this.ftfw.enqueue(entryKey(c.entry), 'new', c.entry);
  }

  /** Asks the peer for its whole table (-n). */
  requestResync(): void {
    if (this.#statsOnly) return;
    this.ftfw.requestResync();
  }

  /** A datagram from the peer (the caller has checked its source; with multicast it names the sender). */
  onDatagram(d: Buffer, now: number, source?: string): void {
    this.#now = now;
    if (this.#statsOnly) return;
    let payload: Buffer | undefined = d;
    const auth = this.#auth;
    if (auth !== undefined) {
      const was = auth.established;
      payload = auth.verify(d, source);
      if (auth.probeDue && now - this.#lastProbe >= PROBE_INTERVAL_MS) {
        // The peer has not heard this life of ours (or we restarted): tell it, so it can echo.
        this.#lastProbe = now;
        this.stats.authProbes++;
        this.#send(auth.probe());
      }
      // Both ways established just now: what we sent before could not be accepted; send it again.
      if (!was && auth.established) this.ftfw.resendUnacked?.();
    }
    if (payload === undefined) return; // never reaches the caches, so never the kernel
    if (payload.length === 0) return; // an authentication probe
    this.ftfw.receive(payload, now);
  }

  flush(now: number): void {
    this.#now = now;
    if (!this.#statsOnly) this.ftfw.flush(now);
  }

  tick(now: number): void {
    this.#now = now;
    if (!this.#statsOnly) this.ftfw.tick(now);
    if (this.#alarm && now - this.#lastExpire >= 1000) {
      this.#lastExpire = now;
      this.external.expire(now);
    }
  }

  /** Create requests for every external entry, with the timeout each has left (-c). */
  commitItems(now: number): CommitItem[] {
    const items: CommitItem[] = [];
    for (const c of this.external.entries()) {
      const opts = this.#commitTimeout !== undefined ? { timeout: this.#commitTimeout } : { age: (now - c.updatedAt) / 1000 };
      items.push({ op: 'create', entry: toCtEntry(c.entry, opts) });
    }
    return items;
  }
}
