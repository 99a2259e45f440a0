// MISC checks, pure: what a program's exit says (keepalived check_misc.c). Plain: 0 up, else down.
// Dynamic (misc_dynamic): 0 up with the configured weight, 1 down, 2..255 up with weight code - 2.
import type { ProbeOutcome } from './check.ts';

export function miscVerdict(dynamic: boolean, exit: { code: number | null; signal: string | null; timedOut: boolean }): ProbeOutcome {
  if (exit.timedOut) return { ok: false, reason: 'the program did not finish in time' };
  if (exit.code === null) return { ok: false, reason: `the program was killed by ${exit.signal ?? 'a signal'}` };
  if (exit.code === 0) return { ok: true, detail: 'exit 0', ...(dynamic ? { weight: undefined } : {}) };
  if (dynamic && exit.code >= 2) return { ok: true, detail: `exit ${exit.code}`, weight: exit.code - 2 };
  return { ok: false, reason: `exit ${exit.code}` };
}
