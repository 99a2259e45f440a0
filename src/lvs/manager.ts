// The LVS manager: holds the config's virtual services in the kernel. At start and on a config
// transaction it dumps the whole kernel table and writes only what differs. When the health
// checks change services' destinations (health.ts) it reads and reconciles only those services,
// each all or nothing on its own; updates arriving while an apply runs join one pending apply (a
// farm failing at 2,000 checks a second must not queue an apply per event behind a slow one).
// One apply at a time. It also runs the IPVS sync daemon as the followed VRRP unit's state says,
// and keeps the recent real-server events (bounded) for `ctl lvs events`.
import type { Config } from '../config/index.ts';
import type { Log } from '../common/index.ts';
import type { IpvsKernel, IpvsConnection, IpvsTableService } from '../kernel/ipvs/index.ts';
import { desiredTable, serverId, realServerPort, type CheckedDestination } from './model.ts';
import { planLvs, formatAction, type LvsAction } from './plan.ts';
import { applyLvsPlan } from './apply.ts';
import { lvsSyncSettings, planSync, syncRole, isSyncUnitEvent, type LvsSyncSettings } from './sync.ts';
import { tableView, type TableView } from './view.ts';

/** How many real-server events `ctl lvs events` can show; older ones are dropped (and counted). */
export const EVENTS_MAX = 256;

export interface LvsEvent {
  at: string;
  server: string;
  up: boolean;
  weight: number | null;
  reason: string;
}

/** One change for the events: a real server ("<service> <address>:<port>") or a whole service. */
export interface LvsEventInput {
  server: string;
  up: boolean;
  weight?: number;
  reason: string;
}

/** A real server as its health checks see it (health.ts). */
export interface ServerCheckState {
  state: 'up' | 'down' | 'suspended';
  weight: number;
  reason: string;
}

/** A service's check state for `ctl lvs`. */
export interface ServiceCheckView {
  name: string;
  quorumUp: boolean;
  liveWeight: number;
  quorum: number;
  suspended: boolean;
  sorryServerIn: boolean;
}

/** What the manager shows of the health checks (health.ts's LvsHealth). */
export interface HealthView {
  server(service: string, address: string, port: number): ServerCheckState | undefined;
  services(): ServiceCheckView[];
  /** One line of the checkers' counters (probes, in flight, events kept/dropped, timer lateness). */
  counters(): Record<string, number>;
  /** What will never work (script security refusals). */
  warnings(): string[];
}

export interface LvsApplyResult {
  actions: LvsAction[];
}

/** The table writes the health checks caused (a config apply that carried their updates counts in the latency). */
export interface HealthApplyCounters {
  /** Health applies run (each reads and writes only the services that changed). */
  applies: number;
  /** Service updates received from the health checks. */
  updates: number;
  /** Updates that joined an apply already pending instead of queuing their own. */
  coalesced: number;
  /** The last apply carrying health updates: from its first update to the write done, ms. */
  lastLatencyMs: number | null;
  maxLatencyMs: number;
}

export interface LvsStatusView extends TableView {
  /** Per configured real server: the state the manager programs it with. */
  servers: Array<{ server: string; pointer: string; state: 'up' | 'down' | 'suspended' | 'unchecked'; weight: number; reason: string }>;
  /** Per service with health checks: quorum, ha_suspend, sorry server. */
  checks: { services: ServiceCheckView[]; counters: Record<string, number> } | null;
  sync: { unit: string; interface: string; syncId: number; role: 'master' | 'backup' | null; daemons: Array<{ state: string; interface: string; syncId: number }> } | null;
  applies: number;
  writes: number;
  fromHealth: HealthApplyCounters;
  lastError: string | null;
  appliedAt: string | null;
  warnings: string[];
  events: { held: number; max: number; dropped: number };
}

export interface LvsManagerOptions {
  /** Reads the connection table (ctl lvs -c). */
  connections?: () => IpvsConnection[];
  now?: () => Date;
  /** Where an apply's time goes, step by step (STOCKADE_LVS_TRACE, for profiling). */
  trace?: (step: string, ms: number) => void;
  /** A failed health apply is retried after `minMs`, doubling to `maxMs` while it keeps failing. */
  healthRetry?: { minMs: number; maxMs: number };
}

const HEALTH_RETRY = { minMs: 1000, maxMs: 30_000 };

export class LvsManager {
  readonly #kernel: IpvsKernel;
  readonly #log: Log;
  readonly #opts: LvsManagerOptions;
  #config: Config;
  readonly #checked = new Map<string, readonly CheckedDestination[]>();
  readonly #events: LvsEvent[] = [];
  #eventsDropped = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #applies = 0;
  #writes = 0;
  #lastError: string | null = null;
  /** The last error came from a health apply (a later one that succeeds clears it; a config apply's stays). */
  #lastErrorFromHealth = false;
  /** Services with health updates not written yet -> when the first of them came (performance.now()). */
  readonly #dirty = new Map<string, number>();
  /** The health apply scheduled and not started: later updates join it. */
  #healthJob: Promise<LvsApplyResult> | undefined;
  /** Config applies queued and not started: they write the health updates too. */
  #wholeQueued = 0;
  readonly #health: HealthApplyCounters = { applies: 0, updates: 0, coalesced: 0, lastLatencyMs: null, maxLatencyMs: 0 };
  #appliedAt: string | null = null;
  #sync: LvsSyncSettings | undefined;
  #role: 'master' | 'backup' | undefined;
  #healthView: HealthView | undefined;
  /** The retry of services whose health apply failed: one timer at most, its delay backing off. */
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs: number;

  constructor(kernel: IpvsKernel, config: Config, log: Log, opts: LvsManagerOptions = {}) {
    this.#kernel = kernel;
    this.#config = config;
    this.#log = log;
    this.#opts = opts;
    this.#sync = lvsSyncSettings(config);
    this.#retryDelayMs = (opts.healthRetry ?? HEALTH_RETRY).minMs;
  }

  /** Writes made to the kernel so far (a caller's difference: what one apply wrote). */
  get writes(): number {
    return this.#writes;
  }

  /** One kernel operation at a time: an apply never sees the table half-way through another. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Makes the kernel hold the config's services (only what differs is written): the whole table. */
  apply(config: Config = this.#config): Promise<LvsApplyResult> {
    this.#config = config;
    this.#sync = lvsSyncSettings(config);
    this.#wholeQueued++;
    return this.#serial(async () => {
      this.#wholeQueued--;
      // Every service is reconciled here with the latest checked destinations.
      const since = this.#takeDirty();
      this.#applies++;
      const trace = this.#opts.trace;
      let t0 = performance.now();
      const step = (name: string): void => {
        if (trace === undefined) return;
        const t1 = performance.now();
        trace(name, t1 - t0);
        t0 = t1;
      };
      const before = await this.#kernel.table({ stats: false });
      step('dump the kernel table');
      const desired = desiredTable(config, (name) => this.#checked.get(name));
      const actions = planLvs(desired, before, { exclusive: config.lvs.exclusive });
      step(`plan (${actions.length} actions)`);
      try {
        await applyLvsPlan(this.#kernel, actions, before);
        step('write');
        const t = config.lvs.timeouts;
        const cur = await this.#kernel.timeouts();
        if (cur.tcp !== t.tcp_s || cur.tcpFin !== t.tcp_fin_s || cur.udp !== t.udp_s) {
          await this.#kernel.setTimeouts({ tcp: t.tcp_s, tcpFin: t.tcp_fin_s, udp: t.udp_s });
          this.#writes++;
        }
        this.#written(actions, since);
        this.#lastError = null;
        this.#lastErrorFromHealth = false;
        return { actions };
      } catch (e) {
        this.#lastError = (e as Error).message;
        this.#lastErrorFromHealth = false;
        throw e;
      }
    });
  }

  /** Counts and logs what an apply wrote; `since`: the health updates it carried. */
  #written(actions: readonly LvsAction[], since: ReadonlyMap<string, number>): void {
    this.#writes += actions.length;
    this.#appliedAt = (this.#opts.now?.() ?? new Date()).toISOString();
    for (const a of actions) this.#log('info', `lvs: ${formatAction(a)}`);
    if (since.size === 0) return;
    const ms = performance.now() - Math.min(...since.values());
    this.#health.lastLatencyMs = ms;
    this.#health.maxLatencyMs = Math.max(this.#health.maxLatencyMs, ms);
  }

  #takeDirty(): Map<string, number> {
    const since = new Map(this.#dirty);
    this.#dirty.clear();
    return since;
  }

  /**
   * The services with health updates, reconciled alone: each read from the kernel by its key,
   * planned against the config, written all or nothing on its own (a refusal leaves that service
   * as it was and the others go on). Never deletes a service, whatever lvs.exclusive says: that is
   * the config apply's business.
   */
  async #applyHealth(): Promise<LvsApplyResult> {
    this.#healthJob = undefined;
    if (this.#wholeQueued > 0) return { actions: [] };
    const since = this.#takeDirty();
    if (since.size === 0) return { actions: [] };
    this.#applies++;
    this.#health.applies++;
    const desired = desiredTable(this.#config, (name) => this.#checked.get(name), new Set(since.keys()));
    let have: Array<IpvsTableService | undefined>;
    try {
      have = await Promise.all(desired.map((s) => this.#kernel.service(s.key, { stats: false })));
    } catch (e) {
      this.#healthError(`reading the table: ${(e as Error).message}`);
      this.#retryLater([...since.keys()], since);
      return { actions: [] };
    }
    const plans = desired.map((s, i) => {
      const before = have[i] === undefined ? [] : [have[i]!];
      return { before, actions: planLvs([s], before, { exclusive: false }) };
    });
    const outcomes = await Promise.allSettled(plans.map((p) => applyLvsPlan(this.#kernel, p.actions, p.before)));
    const written = plans.flatMap((p, i) => (outcomes[i]!.status === 'fulfilled' ? p.actions : []));
    this.#written(written, since);
    const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason instanceof Error ? o.reason.message : String(o.reason)] : []));
    for (const message of failed) this.#healthError(message);
    if (failed.length > 0) {
      this.#retryLater(desired.flatMap((s, i) => (outcomes[i]!.status === 'rejected' ? [s.name] : [])), since);
    } else {
      this.#retryDelayMs = (this.#opts.healthRetry ?? HEALTH_RETRY).minMs;
      if (this.#lastErrorFromHealth) {
        this.#lastError = null;
        this.#lastErrorFromHealth = false;
      }
    }
    return { actions: written };
  }

  /**
   * The table stays behind the checks for `services` until written: they are marked to write
   * again (unless a newer update did) and a health apply is retried later, the delay doubling
   * while it keeps failing, so a refusal that lasts costs one try per maxMs, not a busy loop.
   */
  #retryLater(services: readonly string[], since: ReadonlyMap<string, number>): void {
    for (const name of services) if (!this.#dirty.has(name)) this.#dirty.set(name, since.get(name) ?? performance.now());
    if (this.#retryTimer !== undefined) return;
    const delay = this.#retryDelayMs;
    const { maxMs } = this.#opts.healthRetry ?? HEALTH_RETRY;
    this.#retryDelayMs = Math.min(maxMs, delay * 2);
    this.#log('warn', `lvs: ${services.join(', ')}: the table is behind the health checks; trying again in ${delay / 1000} s`);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#scheduleHealth();
    }, delay);
    // The daemon lives on its own handles; a one-shot command need not wait for this.
    this.#retryTimer.unref();
  }

  /** Schedules a health apply unless one is pending (later updates join it). */
  #scheduleHealth(): void {
    if (this.#healthJob !== undefined) {
      this.#health.coalesced++;
      return;
    }
    // Never rejects: health.ts does not wait for it (an error is logged and shown by ctl lvs).
    this.#healthJob = this.#serial(() => this.#applyHealth()).catch((e: unknown) => {
      this.#healthError(e instanceof Error ? e.message : String(e));
      return { actions: [] };
    });
  }

  #healthError(message: string): void {
    this.#log('error', `lvs: ${message}`);
    if (this.#lastError === null || this.#lastErrorFromHealth) {
      this.#lastError = message;
      this.#lastErrorFromHealth = true;
    }
  }

  /**
   * A service's destinations as its health checks decide them (health.ts: the checkers'
   * runner.table(service)); the table follows, and `events` go to `ctl lvs events`.
   */
  setServiceDestinations(service: string, dests: readonly CheckedDestination[], events: readonly LvsEventInput[]): Promise<LvsApplyResult> {
    return this.setDestinations([{ service, dests, events }]);
  }

  /**
   * Several services' destinations; the table follows in the pending health apply (one is
   * scheduled if none is): it writes the latest destinations of every service updated before it
   * starts (or, when a config apply is queued behind it, leaves them to that one: it resolves
   * to no actions then). Resolves to what that apply wrote; its errors are logged and kept for
   * `ctl lvs`.
   */
  setDestinations(updates: ReadonlyArray<{ service: string; dests: readonly CheckedDestination[]; events: readonly LvsEventInput[] }>): Promise<LvsApplyResult> {
    const at = performance.now();
    for (const u of updates) {
      this.#checked.set(u.service, u.dests.map((d) => ({ ...d })));
      for (const e of u.events) this.#event(e);
      if (!this.#dirty.has(u.service)) this.#dirty.set(u.service, at);
      this.#health.updates++;
      this.#scheduleHealth();
    }
    return this.#healthJob ?? Promise.resolve({ actions: [] });
  }

  /** Every service's checked destinations at once, without applying (new checkers after a config change). */
  replaceChecked(tables: ReadonlyMap<string, readonly CheckedDestination[]>): void {
    this.#checked.clear();
    for (const [name, dests] of tables) this.#checked.set(name, dests.map((d) => ({ ...d })));
  }

  /** What `ctl lvs` shows of the health checks. */
  useHealth(view: HealthView | undefined): void {
    this.#healthView = view;
  }

  #event(e: LvsEventInput): void {
    this.#events.push({ at: (this.#opts.now?.() ?? new Date()).toISOString(), server: e.server, up: e.up, weight: e.weight ?? null, reason: e.reason });
    if (this.#events.length > EVENTS_MAX) {
      this.#eventsDropped += this.#events.length - EVENTS_MAX;
      this.#events.splice(0, this.#events.length - EVENTS_MAX);
    }
  }

  /** A VRRP transition: the sync daemon follows the unit's state (see sync.ts). */
  onVrrpTransition(e: { instance: string; group: boolean; to: string }): Promise<void> {
    if (this.#sync === undefined || !isSyncUnitEvent(this.#sync, e)) return Promise.resolve();
    return this.setSyncRole(syncRole(e.to));
  }

  /** Makes the kernel run the sync daemon in `role` (undefined: none). */
  setSyncRole(role: 'master' | 'backup' | undefined): Promise<void> {
    this.#role = role;
    const s = this.#sync;
    return this.#serial(async () => {
      const cmds = planSync(s, role, await this.#kernel.daemons());
      for (const c of cmds) {
        if (c.op === 'stop') await this.#kernel.stopDaemon(c.state);
        else await this.#kernel.startDaemon(c.daemon);
        this.#writes++;
        this.#log('info', c.op === 'stop' ? `lvs: sync daemon ${c.state} stopped` : `lvs: sync daemon ${c.daemon.state} on ${c.daemon.interface} (sync id ${c.daemon.syncId})`);
      }
    }).catch((e: Error) => {
      this.#lastError = e.message;
      this.#log('error', `lvs: sync daemon: ${e.message}`);
    });
  }

  /** The sync daemon's role as last set (undefined: none yet). */
  get syncRole(): 'master' | 'backup' | undefined {
    return this.#role;
  }

  get syncSettings(): LvsSyncSettings | undefined {
    return this.#sync;
  }

  events(): { events: LvsEvent[]; dropped: number; max: number } {
    return { events: [...this.#events], dropped: this.#eventsDropped, max: EVENTS_MAX };
  }

  connections(): IpvsConnection[] {
    return this.#opts.connections?.() ?? [];
  }

  async status(): Promise<LvsStatusView> {
    const [info, table, daemons] = await this.#serial(() => Promise.all([this.#kernel.info(), this.#kernel.table(), this.#kernel.daemons()]));
    const servers: LvsStatusView['servers'] = [];
    this.#config.lvs.virtual_services.forEach((vs, i) => {
      vs.real_servers.forEach((rs, j) => {
        const id = serverId(vs, rs);
        const pointer = `/lvs/virtual_services/${i}/real_servers/${j}`;
        const h = rs.enabled ? this.#healthView?.server(vs.name, rs.address, realServerPort(vs, rs)) : undefined;
        if (!rs.enabled) servers.push({ server: id, pointer, state: 'down', weight: rs.weight, reason: 'disabled in the config' });
        else if (h === undefined) servers.push({ server: id, pointer, state: 'unchecked', weight: rs.weight, reason: 'no health checks running (programmed as up)' });
        else servers.push({ server: id, pointer, ...h });
      });
    });
    const s = this.#sync;
    return {
      ...tableView(info, table),
      servers,
      sync: s === undefined ? null : { unit: s.unit, interface: s.interface, syncId: s.syncId, role: this.#role ?? null, daemons: daemons.map((d) => ({ state: d.state, interface: d.interface, syncId: d.syncId })) },
      applies: this.#applies,
      writes: this.#writes,
      fromHealth: { ...this.#health },
      lastError: this.#lastError,
      appliedAt: this.#appliedAt,
      checks: this.#healthView === undefined ? null : { services: this.#healthView.services(), counters: this.#healthView.counters() },
      warnings: this.#healthView?.warnings() ?? [],
      events: { held: this.#events.length, max: EVENTS_MAX, dropped: this.#eventsDropped },
    };
  }

  /** The kernel keeps the table (traffic keeps flowing while the daemon restarts). */
  stop(): void {
    this.#healthView = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }
}

