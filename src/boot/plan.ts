// The steps of `stockade boot`, in the order they run. Each leaves the box no less safe than
// before: the firewall step always runs last of the changes, and the steps before it only add
// (mounts, modules, names, the network, kernel parameters), so a failure anywhere still ends
// fail-closed. The network apply owns the sysctls (per-interface ones need the links it makes);
// the sysctls step only reports its part of that apply.

// ssh comes after the firewall: it only writes files (the host key, what init's dropbear line
// reads); dropbear itself is started by init once boot is done.
export const BOOT_STEPS = ['mounts', 'board', 'config', 'modules', 'ports', 'network', 'sysctls', 'hostname', 'firewall', 'ssh'] as const;
export type BootStep = (typeof BOOT_STEPS)[number];

/**
 * Steps a test may leave out (board and config are only read, so they always run; sysctls are
 * part of the network apply: --skip network leaves both out).
 */
export const SKIPPABLE_STEPS: readonly BootStep[] = ['mounts', 'modules', 'ports', 'network', 'hostname', 'firewall', 'ssh'];

export interface PlannedStep {
  readonly step: BootStep;
  readonly run: boolean;
}

export function bootPlan(skip: ReadonlySet<BootStep>): PlannedStep[] {
  return BOOT_STEPS.map((step) => ({ step, run: !skip.has(step) }));
}
