// The LVS manager: holds the config's virtual services in the kernel. It applies at start,
// whenever the health checks change a service's destinations (health.ts) and on a config
// transaction, each time dumping the kernel's table and writing only what differs, one apply at a
// time; runs the IPVS sync daemon as the followed VRRP unit's state says; and keeps the recent
// real-server events (bounded) for `ctl lvs events`.
import type { Config } from '../config/index.ts';
import type { Log } from '../common/index.ts';
import type { IpvsKernel, IpvsConnection } from '../kernel/ipvs/index.ts';
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

export interface LvsStatusView extends TableView {
  /** Per configured real server: the state the manager programs it with. */
  servers: Array<{ server: string; pointer: string; state: 'up' | 'down' | 'suspended' | 'unchecked'; weight: number; reason: string }>;
  /** Per service with health checks: quorum, ha_suspend, sorry server. */
  checks: { services: ServiceCheckView[]; counters: Record<string, number> } | null;
  sync: { unit: string; interface: string; syncId: number; role: 'master' | 'backup' | null; daemons: Array<{ state: string; interface: string; syncId: number }> } | null;
  applies: number;
  writes: number;
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
}

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
  #appliedAt: string | null = null;
  #sync: LvsSyncSettings | undefined;
  #role: 'master' | 'backup' | undefined;
  #healthView: HealthView | undefined;

  constructor(kernel: IpvsKernel, config: Config, log: Log, opts: LvsManagerOptions = {}) {
    this.#kernel = kernel;
    this.#config = config;
    this.#log = log;
    this.#opts = opts;
    this.#sync = lvsSyncSettings(config);
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

  /** Makes the kernel hold the config's services (only what differs is written). */
  apply(config: Config = this.#config): Promise<LvsApplyResult> {
    this.#config = config;
    this.#sync = lvsSyncSettings(config);
    return this.#serial(async () => {
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
        this.#writes += actions.length;
        this.#lastError = null;
        this.#appliedAt = (this.#opts.now?.() ?? new Date()).toISOString();
        for (const a of actions) this.#log('info', `lvs: ${formatAction(a)}`);
        return { actions };
      } catch (e) {
        this.#lastError = (e as Error).message;
        throw e;
      }
    });
  }

  /**
   * A service's destinations as its health checks decide them (health.ts: the checkers'
   * runner.table(service)); the table follows, and `events` go to `ctl lvs events`.
   */
  setServiceDestinations(service: string, dests: readonly CheckedDestination[], events: readonly LvsEventInput[]): Promise<LvsApplyResult> {
    return this.setDestinations([{ service, dests, events }]);
  }

  /** Several services' destinations, then one apply (one table dump, however many services changed). */
  setDestinations(updates: ReadonlyArray<{ service: string; dests: readonly CheckedDestination[]; events: readonly LvsEventInput[] }>): Promise<LvsApplyResult> {
    for (const u of updates) {
      this.#checked.set(u.service, u.dests.map((d) => ({ ...d })));
      for (const e of u.events) this.#event(e);
    }
    return this.apply().catch((err: Error) => {
      this.#log('error', `lvs: ${err.message}`);
      return { actions: [] };
    });
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
  }
}

