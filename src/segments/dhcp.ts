// The DHCP servers a config asks for and their configs. busybox udhcpd serves one interface
// with one set of options (one subnet, one router): one per served interface of static and
// managed segments. A managed_novlan segment has several groups' subnets on one interface,
// which udhcpd cannot serve: Debian's dnsmasq serves them all, a tagged static range per group
// (only the fixed MAC -> IP map gets addresses), each with its own router. A server's config
// text is its identity: the daemon restarts a server only when its text changes, and a
// restart keeps the leases (both servers write their lease file and read it at start).
import { formatIpv4, maskOf, parseIpv4, parsePrefix } from '../common/index.ts';
import type { Config, SegmentHost } from '../config/index.ts';
import { groupNet, hasGroups } from './carve.ts';

export type DhcpProgram = 'udhcpd' | 'dnsmasq';

export interface DhcpServer {
  /** What serves it: dnsmasq for a managed_novlan segment's groups (all on one interface). */
  readonly program: DhcpProgram;
  /** The interface served (one server per interface). */
  readonly interface: string;
  /** Where it comes from: "/segments/0" or "/segments/0/groups/2". */
  readonly pointer: string;
  readonly segment: string;
  readonly group?: string;
  readonly subnet: string;
  readonly router: string;
  readonly dns: readonly string[];
  readonly leaseS: number;
  readonly first: string;
  readonly last: string;
  readonly hosts: readonly SegmentHost[];
}

export interface DhcpFiles {
  readonly leaseFile: string;
  readonly pidFile: string;
}

/** The box's own address inside `subnet` on `ifname`, from the config's static addresses. */
function ownAddress(config: Config, ifname: string, subnet: string): string | undefined {
  const net = parsePrefix(subnet);
  if (net === undefined) return undefined;
  for (const entry of config.addresses) {
    if (entry.interface !== ifname) continue;
    for (const cidr of entry.static) {
      const p = parsePrefix(cidr);
      if (p && ((p.address & maskOf(net.length)) >>> 0) === net.network) return formatIpv4(p.address);
    }
  }
  return undefined;
}

export function dhcpServers(config: Config): DhcpServer[] {
  const out: DhcpServer[] = [];
  config.segments.forEach((segment, i) => {
    const base = { segment: segment.name, dns: segment.dns, leaseS: segment.lease_s, program: segment.mode === 'managed_novlan' ? 'dnsmasq' as const : 'udhcpd' as const };
    if (segment.mode === 'static' && segment.subnet !== undefined) {
      const ifname = segment.interfaces[0]!;
      const net = parsePrefix(segment.subnet)!;
      const router = segment.router ?? ownAddress(config, ifname, segment.subnet);
      if (router === undefined) return;
      // The usual layout (router at .1) leaves it out of the range.
      const first = parseIpv4(router) === net.network + 1 ? net.network + 2 : net.network + 1;
      out.push({
        ...base, interface: ifname, pointer: `/segments/${i}`, subnet: segment.subnet, router,
        first: formatIpv4(first), last: formatIpv4(net.broadcast - 1), hosts: segment.hosts,
      });
    } else if (hasGroups(segment)) {
      segment.groups.forEach((group, j) => {
        const net = groupNet(segment, group.id);
        if (net === undefined) return;
        out.push({
          ...base, group: group.name, interface: group.interface, pointer: `/segments/${i}/groups/${j}`, subnet: net.cidr,
          router: formatIpv4(net.router), first: formatIpv4(net.firstHost), last: formatIpv4(net.lastHost), hosts: group.hosts,
        });
      });
    }
  });
  return out;
}

/** udhcpd.conf for one server (busybox 1.35's keywords). */
export function udhcpdConfig(server: DhcpServer, files: DhcpFiles): string {
  const net = parsePrefix(server.subnet)!;
  const size = (parseIpv4(server.last)! - parseIpv4(server.first)!) + 1;
  const lines = [
    `# stockade: ${server.pointer} (segment ${server.segment}${server.group !== undefined ? `, group ${server.group}` : ''}); generated, edits are overwritten`,
    `interface ${server.interface}`,
    `start ${server.first}`,
    `end ${server.last}`,
    `max_leases ${size}`,
    `lease_file ${files.leaseFile}`,
    `pidfile ${files.pidFile}`,
    // Leases are written every minute as well as at SIGTERM, so a kill -9 loses at most a minute.
    'auto_time 60',
    `opt subnet ${formatIpv4(maskOf(net.length))}`,
    `opt router ${server.router}`,
    ...(server.dns.length > 0 ? [`opt dns ${server.dns.join(' ')}`] : []),
    `opt lease ${server.leaseS}`,
    ...server.hosts.map((h) => `static_lease ${h.mac.toLowerCase()} ${h.ip}`),
  ];
  return lines.join('\n') + '\n';
}

/**
 * dnsmasq's config for the servers (groups) on one interface (dnsmasq 2.90's options): DHCP
 * only (port=0: no DNS), bound to the interface so other servers on other interfaces keep
 * theirs, one `static` range per group tagged with the group's id, its options for that tag,
 * and the fixed map. dnsmasq picks a request's range from the interface's addresses, so the
 * box holds each group's router address there.
 */
export function dnsmasqConfig(servers: readonly DhcpServer[], files: DhcpFiles): string {
  const first = servers[0]!;
  const lines = [
    `# stockade: ${first.pointer.replace(/\/groups\/\d+$/, '')} (segment ${first.segment}); generated, edits are overwritten`,
    `interface=${first.interface}`,
    'bind-interfaces',
    'port=0',
    'no-resolv',
    'no-hosts',
    'dhcp-authoritative',
    'user=root',
    `dhcp-leasefile=${files.leaseFile}`,
    `pid-file=${files.pidFile}`,
  ];
  servers.forEach((s, n) => {
    const net = parsePrefix(s.subnet)!;
    const tag = `g${n}`;
    lines.push(
      `# ${s.pointer}${s.group !== undefined ? ` (group ${s.group})` : ''}`,
      `dhcp-range=set:${tag},${formatIpv4(net.network)},static,${formatIpv4(maskOf(net.length))},${s.leaseS}`,
      `dhcp-option=tag:${tag},option:router,${s.router}`,
      ...(s.dns.length > 0 ? [`dhcp-option=tag:${tag},option:dns-server,${s.dns.join(',')}`] : []),
      ...s.hosts.map((h) => `dhcp-host=${h.mac.toLowerCase()},${h.ip}`),
    );
  });
  return lines.join('\n') + '\n';
}

/** The config text of the server for `servers` (all on one interface, of one program). */
export function dhcpdConfig(servers: readonly DhcpServer[], files: DhcpFiles): string {
  return servers[0]!.program === 'dnsmasq' ? dnsmasqConfig(servers, files) : udhcpdConfig(servers[0]!, files);
}

/** The servers grouped by interface: one server process each. */
export function dhcpByInterface(servers: readonly DhcpServer[]): Map<string, DhcpServer[]> {
  const out = new Map<string, DhcpServer[]>();
  for (const s of servers) out.set(s.interface, [...(out.get(s.interface) ?? []), s]);
  return out;
}
