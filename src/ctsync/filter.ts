// Which kernel connections are synced: pure predicates over a SyncEntry, compiled once from the
// config. Like conntrackd's "Filter From Userspace": an address (the box's own, configured CIDRs)
// matches a connection's original source or reply source, as conntrackd tests them, so a
// client's flow SNATed to a VIP is still synced while the box's own connections are not;
// protocols and TCP states are accept or ignore lists. keepDestinations keeps the LVS-NAT virtual
// services of the config (from-config.ts): IPVS rewrites a flow's reply tuple to its real server
// without setting IPS_DST_NAT (convert.ts), so such an entry's destination is the VIP, an own
// address. Its reply source (the real server, carried as DNAT) counts only for a kept service:
// a service the config does not have (ipvsadm's) stays the box's own, as does an IPVS entry
// without a real server (one-packet scheduling, which IPVS leaves untouched).
import { isIpv6Text, parseIpv4, parseIpv6 } from '../common/index.ts';
import { isIpvsNat } from './convert.ts';
import type { SyncEntry } from './wire/codec.ts';
import { IPPROTO_TCP } from './wire/constants.ts';

export type FilterVerdict = 'sync' | 'ignored-address' | 'ignored-protocol' | 'ignored-state';

export interface FilterConfig {
  /** Addresses or CIDRs (a.b.c.d or a.b.c.d/n; IPv6 likewise). */
  ignoreAddresses?: readonly string[];
  /** IP protocol numbers never synced. */
  ignoreProtocols?: readonly number[];
  /** If set, only these protocols are synced. */
  protocols?: readonly number[];
  /** If set, TCP connections are synced only in these TCP_CONNTRACK_* states. */
  tcpStates?: readonly number[];
  /** Virtual services (protocol, VIP, port; port 0: every port): connections to them are synced
   * although the VIP is the box's own address. */
  keepDestinations?: ReadonlyArray<{ proto: number; address: string; port: number }>;
}

interface Net { base: number; mask: number }
interface Net6 { bytes: Buffer; len: number }

export interface CompiledFilter {
  readonly nets: readonly Net[];
  readonly nets6: readonly Net6[];
  readonly ignoreProtocols: ReadonlySet<number>;
  readonly protocols: ReadonlySet<number> | undefined;
  readonly tcpStates: ReadonlySet<number> | undefined;
  /** "proto address port" of keepDestinations. */
  readonly keep: ReadonlySet<string>;
}

/** a.b.c.d as an unsigned 32-bit number, or undefined. */
export const ipv4Number = parseIpv4;

export function parseNet(text: string): Net {
  const [addr, lenText] = text.split('/');
  const a = ipv4Number(addr ?? '');
  const len = lenText === undefined ? 32 : Number(lenText);
  if (a === undefined || !Number.isInteger(len) || len < 0 || len > 32 || lenText === '') throw new RangeError(`not an IPv4 address or CIDR: ${text}`);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { base: (a & mask) >>> 0, mask };
}

export function parseNet6(text: string): Net6 {
  const [addr, lenText] = text.split('/');
  const bytes = parseIpv6(addr ?? '');
  const len = lenText === undefined ? 128 : Number(lenText);
  if (bytes === undefined || !Number.isInteger(len) || len < 0 || len > 128 || lenText === '') throw new RangeError(`not an IPv6 address or CIDR: ${text}`);
  return { bytes, len };
}

function inNet6(n: Net6, a: Buffer): boolean {
  const whole = n.len >> 3;
  if (a.compare(n.bytes, 0, whole, 0, whole) !== 0) return false;
  const rest = n.len & 7;
  if (rest === 0) return true;
  const m = (0xff << (8 - rest)) & 0xff;
  return (a[whole]! & m) === (n.bytes[whole]! & m);
}

function inNets6(nets: readonly Net6[], addr: string | undefined): boolean {
  if (addr === undefined || nets.length === 0) return false;
  const a = parseIpv6(addr);
  return a !== undefined && nets.some((n) => inNet6(n, a));
}

export function compileFilter(cfg: FilterConfig): CompiledFilter {
  const all = cfg.ignoreAddresses ?? [];
  return {
    nets: all.filter((a) => !isIpv6Text(a)).map(parseNet),
    nets6: all.filter(isIpv6Text).map(parseNet6),
    ignoreProtocols: new Set(cfg.ignoreProtocols ?? []),
    protocols: cfg.protocols === undefined ? undefined : new Set(cfg.protocols),
    tcpStates: cfg.tcpStates === undefined ? undefined : new Set(cfg.tcpStates),
    keep: new Set((cfg.keepDestinations ?? []).map((d) => `${d.proto} ${d.address} ${d.port}`)),
  };
}

/** Whether `e` goes to a kept virtual service (its original destination, any port for port 0). */
function toKept(f: CompiledFilter, e: SyncEntry): boolean {
  return f.keep.size > 0 && (f.keep.has(`${e.proto} ${e.dst} ${e.dport ?? 0}`) || f.keep.has(`${e.proto} ${e.dst} 0`));
}

/** The reply source: the original destination unless DNAT (or, for a kept service, IPVS) changed it. */
function replySource(f: CompiledFilter, e: SyncEntry): string {
  if (e.dnat === undefined) return e.dst;
  return !isIpvsNat(e) || toKept(f, e) ? e.dnat : e.dst;
}

function inNets(nets: readonly Net[], addr: string | undefined): boolean {
  if (addr === undefined) return false;
  const a = ipv4Number(addr);
  if (a === undefined) return false;
  for (const n of nets) if (((a & n.mask) >>> 0) === n.base) return true;
  return false;
}

/** Whether to sync `e`, and if not, why. */
export function filterEntry(f: CompiledFilter, e: SyncEntry): FilterVerdict {
  if (f.protocols !== undefined && !f.protocols.has(e.proto)) return 'ignored-protocol';
  if (f.ignoreProtocols.has(e.proto)) return 'ignored-protocol';
  if (isIpv6Text(e.src)) {
    if (inNets6(f.nets6, e.src) || inNets6(f.nets6, replySource(f, e))) return 'ignored-address';
  } else if (f.nets.length > 0 && (inNets(f.nets, e.src) || inNets(f.nets, replySource(f, e)))) {
    return 'ignored-address';
  }
  if (e.proto === IPPROTO_TCP && f.tcpStates !== undefined && (e.tcpState === undefined || !f.tcpStates.has(e.tcpState))) {
    return 'ignored-state';
  }
  return 'sync';
}
