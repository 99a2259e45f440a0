// Runtime operations (`stockade segment ...`): each is a small edit of the running config that
// goes through a config transaction like any other change, so it is validated whole, planned,
// applied as the minimal change (only the chains, addresses and DHCP servers it touches) and
// can be reverted. What can be said before validation (no such segment, group, host or
// address; a public address taken or outside the pool) is said here, naming it.
import type { Config, Segment, SegmentGroup, SegmentHost, SegmentRule } from '../config/index.ts';
import { expandPool } from './pool.ts';
import { hasGroups } from './carve.ts';

export type SegmentOp =
  | { readonly op: 'group-add'; readonly segment: string; readonly group: { name: string; id: number; interface?: string } }
  | { readonly op: 'group-del'; readonly segment: string; readonly group: string }
  | { readonly op: 'host-add'; readonly segment: string; readonly group?: string; readonly host: SegmentHost }
  | { readonly op: 'host-del'; readonly segment: string; readonly mac: string }
  | { readonly op: 'rule-add'; readonly segment: string; readonly group: string; readonly rule: Partial<SegmentRule> }
  | { readonly op: 'rule-del'; readonly segment: string; readonly group: string; readonly index: number }
  | { readonly op: 'ip-assign'; readonly segment: string; readonly address: string; readonly host: string }
  | { readonly op: 'ip-unassign'; readonly segment: string; readonly address: string };

export class SegmentOpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SegmentOpError';
  }
}

function findSegment(config: Config, name: string): { segment: Segment; i: number } {
  const i = config.segments.findIndex((s) => s.name === name);
  if (i < 0) throw new SegmentOpError(`no segment "${name}" (segments: ${config.segments.map((s) => s.name).join(', ') || 'none'})`);
  return { segment: config.segments[i]!, i };
}

function findGroup(segment: Segment, i: number, name: string): { group: SegmentGroup; j: number } {
  if (!hasGroups(segment)) throw new SegmentOpError(`/segments/${i}: segment "${segment.name}" is ${segment.mode}; groups belong to managed segments`);
  const j = segment.groups.findIndex((g) => g.name === name);
  if (j < 0) throw new SegmentOpError(`/segments/${i}/groups: no group "${name}" in segment "${segment.name}" (groups: ${segment.groups.map((g) => g.name).join(', ') || 'none'})`);
  return { group: segment.groups[j]!, j };
}

const sameMac = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * A copy of the segment whose arrays (groups, their hosts and rules, hosts, public assignments)
 * an op may push to or splice; their elements are shared, as no op changes one in place. A
 * structuredClone of a config with 10,000 hosts would cost more than the rest of the op.
 */
function writable(s: Segment): Segment {
  return {
    ...s,
    hosts: s.hosts.slice(),
    groups: s.groups.map((g) => ({ ...g, hosts: g.hosts.slice(), rules: g.rules.slice() })),
    ...(s.public ? { public: { ...s.public, pool: s.public.pool.slice(), assign: s.public.assign.slice() } } : {}),
  };
}

/** The config with `op` done; the input is not changed. */
export function applySegmentOp(input: Config, op: SegmentOp): Config {
  const { i } = findSegment(input, op.segment);
  const config: Config = { ...input, segments: input.segments.slice() };
  const segment = (config.segments[i] = writable(input.segments[i]!));
  switch (op.op) {
    case 'group-add': {
      if (!hasGroups(segment)) throw new SegmentOpError(`/segments/${i}: segment "${segment.name}" is ${segment.mode}; groups belong to managed segments`);
      const same = segment.groups.findIndex((g) => g.name === op.group.name);
      if (same >= 0) throw new SegmentOpError(`/segments/${i}/groups/${same}: group "${op.group.name}" exists already`);
      // managed_novlan: every group is on the segment's one interface.
      const ifname = op.group.interface ?? (segment.mode === 'managed_novlan' ? segment.interfaces[0] : undefined);
      if (ifname === undefined) throw new SegmentOpError(`/segments/${i}/groups: group "${op.group.name}" needs --interface IF (its VLAN or bridge)`);
      segment.groups.push({ name: op.group.name, id: op.group.id, interface: ifname, hosts: [], rules: [] });
      break;
    }
    case 'group-del': {
      const { j } = findGroup(segment, i, op.group);
      const users = segment.groups.flatMap((g, n) => g.rules.map((r, k) => ({ r, at: `/segments/${i}/groups/${n}/rules/${k}` }))).filter((x) => x.r.group === op.group);
      if (users.length > 0) throw new SegmentOpError(`/segments/${i}/groups/${j}: group "${op.group}" is named by ${users.map((u) => u.at).join(', ')}; delete those rules first`);
      const hosts = new Set(segment.groups[j]!.hosts.map((h) => h.ip));
      const mapped = (segment.public?.assign ?? []).filter((a) => hosts.has(a.host));
      if (mapped.length > 0) throw new SegmentOpError(`/segments/${i}/groups/${j}: its hosts hold public addresses (${mapped.map((a) => a.address).join(', ')}); unassign them first`);
      segment.groups.splice(j, 1);
      break;
    }
    case 'host-add': {
      const list = op.group === undefined
        ? (segment.mode === 'static' ? segment.hosts : (() => { throw new SegmentOpError(`/segments/${i}: segment "${segment.name}" is ${segment.mode}; name the group (--group)`); })())
        : findGroup(segment, i, op.group).group.hosts;
      list.push({ ...op.host });
      break;
    }
    case 'host-del': {
      const lists = [segment.hosts, ...segment.groups.map((g) => g.hosts)];
      const list = lists.find((l) => l.some((h) => sameMac(h.mac, op.mac)));
      if (!list) throw new SegmentOpError(`/segments/${i}: no host with MAC ${op.mac} in segment "${segment.name}"`);
      const host = list.find((h) => sameMac(h.mac, op.mac))!;
      const mapped = (segment.public?.assign ?? []).find((a) => a.host === host.ip);
      if (mapped) throw new SegmentOpError(`/segments/${i}: host ${op.mac} (${host.ip}) holds public address ${mapped.address}; unassign it first`);
      list.splice(list.indexOf(host), 1);
      break;
    }
    case 'rule-add': {
      const { group } = findGroup(segment, i, op.group);
      group.rules.push({ protocol: 'all', ...op.rule } as SegmentRule);
      break;
    }
    case 'rule-del': {
      const { group, j } = findGroup(segment, i, op.group);
      if (!Number.isInteger(op.index) || op.index < 0 || op.index >= group.rules.length) {
        throw new SegmentOpError(`/segments/${i}/groups/${j}/rules: no rule ${op.index} (the group has ${group.rules.length}, numbered from 0)`);
      }
      group.rules.splice(op.index, 1);
      break;
    }
    case 'ip-assign': {
      const pub = segment.public;
      if (!pub) throw new SegmentOpError(`/segments/${i}: segment "${segment.name}" has no public pool`);
      if (!expandPool(pub.pool).addresses.includes(op.address)) throw new SegmentOpError(`/segments/${i}/public/pool: ${op.address} is not in the pool (${pub.pool.join(', ') || 'empty'})`);
      const taken = pub.assign.findIndex((a) => a.address === op.address);
      if (taken >= 0) throw new SegmentOpError(`/segments/${i}/public/assign/${taken}: ${op.address} is already mapped to ${pub.assign[taken]!.host}`);
      const has = pub.assign.findIndex((a) => a.host === op.host);
      if (has >= 0) throw new SegmentOpError(`/segments/${i}/public/assign/${has}: host ${op.host} already has public address ${pub.assign[has]!.address}`);
      pub.assign.push({ address: op.address, host: op.host });
      break;
    }
    case 'ip-unassign': {
      const pub = segment.public;
      const k = pub?.assign.findIndex((a) => a.address === op.address) ?? -1;
      if (!pub || k < 0) throw new SegmentOpError(`/segments/${i}/public/assign: ${op.address} is not assigned`);
      pub.assign.splice(k, 1);
      break;
    }
  }
  return config;
}
