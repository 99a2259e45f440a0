// The network setup's entry points for the CLI (`stockade net plan|apply`) and `stockade boot`:
// the config's network in the kernel of this process's network namespace.
import type { Config } from '../config/generated/config.ts';
import { Rtnl } from '../kernel/rtnetlink/client.ts';
import { readSysctl, writeSysctl } from '../kernel/sysctl.ts';
import type { SysctlApi } from './action.ts';
import { applyNetwork, planNetwork } from './apply.ts';
import type { ApplyOptions, ApplyResult, NetPlan } from './apply.ts';
import { desiredFromConfig } from './desired.ts';

export type { ActionInfo } from './action.ts';
export type { ApplyOptions, ApplyResult, NetPlan } from './apply.ts';
export { NetApplyError, NetConflictError } from './apply.ts';

/** /proc/sys through src/kernel/sysctl.ts. */
export const procSysctl: SysctlApi = {
  read: (name) => readSysctl(name),
  write(name, value) {
    const r = writeSysctl(name, value);
    if (r.status === 'failed') throw new Error(r.reason);
  },
};

async function withRtnl<T>(fn: (rtnl: Rtnl) => Promise<T>): Promise<T> {
  const rtnl = Rtnl.open();
  try {
    return await fn(rtnl);
  } finally {
    rtnl.close();
  }
}

/** What `applyConfigNetwork` would change, and why. Changes nothing. */
export function planConfigNetwork(config: Config): Promise<NetPlan> {
  return withRtnl((kernel) => planNetwork(desiredFromConfig(config), { kernel, sysctl: procSysctl }));
}

/**
 * Makes the kernel's links, addresses, routes, rules and sysctls match the config. Throws
 * NetConflictError (nothing changed) or NetApplyError (the kernel refused a change; what this
 * apply changed was undone).
 */
export function applyConfigNetwork(config: Config, opts: ApplyOptions = {}): Promise<ApplyResult> {
  return withRtnl((kernel) => applyNetwork(desiredFromConfig(config), { kernel, sysctl: procSysctl }, opts));
}
