// Segments (issue 17): names and interfaces used once, the fields each mode uses and no others,
// subnets that do not overlap, hosts (a MAC once, an IP inside its group or subnet and once),
// group ids inside the segment's range, rules naming groups that exist, and public addresses
// from the pool, each mapped once onto one of the segment's hosts.
import { Checker, checkUnique, pointer } from './context.ts';
import type { Segment } from '../generated/config.ts';
import { contains, formatIpv4, formatPrefix, overlaps, parseIpv4, parsePrefix, type Ipv4Prefix } from '../../common/index.ts';
import { expandPool, groupCapacity, groupNet, POOL_MAX } from '../../segments/index.ts';
import { closest } from '../suggest.ts';

const MODE_FIELDS: Record<Segment['mode'], readonly string[]> = {
  system: ['allow_from'],
  static: ['allow_from', 'subnet', 'router', 'dns', 'lease_s', 'hosts', 'vrrp'],
  managed: ['subnet', 'dns', 'lease_s', 'addresses_per_group', 'groups', 'public', 'metadata', 'vrrp'],
  managed_novlan: ['subnet', 'dns', 'lease_s', 'addresses_per_group', 'groups', 'public', 'metadata', 'vrrp'],
};
const ALL_FIELDS = ['allow_from', 'subnet', 'router', 'dns', 'lease_s', 'hosts', 'addresses_per_group', 'groups', 'public', 'metadata', 'vrrp'];

function hasValue(segment: Segment, key: string): boolean {
  const v = (segment as unknown as Record<string, unknown>)[key];
  if (v === undefined) return false;
  if (Array.isArray(v)) return v.length > 0;
  // Defaults that are always filled in count as absent.
  if (key === 'lease_s') return v !== 1200;
  if (key === 'addresses_per_group') return v !== 64;
  return true;
}

function checkZone(c: Checker, segments: readonly Segment[]): void {
  const names = new Set(segments.map((s) => s.name));
  const owner = new Map<string, string>();
  segments.forEach((segment, i) => {
    segment.interfaces.forEach((name, j) => {
      const at = pointer('segments', i, 'interfaces', j);
      if (!c.ref(at, name)) return;
      const first = owner.get(name);
      if (first !== undefined) c.fail(at, 'an interface in only one segment', `${name} is already in ${first}`);
      else owner.set(name, `segment "${segment.name}" (${pointer('segments', i)})`);
    });
    segment.allow_from.forEach((from, j) => {
      const at = pointer('segments', i, 'allow_from', j);
      if (!names.has(from)) {
        const others = [...names].filter((n) => n !== segment.name);
        c.fail(at, `the name of another segment${others.length ? ` (${others.join(', ')})` : ''}`);
      } else if (from === segment.name) {
        c.fail(at, 'the name of another segment', 'traffic within a segment needs no allow_from');
      }
    });
  });
  // Group interfaces belong to their segment as much as its own interfaces do.
  segments.forEach((segment, i) => {
    if (segment.mode !== 'managed') return;
    segment.groups.forEach((g, j) => {
      const at = pointer('segments', i, 'groups', j, 'interface');
      if (!c.ref(at, g.interface, { kinds: ['port', 'vlan', 'bridge'] })) return;
      const first = owner.get(g.interface);
      if (first !== undefined) c.fail(at, 'an interface of one group only', `${g.interface} is already in ${first}`);
      else owner.set(g.interface, `group "${g.name}" (${pointer('segments', i, 'groups', j)})`);
    });
  });
}

/** A host address: inside [first, last] of `what`. `at` is called only on a failure (a segment may hold 10,000 hosts). */
function checkHostIp(c: Checker, at: () => string, ip: string, first: number, last: number, what: () => string, router?: number): void {
  const n = parseIpv4(ip);
  if (n === undefined) return;
  if (n < first || n > last) c.fail(at(), `an address of ${what()} (${formatIpv4(first)} to ${formatIpv4(last)})`, 'an IP outside its group or subnet would never be reachable through it');
  else if (router !== undefined && n === router) c.fail(at(), `a host address other than the router ${formatIpv4(router)}`, 'the router address is the box');
}

function checkStatic(c: Checker, s: Segment, i: number): void {
  const at = (...p: (string | number)[]): string => pointer('segments', i, ...p);
  if (s.subnet === undefined) {
    c.fail(at('subnet'), 'the subnet the hosts are on, like 192.0.2.0/24', 'a static segment serves DHCP on one subnet');
    return;
  }
  const net = parsePrefix(s.subnet)!;
  if (net.address !== net.network) c.fail(at('subnet'), 'a network with the host bits zero', `did you mean ${formatPrefix(net)}?`);
  if (net.length > 30) c.fail(at('subnet'), 'a subnet of at least 4 addresses (/30 or shorter)');
  if (s.interfaces.length !== 1) c.fail(at('interfaces'), 'exactly one interface in a static segment', 'DHCP is served on one interface; make one segment per interface');
  const ifname = s.interfaces[0]!;
  let router: number | undefined;
  if (s.router !== undefined) {
    router = parseIpv4(s.router);
    if (router !== undefined && (!contains(net, router) || router === net.network || router === net.broadcast)) c.fail(at('router'), `a host address in ${formatPrefix(net)}`);
  }
  // udhcpd answers from the interface's own address: it needs one in the subnet.
  const own = c.subnets(ifname).find((a) => overlaps(a.prefix, net) && a.prefix.length >= net.length);
  if (!own && !c.dhcpInterfaces.has(ifname)) c.fail(at('interfaces', 0), `an interface with a static address in ${formatPrefix(net)}`, `the DHCP server answers from it; add one under addresses (now: ${c.subnetList(ifname)})`);
  router ??= own?.prefix.address;
  s.hosts.forEach((h, k) => checkHostIp(c, () => at('hosts', k, 'ip'), h.ip, net.network + 1, net.broadcast - 1, () => formatPrefix(net), router));
  checkUnique(c, s.hosts, (h) => h.ip, (k) => at('hosts', k, 'ip'), 'an address given to one host', (j) => `already the address of ${at('hosts', j)}`);
}

function checkManaged(c: Checker, s: Segment, i: number, segments: readonly Segment[]): void {
  const at = (...p: (string | number)[]): string => pointer('segments', i, ...p);
  if (s.subnet === undefined) {
    c.fail(at('subnet'), 'the range the groups\' subnets are carved from, like 198.51.100.0/24');
    return;
  }
  const range = parsePrefix(s.subnet)!;
  if (range.address !== range.network) c.fail(at('subnet'), 'a network with the host bits zero', `did you mean ${formatPrefix(range)}?`);
  const capacity = groupCapacity(s);
  if (capacity === 0) c.fail(at('addresses_per_group'), `at most the range's ${2 ** (32 - range.length)} addresses`);
  checkUnique(c, s.groups, (g) => g.name, (j) => at('groups', j, 'name'), 'a group name used once in the segment', (j) => `already the name of ${at('groups', j)}`);
  checkUnique(c, s.groups, (g) => String(g.id), (j) => at('groups', j, 'id'), 'a group id used once in the segment', (j) => `already the id of ${at('groups', j)}`);
  const names = s.groups.map((g) => g.name);
  // Where each host address is (groups j, host k), its pointer made only when an error names it.
  const hostIps = new Map<string, [number, number]>();
  s.groups.forEach((g, j) => {
    const net = groupNet(s, g.id);
    if (net === undefined) {
      c.fail(at('groups', j, 'id'), `a group id from 0 to ${capacity - 1}`, `${s.subnet} holds ${capacity} groups of ${s.addresses_per_group} addresses`);
    } else {
      g.hosts.forEach((h, k) => checkHostIp(c, () => at('groups', j, 'hosts', k, 'ip'), h.ip, net.firstHost, net.lastHost, () => `group ${g.name}'s subnet ${net.cidr}`));
    }
    g.hosts.forEach((h, k) => {
      const first = hostIps.get(h.ip);
      if (first !== undefined) c.fail(at('groups', j, 'hosts', k, 'ip'), 'an address given to one host', `already the address of ${at('groups', first[0], 'hosts', first[1])}`);
      else hostIps.set(h.ip, [j, k]);
    });
    g.rules.forEach((r, k) => {
      const rat = (key?: string): string => (key ? at('groups', j, 'rules', k, key) : at('groups', j, 'rules', k));
      if ((r.source === undefined) === (r.group === undefined)) c.fail(rat(), 'one of source (a network) or group (another group\'s name)', 'a rule opens the group to one source');
      if (r.group !== undefined && !names.includes(r.group)) {
        const near = closest(r.group, names);
        c.fail(rat('group'), `the name of a group of segment "${s.name}"`, near.length ? `did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : `groups: ${names.join(', ') || 'none'}`);
      }
      if (r.source !== undefined) c.network(rat('source'), r.source);
      if (r.ports !== undefined) {
        if (r.protocol !== 'tcp' && r.protocol !== 'udp') c.fail(rat('ports'), 'no ports unless protocol is tcp or udp', `protocol is ${r.protocol}`);
        else if (typeof r.ports === 'string') {
          const [low, high] = r.ports.split('-').map(Number);
          if (low === undefined || high === undefined || low < 1 || high > 65535 || low > high) c.fail(rat('ports'), 'a port range low-high with 1 <= low <= high <= 65535');
        }
      }
    });
  });
  if (s.metadata !== undefined) c.neighbour(at('metadata', 'to'), s.metadata.to, 'the metadata server', { onLink: false });
  const pub = s.public;
  if (pub === undefined) return;
  c.ref(at('public', 'interface'), pub.interface);
  const pool = expandPool(pub.pool);
  if (pool.tooLarge) c.fail(at('public', 'pool'), `at most ${POOL_MAX} public addresses`);
  pub.pool.forEach((entry, k) => {
    const p = parsePrefix(entry);
    if (p && overlaps(p, range)) c.fail(at('public', 'pool', k), `public addresses outside the segment's range ${formatPrefix(range)}`);
    const other = segments.findIndex((o) => o !== s && o.public?.pool.some((e) => { const q = parsePrefix(e); return q !== undefined && overlaps(p!, q); }));
    if (p && other >= 0) c.fail(at('public', 'pool', k), 'public addresses of this segment only', `they overlap the pool of ${pointer('segments', other, 'public', 'pool')}`);
  });
  const inPool = new Set(pool.addresses);
  pub.assign.forEach((a, k) => {
    if (!inPool.has(a.address)) c.fail(at('public', 'assign', k, 'address'), `an address from the pool (${pub.pool.join(', ') || 'empty'})`);
    if (!hostIps.has(a.host)) c.fail(at('public', 'assign', k, 'host'), `the address of a host in one of segment "${s.name}"'s groups`, 'a public address maps onto a known host');
  });
  checkUnique(c, pub.assign, (a) => a.address, (k) => at('public', 'assign', k, 'address'), 'a public address mapped once', (j, key) => `${key} is already mapped by ${at('public', 'assign', j)}`);
  checkUnique(c, pub.assign, (a) => a.host, (k) => at('public', 'assign', k, 'host'), 'a host with one public address', (j, key) => `${key} already has ${at('public', 'assign', j)}`);
}

/** managed_novlan: one L2 segment, every group on it (their subnets tell them apart). */
function checkNoVlan(c: Checker, s: Segment, i: number): void {
  if (s.interfaces.length !== 1) c.fail(pointer('segments', i, 'interfaces'), 'exactly one interface in a managed_novlan segment', 'its groups share one L2 segment; use mode managed for a VLAN per group');
  const ifname = s.interfaces[0]!;
  s.groups.forEach((g, j) => {
    if (g.interface !== ifname) c.fail(pointer('segments', i, 'groups', j, 'interface'), `the segment's interface ${ifname}`, 'in managed_novlan every group is on the segment\'s one interface; use mode managed for a VLAN per group');
  });
}

export function checkSegments(c: Checker): void {
  const segments = c.config.segments;
  checkUnique(c, segments, (s) => s.name, (i) => pointer('segments', i, 'name'), 'a segment name used once', (j) => `already the name of ${pointer('segments', j)}`);
  checkZone(c, segments);
  const subnets: Array<{ prefix: Ipv4Prefix; at: string }> = [];
  const macs = new Map<string, () => string>();
  segments.forEach((s, i) => {
    for (const key of ALL_FIELDS) {
      if (!MODE_FIELDS[s.mode].includes(key) && hasValue(s, key)) c.fail(pointer('segments', i, key), `no ${key} in a ${s.mode} segment`, `${key} is used by mode ${Object.entries(MODE_FIELDS).filter(([, f]) => f.includes(key)).map(([m]) => m).join(' or ')}`);
    }
    if (s.vrrp !== undefined && s.mode !== 'system') {
      const instances = (c.config.vrrp?.instances ?? []).map((x) => x.name);
      if (!instances.includes(s.vrrp)) {
        const near = closest(s.vrrp, instances);
        c.fail(pointer('segments', i, 'vrrp'), 'the name of a VRRP instance', near.length ? `did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : `instances: ${instances.join(', ') || 'none'}`);
      }
    }
    if (s.mode === 'static') checkStatic(c, s, i);
    if (s.mode === 'managed' || s.mode === 'managed_novlan') checkManaged(c, s, i, segments);
    if (s.mode === 'managed_novlan') checkNoVlan(c, s, i);
    if (s.subnet !== undefined && s.mode !== 'system') {
      const p = parsePrefix(s.subnet)!;
      const clash = subnets.find((o) => overlaps(o.prefix, p));
      if (clash) c.fail(pointer('segments', i, 'subnet'), 'a subnet that overlaps no other segment\'s', `${formatPrefix(p)} overlaps ${formatPrefix(clash.prefix)} (${clash.at})`);
      subnets.push({ prefix: p, at: pointer('segments', i, 'subnet') });
    }
    // Pointers made only for an error: a segment may hold 10,000 hosts.
    const seen = (mac: string, at: () => string): void => {
      const key = mac.toLowerCase();
      const first = macs.get(key);
      if (first !== undefined) c.fail(at(), 'a MAC address given once', `${key} is already ${first()}`);
      else macs.set(key, at);
    };
    s.hosts.forEach((h, k) => seen(h.mac, () => pointer('segments', i, 'hosts', k, 'mac')));
    s.groups.forEach((g, j) => g.hosts.forEach((h, k) => seen(h.mac, () => pointer('segments', i, 'groups', j, 'hosts', k, 'mac'))));
  });
}
