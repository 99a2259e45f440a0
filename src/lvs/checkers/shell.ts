// The checkers' I/O shell: the pure runner (runner.ts) driven by real time and real probes
// through a ProbeIo (kernel-io.ts on the box, fakes in tests).
//   - one monotonic clock; one timer, re-armed to runner.deadline() (on a 20 ms grid) after every runner call;
//     deadlines are absolute, so thousands of checks neither drift nor need a timer each; the
//     timer firing means its deadline is due, even when our clock is a little behind the loop's;
//   - the runner's timer is an AfterPollTimer: an answer that came in time but waits to be read
//     when a hard deadline comes due is taken first, or a live server is failed for our own lag;
//   - a probe runs with a cancel (TCP: the prober's; others: an AbortController); the runner's
//     `cancel` (its hard deadline, a suspend, stop) calls it, and a result arriving after that is
//     ignored;
//   - MISC programs and quorum commands pass script security (src/vrrp's commandProblem) once, at
//     construction: a refused check fails with the reason, a refused quorum command is not run;
//   - a steady TCP check the runner hands over ('repeat') runs in the world's repeat (the addon:
//     no JavaScript per check) as one long attempt, until its first failure comes back as that
//     attempt's result; its successes so far show in status() (check.ts's header);
//   - events go out in order ('event') and into a bounded log (events.ts).
import { EventEmitter } from 'node:events';
import { AfterPollTimer } from '../../common/index.ts';
import type { ProbeOutcome, RepeatProgress, Repeated } from './check.ts';
import { EventLog } from './events.ts';
import { runProbe, tcpOutcome } from './probe.ts';
import type { ProbeContext, ProbeIo } from './probe.ts';
import { CheckerRunner } from './runner.ts';
import type { RunnerAction, RunnerOptions, ServiceStatus } from './runner.ts';
import type { CheckerEvent } from './service.ts';
import type { CheckSpec, ServiceSpec } from './spec.ts';

/** Timer wake-ups land on this grid: checks spread over their interval would otherwise wake the
 *  loop once each (2,000 a second at 2,000 checks); on the grid, the checks due in one slot start
 *  together, at most this much late. Deadlines stay absolute, so nothing drifts. A wake-up is
 *  what costs (in the appliance VM's emulated CPU, milliseconds each, more than the checks it
 *  starts): at 4 ms, 500 checks a second spread over the interval woke the loop about 150 times
 *  a second for 1.7x keepalived's CPU; at 20 ms, at most 50. */
export const TIMER_GRAIN_MS = 20;

export interface ShellWorld extends ProbeIo {
  /** Monotonic milliseconds. */
  now(): number;
  /** Why running `argv` would be unsafe (script security), or undefined. */
  commandProblem(argv: readonly string[]): string | undefined;
  /** Starts a quorum command and forgets it. */
  spawn(argv: readonly string[]): void;
}

export interface CheckerShellEvents {
  event: [event: CheckerEvent];
  log: [level: 'info' | 'warn' | 'error', message: string];
}

export interface CheckerCounters {
  probes: number;
  cancelled: number;
  inFlight: number;
  commandsRun: number;
  commandsRefused: number;
  timerLateMs: number;
  /** Times the checks' timer woke the loop. */
  timerWakeups: number;
  /** Checks repeating outside JavaScript now (check.ts's header). */
  repeating: number;
}

export class CheckerShell extends EventEmitter<CheckerShellEvents> {
  readonly runner: CheckerRunner;
  readonly events = new EventLog();
  readonly #io: ShellWorld;
  /** Per check, made once: its probe context and its probe under way (none per probe). */
  readonly #slots = new Map<string, Slot>();
  #inFlight = 0;
  readonly #refusedCommands = new Map<string, string>();
  #timer: AfterPollTimer | undefined;
  #armedFor: number | undefined;
  #stopped = false;
  #repeating = 0;
  readonly #counters: CheckerCounters = { probes: 0, cancelled: 0, inFlight: 0, commandsRun: 0, commandsRefused: 0, timerLateMs: 0, timerWakeups: 0, repeating: 0 };

  constructor(services: readonly ServiceSpec[], io: ShellWorld, opts: RunnerOptions = {}) {
    super();
    this.#io = io;
    const repeat = io.repeat;
    // Which check types repeat is the check's own rule (TCP only); the world says which addresses.
    const repeatable = opts.repeatable ?? (repeat === undefined ? undefined : (spec: CheckSpec) => repeat.can(spec.address));
    this.runner = new CheckerRunner(services, { ...opts, ...(repeatable ? { repeatable } : {}) });
    for (const svc of services) {
      for (const cmd of [svc.quorumUp, svc.quorumDown]) {
        if (!cmd) continue;
        const why = io.commandProblem(cmd);
        if (why !== undefined) this.#refusedCommands.set(cmd.join('\0'), why);
      }
      for (const server of svc.servers) {
        for (const c of server.checks) {
          const ctx: ProbeContext = {};
          if ((c.probe.kind === 'http' || c.probe.kind === 'https') && c.probe.regex !== undefined) ctx.regex = new RegExp(c.probe.regex);
          if (c.probe.kind === 'misc') {
            const why = io.commandProblem(c.probe.command);
            if (why !== undefined) ctx.refused = why;
          }
          const slot: Slot = {
            ctx, attempt: 0, busy: false, cancel: NO_CANCEL, repeat: undefined,
            quickDone: (err) => this.#finished(c.id, slot, slot.attempt, tcpOutcome(err)),
            repeatDone: (err, dueAt, successes) => this.#finished(c.id, slot, slot.attempt, tcpOutcome(err), { dueAt, successes }),
          };
          this.#slots.set(c.id, slot);
        }
      }
    }
  }

  /** Refusals found at construction, for the log at start. */
  refusals(): string[] {
    const out: string[] = [];
    for (const [id, { ctx }] of this.#slots) if (ctx.refused !== undefined) out.push(`check ${id} will always fail (script security): ${ctx.refused}`);
    for (const [cmd, why] of this.#refusedCommands) out.push(`${JSON.stringify(cmd.split('\0'))} will never be run (script security): ${why}`);
    return out;
  }

  start(): void {
    for (const r of this.refusals()) this.emit('log', 'error', `lvs checks: ${r}`);
    this.#run(this.runner.start(this.#io.now()));
    this.#arm();
  }

  /** ha_suspend: the VRRP side says whether this box holds `vip`. */
  vipHeld(vip: string, held: boolean): void {
    if (this.#stopped) return;
    this.#run(this.runner.vipHeld(this.#io.now(), vip, held));
    this.#arm();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#run(this.runner.stop());
  }

  status(): { services: ServiceStatus[]; counters: CheckerCounters; events: ReturnType<EventLog['counters']> } {
    const progress = (id: string): RepeatProgress | undefined => this.#slots.get(id)?.repeat?.stats();
    return { services: this.runner.status(progress), counters: { ...this.#counters, inFlight: this.#inFlight - this.#repeating, repeating: this.#repeating }, events: this.events.counters() };
  }

  #arm(): void {
    // Fired and waiting for the poll: it re-arms itself once it has run.
    if (this.#stopped || this.#timer?.expiring) return;
    const at = this.runner.deadline();
    if (at === this.#armedFor && this.#timer !== undefined) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#armedFor = at;
    if (at === undefined) return;
    this.#timer = new AfterPollTimer(Math.max(0, Math.ceil(at / TIMER_GRAIN_MS) * TIMER_GRAIN_MS - this.#io.now()), (firedAt) => {
      this.#timer = undefined;
      this.#counters.timerWakeups++;
      // Node arms a timer from the loop's time, cached when the turn began, so after a long turn
      // (an emulated CPU) it fires early by our clock. Fired means `at` is due: it is taken now,
      // not after another wake-up, and no deadline is taken more than that staleness early. What
      // came due after the fire (the poll's callbacks ran long) waits for the next timer: a hard
      // deadline fails a probe only after a poll.
      const now = Math.max(firedAt, at);
      this.#counters.timerLateMs = Math.max(this.#counters.timerLateMs, now - at);
      this.#run(this.runner.timer(now));
      this.#arm();
    }, () => this.#io.now());
  }

  #run(actions: RunnerAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'probe':
          this.#probe(a.check, a.attempt, a.connectTimeoutMs);
          break;
        case 'repeat': {
          const slot = this.#begin(a.check, a.attempt);
          const r = this.#io.repeat!.start(a.check.address, a.check.port, a.firstAt, a.intervalMs, a.connectTimeoutMs, slot.repeatDone);
          slot.repeat = r;
          slot.cancel = () => r.cancel();
          this.#repeating++;
          break;
        }
        case 'cancel': {
          const f = this.#slots.get(a.check);
          if (f?.busy && f.attempt === a.attempt) {
            this.#counters.cancelled++;
            this.#settle(f);
            f.cancel();
          }
          break;
        }
        case 'event':
          this.events.push(a.event);
          this.emit('event', a.event);
          break;
        case 'run': {
          const why = this.#refusedCommands.get(a.command.join('\0'));
          if (why !== undefined) {
            this.#counters.commandsRefused++;
            this.emit('log', 'warn', `lvs checks: ${a.service}: ${a.why} command not run (script security): ${why}`);
            break;
          }
          this.#counters.commandsRun++;
          this.#io.spawn(a.command);
          break;
        }
      }
    }
  }

  /** The check's slot, busy with `attempt` (an old attempt still under way is dropped first). */
  #begin(spec: CheckSpec, attempt: number): Slot {
    const slot = this.#slots.get(spec.id)!;
    if (slot.busy) {
      // The runner cancels before it starts again; should it not, the old probe goes now.
      this.#settle(slot);
      slot.cancel();
    }
    slot.attempt = attempt;
    slot.busy = true;
    this.#inFlight++;
    return slot;
  }

  #probe(spec: CheckSpec, attempt: number, connectTimeoutMs: number): void {
    const slot = this.#begin(spec, attempt);
    this.#counters.probes++;
    // TCP checks, the many: the slot's one callback, no promise chain or AbortController.
    if (spec.probe.kind === 'tcp' && this.#io.connectQuick !== undefined) {
      slot.cancel = this.#io.connectQuick(spec.address, spec.port, connectTimeoutMs, slot.quickDone);
      return;
    }
    const abort = new AbortController();
    slot.cancel = () => abort.abort();
    void runProbe(this.#io, spec, connectTimeoutMs, abort.signal, slot.ctx).then((outcome: ProbeOutcome) => {
      if (!abort.signal.aborted) this.#finished(spec.id, slot, attempt, outcome);
    });
  }

  /** A probe's outcome: ignored when cancelled or when a newer attempt runs. */
  #finished(checkId: string, slot: Slot, attempt: number, outcome: ProbeOutcome, repeated?: Repeated): void {
    if (!slot.busy || slot.attempt !== attempt) return;
    this.#settle(slot);
    if (this.#stopped) return;
    this.#run(this.runner.result(this.#io.now(), checkId, attempt, outcome, repeated));
    this.#arm();
  }

  #settle(slot: Slot): void {
    slot.busy = false;
    this.#inFlight--;
    if (slot.repeat !== undefined) {
      slot.repeat = undefined;
      this.#repeating--;
    }
  }
}

interface Slot {
  readonly ctx: ProbeContext;
  /** The attempt under way (while busy), or the last one. */
  attempt: number;
  busy: boolean;
  cancel: () => void;
  /** connectQuick's callback: one per check, for every attempt (a cancelled probe never calls it). */
  readonly quickDone: (err: Error | undefined) => void;
  /** The repeat under way (while busy with one). */
  repeat: { stats(): RepeatProgress } | undefined;
  readonly repeatDone: (err: Error, dueAt: number, successes: number) => void;
}

const NO_CANCEL = (): void => undefined;
