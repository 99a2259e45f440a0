// The LVS manager: holds the config's virtual services in the kernel. It applies at start (and
// whenever a real server's health changes), each time dumping the kernel's table and writing only
// what differs, one apply at a time; runs the IPVS sync daemon as the followed VRRP unit's state
// says; and keeps the recent real-server events (bounded) for `ctl lvs events`.
import type { Config } from '../config/index.ts';
import type { Log } from '../common/index.ts';
import type { IpvsKernel, IpvsConnection } from '../kernel/ipvs/index.ts';
import { desiredTable, serverId, type CheckedDestination, type ServerHealth } from './model.ts';
import { planLvs, formatAction, type LvsAction } from './plan.ts';
import { applyLvsPlan } from './apply.ts';
import { lvsSyncSettings, planSync, syncRole, isSyncUnitEvent, type LvsSyncSettings } from './sync.ts';
import { uncheckedServices, type CheckerEvents, type ServerStateChange } from './health.ts';
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

export interface LvsApplyResult {
  actions: LvsAction[];
}

export interface LvsStatusView extends TableView {
  /** Per configured real server: the state the manager programs it with. */
  servers: Array<{ server: string; pointer: string; state: 'up' | 'down' | 'unchecked'; weight: number; reason: string }>;
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
}

export class LvsManager {
  readonly #kernel: IpvsKernel;
  readonly #log: Log;
  readonly #opts: LvsManagerOptions;
  #config: Config;
  readonly #health = new Map<string, ServerHealth & { reason: string }>();
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
  #checkers: { source: CheckerEvents; listener: (e: ServerStateChange) => void } | undefined;

  constructor(kernel: IpvsKernel, config: Config, log: Log, opts: LvsManagerOptions = {}) {
    this.#kernel = kernel;
    this.#config = config;
    this.#log = log;
    this.#opts = opts;
    this.#sync = lvsSyncSettings(config);
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
      const before = await this.#kernel.table();
      const desired = desiredTable(config, (id) => this.#health.get(id), () => false, (name) => this.#checked.get(name));
      const actions = planLvs(desired, before, { exclusive: config.lvs.exclusive });
      try {
        await applyLvsPlan(this.#kernel, actions, before);
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

  /** A real server's checked state changed: recorded, and the table follows. */
  setHealth(e: ServerStateChange): Promise<LvsApplyResult> {
    this.#health.set(e.server, { up: e.up, ...(e.weight !== undefined ? { weight: e.weight } : {}), reason: e.reason });
    this.#events.push({ at: (this.#opts.now?.() ?? new Date()).toISOString(), server: e.server, up: e.up, weight: e.weight ?? null, reason: e.reason });
    if (this.#events.length > EVENTS_MAX) {
      this.#events.splice(0, this.#events.length - EVENTS_MAX);
      this.#eventsDropped++;
    }
    this.#log('info', `lvs: ${e.server} ${e.up ? 'up' : 'down'}${e.weight !== undefined ? ` weight ${e.weight}` : ''}: ${e.reason}`);
    return this.apply().catch((err: Error) => {
      this.#log('error', `lvs: ${err.message}`);
      return { actions: [] };
    });
  }

  /**
   * A service's destinations as the checkers computed them (their runner.table(service)), which
   * then replace the per-server states for it; the table follows. `reason` goes to the events.
   */
  setServiceDestinations(service: string, dests: readonly CheckedDestination[], reason: string): Promise<LvsApplyResult> {
    this.#checked.set(service, dests.map((d) => ({ ...d })));
    this.#events.push({ at: (this.#opts.now?.() ?? new Date()).toISOString(), server: service, up: dests.some((d) => d.weight > 0), weight: null, reason });
    if (this.#events.length > EVENTS_MAX) {
      this.#events.splice(0, this.#events.length - EVENTS_MAX);
      this.#eventsDropped++;
    }
    return this.apply().catch((err: Error) => {
      this.#log('error', `lvs: ${err.message}`);
      return { actions: [] };
    });
  }

  /** Takes real-server states from the checkers (the lead wires src/lvs/checkers here). */
  attachCheckers(source: CheckerEvents): void {
    this.detachCheckers();
    const listener = (e: ServerStateChange): void => void this.setHealth(e);
    source.on('change', listener);
    this.#checkers = { source, listener };
  }

  detachCheckers(): void {
    if (this.#checkers) this.#checkers.source.off('change', this.#checkers.listener);
    this.#checkers = undefined;
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
        const h = this.#health.get(id);
        servers.push({
          server: id,
          pointer: `/lvs/virtual_services/${i}/real_servers/${j}`,
          state: !rs.enabled ? 'down' : h === undefined ? 'unchecked' : h.up ? 'up' : 'down',
          weight: h?.weight ?? rs.weight,
          reason: !rs.enabled ? 'disabled in the config' : h?.reason ?? 'no checker result (programmed as up)',
        });
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
      warnings: uncheckedServices(this.#config).map((w) => w.message),
      events: { held: this.#events.length, max: EVENTS_MAX, dropped: this.#eventsDropped },
    };
  }

  /** Stops following; the kernel keeps the table (traffic keeps flowing while the daemon restarts). */
  stop(): void {
    this.detachCheckers();
  }
}

