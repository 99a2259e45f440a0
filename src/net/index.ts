// The network setup's entry points for the CLI (`stockade net plan|apply`) and `stockade boot`:
// the config's network in the kernel of this process's network namespace.
import type { Config } from '../config/index.ts';
import { UserError } from '../common/index.ts';
import { Rtnl, type Link } from '../kernel/rtnetlink/index.ts';
import { readResolvConf, readSysctl, removeResolvConf, writeResolvConf, writeSysctl } from '../kernel/index.ts';
import { leaseResolvAction, resolvAction } from './resolver.ts';
import type { Lease } from './dhcp-event.ts';
import type { SysctlApi } from './action.ts';
import { applyNetwork, planNetwork } from './apply.ts';
import type { ApplyOptions, ApplyResult, NetPlan } from './apply.ts';
import { desiredFromConfig } from './desired.ts';
import { startDhcpClients, stopStaleDhcpClients, udhcpcClients } from './dhcp-clients.ts';
import type { DhcpClientApi } from './dhcp-clients.ts';

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
  // Strict: the route dumps leave out what the reconcile does not compare (readPlanRoutes).
  const rtnl = Rtnl.openStrict();
  try {
    return await fn(rtnl);
  } finally {
    rtnl.close();
  }
}

/** The links of this network namespace as the kernel reports them (`stockade net links`). */
export async function readKernelLinks(): Promise<Link[]> {
  let rtnl: Rtnl;
  try {
    rtnl = Rtnl.open();
  } catch (err) {
    throw new UserError(`net links: cannot open a netlink socket: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return await rtnl.links();
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
 * apply changed was undone). Then keeps one DHCP client per DHCP interface (dhcp-clients.ts).
 */
export function applyConfigNetwork(config: Config, opts: ApplyOptions & { dhcpClients?: DhcpClientApi } = {}): Promise<ApplyResult> {
  const clients = opts.dhcpClients ?? udhcpcClients;
  return withRtnl(async (kernel) => {
    const d = desiredFromConfig(config);
    // Leases of interfaces that are no longer DHCP go before the reconcile puts their new addresses on.
    const stopped = await stopStaleDhcpClients(d.dhcp, kernel, clients);
    const result = await applyNetwork(d, { kernel, sysctl: procSysctl }, opts);
    const started = await startDhcpClients(d.dhcp, kernel, clients);
    const resolver = applyResolver(config);
    return { ...result, dhcpClients: [...stopped, ...started], ...(resolver !== undefined ? { resolver } : {}) };
  });
}

/**
 * A DHCP lease's name servers into resolv.conf, unless the file is the config's (its name servers
 * win); one line when the file was left as it is for that reason.
 */
export function applyLeaseResolver(lease: Lease, dir: string): string | undefined {
  const action = leaseResolvAction(lease, readResolvConf(dir));
  if (action.kind === 'write') writeResolvConf(action.text, dir);
  return action.kind === 'none' && action.kept ? 'left resolv.conf as it is: the config names the name servers (system.nameservers)' : undefined;
}

/** system.nameservers into resolv.conf (resolver.ts); one line when it changed the file. */
function applyResolver(config: Config): string | undefined {
  const action = resolvAction(config, readResolvConf());
  if (action.kind === 'write') {
    writeResolvConf(action.text);
    return `resolv.conf: name servers ${config.system.nameservers.join(', ')} from the config`;
  }
  if (action.kind === 'remove') {
    removeResolvConf();
    return 'resolv.conf: the config names no name servers now; removed (a DHCP lease writes it)';
  }
  return undefined;
}
export { DhcpEventError, applyLease, clearDhcp, parseDhcpEvent } from './dhcp-event.ts';
export type { DhcpEvent } from './dhcp-event.ts';
export { describeKernelError } from './errors.ts';
export { actionLine, changeCount, formatActions, formatNotes } from './format.ts';
export { isNicLink, namePorts, portSpecs } from './ports.ts';
export type { PortNamed, PortSpec } from './ports.ts';

