// Port naming: gives each NIC the label the board file has for it ("wan", "lan1"), matched by
// MAC address or by bus address, or the one the config assigns it (interfaces.ports[].nic_mac,
// set with the console's Assign ports), over rtnetlink. Called by `stockade boot` before the network
// setup, so the config can name ports by label.
//
// - Matching by MAC uses the hardware's own address (IFLA_PERM_ADDRESS) when the driver reports
//   one, else the current address: a bond member or a MAC override changes the current address
//   but not the permanent one.
// - Only links that can be NICs are candidates: not bonds, bridges, VLANs, macvlans and other
//   stacked devices, which copy their lower device's MAC.
// - Renames go through temporary names, so swaps (eth0 <-> eth1) and chains work; a NIC the
//   board does not list that holds a label is moved aside to "nic<ifindex>".
// - A link is taken down for its rename (kernels before 6.2 refuse to rename a running link)
//   and brought up again if it was up.
// - Idempotent: when every port already has its label, nothing is written.
// - On a failure, the renames already done are undone (best effort) and the error names the
//   port and the kernel's reason.
import { ARPHRD_ETHER, IFF_UP, IFNAME_MAX_LEN, Rtnl, type Link, type RtnlApi } from '../kernel/rtnetlink/index.ts';
import { netDeviceChain } from '../kernel/index.ts';
import { isMac } from '../common/index.ts';
import { describeKernelError } from './errors.ts';

export interface PortSpec {
  label: string;
  mac?: string;
  path?: string;
  /** Given by the config (nic_mac): it wins a NIC that a board mapping also matches. */
  assigned?: boolean;
}

/**
 * The ports to name: the board's, with the config's assignments (interfaces.ports[].nic_mac)
 * in place of the board's mapping for those labels, and labels the board does not list added.
 * A board port whose NIC the config gives to another label is left without one (reported
 * missing) rather than fought over.
 */
export function portSpecs(board: readonly PortSpec[], config: readonly { name: string; nic_mac?: string }[]): PortSpec[] {
  const assigned = new Map(config.filter((p) => p.nic_mac !== undefined).map((p) => [p.name, p.nic_mac!.toLowerCase()]));
  const given = new Set(assigned.values());
  const specs: PortSpec[] = board.map((p) => {
    const mac = assigned.get(p.label);
    if (mac !== undefined) return { label: p.label, mac, assigned: true };
    return { label: p.label, ...(p.mac !== undefined ? { mac: p.mac } : {}), ...(p.path !== undefined ? { path: p.path } : {}) };
  });
  for (const [label, mac] of assigned) if (!board.some((p) => p.label === label)) specs.push({ label, mac, assigned: true });
  // Board ports by MAC that the config gave away: one NIC, one label.
  return specs.filter((s) => assigned.has(s.label) || s.mac === undefined || !given.has(s.mac.toLowerCase()));
}
export interface PortNamed { label: string; from: string; index: number; changed: boolean }

/** Stacked devices: they copy a lower device's MAC, so they are never taken for a NIC. */
const STACKED_KINDS = new Set(['bond', 'bridge', 'vlan', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'team', 'vrf', 'hsr']);

const LABEL = /^[a-z][a-z0-9_-]{0,14}$/;

/** A board's ports that cannot be named as given (ambiguous or malformed), or a kernel refusal. */
export class PortNamingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortNamingError';
  }
}

export interface PortNamingDeps {
  kernel: Pick<RtnlApi, 'links' | 'changeLink'>;
  /** Device chain of an interface (src/kernel/sysfs-net.ts), nearest first. */
  deviceChain: (ifname: string) => string[] | undefined;
}

/** Renames the board's NICs to their labels in this process's network namespace. */
export async function namePorts(ports: readonly PortSpec[]): Promise<{ named: PortNamed[]; missing: string[] }> {
  const rtnl = Rtnl.open();
  try {
    return await namePortsWith({ kernel: rtnl, deviceChain: (n) => netDeviceChain(n) }, ports);
  } finally {
    rtnl.close();
  }
}

function checkSpecs(ports: readonly PortSpec[]): void {
  const labels = new Set<string>();
  const macs = new Set<string>();
  const paths = new Set<string>();
  for (const p of ports) {
    if (!LABEL.test(p.label)) throw new PortNamingError(`port label ${JSON.stringify(p.label)}: expected 1-15 characters [a-z][a-z0-9_-]*`);
    if (labels.has(p.label)) throw new PortNamingError(`port label ${p.label} is given twice`);
    labels.add(p.label);
    if ((p.mac === undefined) === (p.path === undefined)) throw new PortNamingError(`port ${p.label}: give exactly one of mac and path`);
    if (p.mac !== undefined) {
      const mac = p.mac.toLowerCase();
      if (!isMac(mac)) throw new PortNamingError(`port ${p.label}: ${JSON.stringify(p.mac)} is not a MAC address`);
      if (macs.has(mac)) throw new PortNamingError(`port ${p.label}: MAC ${mac} is given for another port too`);
      macs.add(mac);
    }
    if (p.path !== undefined) {
      if (paths.has(p.path)) throw new PortNamingError(`port ${p.label}: path ${p.path} is given for another port too`);
      paths.add(p.path);
    }
  }
}

/** A link that can be a NIC (what a port label can name): not a stacked device. */
export function isNicLink(l: Pick<Link, 'type' | 'kind'>): boolean {
  return isCandidate(l);
}

function isCandidate(l: Pick<Link, 'type' | 'kind'>): boolean {
  return l.type === ARPHRD_ETHER && !(l.kind !== undefined && STACKED_KINDS.has(l.kind));
}

function findByMac(candidates: readonly Link[], spec: PortSpec): Link[] {
  const mac = spec.mac!.toLowerCase();
  const byPerm = candidates.filter((l) => l.permAddress === mac);
  if (byPerm.length > 0) return byPerm;
  return candidates.filter((l) => l.permAddress === undefined && l.address === mac);
}

function findByPath(candidates: readonly Link[], spec: PortSpec, chains: Map<number, string[] | undefined>): Link[] {
  // The nearest level wins: a NIC whose own device is the path beats one whose ancestor is.
  let best = Infinity;
  let hits: Link[] = [];
  for (const l of candidates) {
    const at = chains.get(l.index)?.indexOf(spec.path!) ?? -1;
    if (at < 0) continue;
    if (at < best) {
      best = at;
      hits = [l];
    } else if (at === best) {
      hits.push(l);
    }
  }
  return hits;
}

interface Move { link: Link; from: string; to: string; wasUp: boolean }

function uniqueName(base: string, taken: Set<string>): string {
  let name = base.slice(0, IFNAME_MAX_LEN);
  for (let i = 1; taken.has(name); i++) name = `${base.slice(0, IFNAME_MAX_LEN - String(i).length - 1)}_${i}`;
  taken.add(name);
  return name;
}

export async function namePortsWith(deps: PortNamingDeps, ports: readonly PortSpec[]): Promise<{ named: PortNamed[]; missing: string[] }> {
  checkSpecs(ports);
  const links = await deps.kernel.links();
  const candidates = links.filter(isCandidate);
  const chains = new Map<number, string[] | undefined>();
  if (ports.some((p) => p.path !== undefined)) for (const l of candidates) chains.set(l.index, deps.deviceChain(l.name));

  const named: PortNamed[] = [];
  const missing: string[] = [];
  const assigned = new Map<number, string>();
  // The config's assignments first: a board mapping that matches the same NIC then yields.
  const byConfig = new Set<string>();
  for (const spec of [...ports.filter((p) => p.assigned), ...ports.filter((p) => !p.assigned)]) {
    const hits = spec.mac !== undefined ? findByMac(candidates, spec) : findByPath(candidates, spec, chains);
    if (hits.length === 0) {
      missing.push(spec.label);
      continue;
    }
    const by = spec.mac !== undefined ? `MAC ${spec.mac.toLowerCase()}` : `path ${spec.path}`;
    if (hits.length > 1) throw new PortNamingError(`port ${spec.label}: ${by} matches ${hits.length} interfaces (${hits.map((l) => l.name).join(', ')})`);
    const link = hits[0]!;
    const other = assigned.get(link.index);
    if (other !== undefined && byConfig.has(other) && !spec.assigned) {
      missing.push(spec.label);
      continue;
    }
    if (other !== undefined) throw new PortNamingError(`port ${spec.label}: ${by} matches ${link.name}, which is already port ${other}`);
    assigned.set(link.index, spec.label);
    if (spec.assigned) byConfig.add(spec.label);
    named.push({ label: spec.label, from: link.name, index: link.index, changed: link.name !== spec.label });
  }

  const moves: Move[] = [];
  const byName = new Map(links.map((l) => [l.name, l]));
  const linkByIndex = new Map(links.map((l) => [l.index, l]));
  const taken = new Set([...links.map((l) => l.name), ...ports.map((p) => p.label)]);
  for (const n of named) {
    if (!n.changed) continue;
    const link = linkByIndex.get(n.index)!;
    moves.push({ link, from: link.name, to: n.label, wasUp: (link.flags & IFF_UP) !== 0 });
    const holder = byName.get(n.label);
    if (holder === undefined || assigned.has(holder.index)) continue;
    // The label is held by a link the board does not list: move it aside if it is a NIC.
    if (!isCandidate(holder)) {
      throw new PortNamingError(`port ${n.label}: the name is taken by ${holder.kind ?? 'a'} link ${holder.name} (index ${holder.index}), which is not a NIC; remove or rename it`);
    }
    moves.push({ link: holder, from: holder.name, to: uniqueName(`nic${holder.index}`, taken), wasUp: (holder.flags & IFF_UP) !== 0 });
  }
  if (moves.length === 0) return { named, missing };

  await applyMoves(deps.kernel, moves, taken);
  return { named, missing };
}

/** Down, rename through temporary names, restore admin state; undo what was done on failure. */
async function applyMoves(kernel: PortNamingDeps['kernel'], moves: Move[], taken: Set<string>): Promise<void> {
  const temp = new Map<Move, string>(moves.map((m) => [m, uniqueName(`stkport${m.link.index.toString(36)}`, taken)]));
  const downed: Move[] = [];
  const current = new Map<Move, string>(moves.map((m) => [m, m.from]));
  // `what` reads with the link's current name in it: "rename {} to lan".
  const step = async (m: Move, what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      throw new PortNamingError(`port ${m.to}: cannot ${what.replace('{}', current.get(m)!)} (index ${m.link.index}): ${describeKernelError(e)}`);
    }
  };
  try {
    for (const m of moves) {
      if (!m.wasUp) continue;
      await step(m, 'take down {}', () => kernel.changeLink({ index: m.link.index, up: false }));
      downed.push(m);
    }
    for (const m of moves) {
      const t = temp.get(m)!;
      await step(m, `rename {} to ${t}`, () => kernel.changeLink({ index: m.link.index, name: t }));
      current.set(m, t);
    }
    for (const m of moves) {
      await step(m, `rename {} to ${m.to}`, () => kernel.changeLink({ index: m.link.index, name: m.to }));
      current.set(m, m.to);
    }
    for (const m of downed) await step(m, 'bring up {}', () => kernel.changeLink({ index: m.link.index, up: true }));
  } catch (e) {
    const problems = await undoMoves(kernel, moves, current, temp, downed);
    if (problems.length > 0 && e instanceof Error) e.message += `; undoing the renames also failed: ${problems.join('; ')}`;
    throw e;
  }
}

async function undoMoves(kernel: PortNamingDeps['kernel'], moves: Move[], current: Map<Move, string>, temp: Map<Move, string>,
  downed: Move[]): Promise<string[]> {
  const problems: string[] = [];
  const tryDo = async (what: string, fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (e) {
      problems.push(`${what}: ${describeKernelError(e)}`);
      return false;
    }
  };
  const renamed = moves.filter((m) => current.get(m) !== m.from);
  for (const m of renamed) {
    const t = temp.get(m)!;
    if (current.get(m) !== t && await tryDo(`rename ${current.get(m)} to ${t}`, () => kernel.changeLink({ index: m.link.index, name: t }))) current.set(m, t);
  }
  for (const m of renamed) {
    if (await tryDo(`rename ${current.get(m)} back to ${m.from}`, () => kernel.changeLink({ index: m.link.index, name: m.from }))) current.set(m, m.from);
  }
  for (const m of downed) await tryDo(`bring ${current.get(m)} up`, () => kernel.changeLink({ index: m.link.index, up: true }));
  return problems;
}
