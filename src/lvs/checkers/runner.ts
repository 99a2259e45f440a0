// Every check of every service, pure: one heap of deadlines (timer-heap.ts), the checks' state
// machines (check.ts) and the services' aggregation (service.ts). The shell calls timer(now) when
// deadline() is reached and result() when a probe finishes, and runs the actions in order.
// ha_suspend: a service with it runs its checks only while vipHeld() says the VIP is here.
import { Check, NONE as NO_ACTIONS } from './check.ts';
import type { CheckAction, CheckStatus, ProbeOutcome, RepeatProgress, Repeated } from './check.ts';
import { ServiceState } from './service.ts';
import type { CheckerEvent, Destination, ServerState, ServiceEffect } from './service.ts';
import { TimerHeap } from './timer-heap.ts';
import type { HeapItem } from './timer-heap.ts';
import type { CheckSpec, ServiceSpec } from './spec.ts';

export type RunnerAction =
  | { kind: 'probe'; check: CheckSpec; attempt: number; connectTimeoutMs: number; deadlineAt: number }
  | { kind: 'repeat'; check: CheckSpec; attempt: number; firstAt: number; intervalMs: number; connectTimeoutMs: number }
  | { kind: 'cancel'; check: string; attempt: number }
  | { kind: 'event'; event: CheckerEvent }
  | { kind: 'run'; command: readonly string[]; why: 'quorum-up' | 'quorum-down'; service: string };

export interface ServiceStatus {
  name: string;
  quorumUp: boolean;
  liveWeight: number;
  suspended: boolean;
  servers: ServerState[];
  checks: CheckStatus[];
  table: Destination[];
}

interface Entry extends HeapItem {
  readonly id: string;
  readonly check: Check;
  readonly service: ServiceState;
  readonly server: string;
}

export interface RunnerOptions {
  /** The first check of each check comes after warmup(maxMs): random in production, fixed in tests. */
  warmup?: (maxMs: number) => number;
  /** The state a check starts in when known (a config change keeps unchanged checks' states); undefined: from alpha. */
  initialUp?: (spec: CheckSpec) => boolean | undefined;
  /** Whether the shell can repeat this (TCP) check outside JavaScript (check.ts's header); default no. */
  repeatable?: (spec: CheckSpec) => boolean;
}

export class CheckerRunner {
  readonly #checks = new Map<string, Entry>();
  readonly #services = new Map<string, ServiceState>();
  readonly #heap = new TimerHeap<Entry>();
  readonly #suspended = new Set<string>();
  readonly #warmup: (maxMs: number) => number;
  #started = false;

  constructor(services: readonly ServiceSpec[], opts: RunnerOptions = {}) {
    this.#warmup = opts.warmup ?? ((max) => Math.random() * max);
    for (const svc of services) {
      if (this.#services.has(svc.name)) throw new Error(`checkers: service ${svc.name} given twice`);
      const upAtStart = (c: CheckSpec): boolean => opts.initialUp?.(c) ?? !c.timing.alpha;
      const down = new Map(svc.servers.map((s) => [s.key, s.checks.filter((c) => !upAtStart(c)).map((c) => c.id)] as const));
      const state = new ServiceState(svc, down);
      this.#services.set(svc.name, state);
      for (const server of svc.servers) {
        for (const spec of server.checks) {
          if (this.#checks.has(spec.id)) throw new Error(`checkers: check ${spec.id} given twice`);
          this.#checks.set(spec.id, { id: spec.id, check: new Check(spec, upAtStart(spec), opts.repeatable?.(spec) ?? false), service: state, server: server.key, at: 0, heapIndex: -1 });
        }
      }
      if (svc.haSuspend && svc.vip !== undefined) this.#suspended.add(svc.name);
    }
  }

  get checkCount(): number {
    return this.#checks.size;
  }

  start(now: number): RunnerAction[] {
    if (this.#started) return [];
    this.#started = true;
    const out: RunnerAction[] = [];
    for (const [name, svc] of this.#services) out.push(...this.#effects(name, svc.startEffects(now)));
    for (const e of this.#checks.values()) {
      if (this.#suspended.has(e.service.spec.name)) {
        e.check.suspend();
        continue;
      }
      e.check.start(now, this.#warmup(e.check.spec.timing.warmupMs));
      this.#schedule(e);
    }
    return out;
  }

  /** When timer() is due next; undefined: nothing scheduled. */
  deadline(): number | undefined {
    return this.#heap.peek()?.at;
  }

  timer(now: number): RunnerAction[] {
    const out: RunnerAction[] = [];
    for (let e = this.#heap.peek(); e !== undefined && e.at <= now; e = this.#heap.peek()) {
      this.#apply(now, e, e.check.timer(now), out);
      this.#schedule(e);
    }
    return out;
  }

  result(now: number, checkId: string, attempt: number, outcome: ProbeOutcome, repeated?: Repeated): RunnerAction[] {
    const e = this.#checks.get(checkId);
    if (!e) return NO_ACTIONS;
    const actions = e.check.result(now, attempt, outcome, repeated);
    this.#schedule(e);
    return actions.length === 0 ? NO_ACTIONS : this.#apply(now, e, actions, []);
  }

  /** ha_suspend: whether this box holds `vip` now. Services on it resume or pause their checks. */
  vipHeld(now: number, vip: string, held: boolean): RunnerAction[] {
    const out: RunnerAction[] = [];
    for (const [name, svc] of this.#services) {
      if (!svc.spec.haSuspend || svc.spec.vip !== vip) continue;
      if (held === !this.#suspended.has(name)) continue;
      if (held) this.#suspended.delete(name);
      else this.#suspended.add(name);
      for (const e of this.#checks.values()) {
        if (e.service !== svc) continue;
        if (held) {
          if (this.#started) {
            e.check.resume(now);
            this.#schedule(e);
          }
        } else {
          this.#apply(now, e, e.check.suspend(), out);
          this.#schedule(e);
        }
      }
    }
    return out;
  }

  /** Stops every check (their I/O is cancelled); omega services run quorum-down. */
  stop(): RunnerAction[] {
    const out: RunnerAction[] = [];
    for (const e of this.#checks.values()) {
      this.#apply(0, e, e.check.stop(), out);
      this.#schedule(e);
    }
    for (const [name, svc] of this.#services) out.push(...this.#effects(name, svc.stopEffects()));
    this.#started = false;
    return out;
  }

  /** A check's spec (undefined: no such check). */
  spec(checkId: string): CheckSpec | undefined {
    return this.#checks.get(checkId)?.check.spec;
  }

  /** The destinations IPVS should hold for `service`. */
  table(service: string): Destination[] {
    const svc = this.#services.get(service);
    if (!svc) throw new Error(`checkers: no service ${service}`);
    return svc.table();
  }

  /** `progress`: the repeats' successes so far, by check id. */
  status(progress?: (checkId: string) => RepeatProgress | undefined): ServiceStatus[] {
    return [...this.#services.values()].map((svc) => ({
      name: svc.spec.name,
      quorumUp: svc.quorumUp,
      liveWeight: svc.liveWeight(),
      suspended: this.#suspended.has(svc.spec.name),
      servers: svc.servers(),
      checks: [...this.#checks.values()].filter((e) => e.service === svc).map((e) => e.check.status(progress?.(e.id))),
      table: svc.table(),
    }));
  }

  /** Adds the runner's actions for a check's actions to `out`, and returns `out`. */
  #apply(now: number, e: Entry, actions: CheckAction[], out: RunnerAction[]): RunnerAction[] {
    const name = e.service.spec.name;
    for (const a of actions) {
      switch (a.kind) {
        case 'probe':
          out.push({ kind: 'probe', check: e.check.spec, attempt: a.attempt, connectTimeoutMs: a.connectTimeoutMs, deadlineAt: a.deadlineAt });
          break;
        case 'repeat':
          out.push({ ...a, check: e.check.spec });
          break;
        case 'cancel':
          out.push(a);
          break;
        case 'changed':
          out.push(...this.#effects(name, e.service.checkChanged(now, e.server, a.check, a.up, a.reason)));
          break;
        case 'weight':
          out.push(...this.#effects(name, e.service.weightReported(now, e.server, a.check, a.weight, a.reason)));
          break;
      }
    }
    return out;
  }

  #effects(service: string, effects: ServiceEffect[]): RunnerAction[] {
    return effects.map((f) => (f.kind === 'event' ? f : { ...f, service }));
  }

  /** Keeps the check's one heap entry at its deadline (out of the heap when it has none). */
  #schedule(e: Entry): void {
    const at = e.check.deadline();
    if (at === undefined) this.#heap.remove(e);
    else if (at !== e.at || e.heapIndex < 0) this.#heap.set(e, at);
  }
}
