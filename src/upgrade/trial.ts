// The verdict on a trial boot (pure: checks and time in, an action out). The slot is marked good
// once every check has held, unchanged, for `holdMs` (one good moment of a daemon that then
// crashes, or of VRRP on its way from BACKUP to MASTER, is not health); it is given up, and the
// box rebooted into the old slot, at the first fatal check or when `timeoutMs` after the start
// passed without that. The reason names every check that was not met.
import type { HealthCheck } from './health.ts';

export type TrialVerdict =
  | { readonly action: 'wait'; readonly pending: readonly string[] }
  | { readonly action: 'mark-good'; readonly summary: string }
  | { readonly action: 'reboot'; readonly reason: string };

export interface TrialTiming {
  readonly startMs: number;
  readonly timeoutMs: number;
  readonly holdMs: number;
}

/** Every check held for this long, unchanged: the slot is healthy. */
export const HEALTH_HOLD_MS = 5000;

function describe(checks: readonly HealthCheck[]): string {
  return checks.map((c) => `${c.name}: ${c.detail}`).join('; ');
}

export class TrialJudge {
  readonly #timing: TrialTiming;
  #heldSince: number | undefined;
  #heldKeys = '';

  constructor(timing: TrialTiming) {
    this.#timing = timing;
  }

  judge(checks: readonly HealthCheck[], nowMs: number): TrialVerdict {
    const fatal = checks.filter((c) => c.fatal && !c.ok);
    if (fatal.length > 0) return { action: 'reboot', reason: describe(fatal) };
    const failing = checks.filter((c) => !c.ok);
    const keys = checks.map((c) => c.key ?? '').join('\n');
    if (failing.length > 0) {
      this.#heldSince = undefined;
    } else if (this.#heldSince === undefined || keys !== this.#heldKeys) {
      this.#heldSince = nowMs;
      this.#heldKeys = keys;
    }
    if (this.#heldSince !== undefined && nowMs - this.#heldSince >= this.#timing.holdMs) return { action: 'mark-good', summary: describe(checks) };
    const elapsed = nowMs - this.#timing.startMs;
    if (elapsed >= this.#timing.timeoutMs) {
      const what = failing.length > 0 ? describe(failing) : `the checks did not hold unchanged for ${this.#timing.holdMs / 1000} s (${describe(checks)})`;
      return { action: 'reboot', reason: `health did not hold within ${Math.round(this.#timing.timeoutMs / 1000)} s: ${what}` };
    }
    return { action: 'wait', pending: failing.length > 0 ? failing.map((c) => `${c.name}: ${c.detail}`) : ['holding'] };
  }
}
