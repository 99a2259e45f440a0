// The DHCP servers a config asks for (one busybox udhcpd per served interface: udhcpd serves
// one interface with one set of options) and each one's udhcpd.conf. A server's config text is
// its identity: the daemon restarts a server only when its text changes, and a restart keeps
// the leases (udhcpd writes its lease file on SIGTERM and reads it at start).
import { formatIpv4, maskOf, parseIpv4, parsePrefix } from '../common/index.ts';
import type { Config, SegmentHost } from '../config/index.ts';
import { groupNet } from './carve.ts';

export interface DhcpServer {
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
    const base = { segment: segment.name, dns: segment.dns, leaseS: segment.lease_s };
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
    } else if (segment.mode === 'managed') {
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
