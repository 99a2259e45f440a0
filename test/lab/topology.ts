// Lab topology: the declarative shape of a lab and its validation. Pure: nothing here touches the
// kernel, so a bad topology is rejected before a single namespace exists.

import { parseIpv4 } from '../../src/common/ipv4.ts';

/** The product's own parser: the lab accepts exactly the addresses the config does. */
export const ipv4ToInt = parseIpv4;

export interface Topology {
  /** One network namespace per host. */
  hosts: string[];
  /** veth pairs between "host:ifname" endpoints, e.g. ['a:eth0', 'b:eth0']. */
  links?: Array<[string, string]>;
  /** Linux bridge inside host `at` enslaving those ifnames (which must come from links). */
  bridges?: Array<{
    at: string;
    name: string;
    ports: string[];
    /** Let bridged frames through the host's iptables where br_netfilter is loaded. Default off. */
    netfilter?: boolean;
  }>;
  /** "host:ifname" -> IPv4 CIDRs, documentation ranges only. ifname may be a link, a bridge or lo. */
  addresses?: Record<string, string[]>;
  /** host -> `ip route add` argument strings, e.g. 'default via 192.0.2.1'. */
  routes?: Record<string, string[]>;
  /** host -> net.* sysctl assignments set inside that namespace, e.g. 'net.ipv4.ip_forward=1'. */
  sysctls?: Record<string, string[]>;
  /** Keep IPv6 on. Default off: no router solicitations, DAD or MLD noise on the links. */
  ipv6?: boolean;
}

/** The only IPv4 space a lab may use (RFC 5737). */
export const DOC_RANGES: ReadonlyArray<{ net: number; len: number; text: string }> = [
  { net: ipv4ToInt('192.0.2.0')!, len: 24, text: '192.0.2.0/24' },
  { net: ipv4ToInt('198.51.100.0')!, len: 24, text: '198.51.100.0/24' },
  { net: ipv4ToInt('203.0.113.0')!, len: 24, text: '203.0.113.0/24' },
];

/** IFNAMSIZ is 16 including the NUL. */
export const MAX_IFNAME = 15;
/** Keeps namespace names short and greppable; the sweep parses them back. */
const HOST_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$/;
// The kernel forbids '/', ':' and whitespace; we also keep to a plain charset so names survive
// `ip` argument parsing and our "host:ifname" keys.
const IFNAME_RE = /^[A-Za-z0-9_.-]+$/;
// Only net.*: the keys a network namespace has its own copy of. kernel.*, vm.* and the like are
// global, and writing them "inside" a lab would change the host.
const SYSCTL_RE = /^net\.[A-Za-z0-9_.\/-]+=\S.*$/;

/** Why `text` (an address or CIDR) is not inside a documentation range, or undefined when it is. */
export function docRangeProblem(text: string): string | undefined {
  const [addr, lenText, extra] = text.split('/');
  if (extra !== undefined || addr === undefined) return `'${text}' is not an IPv4 address or CIDR`;
  const ip = ipv4ToInt(addr);
  if (ip === undefined) return `'${text}' is not an IPv4 address or CIDR`;
  let len = 32;
  if (lenText !== undefined) {
    if (!/^[0-9]{1,2}$/.test(lenText) || Number(lenText) > 32) return `'${text}' has a bad prefix length`;
    len = Number(lenText);
  }
  const range = DOC_RANGES.find((r) => Math.floor(ip / 256) === r.net / 256);
  const allowed = DOC_RANGES.map((r) => r.text).join(', ');
  if (range === undefined) return `'${text}' is outside the documentation ranges (${allowed})`;
  // A shorter prefix would put a connected route over address space that is not ours.
  if (len < range.len) return `'${text}' reaches outside ${range.text} (prefix must be /${range.len} or longer)`;
  return undefined;
}

export function splitEndpoint(endpoint: string): { host: string; ifname: string } | undefined {
  const i = endpoint.indexOf(':');
  if (i <= 0 || i !== endpoint.lastIndexOf(':') || i === endpoint.length - 1) return undefined;
  return { host: endpoint.slice(0, i), ifname: endpoint.slice(i + 1) };
}

function ifnameProblem(ifname: string): string | undefined {
  if (ifname.length > MAX_IFNAME) return `interface name '${ifname}' is longer than ${MAX_IFNAME} characters`;
  if (!IFNAME_RE.test(ifname) || ifname === '.' || ifname === '..') return `interface name '${ifname}' has characters other than A-Z a-z 0-9 _ . -`;
  return undefined;
}

/** Every problem with the topology, in declaration order; empty when it is good. */
export function topologyProblems(t: Topology): string[] {
  const problems: string[] = [];
  const hosts = new Set<string>();
  if (!Array.isArray(t.hosts) || t.hosts.length === 0) problems.push('hosts: at least one host is needed');
  for (const h of t.hosts ?? []) {
    if (!HOST_RE.test(h)) problems.push(`host '${h}': names are 1-24 characters of A-Z a-z 0-9 _ - (not starting with _ or -)`);
    else if (hosts.has(h)) problems.push(`host '${h}' is listed twice`);
    hosts.add(h);
  }
  // Interfaces known per host; every host has lo.
  const ifaces = new Map<string, Set<string>>([...hosts].map((h) => [h, new Set(['lo'])]));
  const linkIfs = new Map<string, Set<string>>([...hosts].map((h) => [h, new Set<string>()]));
  const claim = (where: string, host: string, ifname: string): void => {
    const p = ifnameProblem(ifname);
    if (p) { problems.push(`${where}: ${p}`); return; }
    const set = ifaces.get(host)!;
    if (set.has(ifname)) problems.push(`${where}: host '${host}' already has an interface '${ifname}'`);
    set.add(ifname);
  };

  (t.links ?? []).forEach((link, i) => {
    if (!Array.isArray(link) || link.length !== 2) { problems.push(`links[${i}]: must be a pair of "host:ifname"`); return; }
    for (const end of link) {
      const ep = typeof end === 'string' ? splitEndpoint(end) : undefined;
      if (!ep) { problems.push(`links[${i}]: '${String(end)}' is not "host:ifname"`); continue; }
      if (!hosts.has(ep.host)) { problems.push(`links[${i}]: unknown host '${ep.host}' in '${end}'`); continue; }
      claim(`links[${i}]`, ep.host, ep.ifname);
      linkIfs.get(ep.host)!.add(ep.ifname);
    }
  });

  const enslaved = new Map<string, string>();
  (t.bridges ?? []).forEach((br, i) => {
    const where = `bridges[${i}]`;
    if (!hosts.has(br.at)) { problems.push(`${where}: unknown host '${br.at}'`); return; }
    claim(where, br.at, br.name);
    if (!Array.isArray(br.ports)) { problems.push(`${where}: ports must be a list of ifnames`); return; }
    for (const port of br.ports) {
      if (!linkIfs.get(br.at)!.has(port)) problems.push(`${where}: port '${port}' is not a link interface of host '${br.at}'`);
      const key = `${br.at}:${port}`;
      const prev = enslaved.get(key);
      if (prev !== undefined) problems.push(`${where}: port '${port}' is already in bridge '${prev}'`);
      enslaved.set(key, br.name);
    }
  });

  for (const [key, cidrs] of Object.entries(t.addresses ?? {})) {
    const ep = splitEndpoint(key);
    if (!ep) { problems.push(`addresses: key '${key}' is not "host:ifname"`); continue; }
    if (!hosts.has(ep.host)) { problems.push(`addresses: unknown host '${ep.host}' in '${key}'`); continue; }
    if (!ifaces.get(ep.host)!.has(ep.ifname)) problems.push(`addresses: host '${ep.host}' has no interface '${ep.ifname}'`);
    if (!Array.isArray(cidrs)) { problems.push(`addresses['${key}']: must be a list of CIDRs`); continue; }
    for (const c of cidrs) {
      if (!c.includes('/')) { problems.push(`addresses['${key}']: '${c}' needs a prefix length`); continue; }
      const p = docRangeProblem(c);
      if (p) problems.push(`addresses['${key}']: ${p}`);
    }
  }

  for (const [host, routes] of Object.entries(t.routes ?? {})) {
    if (!hosts.has(host)) { problems.push(`routes: unknown host '${host}'`); continue; }
    if (!Array.isArray(routes)) { problems.push(`routes['${host}']: must be a list of strings`); continue; }
    for (const r of routes) {
      const words = r.trim().split(/\s+/).filter(Boolean);
      if (words.length === 0) problems.push(`routes['${host}']: empty route`);
      // Any IPv4 address in the route (destination, gateway, src) must be documentation space.
      for (const w of words) {
        if (/^[0-9.]+(\/[0-9]+)?$/.test(w)) {
          const p = docRangeProblem(w);
          if (p) problems.push(`routes['${host}']: '${r}': ${p}`);
        }
      }
    }
  }

  for (const [host, list] of Object.entries(t.sysctls ?? {})) {
    if (!hosts.has(host)) { problems.push(`sysctls: unknown host '${host}'`); continue; }
    if (!Array.isArray(list)) { problems.push(`sysctls['${host}']: must be a list of key=value`); continue; }
    for (const s of list) if (!SYSCTL_RE.test(s)) problems.push(`sysctls['${host}']: '${s}' is not net.KEY=VALUE (only per-namespace net.* keys)`);
  }
  return problems;
}

export function validateTopology(t: Topology): void {
  const problems = topologyProblems(t);
  if (problems.length > 0) throw new Error(`invalid lab topology:\n  - ${problems.join('\n  - ')}`);
}
