// One check of one real server, pure: every input carries `now` (monotonic ms), outputs are
// actions, and deadline() says when timer() is due next. No timers or sockets here.
//
// A check is one or more attempts: a failed attempt is retried `retries` times, `retryDelayMs`
// apart, before the check counts as failed. `fall` failed checks in a row take an up check down;
// `rise` successful ones bring a down check up. Checks start `intervalMs` apart, measured from
// the start of the previous one, so a slow server does not make its checks drift later. Every
// attempt has a hard deadline: the core fails it then and tells the shell to drop its I/O, so a
// hung TLS session or program can never hold a check (keepalived #1817).
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
}

export class Check {
  readonly spec: CheckSpec;
  #up: boolean;
  #successes = 0;
  #failures = 0;
  #retry = 0;
  #attempt = 0;
  #inFlight: { attempt: number; startedAt: number; deadlineAt: number } | undefined;
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

  /** `up`: the state to start in (default: down with alpha, else up; a config change carries the old one). */
  constructor(spec: CheckSpec, up = !spec.timing.alpha) {
    this.spec = spec;
    this.#up = up;
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
    return this.#inFlight ? this.#inFlight.deadlineAt : this.#nextAt;
  }

  timer(now: number): CheckAction[] {
    const f = this.#inFlight;
    if (f) {
      if (now < f.deadlineAt) return NONE;
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
    this.#inFlight = { attempt: this.#attempt, startedAt: now, deadlineAt };
    this.#nextAt = undefined;
    return [{ kind: 'probe', check: this.spec.id, attempt: this.#attempt, connectTimeoutMs: Math.min(t.connectTimeoutMs, t.deadlineMs), deadlineAt }];
  }

  /** The outcome of attempt `attempt`; a late one (cancelled, or from before a suspend) is ignored. */
  result(now: number, attempt: number, outcome: ProbeOutcome): CheckAction[] {
    if (!this.#inFlight || this.#inFlight.attempt !== attempt) return NONE;
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

  status(): CheckStatus {
    return {
      id: this.spec.id,
      up: this.#up,
      successes: this.#successes,
      failures: this.#failures,
      retry: this.#retry,
      lastResult: this.#lastResult,
      lastAt: this.#lastAt,
      suspended: this.#suspended,
      weight: this.#weight,
      attempts: this.#attempts,
      deadlineMisses: this.#deadlineMisses,
    };
  }
}

function plural(n: number, word: string): string {
  if (n === 1) return `1 ${word}`;
  return `${n} ${word === 'success' ? 'successes' : `${word}s`}`;
}
