// Everything `stockade boot` asks of the kernel, behind one interface: the real one below (the
// src/kernel functions and netsetup's port naming) and fakes in the unit tests, which run the
// whole boot sequence in-process.
import { readFileSync } from 'node:fs';
import { filesystemKnown, findBootPartition, linkStatus, loadModules, mount, readMounts, restoreTable, setHostname, type IpFamily, type IptablesTable, type LinkStatus, type ModuleOutcome, type MountEntry, type MountOutcome, type MountSpec, type RestoreOutcome, type SysctlOutcome } from '../kernel/index.ts';
import { applyConfigNetwork, namePorts, type ApplyResult, type PortNamed, type PortSpec } from '../net/index.ts';
import type { Config } from '../config/index.ts';
import { AF_INET, Rtnl } from '../kernel/rtnetlink/index.ts';
import { prepareSsh, type SshPlan, type SshPrepared } from '../ssh/index.ts';

export type { PortNamed, PortSpec } from '../net/index.ts';

export interface BootSystem {
  /** The mount table; throws when it cannot be read. */
  mounts(): readonly MountEntry[];
  findPartition(label: string): string | undefined;
  filesystemKnown(fstype: string): boolean;
  mount(spec: MountSpec): Promise<MountOutcome>;
  /** Loads modules in order (modprobe resolves dependencies); the outcome of each. */
  loadModules(names: readonly string[]): Promise<Map<string, ModuleOutcome>>;
  namePorts(ports: readonly PortSpec[]): Promise<{ named: PortNamed[]; missing: string[] }>;
  /**
   * The config's network (links ... sysctls), as `stockade net apply`: throws NetConflictError
   * (nothing changed) or NetApplyError (the kernel refused; this apply's changes were undone).
   */
  applyNetwork(config: Config): Promise<ApplyResult>;
  setHostname(name: string): SysctlOutcome;
  restoreTable(family: IpFamily, table: IptablesTable, text: string): Promise<RestoreOutcome>;
  linkStatus(name: string): LinkStatus;
  /** IPv4 addresses (CIDR) by interface name, loopback left out, in the kernel's order. */
  addresses(): Promise<Array<{ ifname: string; cidrs: string[] }>>;
  /** A small text file (the kernel command line), or undefined when unreadable. */
  readText(path: string): string | undefined;
  /** Milliseconds, for the time boot took. */
  now(): number;
  /** SSH's host key (made once) and the files init's dropbear line reads; undefined when SSH is off. */
  prepareSsh(plan: SshPlan): Promise<SshPrepared | undefined>;
}

export const realSystem: BootSystem = {
  mounts: () => readMounts(),
  // On the disk / is mounted from: a second Stockade disk on the box has a data partition too.
  findPartition: (label) => findBootPartition(label),
  filesystemKnown: (fstype) => filesystemKnown(fstype),
  mount,
  loadModules: (names) => loadModules(names),
  namePorts,
  applyNetwork: (config) => applyConfigNetwork(config),
  setHostname: (name) => setHostname(name),
  restoreTable,
  linkStatus: (name) => linkStatus(name),
  async addresses() {
    const rtnl = Rtnl.open();
    try {
      const links = await rtnl.links();
      const addresses = await rtnl.addresses(AF_INET);
      const names = new Map(links.map((l) => [l.index, l.name]));
      const out = new Map<string, string[]>();
      for (const a of addresses) {
        const ifname = names.get(a.index) ?? `#${a.index}`;
        if (ifname === 'lo' || a.local === undefined) continue;
        out.set(ifname, [...(out.get(ifname) ?? []), `${a.local}/${a.prefixLength}`]);
      }
      return [...out].map(([ifname, cidrs]) => ({ ifname, cidrs }));
    } finally {
      rtnl.close();
    }
  },
  readText(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  now: () => performance.now(),
  prepareSsh,
};
