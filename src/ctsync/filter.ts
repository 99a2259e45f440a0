// Which kernel connections are synced: pure predicates over a SyncEntry, compiled once from the
// config. Like conntrackd's "Filter From Userspace": an address (the box's own, configured CIDRs)
// matches a connection's original source or reply source, as conntrackd tests them, so a
// client's flow SNATed to a VIP is still synced while the box's own connections are not;
// protocols and TCP states are accept or ignore lists.
import { parseIpv4 } from '../common/ipv4.ts';
import type { SyncEntry } from './wire/codec.ts';
import { IPPROTO_TCP } from './wire/constants.ts';

export type FilterVerdict = 'sync' | 'ignored-address' | 'ignored-protocol' | 'ignored-state';

export interface FilterConfig {
  /** Addresses or CIDRs (a.b.c.d or a.b.c.d/n). */
  ignoreAddresses?: readonly string[];
  /** IP protocol numbers never synced. */
  ignoreProtocols?: readonly number[];
  /** If set, only these protocols are synced. */
  protocols?: readonly number[];
  /** If set, TCP connections are synced only in these TCP_CONNTRACK_* states. */
  tcpStates?: readonly number[];
}

interface Net { base: number; mask: number }

export interface CompiledFilter {
  readonly nets: readonly Net[];
  readonly ignoreProtocols: ReadonlySet<number>;
  readonly protocols: ReadonlySet<number> | undefined;
  readonly tcpStates: ReadonlySet<number> | undefined;
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

export function compileFilter(cfg: FilterConfig): CompiledFilter {
  return {
    nets: (cfg.ignoreAddresses ?? []).map(parseNet),
    ignoreProtocols: new Set(cfg.ignoreProtocols ?? []),
    protocols: cfg.protocols === undefined ? undefined : new Set(cfg.protocols),
    tcpStates: cfg.tcpStates === undefined ? undefined : new Set(cfg.tcpStates),
  };
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
  // The reply source is the original destination unless DNAT changed it.
  if (f.nets.length > 0 && (inNets(f.nets, e.src) || inNets(f.nets, e.dnat ?? e.dst))) {
    return 'ignored-address';
  }
  if (e.proto === IPPROTO_TCP && f.tcpStates !== undefined && (e.tcpState === undefined || !f.tcpStates.has(e.tcpState))) {
    return 'ignored-state';
  }
  return 'sync';
}
