// IPVS messages: the payloads (genlmsghdr + attributes) of every request, in the attribute order
// ipvsadm's libipvs writes them (so golden bytes captured from ipvsadm compare byte for byte), and
// the decoders of the kernel's replies (services, destinations with 64-bit stats, daemons, info,
// timeouts). Pure: bytes in, objects out. Addresses are text (IPv4 dotted, IPv6 RFC 5952).
import { attrNested, attrString, attrU16, attrU32, attrU64, attrU8, decodeAttributes, indexAttributes, putBe32, putU32, u16At, u32At, wantedTypes, AttributeEncoder } from '../netlink/attributes.ts';
import type { Attribute } from '../netlink/attributes.ts';
import { NetlinkParseError } from '../netlink/message.ts';
import { genlPayload, putGenlHeader } from '../netlink/genl.ts';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../../common/index.ts';
import * as K from './constants.ts';

export type IpvsProtocol = 'tcp' | 'udp' | 'sctp';
export type IpvsForward = 'nat' | 'local' | 'tun' | 'dr';
export type IpvsTunnelType = 'ipip' | 'gue' | 'gre';
export type IpvsTunnelCsum = 'nocsum' | 'csum' | 'remcsum';

/** What names a service: address + protocol + port, or a firewall mark (with its family). */
export type IpvsServiceKey =
  | { fwmark: number; family: 'inet' | 'inet6' }
  | { protocol: IpvsProtocol; address: string; port: number };

/** A service as written: everything NEW/SET_SERVICE carries. */
export interface IpvsServiceSpec {
  key: IpvsServiceKey;
  scheduler: string;
  /** IP_VS_SVC_F_* bits (persistent, one-packet, scheduler flags). */
  flags: number;
  /** Persistence timeout in seconds (0 without persistence). */
  timeout: number;
  /** Persistence netmask: for IPv4 a mask as a u32 (0xffffffff = /32); for IPv6 a prefix length. */
  netmask: number;
  /** Persistence engine ('' for none). */
  pe: string;
}

export interface IpvsStats {
  conns: bigint;
  inPkts: bigint;
  outPkts: bigint;
  inBytes: bigint;
  outBytes: bigint;
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
}

export interface IpvsService extends IpvsServiceSpec {
  stats: IpvsStats;
}

/** A destination as written: everything NEW/SET_DEST carries. */
export interface IpvsDestSpec {
  address: string;
  port: number;
  forward: IpvsForward;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  /** Tunnel settings; meaningful with forward 'tun'. */
  tunnel?: { type: IpvsTunnelType; port: number; csum: IpvsTunnelCsum };
}

export interface IpvsDest extends IpvsDestSpec {
  activeConns: number;
  inactConns: number;
  persistConns: number;
  stats: IpvsStats;
}

export interface IpvsInfo {
  /** e.g. 0x010201 = 1.2.1. */
  version: number;
  connTabSize: number;
}

export interface IpvsTimeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

export interface IpvsDaemonSpec {
  state: 'master' | 'backup';
  interface: string;
  syncId: number;
  maxLen?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

const PROTO_NUM: Record<IpvsProtocol, number> = { tcp: K.IPPROTO_TCP, udp: K.IPPROTO_UDP, sctp: K.IPPROTO_SCTP };
const FWD_NUM: Record<IpvsForward, number> = { nat: K.IP_VS_CONN_F_MASQ, local: K.IP_VS_CONN_F_LOCALNODE, tun: K.IP_VS_CONN_F_TUNNEL, dr: K.IP_VS_CONN_F_DROUTE };
const TUN_NUM: Record<IpvsTunnelType, number> = { ipip: K.IP_VS_CONN_F_TUNNEL_TYPE_IPIP, gue: K.IP_VS_CONN_F_TUNNEL_TYPE_GUE, gre: K.IP_VS_CONN_F_TUNNEL_TYPE_GRE };
const CSUM_NUM: Record<IpvsTunnelCsum, number> = { nocsum: K.IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM, csum: K.IP_VS_TUNNEL_ENCAP_FLAG_CSUM, remcsum: K.IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM };

function reverse<T extends string>(m: Record<T, number>): Map<number, T> {
  return new Map(Object.entries(m).map(([k, v]) => [v as number, k as T]));
}
const PROTO_NAME = reverse(PROTO_NUM);
const FWD_NAME = reverse(FWD_NUM);
const TUN_NAME = reverse(TUN_NUM);
const CSUM_NAME = reverse(CSUM_NUM);

export function isIpv6(address: string): boolean {
  return address.includes(':');
}

/** union nf_inet_addr: 16 bytes, IPv4 in the first 4 (network order), written in place. */
function putInetAddr(e: AttributeEncoder, type: number, address: string): void {
  let v6: Buffer | undefined;
  let v4 = 0;
  // Parsed before the attribute is added: a bad address adds nothing.
  if (isIpv6(address)) {
    v6 = parseIpv6(address);
    if (v6 === undefined) throw new RangeError(`not an IPv6 address: ${address}`);
  } else {
    const n = parseIpv4(address);
    if (n === undefined) throw new RangeError(`not an IPv4 address: ${address}`);
    v4 = n >>> 0;
  }
  const at = e.attr(type, K.NF_INET_ADDR_LEN);
  const b = e.buffer;
  if (v6 !== undefined) {
    b.set(v6, at);
    return;
  }
  // Byte stores, not fill() and writeUInt32BE(): two addresses in each of an apply's 11,000 writes.
  putBe32(b, at, v4);
  for (let k = at + 4; k < at + K.NF_INET_ADDR_LEN; k++) b[k] = 0;
}

function decodeInetAddr(a: Attribute, af: number): string {
  if (af === K.AF_INET6) {
    if (a.data.length < 16) throw new NetlinkParseError(`IPv6 address attribute of ${a.data.length} bytes`, 0);
    return formatIpv6(a.data);
  }
  if (a.data.length < 4) throw new NetlinkParseError(`IPv4 address attribute of ${a.data.length} bytes`, 0);
  return formatIpv4(a.data.readUInt32BE(0));
}

function keyFamily(key: IpvsServiceKey): number {
  if ('fwmark' in key) return key.family === 'inet6' ? K.AF_INET6 : K.AF_INET;
  return isIpv6(key.address) ? K.AF_INET6 : K.AF_INET;
}

/** The fields that name the service (all a GET_DEST dump carries). */
function putServiceKey(e: AttributeEncoder, key: IpvsServiceKey): void {
  e.u16(K.IPVS_SVC_ATTR_AF, keyFamily(key));
  if ('fwmark' in key) {
    e.u32(K.IPVS_SVC_ATTR_FWMARK, key.fwmark);
  } else {
    e.u16(K.IPVS_SVC_ATTR_PROTOCOL, PROTO_NUM[key.protocol]);
    putInetAddr(e, K.IPVS_SVC_ATTR_ADDR, key.address);
    e.be16(K.IPVS_SVC_ATTR_PORT, key.port);
  }
}

/**
 * The whole service, in libipvs' ipvs_nl_fill_service_attr order. ipvsadm sends it whole with
 * every command that names a service (the kernel reads only the key for DEL_SERVICE and the
 * destination commands); so do we, with its blanks (no scheduler, no flags, /32 mask).
 */
function putService(e: AttributeEncoder, s: IpvsServiceSpec): void {
  putServiceKey(e, s.key);
  e.string(K.IPVS_SVC_ATTR_SCHED_NAME, s.scheduler);
  if (s.pe !== '') e.string(K.IPVS_SVC_ATTR_PE_NAME, s.pe);
  const at = e.attr(K.IPVS_SVC_ATTR_FLAGS, 8);
  putU32(e.buffer, at, s.flags);
  putU32(e.buffer, at + 4, 0xffffffff); // mask: every flag is set to the given value
  e.u32(K.IPVS_SVC_ATTR_TIMEOUT, s.timeout);
  e.u32(K.IPVS_SVC_ATTR_NETMASK, s.netmask);
}

function blankService(key: IpvsServiceKey): IpvsServiceSpec {
  return { key, scheduler: '', flags: 0, timeout: 0, netmask: 0xffffffff, pe: '' };
}

const NO_TUNNEL = { type: 'ipip', port: 0, csum: 'nocsum' } as const;

/** The whole destination, in ipvs_nl_fill_dest_attr order (tunnel fields always, zero when unused). */
function putDest(e: AttributeEncoder, d: IpvsDestSpec): void {
  e.u16(K.IPVS_DEST_ATTR_ADDR_FAMILY, isIpv6(d.address) ? K.AF_INET6 : K.AF_INET);
  putInetAddr(e, K.IPVS_DEST_ATTR_ADDR, d.address);
  e.be16(K.IPVS_DEST_ATTR_PORT, d.port);
  e.u32(K.IPVS_DEST_ATTR_FWD_METHOD, FWD_NUM[d.forward]);
  e.u32(K.IPVS_DEST_ATTR_WEIGHT, d.weight);
  const t = d.forward === 'tun' ? d.tunnel ?? NO_TUNNEL : NO_TUNNEL;
  e.u8(K.IPVS_DEST_ATTR_TUN_TYPE, TUN_NUM[t.type]);
  e.be16(K.IPVS_DEST_ATTR_TUN_PORT, t.port);
  e.u16(K.IPVS_DEST_ATTR_TUN_FLAGS, CSUM_NUM[t.csum]);
  e.u32(K.IPVS_DEST_ATTR_U_THRESH, d.upperThreshold);
  e.u32(K.IPVS_DEST_ATTR_L_THRESH, d.lowerThreshold);
}

const v = K.IPVS_GENL_VERSION;

/** One write of an apply (the LVS plan's actions have this shape). */
export type IpvsWrite =
  | { op: 'add-service' | 'edit-service'; service: IpvsServiceSpec }
  | { op: 'del-service'; key: IpvsServiceKey }
  | { op: 'add-dest' | 'edit-dest'; key: IpvsServiceKey; dest: IpvsDestSpec }
  | { op: 'del-dest'; key: IpvsServiceKey; dest: Pick<IpvsDestSpec, 'address' | 'port'> };

const WRITE_CMD: Record<IpvsWrite['op'], number> = {
  'add-service': K.IPVS_CMD_NEW_SERVICE, 'edit-service': K.IPVS_CMD_SET_SERVICE, 'del-service': K.IPVS_CMD_DEL_SERVICE,
  'add-dest': K.IPVS_CMD_NEW_DEST, 'edit-dest': K.IPVS_CMD_SET_DEST, 'del-dest': K.IPVS_CMD_DEL_DEST,
};

/**
 * Appends a write's payload (genlmsghdr + attributes) to `e`: into a batch being built (an
 * apply's 11,000 writes, no buffer each) or alone (the payload functions below).
 */
export function putWrite(e: AttributeEncoder, w: IpvsWrite): void {
  putGenlHeader(e, WRITE_CMD[w.op], v);
  switch (w.op) {
    case 'add-service':
    case 'edit-service': {
      const at = e.begin(K.IPVS_CMD_ATTR_SERVICE);
      putService(e, w.service);
      e.end(at);
      return;
    }
    case 'del-service': {
      const at = e.begin(K.IPVS_CMD_ATTR_SERVICE);
      putService(e, blankService(w.key));
      e.end(at);
      return;
    }
    case 'add-dest':
    case 'edit-dest':
    case 'del-dest': {
      const svc = e.begin(K.IPVS_CMD_ATTR_SERVICE);
      putService(e, blankService(w.key));
      e.end(svc);
      const dest = e.begin(K.IPVS_CMD_ATTR_DEST);
      // DEL_DEST: the kernel reads only address and port; the rest carries ipvsadm's defaults (-g, weight 1).
      putDest(e, w.op === 'del-dest' ? { address: w.dest.address, port: w.dest.port, forward: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 } : w.dest);
      e.end(dest);
      return;
    }
  }
}

/** One write's payload alone (a single command; the golden-byte tests). */
export function writePayload(w: IpvsWrite): Buffer {
  const e = new AttributeEncoder();
  putWrite(e, w);
  return e.encode();
}

export function newServicePayload(s: IpvsServiceSpec): Buffer { return writePayload({ op: 'add-service', service: s }); }
export function setServicePayload(s: IpvsServiceSpec): Buffer { return writePayload({ op: 'edit-service', service: s }); }
export function delServicePayload(key: IpvsServiceKey): Buffer { return writePayload({ op: 'del-service', key }); }
export function getServicesPayload(): Buffer {
  return genlPayload(K.IPVS_CMD_GET_SERVICE, v);
}
/**
 * GET_SERVICE of one service (not a dump): the kernel reads only the key (ip_vs_genl_find_service)
 * and answers the service as a NEW_SERVICE message, or ESRCH. The key alone, as GET_DEST sends it.
 */
export function getServicePayload(key: IpvsServiceKey): Buffer {
  return genlPayload(K.IPVS_CMD_GET_SERVICE, v, (e) => e.nested(K.IPVS_CMD_ATTR_SERVICE, (n) => putServiceKey(n, key)));
}
export function getDestsPayload(key: IpvsServiceKey): Buffer {
  return genlPayload(K.IPVS_CMD_GET_DEST, v, (e) => e.nested(K.IPVS_CMD_ATTR_SERVICE, (n) => putServiceKey(n, key)));
}
export function newDestPayload(key: IpvsServiceKey, d: IpvsDestSpec): Buffer { return writePayload({ op: 'add-dest', key, dest: d }); }
export function setDestPayload(key: IpvsServiceKey, d: IpvsDestSpec): Buffer { return writePayload({ op: 'edit-dest', key, dest: d }); }
export function delDestPayload(key: IpvsServiceKey, d: Pick<IpvsDestSpec, 'address' | 'port'>): Buffer { return writePayload({ op: 'del-dest', key, dest: d }); }
export function flushPayload(): Buffer { return genlPayload(K.IPVS_CMD_FLUSH, v); }
export function getInfoPayload(): Buffer { return genlPayload(K.IPVS_CMD_GET_INFO, v); }
export function getConfigPayload(): Buffer { return genlPayload(K.IPVS_CMD_GET_CONFIG, v); }
export function getDaemonsPayload(): Buffer { return genlPayload(K.IPVS_CMD_GET_DAEMON, v); }

/** SET_CONFIG: a value left undefined (or 0) is left as the kernel has it. */
export function setTimeoutsPayload(t: Partial<IpvsTimeouts>): Buffer {
  return genlPayload(K.IPVS_CMD_SET_CONFIG, v, (e) => {
    if (t.tcp !== undefined) e.u32(K.IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp);
    if (t.tcpFin !== undefined) e.u32(K.IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcpFin);
    if (t.udp !== undefined) e.u32(K.IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp);
  });
}

export function newDaemonPayload(d: IpvsDaemonSpec): Buffer {
  return genlPayload(K.IPVS_CMD_NEW_DAEMON, v, (e) => e.nested(K.IPVS_CMD_ATTR_DAEMON, (n) => {
    n.u32(K.IPVS_DAEMON_ATTR_STATE, d.state === 'master' ? K.IP_VS_STATE_MASTER : K.IP_VS_STATE_BACKUP);
    n.string(K.IPVS_DAEMON_ATTR_MCAST_IFN, d.interface);
    n.u32(K.IPVS_DAEMON_ATTR_SYNC_ID, d.syncId);
    if (d.maxLen !== undefined) n.u16(K.IPVS_DAEMON_ATTR_SYNC_MAXLEN, d.maxLen);
    if (d.group !== undefined) {
      const g = parseIpv4(d.group);
      if (g === undefined) throw new RangeError(`not an IPv4 group: ${d.group}`);
      n.be32(K.IPVS_DAEMON_ATTR_MCAST_GROUP, g);
    }
    if (d.port !== undefined) n.be16(K.IPVS_DAEMON_ATTR_MCAST_PORT, d.port);
    if (d.ttl !== undefined) n.u8(K.IPVS_DAEMON_ATTR_MCAST_TTL, d.ttl);
  }));
}

/** The kernel reads only the state; the blank interface and id are what ipvsadm sends. */
export function delDaemonPayload(state: 'master' | 'backup'): Buffer {
  return genlPayload(K.IPVS_CMD_DEL_DAEMON, v, (e) => e.nested(K.IPVS_CMD_ATTR_DAEMON, (n) => {
    n.u32(K.IPVS_DAEMON_ATTR_STATE, state === 'master' ? K.IP_VS_STATE_MASTER : K.IP_VS_STATE_BACKUP);
    n.string(K.IPVS_DAEMON_ATTR_MCAST_IFN, '');
    n.u32(K.IPVS_DAEMON_ATTR_SYNC_ID, 0);
  }));
}

// ---- replies ----

function byType(attrs: readonly Attribute[]): Map<number, Attribute> {
  const m = new Map<number, Attribute>();
  for (const a of attrs) m.set(a.type, a);
  return m;
}

function need(m: Map<number, Attribute>, type: number, what: string): Attribute {
  const a = m.get(type);
  if (a === undefined) throw new NetlinkParseError(`IPVS reply without ${what}`, 0);
  return a;
}

const ZERO_STATS: IpvsStats = { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n };

/** STATS64 (all u64) if present, else the legacy STATS nest (u32 but the byte counters). */
function decodeStats(m: Map<number, Attribute>, stats64Type: number, statsType: number): IpvsStats {
  const s64 = m.get(stats64Type);
  const s = s64 ?? m.get(statsType);
  if (s === undefined) return { ...ZERO_STATS };
  const out = { ...ZERO_STATS };
  const num = (a: Attribute): bigint => (a.data.length === 8 ? attrU64(a) : BigInt(attrU32(a)));
  for (const a of attrNested(s)) {
    switch (a.type) {
      case K.IPVS_STATS_ATTR_CONNS: out.conns = num(a); break;
      case K.IPVS_STATS_ATTR_INPKTS: out.inPkts = num(a); break;
      case K.IPVS_STATS_ATTR_OUTPKTS: out.outPkts = num(a); break;
      case K.IPVS_STATS_ATTR_INBYTES: out.inBytes = num(a); break;
      case K.IPVS_STATS_ATTR_OUTBYTES: out.outBytes = num(a); break;
      case K.IPVS_STATS_ATTR_CPS: out.cps = num(a); break;
      case K.IPVS_STATS_ATTR_INPPS: out.inPps = num(a); break;
      case K.IPVS_STATS_ATTR_OUTPPS: out.outPps = num(a); break;
      case K.IPVS_STATS_ATTR_INBPS: out.inBps = num(a); break;
      case K.IPVS_STATS_ATTR_OUTBPS: out.outBps = num(a); break;
      default: break; // PAD, newer counters
    }
  }
  return out;
}

/** One service from a GET_SERVICE reply's attributes (after genlmsghdr); `stats` as for decodeDest. */
export function decodeService(attrs: Buffer, stats = true): IpvsService {
  const top = byType(decodeAttributes(attrs));
  const m = byType(attrNested(need(top, K.IPVS_CMD_ATTR_SERVICE, 'IPVS_CMD_ATTR_SERVICE')));
  const af = attrU16(need(m, K.IPVS_SVC_ATTR_AF, 'the service family'));
  const fw = m.get(K.IPVS_SVC_ATTR_FWMARK);
  let key: IpvsServiceKey;
  if (fw !== undefined && attrU32(fw) !== 0) {
    key = { fwmark: attrU32(fw), family: af === K.AF_INET6 ? 'inet6' : 'inet' };
  } else {
    const p = attrU16(need(m, K.IPVS_SVC_ATTR_PROTOCOL, 'the service protocol'));
    const protocol = PROTO_NAME.get(p);
    if (protocol === undefined) throw new NetlinkParseError(`IPVS service with protocol ${p}`, 0);
    const portAttr = need(m, K.IPVS_SVC_ATTR_PORT, 'the service port');
    if (portAttr.data.length !== 2) throw new NetlinkParseError('IPVS service port not 2 bytes', 0);
    key = { protocol, address: decodeInetAddr(need(m, K.IPVS_SVC_ATTR_ADDR, 'the service address'), af), port: portAttr.data.readUInt16BE(0) };
  }
  const flagsAttr = m.get(K.IPVS_SVC_ATTR_FLAGS);
  const pe = m.get(K.IPVS_SVC_ATTR_PE_NAME);
  return {
    key,
    scheduler: attrString(need(m, K.IPVS_SVC_ATTR_SCHED_NAME, 'the scheduler')),
    flags: flagsAttr !== undefined && flagsAttr.data.length >= 4 ? flagsAttr.data.readUInt32LE(0) : 0,
    timeout: m.has(K.IPVS_SVC_ATTR_TIMEOUT) ? attrU32(m.get(K.IPVS_SVC_ATTR_TIMEOUT)!) : 0,
    netmask: m.has(K.IPVS_SVC_ATTR_NETMASK) ? attrU32(m.get(K.IPVS_SVC_ATTR_NETMASK)!) : 0xffffffff,
    pe: pe !== undefined ? attrString(pe) : '',
    stats: stats ? decodeStats(m, K.IPVS_SVC_ATTR_STATS64, K.IPVS_SVC_ATTR_STATS) : { ...ZERO_STATS },
  };
}

const DEST_TOP = wantedTypes([K.IPVS_CMD_ATTR_DEST]);
const DEST_TOP_AT = new Int32Array(2 * DEST_TOP.length);
const DEST_ATTRS = wantedTypes([
  K.IPVS_DEST_ATTR_ADDR, K.IPVS_DEST_ATTR_PORT, K.IPVS_DEST_ATTR_FWD_METHOD, K.IPVS_DEST_ATTR_WEIGHT, K.IPVS_DEST_ATTR_U_THRESH,
  K.IPVS_DEST_ATTR_L_THRESH, K.IPVS_DEST_ATTR_ACTIVE_CONNS, K.IPVS_DEST_ATTR_INACT_CONNS, K.IPVS_DEST_ATTR_PERSIST_CONNS,
  K.IPVS_DEST_ATTR_STATS, K.IPVS_DEST_ATTR_ADDR_FAMILY, K.IPVS_DEST_ATTR_STATS64, K.IPVS_DEST_ATTR_TUN_TYPE,
  K.IPVS_DEST_ATTR_TUN_PORT, K.IPVS_DEST_ATTR_TUN_FLAGS,
]);
const DEST_AT = new Int32Array(2 * DEST_ATTRS.length);

/**
 * One destination from a GET_DEST reply's attributes. Read in place (indexAttributes): a table of
 * 10,000 destinations is 10,000 of these, and an object and a Buffer view per attribute were most
 * of a dump's cost. `stats` false: the counters are left at zero (a reconcile never reads them).
 */
export function decodeDest(attrs: Buffer, serviceFamily = K.AF_INET, stats = true): IpvsDest {
  const top = DEST_TOP_AT;
  indexAttributes(attrs, 0, attrs.length, DEST_TOP, top);
  const nest = 2 * K.IPVS_CMD_ATTR_DEST;
  if (top[nest]! < 0) throw new NetlinkParseError('IPVS reply without IPVS_CMD_ATTR_DEST', 0);
  const at = DEST_AT;
  indexAttributes(attrs, top[nest]!, top[nest + 1]!, DEST_ATTRS, at);
  const has = (t: number): boolean => at[2 * t]! >= 0;
  const need = (t: number, what: string): void => {
    if (!has(t)) throw new NetlinkParseError(`IPVS reply without ${what}`, 0);
  };
  const u32 = (t: number): number => (has(t) ? u32At(attrs, t, at[2 * t]!, at[2 * t + 1]!) : 0);
  const af = has(K.IPVS_DEST_ATTR_ADDR_FAMILY) ? u16At(attrs, K.IPVS_DEST_ATTR_ADDR_FAMILY, at[2 * K.IPVS_DEST_ATTR_ADDR_FAMILY]!, at[2 * K.IPVS_DEST_ATTR_ADDR_FAMILY + 1]!) : serviceFamily;
  need(K.IPVS_DEST_ATTR_PORT, 'the destination port');
  const portAt = at[2 * K.IPVS_DEST_ATTR_PORT]!;
  if (at[2 * K.IPVS_DEST_ATTR_PORT + 1]! - portAt !== 2) throw new NetlinkParseError('IPVS destination port not 2 bytes', 0);
  need(K.IPVS_DEST_ATTR_FWD_METHOD, 'the forwarding method');
  const fwd = u32(K.IPVS_DEST_ATTR_FWD_METHOD) & K.IP_VS_CONN_F_FWD_MASK;
  const forward = FWD_NAME.get(fwd);
  if (forward === undefined) throw new NetlinkParseError(`IPVS destination with forwarding method ${fwd}`, 0);
  need(K.IPVS_DEST_ATTR_ADDR, 'the destination address');
  need(K.IPVS_DEST_ATTR_WEIGHT, 'the weight');
  const view = (t: number): Attribute => ({ type: t, nested: false, netByteOrder: false, data: attrs.subarray(at[2 * t]!, at[2 * t + 1]!) });
  const d: IpvsDest = {
    address: decodeInetAddr(view(K.IPVS_DEST_ATTR_ADDR), af),
    port: (attrs[portAt]! << 8) | attrs[portAt + 1]!,
    forward,
    weight: u32(K.IPVS_DEST_ATTR_WEIGHT) | 0,
    upperThreshold: u32(K.IPVS_DEST_ATTR_U_THRESH),
    lowerThreshold: u32(K.IPVS_DEST_ATTR_L_THRESH),
    activeConns: u32(K.IPVS_DEST_ATTR_ACTIVE_CONNS),
    inactConns: u32(K.IPVS_DEST_ATTR_INACT_CONNS),
    persistConns: u32(K.IPVS_DEST_ATTR_PERSIST_CONNS),
    stats: { ...ZERO_STATS },
  };
  if (stats) {
    const m = new Map<number, Attribute>();
    for (const t of [K.IPVS_DEST_ATTR_STATS, K.IPVS_DEST_ATTR_STATS64]) if (has(t)) m.set(t, view(t));
    d.stats = decodeStats(m, K.IPVS_DEST_ATTR_STATS64, K.IPVS_DEST_ATTR_STATS);
  }
  if (forward === 'tun' && has(K.IPVS_DEST_ATTR_TUN_TYPE)) {
    const tp = has(K.IPVS_DEST_ATTR_TUN_PORT) ? view(K.IPVS_DEST_ATTR_TUN_PORT) : undefined;
    const tf = has(K.IPVS_DEST_ATTR_TUN_FLAGS) ? view(K.IPVS_DEST_ATTR_TUN_FLAGS) : undefined;
    d.tunnel = {
      type: TUN_NAME.get(attrU8(view(K.IPVS_DEST_ATTR_TUN_TYPE))) ?? 'ipip',
      port: tp !== undefined && tp.data.length === 2 ? tp.data.readUInt16BE(0) : 0,
      csum: tf !== undefined ? CSUM_NAME.get(attrU16(tf)) ?? 'nocsum' : 'nocsum',
    };
  }
  return d;
}

export function decodeInfo(attrs: Buffer): IpvsInfo {
  const m = byType(decodeAttributes(attrs));
  return {
    version: attrU32(need(m, K.IPVS_INFO_ATTR_VERSION, 'the version')),
    connTabSize: attrU32(need(m, K.IPVS_INFO_ATTR_CONN_TAB_SIZE, 'the connection table size')),
  };
}

export function decodeTimeouts(attrs: Buffer): IpvsTimeouts {
  const m = byType(decodeAttributes(attrs));
  const get = (t: number): number => (m.has(t) ? attrU32(m.get(t)!) : 0);
  return { tcp: get(K.IPVS_CMD_ATTR_TIMEOUT_TCP), tcpFin: get(K.IPVS_CMD_ATTR_TIMEOUT_TCP_FIN), udp: get(K.IPVS_CMD_ATTR_TIMEOUT_UDP) };
}

export function decodeDaemon(attrs: Buffer): IpvsDaemonSpec {
  const top = byType(decodeAttributes(attrs));
  const m = byType(attrNested(need(top, K.IPVS_CMD_ATTR_DAEMON, 'IPVS_CMD_ATTR_DAEMON')));
  const state = attrU32(need(m, K.IPVS_DAEMON_ATTR_STATE, 'the daemon state'));
  const d: IpvsDaemonSpec = {
    state: state === K.IP_VS_STATE_MASTER ? 'master' : 'backup',
    interface: attrString(need(m, K.IPVS_DAEMON_ATTR_MCAST_IFN, 'the daemon interface')),
    syncId: attrU32(need(m, K.IPVS_DAEMON_ATTR_SYNC_ID, 'the sync id')),
  };
  const ml = m.get(K.IPVS_DAEMON_ATTR_SYNC_MAXLEN);
  if (ml !== undefined) d.maxLen = attrU16(ml);
  const g = m.get(K.IPVS_DAEMON_ATTR_MCAST_GROUP);
  if (g !== undefined && g.data.length === 4 && g.data.readUInt32BE(0) !== 0) d.group = formatIpv4(g.data.readUInt32BE(0));
  const p = m.get(K.IPVS_DAEMON_ATTR_MCAST_PORT);
  if (p !== undefined && p.data.length === 2) d.port = p.data.readUInt16BE(0);
  const t = m.get(K.IPVS_DAEMON_ATTR_MCAST_TTL);
  if (t !== undefined) d.ttl = attrU8(t);
  return d;
}

/** A stable text key for a service (maps, diffs, logs): "tcp 192.0.2.1:80" or "fwmark 5". */
export function serviceKeyText(key: IpvsServiceKey): string {
  if ('fwmark' in key) return key.family === 'inet6' ? `fwmark ${key.fwmark} inet6` : `fwmark ${key.fwmark}`;
  return isIpv6(key.address) ? `${key.protocol} [${key.address}]:${key.port}` : `${key.protocol} ${key.address}:${key.port}`;
}

export function destKeyText(d: Pick<IpvsDestSpec, 'address' | 'port'>): string {
  return isIpv6(d.address) ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`;
}

export function serviceFamily(key: IpvsServiceKey): number {
  return keyFamily(key);
}
