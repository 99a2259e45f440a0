// The slots' life after an install, as changes to GRUB's environment and the state file, in the
// order they must be written (pure: the caller writes each step, in order, and stops at the first
// that fails). Orders are chosen so that a power cut between two steps leaves something the next
// boot's `settleAtBoot` finishes, never a slot kept that was not proven good:
//   - mark-good: the environment first (it is the commit: the trial ends), then the state
//     (activated, floor raised); a cut between them is completed at the next boot.
//   - a failed trial: the state first (why), then the environment; a cut between them is
//     recorded again at the next boot.
// Boots are counted only during a trial: a slot that is not on its trial gets its tries back at
// every boot (a good slot rebooted three times must not fall back to the other: rauc#490).
import { TRIAL_VAR, markGoodVars, trialSlot, type GrubEnv, type GrubEnvChange } from './grubenv.ts';
import { otherSlot, type SlotName } from './slots.ts';
import type { UpgradeState } from './state.ts';

export const FULL_TRIES = '3';

export type LifecycleStep = { readonly kind: 'env'; readonly change: GrubEnvChange } | { readonly kind: 'state'; readonly state: UpgradeState };

export interface Plan {
  readonly steps: readonly LifecycleStep[];
  /** What happened, for the console. */
  readonly notes: readonly string[];
}

const NOTHING: Plan = { steps: [], notes: [] };

/** Why a trial that left no reason of its own ended. */
export const NO_VERDICT = 'did not finish its trial boot: reset, power loss, crash or hang before a verdict';

/** The running slot is good: GRUB keeps booting it; the epoch floor rises to its epoch. */
export function markGood(env: GrubEnv, running: SlotName, state: UpgradeState, now: string): Plan {
  const record = state.slots[running];
  const floor = Math.max(state.epoch_floor, record?.security_epoch ?? 0);
  const { failed_at: _f, failure: _r, ...kept } = record ?? { failed_at: undefined, failure: undefined };
  const next: UpgradeState = {
    ...state,
    epoch_floor: floor,
    slots: record ? { ...state.slots, [running]: { ...kept, activated_at: record.activated_at ?? now } } : state.slots,
  };
  const trial = trialSlot(env) === running;
  return {
    steps: [{ kind: 'env', change: markGoodVars(running, otherSlot(running)) }, { kind: 'state', state: next }],
    notes: [`slot ${running}${trial ? ' passed its trial and' : ''} is marked good; security epoch floor ${floor}`],
  };
}

/** The running slot's trial failed: say why, take it out of GRUB's choice, then reboot (the caller). */
export function failTrial(running: SlotName, state: UpgradeState, reason: string, now: string): Plan {
  const record = state.slots[running];
  const next: UpgradeState = {
    ...state,
    slots: record ? { ...state.slots, [running]: { ...record, failed_at: now, failure: reason } } : state.slots,
    last_failure: { slot: running, ...(record ? { version: record.version } : {}), reason, at: now },
  };
  return {
    steps: [{ kind: 'state', state: next }, { kind: 'env', change: { [`${running}_OK`]: '0' } }],
    notes: [`slot ${running} failed its trial: ${reason}; rebooting into slot ${otherSlot(running)}`],
  };
}

/**
 * At every boot, once `stockade boot` is done: a trial of the other slot that brought the box back
 * here failed (recorded, that slot marked bad, the trial closed); a slot not on its trial is good
 * and gets its tries back; a mark-good cut short by a power loss is completed.
 */
export function settleAtBoot(env: GrubEnv, running: SlotName, state: UpgradeState, now: string): Plan {
  const trial = trialSlot(env);
  if (trial === running) return { steps: [], notes: [`slot ${running} is on its trial boot: its health decides whether it is kept`] };
  const other = otherSlot(running);
  const steps: LifecycleStep[] = [];
  const notes: string[] = [];
  let next = state;
  if (trial === other) {
    const record = state.slots[other];
    const own = state.last_failure?.slot === other && (record === undefined || state.last_failure.at >= record.installed_at) ? state.last_failure : undefined;
    const reason = own?.reason ?? NO_VERDICT;
    next = {
      ...state,
      slots: record ? { ...state.slots, [other]: { ...record, failed_at: record.failed_at ?? own?.at ?? now, failure: reason } } : state.slots,
      last_failure: own ?? { slot: other, ...(record ? { version: record.version } : {}), reason, at: now },
    };
    steps.push({ kind: 'state', state: next });
    steps.push({ kind: 'env', change: { [TRIAL_VAR]: null, [`${other}_OK`]: '0', ORDER: `${running} ${other}`, [`${running}_OK`]: '1', [`${running}_TRIES`]: FULL_TRIES } });
    notes.push(`slot ${other}${record ? ` (${record.version})` : ''} failed its trial: ${reason}; slot ${running} runs again`);
    return { steps, notes };
  }
  if (env[`${running}_TRIES`] !== FULL_TRIES || env[`${running}_OK`] !== '1') {
    steps.push({ kind: 'env', change: { [`${running}_OK`]: '1', [`${running}_TRIES`]: FULL_TRIES } });
  }
  const record = state.slots[running];
  if (record && record.activated_at === undefined && record.failed_at === undefined) {
    // Marked good in GRUB's environment, the state write after it lost: finish it.
    const done = markGood(env, running, state, now);
    steps.push(done.steps[1]!);
    notes.push(`slot ${running}: completed an interrupted mark-good; security epoch floor ${Math.max(state.epoch_floor, record.security_epoch)}`);
  }
  return steps.length === 0 && notes.length === 0 ? NOTHING : { steps, notes };
}

/** Why the other slot cannot be booted by `upgrade rollback`, or undefined. */
export function rollbackRefusal(env: GrubEnv, running: SlotName, state: UpgradeState): string | undefined {
  const other = otherSlot(running);
  if (env[`${other}_OK`] !== '1') return `slot ${other} is marked bad${state.slots[other]?.failure ? ` (${state.slots[other]!.failure})` : ''}: there is nothing good to go back to`;
  if (trialSlot(env) === other) return `slot ${other} is on its trial (installed, not yet booted): it is not known to be good`;
  const epoch = state.slots[other]?.security_epoch ?? 0;
  if (epoch < state.epoch_floor) return `slot ${other} holds security epoch ${epoch}, below this box's floor ${state.epoch_floor}`;
  return undefined;
}

/** Boot the other (good) slot from now on; a running slot on its trial is given up. */
export function rollback(env: GrubEnv, running: SlotName, state: UpgradeState, now: string): Plan {
  const other = otherSlot(running);
  const switchTo: LifecycleStep = { kind: 'env', change: { ORDER: `${other} ${running}`, [`${other}_TRIES`]: FULL_TRIES, [TRIAL_VAR]: null } };
  if (trialSlot(env) !== running) return { steps: [switchTo], notes: [`slot ${other} boots from now on`] };
  const failed = failTrial(running, state, 'given up by `upgrade rollback`', now);
  return { steps: [failed.steps[0]!, { kind: 'env', change: { ...switchTo.change, [`${running}_OK`]: '0' } }], notes: [`slot ${running}'s trial given up; slot ${other} boots from now on`] };
}

/**
 * Why the other slot, written by `upgrade install --no-switch`, cannot be switched to by
 * `upgrade activate`, or undefined: it must hold a recorded install that never ran (not marked
 * good, not failed), not be switched to already, and not sit below the epoch floor.
 */
export function activateRefusal(env: GrubEnv, running: SlotName, state: UpgradeState): string | undefined {
  const other = otherSlot(running);
  const record = state.slots[other];
  if (trialSlot(env) === running) return `slot ${running} runs on its trial boot: it must be marked good before slot ${other} is switched to`;
  if (trialSlot(env) === other) return `slot ${other} is switched to already: it boots on trial at the next reboot`;
  if (record === undefined) return `slot ${other} holds no recorded install: write one first (stockade upgrade install FILE --no-switch)`;
  if (record.failed_at !== undefined) return `slot ${other} (${record.version}) failed its trial (${record.failure ?? 'no reason recorded'}): install it again`;
  if (record.activated_at !== undefined) return `slot ${other} (${record.version}) was installed and used before: \`stockade upgrade rollback\` boots an older good slot`;
  if (record.security_epoch < state.epoch_floor) return `slot ${other} holds security epoch ${record.security_epoch}, below this box's floor ${state.epoch_floor}`;
  return undefined;
}
