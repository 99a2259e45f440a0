// `ctl segments`: per segment its mode, DHCP servers, groups with their subnets, hosts with
// MAC/IP and lease state, and the public address map. Pure: the daemon passes in what it read.
import type { Config } from '../config/index.ts';
import { groupNet, hasGroups } from './carve.ts';
import type { Lease } from './leases.ts';

export interface HostView { readonly mac: string; readonly ip: string; readonly name?: string; readonly lease: string }
export interface GroupView { readonly name: string; readonly id: number; readonly interface: string; readonly subnet: string; readonly rules: number; readonly hosts: HostView[] }
export interface SegmentView {
  readonly name: string;
  readonly mode: string;
  readonly dhcp: { readonly interface: string; readonly pid: number | null }[];
  readonly hosts: HostView[];
  readonly groups: GroupView[];
  readonly public: { readonly address: string; readonly host: string }[];
}
export interface SegmentsView {
  readonly segments: SegmentView[];
  /** The last apply's outcome (null when none failed). */
  readonly error: string | null;
}

function leaseText(host: { mac: string; ip: string }, leases: readonly Lease[], nowS: number): string {
  const l = leases.find((x) => x.mac === host.mac.toLowerCase());
  if (!l) return 'no lease';
  if (l.ip !== host.ip) return `leased ${l.ip} (not its fixed address)`;
  return l.expires > nowS ? `leased, ${l.expires - nowS} s left` : 'lease expired';
}

export function segmentsView(
  config: Config,
  dhcp: ReadonlyMap<string, { pid: number | null; leases: readonly Lease[] }>,
  nowS: number,
  error: string | null,
): SegmentsView {
  return {
    error,
    segments: config.segments.map((s) => {
      const ifs = s.mode === 'static' || s.mode === 'managed_novlan' ? s.interfaces.slice(0, 1) : s.mode === 'managed' ? s.groups.map((g) => g.interface) : [];
      const leasesOf = (ifname: string): readonly Lease[] => dhcp.get(ifname)?.leases ?? [];
      const host = (ifname: string) => (h: { mac: string; ip: string; name?: string }): HostView => ({ mac: h.mac.toLowerCase(), ip: h.ip, ...(h.name ? { name: h.name } : {}), lease: leaseText(h, leasesOf(ifname), nowS) });
      return {
        name: s.name,
        mode: s.mode,
        dhcp: ifs.map((i) => ({ interface: i, pid: dhcp.get(i)?.pid ?? null })),
        hosts: s.mode === 'static' ? s.hosts.map(host(s.interfaces[0]!)) : [],
        groups: hasGroups(s) ? s.groups.map((g) => ({
          name: g.name, id: g.id, interface: g.interface, subnet: groupNet(s, g.id)?.cidr ?? '?', rules: g.rules.length, hosts: g.hosts.map(host(g.interface)),
        })) : [],
        public: (s.public?.assign ?? []).map((a) => ({ address: a.address, host: a.host })),
      };
    }),
  };
}

/**
 * `counters`: packets per config pointer (the firewall's rule counters, summed per pointer), so
 * each group shows what its rules let in and each public address what it translated.
 */
export function formatSegments(view: SegmentsView, counters?: ReadonlyMap<string, number>): string {
  const sum = (prefix: string): number => [...(counters ?? [])].filter(([p]) => p.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
  const lines: string[] = [];
  if (view.error !== null) lines.push(`last apply failed: ${view.error}`);
  if (view.segments.length === 0) lines.push('no segments configured');
  view.segments.forEach((s, si) => {
    lines.push(`segment ${s.name} (${s.mode})`);
    for (const d of s.dhcp) lines.push(`  dhcp on ${d.interface}: ${d.pid === null ? 'not running' : `udhcpd pid ${d.pid}`}`);
    const hostLine = (h: HostView, indent: string): string => `${indent}${h.mac}  ${h.ip.padEnd(15)}  ${h.lease}${h.name ? `  (${h.name})` : ''}`;
    for (const h of s.hosts) lines.push(hostLine(h, '  '));
    s.groups.forEach((g, gi) => {
      const let_in = counters ? `, ${sum(`/segments/${si}/groups/${gi}/rules/`)} packets let in by them` : '';
      lines.push(`  group ${g.name} id ${g.id} on ${g.interface}: ${g.subnet}, ${g.rules} rule(s)${let_in}, ${g.hosts.length} host(s)`);
      for (const h of g.hosts) lines.push(hostLine(h, '    '));
    });
    s.public.forEach((p, k) => lines.push(`  public ${p.address} -> ${p.host}${counters ? ` (${sum(`/segments/${si}/public/assign/${k}`)} packets translated)` : ''}`));
  });
  return lines.join('\n') + '\n';
}
