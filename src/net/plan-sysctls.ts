// Planning sysctls, global (net.ipv4.ip_forward) and per interface
// (net.ipv4.conf.bond0/10.rp_filter): set the ones whose value differs. Per-interface keys are
// planned after the links exist, which is why they are part of the network apply.
import type { Action, SysctlApi } from './action.ts';
import type { DesiredNetwork } from './desired.ts';

/** The interface a per-interface sysctl name is about ("bond0.10"), or undefined for a global one. */
export function sysctlInterface(name: string): string | undefined {
  const m = /^net\.ipv[46]\.(?:conf|neigh)\.([^.]+)\./.exec(name);
  if (m === null) return undefined;
  const ifname = m[1]!.replace(/\//g, '.');
  return ['all', 'default'].includes(ifname) ? undefined : ifname;
}

/** Values compare by their words: the kernel prints "4096\t87380" for "4096 87380". */
export function sameSysctlValue(current: string, wanted: string): boolean {
  const words = (s: string): string => s.trim().split(/\s+/).join(' ');
  return words(current) === words(wanted);
}

export interface SysctlPlan {
  actions: Action[];
  warnings: string[];
}

/**
 * `pending`: interfaces that do not exist yet but will (a plan: their keys cannot be read yet);
 * `missing`: configured interfaces that are missing (their keys are skipped).
 */
export function planSysctls(d: DesiredNetwork, sysctl: SysctlApi, pending: ReadonlySet<string>, missing: ReadonlySet<string>): SysctlPlan {
  const actions: Action[] = [];
  const warnings: string[] = [];
  for (const { name, value } of d.sysctls) {
    const ifname = sysctlInterface(name);
    if (ifname !== undefined && missing.has(ifname)) {
      warnings.push(`sysctl ${name}: interface ${ifname} is missing; skipped`);
      continue;
    }
    const current = ifname !== undefined && pending.has(ifname) ? undefined : sysctl.read(name);
    if (current === undefined && !(ifname !== undefined && pending.has(ifname))) {
      warnings.push(`sysctl ${name}: no such key here${ifname !== undefined ? ` (no interface ${ifname}?)` : ' (is its module loaded?)'}; skipped`);
      continue;
    }
    if (current !== undefined && sameSysctlValue(current, value)) continue;
    actions.push({
      phase: 'sysctls', verb: 'change', object: `sysctl ${name}`, detail: `${current ?? '(new interface)'} -> ${value}`, why: 'the config says so',
      async run(x) {
        const old = x.sysctl.read(name);
        x.sysctl.write(name, value);
        return async (y) => {
          if (old !== undefined) y.sysctl.write(name, old);
        };
      },
    });
  }
  return { actions, warnings };
}
