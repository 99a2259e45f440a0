// Conntrack sync in the daemon: a SyncDriver (src/ctsync/shell/driver.ts) built from the config's
// `sync` section (src/ctsync/from-config.ts), and the control socket's sync methods (what `stockade ctl sync` asks for). The
// failover integration with VRRP (commit before the VIPs move) is in failover.ts / failover-run.ts.
import type { Config, Sync } from '../config/index.ts';
import { SyncDriver, syncDriverOptions, type SyncDriverOptions } from '../ctsync/index.ts';
import type { ControlServer } from './control.ts';
import type { Log } from './log.ts';
import { entryView, type SyncCommitView, type SyncEntryView, type SyncFailoverView, type SyncStatusView } from '../control/index.ts';
import type { SyncProgress } from './failover.ts';

/** How many kernel refusals a commit reports by errno. */
const COMMIT_ERRORS_SHOWN = 5;
/** Rejected datagrams are logged as one summary line per this interval at most (a flood must not fill the disk). */
const REJECT_LOG_INTERVAL_MS = 10_000;

/** Everything rejected so far, by reason: authentication, malformed messages, foreign senders. */
function rejectCounts(s: SyncStatusView): Record<string, number> {
  return { ...s.authDrops, ...s.drops, foreign: s.transportCounters?.foreign ?? 0 };
}

export type SyncCacheName = 'internal' | 'external';

function cacheParam(params: unknown): SyncCacheName | 'both' {
  const c = (params as { cache?: unknown } | undefined)?.cache;
  if (c === undefined || c === 'both') return 'both';
  if (c === 'internal' || c === 'external') return c;
  throw new Error("cache must be 'internal', 'external' or 'both'");
}

export class SyncService {
  readonly #driver: SyncDriver;
  #sync: Sync;
  #opts: SyncDriverOptions;
  readonly #started = performance.now();
  #lastCommit: SyncCommitView | null = null;
  #rejectTimer: NodeJS.Timeout | undefined;
  /** Set by the failover wiring; shown in status. */
  #failoverView: (() => SyncFailoverView) | undefined;

  private constructor(driver: SyncDriver, sync: Sync, opts: SyncDriverOptions) {
    this.#driver = driver;
    this.#sync = sync;
    this.#opts = opts;
  }

  static async start(config: Config, sync: Sync, log?: Log): Promise<SyncService> {
    const opts = syncDriverOptions(config, sync);
    const s = new SyncService(await SyncDriver.start(opts), sync, opts);
    if (log !== undefined) s.#logRejects(log);
    return s;
  }

  /** One line per interval with what was rejected since the last one, only when something was. */
  #logRejects(log: Log): void {
    let last = rejectCounts(this.status());
    this.#rejectTimer = setInterval(() => {
      const now = rejectCounts(this.status());
      const delta = Object.entries(now).map(([k, n]) => [k, n - (last[k] ?? 0)] as const).filter(([, n]) => n > 0);
      last = now;
      if (delta.length > 0) log('warn', `sync: rejected from the sync link in the last ${REJECT_LOG_INTERVAL_MS / 1000} s: ${delta.map(([k, n]) => `${k}=${n}`).join(' ')} (ctl sync -s)`);
    }, REJECT_LOG_INTERVAL_MS);
    this.#rejectTimer.unref();
  }

  status(): SyncStatusView {
    const d = this.#driver;
    const n = d.node;
    const { drops, ...rest } = n.ftfw.stats;
    return {
      running: true,
      mode: this.#sync.stats_only ? 'stats' : this.#sync.mode,
      transport: this.#sync.transport,
      interface: this.#sync.interface,
      local: this.#opts.local,
      peer: this.#opts.multicastGroup ?? this.#opts.peer,
      port: this.#opts.port,
      authenticated: this.#opts.authKey !== undefined,
      uptimeMs: Math.round(performance.now() - this.#started),
      internal: { ...n.internal.stats },
      external: { ...n.external.stats },
      events: { ...n.stats.events },
      filtered: { ...n.stats.filtered },
      bulkSends: n.stats.bulkSends,
      resyncRequests: n.stats.resyncRequests,
      authDrops: { ...n.stats.authDrops },
      protocol: rest as unknown as Record<string, number>,
      drops: { ...drops },
      pending: { ...n.ftfw.pending },
      kernel: { ...d.stats, eventBuffer: d.eventBuffer },
      transportCounters: { foreign: d.transport?.foreign ?? 0, sendErrors: d.transport?.sendErrors ?? 0 },
      bounds: d.bounds(),
      lastCommit: this.#lastCommit,
      ...(this.#failoverView ? { failover: this.#failoverView() } : {}),
    };
  }

  /** A config apply that keeps the caches (sync-apply.ts decides): the new filter and commit timeout. */
  retune(config: Config, sync: Sync): void {
    const opts = syncDriverOptions(config, sync);
    this.#driver.retune(opts);
    this.#sync = sync;
    this.#opts = opts;
  }

  /** The failover wiring's part of `sync.status` (failover-run.ts). */
  setFailoverView(view: () => SyncFailoverView): void {
    this.#failoverView = view;
  }

  /** The peer's traffic so far (the start-up bulk sync watch). */
  progress(): SyncProgress {
    const n = this.#driver.node;
    return { received: n.ftfw.stats.datagramsReceived, applied: n.ftfw.stats.applied, external: n.external.size };
  }

  get mode(): Sync['mode'] {
    return this.#sync.mode;
  }

  dump(cache: SyncCacheName): SyncEntryView[] {
    const c = cache === 'internal' ? this.#driver.node.internal : this.#driver.node.external;
    const now = performance.now();
    return [...c.entries()].map((x) => entryView(x.entry, c.remaining(x, now), (now - x.createdAt) / 1000));
  }

  async commit(): Promise<SyncCommitView> {
    const t0 = performance.now();
    const r = await this.#driver.commit();
    this.#lastCommit = {
      committed: r.sent - r.failed.length,
      failed: r.failed.length,
      errors: r.failed.slice(0, COMMIT_ERRORS_SHOWN).map((f) => `errno ${-f.error}`),
      ms: Math.round(performance.now() - t0),
    };
    return this.#lastCommit;
  }

  async resyncFromKernel(): Promise<{ internal: number }> {
    await this.#driver.resyncFromKernel();
    return { internal: this.#driver.node.internal.size };
  }

  requestResync(): void {
    this.#driver.requestResync();
  }

  bulkSend(): { queued: number } {
    this.#driver.bulkSend();
    return { queued: this.#driver.node.internal.size };
  }

  flush(cache: SyncCacheName | 'both'): { flushed: Record<string, number> } {
    const flushed: Record<string, number> = {};
    const n = this.#driver.node;
    if (cache !== 'external') { flushed['internal'] = n.internal.size; n.internal.flush(); }
    if (cache !== 'internal') { flushed['external'] = n.external.size; n.external.flush(); }
    return { flushed };
  }

  stop(): void {
    if (this.#rejectTimer !== undefined) clearInterval(this.#rejectTimer);
    this.#driver.close();
  }
}

/**
 * Starts sync when the config has an enabled `sync` section. A failure is logged and leaves sync
 * off (VRRP keeps running); `sync.status` then says why.
 */
export async function startSync(config: Config, log: Log): Promise<{ service: SyncService | undefined; reason: string }> {
  const sync = config.sync;
  if (sync === undefined) {
    log('info', 'sync: not configured');
    return { service: undefined, reason: 'not configured' };
  }
  if (!sync.enabled) {
    log('info', 'sync: disabled in the config');
    return { service: undefined, reason: 'disabled in the config' };
  }
  try {
    const service = await SyncService.start(config, sync, log);
    const s = service.status();
    if (sync.stats_only) log('info', `sync: statistics only (nothing replicated); ${s.internal?.active ?? 0} kernel entries loaded`);
    else log('info', `sync: ${s.mode} over ${s.transport}, ${s.local} -> ${s.peer} port ${s.port}${s.authenticated ? ', authenticated' : ''}${sync.external_cache ? '' : ', no external cache (peer entries straight to the kernel)'}; ${s.internal?.active ?? 0} kernel entries loaded`);
    return { service, reason: '' };
  } catch (e) {
    const reason = `failed to start: ${(e as Error).message}`;
    log('error', `sync: ${reason}`);
    return { service: undefined, reason };
  }
}

/** The control socket's sync.* methods, on whatever sync runs now (a config apply may restart it). */
export function serveSync(control: ControlServer, current: () => { service: SyncService | undefined; reason: string }): void {
  const need = (): SyncService => {
    const { service, reason } = current();
    if (service === undefined) throw new Error(`sync is not running (${reason})`);
    return service;
  };
  control.handle('sync.status', () => current().service?.status() ?? ({ running: false, reason: current().reason } satisfies SyncStatusView));
  control.handle('sync.dump', (p) => {
    const c = cacheParam(p);
    if (c === 'both') throw new Error("sync.dump needs cache 'internal' or 'external'");
    return need().dump(c);
  });
  control.handle('sync.commit', () => need().commit());
  control.handle('sync.resync', () => need().resyncFromKernel());
  control.handle('sync.request-resync', () => { need().requestResync(); return {}; });
  control.handle('sync.bulk-send', () => need().bulkSend());
  control.handle('sync.flush', (p) => need().flush(cacheParam(p)));
}
