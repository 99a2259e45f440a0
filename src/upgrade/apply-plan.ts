// Writes a lifecycle plan's steps in their order (lifecycle.ts says why the order matters): GRUB's
// environment through anything with GrubEnvFile's `set`, the state file atomically.
import type { GrubEnv, GrubEnvChange } from './grubenv.ts';
import type { Plan } from './lifecycle.ts';
import { writeState } from './state.ts';

export function applyPlan(plan: Plan, env: { set(change: GrubEnvChange): GrubEnv }, stateDir: string): void {
  for (const step of plan.steps) {
    if (step.kind === 'env') env.set(step.change);
    else writeState(stateDir, step.state);
  }
}
