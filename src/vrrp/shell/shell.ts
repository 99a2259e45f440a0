// The VRRP I/O shell: the pure engine (../engine.ts) driven by real time and real sockets through
// a ShellIo (kernel-io.ts on the box, a fake in unit tests). It follows the contract in
// ../index.ts:
//   - one monotonic clock; one timer, re-armed to engine.deadline() after every engine call
//     (deadlines are absolute, so timers never drift with load);
//   - on wake-up the timer defers to setImmediate, which runs after libuv's poll phase: adverts
//     already queued on the socket are read before a late timer can declare the master down;
//   - actions run in the engine's order. Adverts go out at once, unless the instance is waiting
//     on its master hooks; hooks, VIPs and gARP run one after another on one queue, so becoming
//     MASTER is: synchronous hooks (awaited), then the advert, VIPs (awaited), then gARP. Notify
//     commands are queued after the built-in actions and never awaited.
import { EventEmitter } from 'node:events';
import type { VrrpEngine, EngineChange, EngineConfig, EngineStatus, OutgoingAdvert, TaggedAction } from '../engine.ts';
import type { VrrpState } from '../instance.ts';
import { notifyArgv } from '../notify.ts';
import type { NotifyCommands } from '../notify.ts';
import type { ReceivedPacket } from '../receive.ts';
import { formatIpv4 } from '../ipv4.ts';
import { LagMonitor } from './lag.ts';
import { LogLimit } from './log-limit.ts';
import type { LagReport } from './lag.ts';
import type { Vip } from './vips.ts';

/** What the shell needs from the world. */
export interface ShellIo {
  /** Monotonic milliseconds. */
  now(): number;
  wallClockMs(): number;
  sendAdvert(ifname: string, advert: OutgoingAdvert): void;
  addVips(ifname: string, vips: readonly Vip[]): Promise<void>;
  removeVips(ifname: string, vips: readonly Vip[]): Promise<void>;
  /** `repeat` gratuitous ARPs per VIP, from the interface's MAC. */
  sendGarp(ifname: string, vips: readonly Vip[], repeat: number): void;
  /** Runs a notify command; never awaited. */
  spawnNotify(argv: readonly string[]): void;
}

export interface ShellInstance {
  name: string;
  interface: string;
  /** The virtual MAC interface (use_vmac) over `interface`: VIPs, gARP and adverts go there. */
  vmac?: string;
  vips: Vip[];
  notify?: NotifyCommands;
}

export interface ShellOptions {
  instances: ShellInstance[];
  /** Notify commands of sync groups, by group name. */
  groupNotify?: Map<string, NotifyCommands>;
}

export interface TransitionEvent {
  instance: string;
  group: boolean;
  from: VrrpState;
  to: VrrpState;
  reason: string;
  priority: number;
}

export interface ShellEvents {
  transition: [event: TransitionEvent];
  log: [level: 'info' | 'warn' | 'error', message: string];
}

export interface ShellCounters {
  sendErrors: number;
  garpsSent: number;
  vipErrors: number;
  vipsAdded: number;
  vipsRemoved: number;
}

export interface ShellStatus extends EngineStatus {
  lag: LagReport;
  /** The shell's clock when this was taken (deadlines are on it). */
  now: number;
  /** Per instance: configured timers, VIPs the shell has put on the interface, its own counters. */
  shell: Record<string, ShellCounters & { vipsPresent: boolean; vrid: number; version: number; advertIntervalMs: number; vips: string[]; vmac?: string }>;
}

/** One master hook (e.g. the conntrack commit): awaited before VIPs and gARP. */
export type MasterHook = (instance: string) => Promise<void> | void;

/** A kept MASTER's VIP list changed in place: the ones it no longer has off, the new ones on (and announced). */
type VipDelta = { kind: 'vip-delta'; instance: string; ifname: string; remove: Vip[]; add: Vip[]; garp: number };
type Queued = TaggedAction | { kind: 'notify'; argv: string[] } | VipDelta;

export class VrrpShell extends EventEmitter<ShellEvents> {
  readonly engine: VrrpEngine;
  readonly #io: ShellIo;
  #instances: Map<string, ShellInstance>;
  #groupNotify: Map<string, NotifyCommands>;
  readonly #lag = new LagMonitor();
  readonly #hooks: MasterHook[] = [];
  readonly #awaitingHooks = new Set<string>();
  readonly #counters = new Map<string, ShellCounters>();
  readonly #vipsPresent = new Set<string>();
  readonly #dropLog = new LogLimit();
  #dropsLogged = 0;
  #queue: Queued[] = [];
  #draining: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #armedFor: number | undefined;
  #stopped = false;

  constructor(engine: VrrpEngine, io: ShellIo, opts: ShellOptions) {
    super();
    this.engine = engine;
    this.#io = io;
    this.#instances = new Map(opts.instances.map((i) => [i.name, i]));
    this.#groupNotify = opts.groupNotify ?? new Map();
    for (const i of opts.instances) this.#counters.set(i.name, { sendErrors: 0, garpsSent: 0, vipErrors: 0, vipsAdded: 0, vipsRemoved: 0 });
  }

  addMasterHook(hook: MasterHook): void {
    this.#hooks.push(hook);
  }

  /** The failover wiring replaced (a config apply): its old hook no longer runs. */
  removeMasterHook(hook: MasterHook): void {
    const i = this.#hooks.indexOf(hook);
    if (i >= 0) this.#hooks.splice(i, 1);
  }

  /**
   * No preempting by `names` (default: all) for `durationMs` from now, or until releasePreempt:
   * the daemon holds a starting box back until the peer's first bulk sync is in.
   */
  holdPreempt(durationMs: number, names?: readonly string[]): void {
    this.engine.holdPreempt(this.#io.now(), durationMs, names);
  }

  releasePreempt(names?: readonly string[]): void {
    this.engine.releasePreempt(names);
  }

  /** Link states known before start (interfaces never reported count as up). */
  link(ifname: string, up: boolean): void {
    if (this.#stopped) return;
    this.#handle(this.engine.link(this.#io.now(), ifname, up));
  }

  start(): void {
    this.#handle(this.engine.start(this.#io.now()));
  }

  receive(ifname: string, p: ReceivedPacket): void {
    if (this.#stopped) return;
    this.#handle(this.engine.receive(this.#io.now(), this.#io.wallClockMs(), ifname, p));
    this.#logDrop();
  }

  /** A datagram on the heartbeat socket (the engine checks it); `foreign`: it came in on another interface. */
  heartbeatIn(source: number, bytes: Uint8Array, foreign = false): void {
    if (this.#stopped) return;
    this.#handle(this.engine.heartbeatIn(this.#io.now(), this.#io.wallClockMs(), source, bytes, foreign));
    this.#logDrop();
  }

  /** The heartbeat to send now. */
  heartbeatOut(): Uint8Array {
    return this.engine.heartbeatOut(this.#io.now(), this.#io.wallClockMs());
  }

  #logDrop(): void {
    const d = this.engine.lastDrop;
    if (!d || d.count === this.#dropsLogged) return;
    this.#dropsLogged = d.count;
    const what = d.ifname === 'heartbeat' ? 'heartbeat' : `advert on ${d.ifname}${d.instance !== undefined ? ` for ${d.instance}` : ''}`;
    const line = this.#dropLog.line(this.#io.now(), `vrrp: ${what} from ${formatIpv4(d.source)} refused: ${d.reason}`);
    if (line !== undefined) this.emit('log', 'warn', line);
  }

  scriptResult(name: string, success: boolean): void {
    if (this.#stopped) return;
    this.#handle(this.engine.scriptResult(this.#io.now(), name, success));
  }

  /**
   * A config apply on the running instances (engine.ts retire/reconfigure): first the instances
   * that go or restart leave as they are (priority 0 from a MASTER, their old VIPs removed, with
   * their old identity), and the queue drains; then `between` (run.ts: virtual MAC interfaces and
   * sockets for the new config); then the engine takes the new settings. An instance kept running
   * never leaves its state: a MASTER whose VIP list changed drops only the VIPs it no longer has
   * and adds (and announces) only the new ones. Resolves once every action has run.
   */
  async reconfigure(config: EngineConfig, opts: ShellOptions, restart: ReadonlySet<string>, between?: () => Promise<void>): Promise<EngineChange> {
    if (this.#stopped) throw new Error('vrrp: stopped');
    this.#handle(this.engine.retire(this.#io.now(), config, restart));
    await this.idle();
    await between?.();
    const wasMaster = new Set(this.engine.instanceNames.filter((n) => this.engine.instance(n)?.state === 'MASTER' && this.#vipsPresent.has(n)));
    const old = this.#instances;
    this.#instances = new Map(opts.instances.map((i) => [i.name, i]));
    this.#groupNotify = opts.groupNotify ?? new Map();
    for (const name of old.keys()) if (!this.#instances.has(name)) { this.#counters.delete(name); this.#vipsPresent.delete(name); }
    for (const i of opts.instances) if (!this.#counters.has(i.name)) this.#counters.set(i.name, { sendErrors: 0, garpsSent: 0, vipErrors: 0, vipsAdded: 0, vipsRemoved: 0 });
    const change = this.engine.reconfigure(this.#io.now(), config, restart);
    const key = (v: Vip) => `${v.address}/${v.prefixLength}`;
    // Before the engine's actions: a kept MASTER that leaves MASTER in them removes the new list only.
    for (const name of change.kept) {
      const before = old.get(name);
      const after = this.#instances.get(name)!;
      if (!before || !wasMaster.has(name)) continue;
      const now = new Set(after.vips.map(key));
      const had = new Set(before.vips.map(key));
      const remove = before.vips.filter((v) => !now.has(key(v)));
      const add = after.vips.filter((v) => !had.has(key(v)));
      const inst = this.engine.instance(name)!;
      if (remove.length > 0) this.#enqueue({ kind: 'vip-delta', instance: name, ifname: after.vmac ?? after.interface, remove, add: [], garp: 0 });
      if (add.length > 0 && inst.state === 'MASTER') this.#enqueue({ kind: 'vip-delta', instance: name, ifname: after.vmac ?? after.interface, remove: [], add, garp: inst.garp.repeat });
    }
    this.#handle(change.actions);
    await this.idle();
    return change;
  }

  /** Priority-0 adverts from every MASTER, VIPs removed; resolves when done. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#handle(this.engine.shutdown(this.#io.now()));
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.idle();
    this.#lag.stop();
  }

  /** Resolves when every queued action has run. */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  status(): ShellStatus {
    const shell: ShellStatus['shell'] = {};
    for (const [name, c] of this.#counters) {
      const o = this.engine.instance(name)!.opts;
      const vips = this.#instances.get(name)!.vips.map((v) => `${v.address}/${v.prefixLength}`);
      const vmac = this.#instances.get(name)!.vmac;
      shell[name] = { ...c, vipsPresent: this.#vipsPresent.has(name), vrid: o.vrid, version: o.version, advertIntervalMs: o.advertIntervalMs, vips, ...(vmac ? { vmac } : {}) };
    }
    const now = this.#io.now();
    return { ...this.engine.status(now), now, lag: this.#lag.report(), shell };
  }

  #handle(actions: TaggedAction[]): void {
    // Notify commands go after this list's built-in actions.
    const notify: Queued[] = [];
    for (const a of actions) {
      switch (a.kind) {
        case 'transition':
          this.#transition(notify, a.instance, false, a.from, a.to, a.reason, a.priority);
          break;
        case 'group-transition':
          this.#transition(notify, a.instance, true, a.from, a.to, 'sync-group', 0);
          break;
        case 'notice':
          this.emit('log', 'info', `vrrp: ${a.instance}: ${a.what}${a.priority !== undefined ? ` (priority ${a.priority})` : ''}`);
          break;
        case 'send-advert':
          if (this.#awaitingHooks.has(a.instance)) this.#enqueue(a);
          else this.#advert(a.instance, a.priority);
          break;
        case 'master-hooks':
          this.#awaitingHooks.add(a.instance);
          this.#enqueue(a);
          break;
        default:
          this.#enqueue(a);
      }
    }
    for (const n of notify) this.#enqueue(n);
    this.#rearm();
  }

  #transition(notify: Queued[], name: string, group: boolean, from: VrrpState, to: VrrpState, reason: string, priority: number): void {
    this.emit('transition', { instance: name, group, from, to, reason, priority });
    this.emit('log', 'info', `vrrp: ${group ? 'group ' : ''}${name}: ${from} -> ${to} (${reason}, priority ${priority})`);
    const n = group ? this.#groupNotify.get(name) : this.#instances.get(name)?.notify;
    if (n && from !== to) for (const argv of notifyArgv(n, group ? 'GROUP' : 'INSTANCE', name, to, priority)) notify.push({ kind: 'notify', argv });
  }

  #advert(name: string, priority: number): void {
    const inst = this.#instances.get(name);
    if (!inst) return;
    // Only a MASTER sends from the virtual MAC: switches learn its port from those frames, and the
    // last advert of a box that just yielded (or stopped) would pull it back to the wrong port.
    const from = inst.vmac !== undefined && this.engine.instance(name)?.state === 'MASTER' ? inst.vmac : inst.interface;
    for (const p of this.engine.advertPackets(name, priority, this.#io.wallClockMs())) {
      try {
        this.#io.sendAdvert(from, p);
      } catch (e) {
        // ENETDOWN and friends while the link is down: counted, tracking handles the state.
        const c = this.#counters.get(name)!;
        if (c.sendErrors++ === 0) this.emit('log', 'warn', `vrrp: ${name}: advert not sent: ${(e as Error).message}`);
      }
    }
  }

  #enqueue(a: Queued): void {
    this.#queue.push(a);
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const a = this.#queue.shift()!;
      try {
        await this.#run(a);
      } catch (e) {
        this.emit('log', 'error', `vrrp: ${'instance' in a ? a.instance : ''}: ${a.kind} failed: ${(e as Error).message}`);
      }
    }
  }

  async #run(a: Queued): Promise<void> {
    if (a.kind === 'notify') {
      this.#io.spawnNotify(a.argv);
      return;
    }
    if (a.kind === 'vip-delta') {
      const c = this.#counters.get(a.instance)!;
      try {
        if (a.remove.length > 0) await this.#io.removeVips(a.ifname, a.remove);
        if (a.add.length > 0) await this.#io.addVips(a.ifname, a.add);
      } catch (e) {
        c.vipErrors++;
        throw e;
      }
      c.vipsRemoved += a.remove.length;
      c.vipsAdded += a.add.length;
      if (a.garp > 0) {
        this.#io.sendGarp(a.ifname, a.add, a.garp);
        c.garpsSent += a.add.length * a.garp;
      }
      const list = (vips: Vip[]) => vips.map((v) => `${v.address}/${v.prefixLength}`).join(' ');
      this.emit('log', 'info', `vrrp: ${a.instance}: VIPs changed in place on ${a.ifname}:${a.remove.length ? ` removed ${list(a.remove)}` : ''}${a.add.length ? ` added ${list(a.add)}` : ''}`);
      return;
    }
    const inst = this.#instances.get(a.instance);
    const c = this.#counters.get(a.instance);
    switch (a.kind) {
      case 'master-hooks':
        try {
          for (const h of this.#hooks) await h(a.instance);
        } finally {
          this.#awaitingHooks.delete(a.instance);
        }
        return;
      case 'send-advert':
        this.#advert(a.instance, a.priority);
        return;
      case 'add-vips':
        if (!inst || !c) return;
        try {
          await this.#io.addVips(inst.vmac ?? inst.interface, inst.vips);
          c.vipsAdded += inst.vips.length;
          this.#vipsPresent.add(inst.name);
          this.emit('log', 'info', `vrrp: ${inst.name}: VIPs added on ${inst.vmac ?? inst.interface}: ${inst.vips.map((v) => `${v.address}/${v.prefixLength}`).join(' ')}`);
        } catch (e) {
          c.vipErrors++;
          throw e;
        }
        return;
      case 'remove-vips':
        if (!inst || !c) return;
        this.#vipsPresent.delete(inst.name);
        try {
          await this.#io.removeVips(inst.vmac ?? inst.interface, inst.vips);
          c.vipsRemoved += inst.vips.length;
          this.emit('log', 'info', `vrrp: ${inst.name}: VIPs removed from ${inst.vmac ?? inst.interface}`);
        } catch (e) {
          c.vipErrors++;
          throw e;
        }
        return;
      case 'send-garp':
        if (!inst || !c) return;
        this.#io.sendGarp(inst.vmac ?? inst.interface, inst.vips, a.repeat);
        c.garpsSent += inst.vips.length * a.repeat;
        return;
      default:
        return;
    }
  }

  #rearm(): void {
    if (this.#stopped) return;
    const d = this.engine.deadline();
    if (d === this.#armedFor && this.#timer) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = d;
    if (d === undefined) return;
    const delay = Math.max(0, Math.ceil(d - this.#io.now()));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // After the poll phase: read what is queued on the sockets first (see the header).
      setImmediate(() => this.#fire(d));
    }, delay);
  }

  #fire(armedFor: number): void {
    if (this.#stopped) return;
    const now = this.#io.now();
    if (now >= armedFor) this.#lag.timerFired(now - armedFor);
    this.#armedFor = undefined;
    this.#handle(this.engine.timer(now));
  }
}
