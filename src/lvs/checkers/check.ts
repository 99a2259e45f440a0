// One check of one real server, pure: every input carries `now` (monotonic ms), outputs are
// actions, and deadline() says when timer() is due next. No timers or sockets here.
//
// A check is one or more attempts: a failed attempt is retried `retries` times, `retryDelayMs`
// apart, before the check counts as failed. `fall` failed checks in a row take an up check down;
// `rise` successful ones bring a down check up. Checks start `intervalMs` apart, measured from
// the start of the previous one, so a slow server does not make its checks drift later. Every
// attempt has a hard deadline: the core fails it then and tells the shell to drop its I/O, so a
// hung TLS session or program can never hold a check (keepalived #1817).
//
// Repeating: a TCP check that is up with nothing pending, where a success would change nothing
// but counters, is handed to the shell to repeat outside JavaScript (the addon; its reasons in
// src/native/repeat.c) when it is `repeatable`: one long attempt ('repeat') with no deadline of
// ours (the repeat's connect timeout is the attempt's), which ends with its first failure,
// carrying when that attempt was due and the successes before it. Those are counted as if each
// had come here, and the failure goes through the same path as any other.
import type { CheckSpec } from './spec.ts';

export type ProbeOutcome =
  | { ok: true; detail?: string; /** misc dynamic: the server's new weight. */ weight?: number }
  | { ok: false; reason: string };

/**
 * No actions, shared by the check and the runner (a result that changes nothing is the common
 * case); frozen, so a caller that added to it would throw instead of corrupting the next answer.
 */
export const NONE = Object.freeze([]) as unknown as never[];

export type CheckAction =
  | { kind: 'probe'; check: string; attempt: number; connectTimeoutMs: number; deadlineAt: number }
  /** Connect from `firstAt` on, every intervalMs, until one fails: its result ends `attempt`. */
  | { kind: 'repeat'; check: string; attempt: number; firstAt: number; intervalMs: number; connectTimeoutMs: number }
  /** The attempt ran past its deadline (already counted as failed): stop its I/O. */
  | { kind: 'cancel'; check: string; attempt: number }
  | { kind: 'changed'; check: string; up: boolean; reason: string }
  /** A dynamic weight reported by the check (replaces any earlier one, never added to it). */
  | { kind: 'weight'; check: string; weight: number | undefined; reason: string };

export interface CheckStatus {
  id: string;
  up: boolean;
  successes: number;
  failures: number;
  /** Attempts made so far in the current check (0 between checks). */
  retry: number;
  lastResult: string | undefined;
  lastAt: number | undefined;
  suspended: boolean;
  weight: number | undefined;
  attempts: number;
  deadlineMisses: number;
  /** Repeated outside JavaScript now (see the header). */
  repeating: boolean;
}

/** A repeat's end: when its failed attempt was due, and the successes before it. */
export interface Repeated {
  dueAt: number;
  successes: number;
}

/** A repeat under way, as the shell sees it: its successes so far and when the last came. */
export interface RepeatProgress {
  successes: number;
  lastOkAt: number | undefined;
}

export class Check {
  readonly spec: CheckSpec;
  #up: boolean;
  #successes = 0;
  #failures = 0;
  #retry = 0;
  #attempt = 0;
  #inFlight: { attempt: number; startedAt: number; deadlineAt: number; repeat: boolean } | undefined;
  /** When the next attempt starts; undefined while in flight, stopped or suspended. */
  #nextAt: number | undefined;
  /** Start of the current check's first attempt: the next check is intervalMs after it. */
  #checkStartedAt = 0;
  #suspended = false;
  #weight: number | undefined;
  #lastResult: string | undefined;
  #lastAt: number | undefined;
  #attempts = 0;
  #deadlineMisses = 0;
  readonly #repeatable: boolean;

  /** `up`: the state to start in (default: down with alpha, else up; a config change carries the old one).
   *  `repeatable`: the shell can repeat this check outside JavaScript (see the header). */
  constructor(spec: CheckSpec, up = !spec.timing.alpha, repeatable = false) {
    this.spec = spec;
    this.#up = up;
    this.#repeatable = repeatable && spec.probe.kind === 'tcp';
  }

  get up(): boolean {
    return this.#up;
  }

  get weight(): number | undefined {
    return this.#weight;
  }

  /** First check at `now + warmup` (the shell draws the random warm-up, so tests can fix it). */
  start(now: number, warmupMs: number): void {
    this.#nextAt = now + Math.max(0, warmupMs);
  }

  /** Checks pause (ha_suspend: the VIP is elsewhere); an attempt in flight is dropped. */
  suspend(): CheckAction[] {
    this.#suspended = true;
    this.#nextAt = undefined;
    const out: CheckAction[] = [];
    if (this.#inFlight) out.push({ kind: 'cancel', check: this.spec.id, attempt: this.#inFlight.attempt });
    this.#inFlight = undefined;
    this.#retry = 0;
    return out;
  }

  resume(now: number): void {
    if (!this.#suspended) return;
    this.#suspended = false;
    this.#nextAt = now;
  }

  stop(): CheckAction[] {
    const out = this.suspend();
    return out;
  }

  deadline(): number | undefined {
    if (this.#inFlight) return this.#inFlight.repeat ? undefined : this.#inFlight.deadlineAt;
    return this.#nextAt;
  }

  timer(now: number): CheckAction[] {
    const f = this.#inFlight;
    if (f) {
      if (f.repeat || now < f.deadlineAt) return NONE;
      this.#deadlineMisses++;
      const cancel: CheckAction = { kind: 'cancel', check: this.spec.id, attempt: f.attempt };
      return [cancel, ...this.#finish(now, { ok: false, reason: `no answer within the ${this.spec.timing.deadlineMs} ms deadline` })];
    }
    if (this.#nextAt === undefined || now < this.#nextAt) return NONE;
    // Anchored on when it was due, not when the timer fired: a late event loop does not push
    // every later check back.
    if (this.#retry === 0) this.#checkStartedAt = this.#nextAt;
    this.#attempt++;
    this.#attempts++;
    const t = this.spec.timing;
    const deadlineAt = now + t.deadlineMs;
    this.#inFlight = { attempt: this.#attempt, startedAt: now, deadlineAt, repeat: false };
    this.#nextAt = undefined;
    return [{ kind: 'probe', check: this.spec.id, attempt: this.#attempt, connectTimeoutMs: this.#connectTimeoutMs(), deadlineAt }];
  }

  /** The outcome of attempt `attempt`; a late one (cancelled, or from before a suspend) is ignored.
   *  `repeated`: the attempt was a repeat, ended by this outcome (see the header). */
  result(now: number, attempt: number, outcome: ProbeOutcome, repeated?: Repeated): CheckAction[] {
    const f = this.#inFlight;
    if (!f || f.attempt !== attempt) return NONE;
    if (f.repeat) {
      const n = repeated?.successes ?? 0;
      this.#successes += n;
      this.#attempts += n + 1;
      // The failed attempt's place on the grid: the next check is an interval after it.
      this.#checkStartedAt = repeated?.dueAt ?? f.startedAt;
    }
    return this.#finish(now, outcome);
  }

  #finish(now: number, outcome: ProbeOutcome): CheckAction[] {
    this.#inFlight = undefined;
    this.#lastAt = now;
    const t = this.spec.timing;
    let out: CheckAction[] = NONE;
    const id = this.spec.id;
    if (outcome.ok) {
      this.#lastResult = outcome.detail ?? 'ok';
      this.#retry = 0;
      this.#failures = 0;
      this.#successes++;
      if (!this.#up && this.#successes >= t.rise) {
        this.#up = true;
        out = [{ kind: 'changed', check: id, up: true, reason: `${plural(this.#successes, 'success')} in a row (${this.#lastResult})` }];
      }
      // From scratch each time: the weight is the last report, never a sum (keepalived #2720).
      if (outcome.weight !== this.#weight) {
        this.#weight = outcome.weight;
        out = [...out, { kind: 'weight', check: id, weight: outcome.weight, reason: outcome.weight === undefined ? 'no dynamic weight' : `the check reported weight ${outcome.weight}` }];
      }
      this.#nextAt = this.#nextOnGrid(now);
      if (this.#repeatable && this.#up && this.#weight === undefined && !this.#suspended) out = [...out, this.#repeat()];
      return out;
    }
    this.#lastResult = outcome.reason;
    if (this.#retry < t.retries) {
      this.#retry++;
      this.#nextAt = now + t.retryDelayMs;
      return out;
    }
    this.#retry = 0;
    this.#successes = 0;
    this.#failures++;
    if (this.#up && this.#failures >= t.fall) {
      this.#up = false;
      out = [{ kind: 'changed', check: id, up: false, reason: `${plural(this.#failures, 'failed check')} in a row (${outcome.reason})` }];
    }
    this.#nextAt = this.#nextOnGrid(now);
    return out;
  }

  /** Hands the checks from #nextAt on to the shell's repeat: one attempt until it fails. */
  #repeat(): CheckAction {
    const t = this.spec.timing;
    const firstAt = this.#nextAt!;
    this.#attempt++;
    this.#inFlight = { attempt: this.#attempt, startedAt: firstAt, deadlineAt: Infinity, repeat: true };
    this.#nextAt = undefined;
    return { kind: 'repeat', check: this.spec.id, attempt: this.#attempt, firstAt, intervalMs: t.intervalMs, connectTimeoutMs: this.#connectTimeoutMs() };
  }

  /** An attempt's connect timeout: never past its hard deadline. */
  #connectTimeoutMs(): number {
    return Math.min(this.spec.timing.connectTimeoutMs, this.spec.timing.deadlineMs);
  }

  /**
   * The next start on this check's own grid (its first start plus whole intervals), the first
   * not before `now`: a check that ran late, even by more than an interval (the loop stalled, the
   * answer came late), skips the starts it missed and keeps its phase. Taking `now` instead would
   * gather every check late at once onto the same instant, for good.
   */
  #nextOnGrid(now: number): number {
    const interval = this.spec.timing.intervalMs;
    const next = this.#checkStartedAt + interval;
    if (next >= now || interval <= 0) return Math.max(next, now);
    return this.#checkStartedAt + Math.ceil((now - this.#checkStartedAt) / interval) * interval;
  }

  /** `progress`: a repeat's successes so far, counted as if each had come here. */
  status(progress?: RepeatProgress): CheckStatus {
    const repeating = this.#inFlight?.repeat === true;
    const n = repeating ? (progress?.successes ?? 0) : 0;
    return {
      id: this.spec.id,
      up: this.#up,
      successes: this.#successes + n,
      failures: this.#failures,
      retry: this.#retry,
      lastResult: this.#lastResult,
      lastAt: n > 0 ? (progress?.lastOkAt ?? this.#lastAt) : this.#lastAt,
      suspended: this.#suspended,
      weight: this.#weight,
      attempts: this.#attempts + n,
      deadlineMisses: this.#deadlineMisses,
      repeating,
    };
  }
}

function plural(n: number, word: string): string {
  if (n === 1) return `1 ${word}`;
  return `${n} ${word === 'success' ? 'successes' : `${word}s`}`;
}
