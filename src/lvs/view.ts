// The table as `ipvsadm -L -n` prints it, byte for byte (ipvsadm 1.31 list_all, print_title,
// print_service_entry, print_largenum, list_conn): people and ldirectord-era scripts parse this
// text. Also the JSON-able view the daemon serves (counters as numbers: 2^53 is plenty for display).
import { isIpv6, IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3 } from '../kernel/ipvs/index.ts';
import type { IpvsConnection, IpvsInfo, IpvsServiceKey, IpvsStats, IpvsTableService } from '../kernel/ipvs/index.ts';

export type StatsView = { [K in keyof IpvsStats]: number };

export interface DestView {
  address: string;
  port: number;
  forward: 'nat' | 'local' | 'tun' | 'dr';
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  activeConns: number;
  inactConns: number;
  persistConns: number;
  stats: StatsView;
}

export interface ServiceView {
  key: IpvsServiceKey;
  scheduler: string;
  flags: number;
  timeout: number;
  netmask: number;
  pe: string;
  stats: StatsView;
  dests: DestView[];
}

export interface TableView {
  info: IpvsInfo;
  services: ServiceView[];
}

function statsView(s: IpvsStats): StatsView {
  const out = {} as StatsView;
  for (const k of Object.keys(s) as Array<keyof IpvsStats>) out[k] = Number(s[k]);
  return out;
}

export function tableView(info: IpvsInfo, table: readonly IpvsTableService[]): TableView {
  return {
    info,
    services: table.map((s) => ({
      key: s.key, scheduler: s.scheduler, flags: s.flags, timeout: s.timeout, netmask: s.netmask, pe: s.pe, stats: statsView(s.stats),
      dests: s.dests.map((d) => ({
        address: d.address, port: d.port, forward: d.forward, weight: d.weight, upperThreshold: d.upperThreshold, lowerThreshold: d.lowerThreshold,
        activeConns: d.activeConns, inactConns: d.inactConns, persistConns: d.persistConns, stats: statsView(d.stats),
      })),
    })),
  };
}

export interface ListOptions {
  stats?: boolean;
  rate?: boolean;
  /** --exact: whole numbers instead of K/M/G/T. */
  exact?: boolean;
}

const PROTO_ORDER: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

function ipv4Number(a: string): number {
  const p = a.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

function addrCompare(a: string, b: string): number {
  if (!isIpv6(a) && !isIpv6(b)) return ipv4Number(a) - ipv4Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** ipvsadm's order: fwmark, family, protocol, address, port (libipvs ipvs_cmp_services). */
export function compareServices(a: { key: IpvsServiceKey }, b: { key: IpvsServiceKey }): number {
  const fa = 'fwmark' in a.key ? a.key.fwmark : 0;
  const fb = 'fwmark' in b.key ? b.key.fwmark : 0;
  if (fa !== fb) return fa - fb;
  const afa = 'fwmark' in a.key ? (a.key.family === 'inet6' ? 10 : 2) : isIpv6(a.key.address) ? 10 : 2;
  const afb = 'fwmark' in b.key ? (b.key.family === 'inet6' ? 10 : 2) : isIpv6(b.key.address) ? 10 : 2;
  if (afa !== afb) return afa - afb;
  if ('fwmark' in a.key || 'fwmark' in b.key) return 0;
  const p = PROTO_ORDER[a.key.protocol]! - PROTO_ORDER[b.key.protocol]!;
  if (p !== 0) return p;
  const ad = addrCompare(a.key.address, b.key.address);
  return ad !== 0 ? ad : a.key.port - b.key.port;
}

function compareDests(a: DestView, b: DestView): number {
  const ad = addrCompare(a.address, b.address);
  return ad !== 0 ? ad : a.port - b.port;
}

/** print_largenum: %9llu below 1e8, else %8llu with K, M, G or T. */
export function largeNum(n: number, exact = false): string {
  if (exact) {
    const s = String(n);
    return s.padStart(s.length <= 8 ? 9 : s.length + 1);
  }
  if (n < 1e8) return String(n).padStart(9);
  if (n < 1e9) return `${String(Math.floor(n / 1e3)).padStart(8)}K`;
  if (n < 1e11) return `${String(Math.floor(n / 1e6)).padStart(8)}M`;
  if (n < 1e14) return `${String(Math.floor(n / 1e9)).padStart(8)}G`;
  return `${String(Math.floor(n / 1e12)).padStart(8)}T`;
}

const FWD_NAME: Record<DestView['forward'], string> = { nat: 'Masq', local: 'Local', tun: 'Tunnel', dr: 'Route' };

function endpoint(address: string, port: number): string {
  return isIpv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

function serviceName(s: ServiceView): string {
  if ('fwmark' in s.key) return s.key.family === 'inet6' ? `FWM  ${s.key.fwmark} IPv6` : `FWM  ${s.key.fwmark}`;
  const name = `${s.key.protocol.toUpperCase().padEnd(4)} ${endpoint(s.key.address, s.key.port)}`;
  return isIpv6(s.key.address) ? name : name.slice(0, 33);
}

function schedFlags(s: ServiceView): string {
  const f: string[] = [];
  if (s.scheduler === 'sh' || s.scheduler === 'mh') {
    if (s.flags & IP_VS_SVC_F_SCHED1) f.push(`${s.scheduler}-fallback`);
    if (s.flags & IP_VS_SVC_F_SCHED2) f.push(`${s.scheduler}-port`);
  } else {
    if (s.flags & IP_VS_SVC_F_SCHED1) f.push('flag-1');
    if (s.flags & IP_VS_SVC_F_SCHED2) f.push('flag-2');
  }
  if (s.flags & IP_VS_SVC_F_SCHED3) f.push('flag-3');
  return f.join(',');
}

/** The persistence netmask as the kernel holds it (network order in a LE u32) in dotted form. */
function maskText(netmask: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(netmask >>> 0, 0);
  return [...b].join('.');
}

function serviceLine(s: ServiceView, o: ListOptions): string {
  const name = serviceName(s);
  const st = s.stats;
  if (o.stats) return name.padEnd(33) + [st.conns, st.inPkts, st.outPkts, st.inBytes, st.outBytes].map((n) => largeNum(n, o.exact)).join('') + '\n';
  if (o.rate) return name.padEnd(33) + [st.cps, st.inPps, st.outPps, st.inBps, st.outBps].map((n) => largeNum(n, o.exact)).join('') + '\n';
  let line = `${name} ${s.scheduler}`;
  const flags = schedFlags(s);
  if (flags !== '') line += ` (${flags})`;
  if (s.flags & IP_VS_SVC_F_PERSISTENT) {
    line += ` persistent ${s.timeout}`;
    const v6 = 'fwmark' in s.key ? s.key.family === 'inet6' : isIpv6(s.key.address);
    if (!v6 && s.netmask >>> 0 !== 0xffffffff) line += ` mask ${maskText(s.netmask)}`;
    if (v6 && s.netmask !== 128) line += ` mask ${s.netmask}`;
    if (s.pe !== '') line += ` pe ${s.pe}`;
  }
  if (s.flags & IP_VS_SVC_F_ONEPACKET) line += ' ops';
  return line + '\n';
}

function destLine(d: DestView, o: ListOptions): string {
  let name = endpoint(d.address, d.port);
  if (!isIpv6(d.address)) name = name.slice(0, 28);
  const st = d.stats;
  if (o.stats) return `  -> ${name.padEnd(28)}` + [st.conns, st.inPkts, st.outPkts, st.inBytes, st.outBytes].map((n) => largeNum(n, o.exact)).join('') + '\n';
  if (o.rate) return `  -> ${name.padEnd(28)}` + [st.cps, st.inPps, st.outPps, st.inBps, st.outBps].map((n) => largeNum(n, o.exact)).join('') + '\n';
  return `  -> ${name.padEnd(28)} ${FWD_NAME[d.forward].padEnd(7)} ${String(d.weight).padEnd(6)} ${String(d.activeConns).padEnd(10)} ${String(d.inactConns).padEnd(10)}\n`;
}

/** `ipvsadm -L -n` [--stats | --rate] [--exact]. */
export function formatIpvsadmList(t: TableView, o: ListOptions = {}): string {
  const v = t.info.version;
  let out = `IP Virtual Server version ${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff} (size=${t.info.connTabSize})\n`;
  if (o.stats) out += `${'Prot LocalAddress:Port'.padEnd(33)} ${['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'].map((h) => h.padStart(8)).join(' ')}\n  -> RemoteAddress:Port\n`;
  else if (o.rate) out += `${'Prot LocalAddress:Port'.padEnd(33)} ${['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'].map((h) => h.padStart(8)).join(' ')}\n  -> RemoteAddress:Port\n`;
  else out += 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  for (const s of [...t.services].sort(compareServices)) {
    out += serviceLine(s, o);
    for (const d of [...s.dests].sort(compareDests)) out += destLine(d, o);
  }
  return out;
}

/** `ipvsadm -L -n -c`: the connection entries. */
export function formatIpvsadmConnections(conns: readonly IpvsConnection[]): string {
  let out = 'IPVS connection entries\npro expire state       source             virtual            destination\n';
  for (const c of conns) {
    const exp = `${String(Math.floor(c.expiresS / 60)).padStart(2, '0')}:${String(c.expiresS % 60).padStart(2, '0')}`;
    out += `${c.protocol.padEnd(3)} ${exp.padEnd(6)} ${c.state.padEnd(11)} ${endpoint(c.client.address, c.client.port).padEnd(18)} ${endpoint(c.virtual.address, c.virtual.port).padEnd(18)} ${endpoint(c.dest.address, c.dest.port)}\n`;
  }
  return out;
}
