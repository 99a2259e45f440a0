// Segments -> firewall rules, per mode, in a shape the firewall part renders (src/firewall's
// compile adds them to its own chains; nothing here knows iptables-save's text).
//
//   system           nothing here: its allow_from is the firewall's zone rules
//   static           INPUT: DHCP requests on its interface
//   managed          INPUT: DHCP on each group's interface, the metadata server if the box is it
//                    FORWARD: -d RANGE -> STOCKADE-SF-<seg>: -d GROUPNET -> STOCKADE-SG-<seg>-<id>
//                      (the group's rules: ACCEPT), then DROP (default-deny between groups and
//                      from outside); -s RANGE ACCEPT (hosts may go out, as Eucalyptus'
//                      `! -d SUBNET -j ACCEPT`)
//                    nat: metadata DNAT; 1:1 public addresses in blocks of POOL_BLOCK pool
//                      entries (STOCKADE-SD-/SS-<seg>-<k>), so assigning one address rewrites
//                      one small chain; the hairpin MASQUERADE; the rest leaves masqueraded
//   managed_novlan   as managed (the groups differ by subnet only, on one interface), and
//                    FORWARD first: -i IF -> STOCKADE-SA-<seg>: each host's fixed address from
//                    its own MAC returns, anything else is dropped, so a host cannot open
//                    connections through the box as another group's host (at L2 the hosts
//                    reach each other anyway: the box sees only what it routes)
import type { Config, Segment } from '../config/index.ts';
import { groupNet } from './carve.ts';
import { expandPool } from './pool.ts';
import { dnatChain, forwardChain, groupChain, snatChain, spoofChain } from './names.ts';

export const METADATA_ADDRESS = '169.254.169.254';
/** Pool entries per NAT chain. */
export const POOL_BLOCK = 64;

export interface SegmentMatch {
  readonly source?: string;
  readonly destination?: string;
  readonly in?: string;
  readonly out?: string;
  readonly protocol?: string;
  readonly destinationPorts?: readonly (number | string)[];
  readonly extra?: string;
}

export interface SegmentFwRule {
  readonly pointer: string;
  readonly match: SegmentMatch;
  /** Target text after -j, as iptables-save prints it. */
  readonly target: string;
}

export interface SegmentChainRules {
  readonly table: 'filter' | 'nat';
  readonly name: string;
  readonly rules: readonly SegmentFwRule[];
}

export interface SegmentFirewall {
  /** Appended to stockade's own chain of each built-in chain (before the drop log). */
  readonly filter: { readonly INPUT: SegmentFwRule[]; readonly FORWARD: SegmentFwRule[] };
  readonly nat: { readonly PREROUTING: SegmentFwRule[]; readonly OUTPUT: SegmentFwRule[]; readonly POSTROUTING: SegmentFwRule[] };
  /** Chains those rules jump to. */
  readonly chains: SegmentChainRules[];
}

const r = (pointer: string, match: SegmentMatch, target: string): SegmentFwRule => ({ pointer, match, target });

function dhcpIn(at: string, ifname: string): SegmentFwRule {
  return r(at, { in: ifname, protocol: 'udp', destinationPorts: [67] }, 'ACCEPT');
}

function managed(segment: Segment, i: number, out: SegmentFirewall): void {
  const at = `/segments/${i}`;
  const range = segment.subnet;
  if (range === undefined) return;
  const nets = new Map(segment.groups.map((g) => [g.name, groupNet(segment, g.id)]));
  const dispatch: SegmentFwRule[] = [];
  segment.groups.forEach((group, j) => {
    const gat = `${at}/groups/${j}`;
    const net = nets.get(group.name);
    if (net === undefined) return;
    out.filter.INPUT.push(dhcpIn(gat, group.interface));
    const rules: SegmentFwRule[] = [];
    group.rules.forEach((rule, k) => {
      const source = rule.group !== undefined ? nets.get(rule.group)?.cidr : (rule.source ?? '0.0.0.0/0');
      if (source === undefined) return;
      const ports = rule.ports !== undefined && (rule.protocol === 'tcp' || rule.protocol === 'udp') ? [rule.ports] : undefined;
      rules.push(r(`${gat}/rules/${k}`, {
        ...(source === '0.0.0.0/0' ? {} : { source }),
        destination: net.cidr,
        ...(rule.protocol !== 'all' ? { protocol: rule.protocol } : {}),
        ...(ports ? { destinationPorts: ports } : {}),
      }, 'ACCEPT'));
    });
    const chain = groupChain(segment.name, group.id);
    out.chains.push({ table: 'filter', name: chain, rules });
    dispatch.push(r(gat, { destination: net.cidr }, chain));
  });
  dispatch.push(r(at, {}, 'DROP'));
  if (segment.mode === 'managed_novlan') {
    const known = segment.groups.flatMap((g, j) => g.hosts.map((h, k) => r(`${at}/groups/${j}/hosts/${k}`, { source: h.ip, extra: `-m mac --mac-source ${h.mac.toUpperCase()}` }, 'RETURN')));
    out.chains.push({ table: 'filter', name: spoofChain(segment.name), rules: [...known, r(at, {}, 'DROP')] });
    out.filter.FORWARD.push(r(at, { in: segment.interfaces[0]! }, spoofChain(segment.name)));
  }
  out.chains.push({ table: 'filter', name: forwardChain(segment.name), rules: dispatch });
  out.filter.FORWARD.push(r(at, { destination: range }, forwardChain(segment.name)), r(at, { source: range }, 'ACCEPT'));

  if (segment.metadata !== undefined) {
    const mat = `${at}/metadata`;
    const to = `${segment.metadata.to}:${segment.metadata.port}`;
    out.nat.PREROUTING.push(r(mat, { source: range, destination: METADATA_ADDRESS, protocol: 'tcp', destinationPorts: [80] }, `DNAT --to-destination ${to}`));
    // When the metadata server runs on the box itself the redirected packets arrive in INPUT.
    out.filter.INPUT.push(r(mat, { source: range, destination: segment.metadata.to, protocol: 'tcp', destinationPorts: [segment.metadata.port] }, 'ACCEPT'));
  }

  const pub = segment.public;
  const hairpin = r(`${at}/public`, { source: range, destination: range, extra: '-m conntrack --ctstate DNAT' }, 'MASQUERADE');
  if (pub === undefined) return;
  const pool = expandPool(pub.pool).addresses;
  const slot = new Map(pool.map((a, n) => [a, n]));
  const blocks = new Map<number, { dnat: SegmentFwRule[]; snat: SegmentFwRule[] }>();
  // Pool order inside a block, whatever the order of `assign`: assigning one more address
  // changes its own block's lines only.
  const assigned = pub.assign.map((a, k) => ({ a, k, n: slot.get(a.address) })).filter((x) => x.n !== undefined).sort((x, y) => x.n! - y.n!);
  for (const { a, k, n } of assigned) {
    const b = Math.floor(n! / POOL_BLOCK);
    let block = blocks.get(b);
    if (!block) blocks.set(b, (block = { dnat: [], snat: [] }));
    const aat = `${at}/public/assign/${k}`;
    block.dnat.push(r(aat, { destination: a.address }, `DNAT --to-destination ${a.host}`));
    block.snat.push(r(aat, { source: a.host, out: pub.interface }, `SNAT --to-source ${a.address}`));
  }
  out.nat.POSTROUTING.push(hairpin);
  for (const b of [...blocks.keys()].sort((x, y) => x - y)) {
    const block = blocks.get(b)!;
    out.chains.push({ table: 'nat', name: dnatChain(segment.name, b), rules: block.dnat }, { table: 'nat', name: snatChain(segment.name, b), rules: block.snat });
    out.nat.PREROUTING.push(r(`${at}/public`, {}, dnatChain(segment.name, b)));
    out.nat.OUTPUT.push(r(`${at}/public`, {}, dnatChain(segment.name, b)));
    out.nat.POSTROUTING.push(r(`${at}/public`, {}, snatChain(segment.name, b)));
  }
  out.nat.POSTROUTING.push(r(`${at}/public`, { source: range, out: pub.interface }, 'MASQUERADE'));
}

export function segmentFirewall(config: Config): SegmentFirewall {
  const out: SegmentFirewall = { filter: { INPUT: [], FORWARD: [] }, nat: { PREROUTING: [], OUTPUT: [], POSTROUTING: [] }, chains: [] };
  config.segments.forEach((segment, i) => {
    if (segment.mode === 'static') for (const ifname of segment.interfaces.slice(0, 1)) out.filter.INPUT.push(dhcpIn(`/segments/${i}`, ifname));
    else if (segment.mode === 'managed' || segment.mode === 'managed_novlan') managed(segment, i, out);
  });
  return out;
}

/** The private address a public one maps to, and back (for views and commands). */
export function publicMap(segment: Segment): Map<string, string> {
  return new Map((segment.public?.assign ?? []).map((a) => [a.address, a.host]));
}
