// One config transaction on the running box: the parts that the plan says change are applied in
// order (net first: the others stand on its interfaces and addresses); if one refuses, every part
// already changed is undone in reverse order, so the box runs the old config whole. A part may
// also need applying when another part changed (the firewall's system rules follow VRRP, sync and
// management). Parts read where they are used (parts.ts READ_WHEN_USED) need no applier: saving
// the config is their apply. Other parts with no live applier yet refuse any change to them: nothing is silently
// left half-applied.
import type { Config } from '../config/index.ts';
import { PART_NAMES, READ_WHEN_USED, type PartName } from './parts.ts';
import type { Plan } from './plan.ts';

export type Undo = () => Promise<void>;

export interface PartApplier {
  readonly part: PartName;
  /** Other parts whose change means this one must be applied again (derived settings). */
  readonly follows?: readonly PartName[];
  /** For a part that only follows: false when it has nothing to follow here (not configured). */
  followsWhen?(previous: Config, next: Config): boolean;
  /**
   * Makes the running part match `next`; resolves to what undoes it (back to `previous`). Throws
   * an Error naming what was refused and where (a config pointer) when the part cannot.
   */
  apply(previous: Config, next: Config): Promise<Undo>;
}

export type ApplyOutcome =
  | { readonly ok: true; readonly applied: readonly PartName[] }
  | {
    readonly ok: false;
    readonly part: PartName;
    readonly error: string;
    /** Parts changed then undone, in the order undone. */
    readonly undone: readonly PartName[];
    /** Undo steps that failed themselves (the box may differ from both configs: say so loudly). */
    readonly undoErrors: readonly string[];
  };

/** The parts to apply for a plan, in apply order. */
export function partsToApply(plan: Plan, appliers: readonly PartApplier[]): PartName[] {
  const changed = new Set(plan.parts.filter((p) => p.changed).map((p) => p.part));
  return PART_NAMES.filter((part) => changed.has(part) || (appliers.find((a) => a.part === part)?.follows ?? []).some((f) => changed.has(f)));
}

/**
 * Lets the event loop run what fell due: the daemon's VRRP shares it, and an advert due while a
 * part was being applied goes out before the next part (a transaction is many milliseconds of
 * work). A due timer runs in the next timers phase and the VRRP shell then defers its work to
 * setImmediate (after reading its sockets), so two check phases are waited for after it.
 */
export async function yieldTurn(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

export async function applyTransaction(plan: Plan, previous: Config, next: Config, appliers: readonly PartApplier[]): Promise<ApplyOutcome> {
  const undos: Array<{ part: PartName; undo: Undo }> = [];
  const rollback = async (part: PartName, error: string): Promise<ApplyOutcome> => {
    const undone: PartName[] = [];
    const undoErrors: string[] = [];
    for (const u of [...undos].reverse()) {
      try {
        await u.undo();
        undone.push(u.part);
      } catch (e) {
        undoErrors.push(`${u.part}: ${(e as Error).message}`);
      }
    }
    return { ok: false, part, error, undone, undoErrors };
  };
  const applied: PartName[] = [];
  const changed = new Set(plan.parts.filter((p) => p.changed).map((p) => p.part));
  for (const part of partsToApply(plan, appliers)) {
    const applier = appliers.find((a) => a.part === part);
    if (!changed.has(part) && applier?.followsWhen?.(previous, next) === false) continue;
    if (applier === undefined && READ_WHEN_USED.has(part)) {
      applied.push(part);
      continue;
    }
    if (applier === undefined) return rollback(part, `${part}: changing it on the running box is not supported yet (restart the daemon to apply it)`);
    await yieldTurn();
    try {
      undos.push({ part, undo: await applier.apply(previous, next) });
      applied.push(part);
    } catch (e) {
      return rollback(part, (e as Error).message);
    }
  }
  return { ok: true, applied };
}
