// Real-server health in the daemon: the checkers (src/lvs/checkers) run the config's checks and
// each batch of their events reprograms the services concerned from runner.table(service) (failed
// servers removed or at weight 0, the sorry server alone while the quorum is lost); the events go
// to `ctl lvs events` with their reasons. Events of one turn of the loop go to the manager
// together, which reads and writes only the services that changed, and merges what comes while
// an apply runs into one pending apply: a quorum loss and the server that caused it, or a farm
// of servers failing at once, make one apply.
//
// ha_suspend services check only while this box holds their VIP: the daemon says so through
// vipHeld() from VRRP's transitions. A VIP that no VRRP instance carries is the box's own address
// and counts as held.
//
// A config change (the LVS applier) starts new checkers; a check whose spec did not change keeps
// its state (a dead server stays out instead of serving again until it fails `fall` times).
import type { Config } from '../config/index.ts';
import { startCheckers, type CheckerLogger, type CheckerRuntime, type StartOptions } from './checkers/run.ts';
import type { CheckerEvent } from './checkers/service.ts';
import { warmFailurePath } from './checkers/warm.ts';
import type { ServiceStatus } from './checkers/runner.ts';
import type { HealthView, LvsEventInput, LvsManager, ServerCheckState, ServiceCheckView } from './manager.ts';

export interface UncheckedWarning {
  pointer: string;
  message: string;
}

/** For `stockade lvs plan|apply` (no checkers run there): the services whose checks only the daemon runs. */
export function uncheckedServices(config: Config): UncheckedWarning[] {
  const out: UncheckedWarning[] = [];
  config.lvs.virtual_services.forEach((vs, i) => {
    if (vs.health_check.type !== 'none') {
      out.push({ pointer: `/lvs/virtual_services/${i}/health_check/type`, message: `${vs.name}: its ${vs.health_check.type} health checks run in the daemon; this command programs every enabled real server as up` });
    }
  });
  return out;
}

/** The VIPs of VRRP instances, by instance name. */
function vrrpVips(config: Config): Map<string, string[]> {
  return new Map(config.vrrp.instances.map((i) => [i.name, i.vips.map((v) => v.split('/')[0]!)]));
}

function eventInput(e: CheckerEvent): LvsEventInput {
  switch (e.kind) {
    case 'server':
      // A weight only where the server is in the table (a removed one has none).
      return { server: `${e.service} ${e.server}`, up: e.up, ...(e.inTable === 'weight-0' ? { weight: 0 } : e.inTable === 'yes' ? { weight: e.weight } : {}), reason: `${e.reason}${e.inTable === 'weight-0' ? ' (inhibited: weight 0)' : e.inTable === 'no' && !e.up ? ' (removed)' : ''}` };
    case 'weight':
      return { server: `${e.service} ${e.server}`, up: true, weight: e.weight, reason: `new weight: ${e.reason}` };
    case 'quorum':
      return { server: e.service, up: e.up, reason: `quorum ${e.up ? 'regained' : 'lost'}${e.sorryServer ? ' (sorry server in)' : ''}: ${e.reason}` };
  }
}

export interface LvsHealthOptions {
  /** Tests: fixed warm-up, a fake world. */
  warmup?: StartOptions['warmup'];
  world?: StartOptions['world'];
}

let failurePathWarm = false;

export class LvsHealth implements HealthView {
  readonly #manager: LvsManager;
  readonly #log: CheckerLogger;
  readonly #opts: LvsHealthOptions;
  #runtime: CheckerRuntime | undefined;
  #config: Config | undefined;
  /** VRRP instance -> whether it is MASTER here. */
  readonly #master = new Map<string, boolean>();
  #pending = new Map<string, LvsEventInput[]>();
  #flushQueued = false;
  #generation = 0;
  #statusCache: ServiceStatus[] | undefined;

  constructor(manager: LvsManager, log: CheckerLogger, opts: LvsHealthOptions = {}) {
    this.#manager = manager;
    this.#log = log;
    this.#opts = opts;
    manager.useHealth(this);
  }

  /** (Re)starts the checkers for `config`; the manager's tables are replaced (not applied: the caller applies). */
  start(config: Config): void {
    const previous = this.#runtime;
    const carried = new Map<string, boolean>();
    if (previous) {
      for (const s of previous.shell.status().services) for (const c of s.checks) carried.set(`${c.id}\0${JSON.stringify(previous.shell.runner.spec(c.id))}`, c.up);
      previous.stop();
    }
    this.#runtime = undefined;
    this.#config = config;
    this.#pending = new Map();
    const generation = ++this.#generation;
    // On the box (tests bring a world of their own): a failure's path compiled before the first
    // real one, once per process (checkers/warm.ts), by the first config with a TCP check (a box
    // may be given its services long after its start).
    if (this.#opts.world === undefined && !failurePathWarm) failurePathWarm = warmFailurePath(config.lvs) !== undefined;
    const runtime = startCheckers(config.lvs, this.#log, {
      onEvent: (e) => {
        if (generation === this.#generation) this.#queue(e);
      },
      ...(this.#opts.warmup ? { warmup: this.#opts.warmup } : {}),
      ...(this.#opts.world ? { world: this.#opts.world } : {}),
      initialUp: (spec) => carried.get(`${spec.id}\0${JSON.stringify(spec)}`),
    });
    this.#runtime = runtime;
    this.#pushHeld();
    this.#manager.replaceChecked(new Map(runtime.shell.runner.status().map((s) => [s.name, s.table])));
  }

  /** A VRRP instance's state changed (the daemon passes every instance transition). */
  vrrpTransition(instance: string, state: string): void {
    this.#master.set(instance, state === 'MASTER');
    this.#pushHeld();
  }

  #pushHeld(): void {
    const config = this.#config;
    const shell = this.#runtime?.shell;
    if (config === undefined || shell === undefined) return;
    const vips = vrrpVips(config);
    const held = new Map<string, boolean>();
    for (const vs of config.lvs.virtual_services) {
      if (!vs.health_check.ha_suspend || vs.address === undefined) continue;
      const owners = [...vips].filter(([, list]) => list.includes(vs.address!)).map(([name]) => name);
      held.set(vs.address, owners.length === 0 || owners.some((n) => this.#master.get(n) === true));
    }
    for (const [vip, h] of held) shell.vipHeld(vip, h);
  }

  #queue(e: CheckerEvent): void {
    const list = this.#pending.get(e.service) ?? [];
    list.push(eventInput(e));
    this.#pending.set(e.service, list);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      const runtime = this.#runtime;
      const pending = this.#pending;
      this.#pending = new Map();
      if (runtime === undefined) return;
      void this.#manager.setDestinations([...pending].map(([service, events]) => ({ service, dests: runtime.shell.runner.table(service), events })));
    });
  }

  /** The runner's status, computed once per turn of the loop (ctl lvs asks per server). */
  #status(): ServiceStatus[] {
    if (this.#statusCache === undefined) {
      this.#statusCache = this.#runtime?.shell.runner.status() ?? [];
      queueMicrotask(() => (this.#statusCache = undefined));
    }
    return this.#statusCache;
  }

  server(service: string, address: string, port: number): ServerCheckState | undefined {
    const svc = this.#status().find((s) => s.name === service);
    if (svc === undefined) return undefined;
    const key = `${address}:${port}`;
    const server = svc.servers.find((s) => s.key === key);
    if (server === undefined) return undefined;
    const id = `${service}/${key}`;
    const checks = svc.checks.filter((c) => c.id === id || c.id.startsWith(`${id}/`));
    if (checks.length === 0) return { state: 'up', weight: server.weight, reason: 'not checked (health_check type none)' };
    const last = checks.map((c) => c.lastResult).filter((r) => r !== undefined).join('; ');
    const inTable = svc.table.some((d) => d.address === address && d.port === port && d.sorry === undefined);
    if (svc.suspended) return { state: 'suspended', weight: server.weight, reason: `checks paused: the VIP is not held here (ha_suspend)${last ? `; last: ${last}` : ''}` };
    const where = inTable ? '' : ' (not in the table)';
    return {
      state: server.alive ? 'up' : 'down',
      weight: server.weight,
      reason: `${server.alive ? '' : `failing: ${server.down.join(', ')}: `}${last || 'no check finished yet'}${where}`,
    };
  }

  services(): ServiceCheckView[] {
    const config = this.#config;
    return this.#status().map((s) => ({
      name: s.name,
      quorumUp: s.quorumUp,
      liveWeight: s.liveWeight,
      quorum: config?.lvs.virtual_services.find((vs) => vs.name === s.name)?.health_check.quorum ?? 0,
      suspended: s.suspended,
      sorryServerIn: s.table.some((d) => d.sorry === true),
    }));
  }

  counters(): Record<string, number> {
    const st = this.#runtime?.shell.status();
    if (st === undefined) return {};
    return { ...st.counters, events: st.events.events, eventsKept: st.events.kept, eventsDropped: st.events.dropped, eventsBound: st.events.bound };
  }

  warnings(): string[] {
    return this.#runtime?.shell.refusals() ?? [];
  }

  stop(): void {
    this.#generation++;
    this.#runtime?.stop();
    this.#runtime = undefined;
    this.#manager.useHealth(undefined);
  }
}
