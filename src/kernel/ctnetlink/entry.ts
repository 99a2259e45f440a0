// The conntrack entry codec: ctnetlink IPCTNL_MSG_CT_NEW / DELETE messages <-> CtEntry.
// IPv4 and IPv6 (the family follows from the addresses: dotted quads or RFC 5952 text); any
// other family decodes to a CtUnsupported error the caller counts and skips.
// All ctnetlink values are big-endian.
import { AttributeEncoder, attrBe16, attrBe32, attrBe64, attrNested, attrString, attrU8, decodeAttributes } from '../netlink/attributes.ts';
import type { Attribute } from '../netlink/attributes.ts';
import { beginMessage, endMessage, NetlinkParseError } from '../netlink/message.ts';
import { formatIpv6, isIpv6Text, parseIpv4, writeIpv6 } from '../../common/index.ts';
import {
  AF_INET, AF_INET6, CTA_COUNTERS_BYTES, CTA_COUNTERS_ORIG, CTA_COUNTERS_PACKETS, CTA_COUNTERS_REPLY, CTA_HELP, CTA_HELP_NAME, CTA_ID,
  CTA_IP_V4_DST, CTA_IP_V4_SRC, CTA_IP_V6_DST, CTA_IP_V6_SRC, CTA_LABELS, CTA_MARK, CTA_NAT_DST, CTA_NAT_PROTO, CTA_NAT_SRC,
  CTA_NAT_V4_MAXIP, CTA_NAT_V4_MINIP, CTA_NAT_V6_MAXIP, CTA_NAT_V6_MINIP, CTA_PROTO_ICMPV6_CODE, CTA_PROTO_ICMPV6_ID,
  CTA_PROTO_ICMPV6_TYPE, IPPROTO_ICMPV6, CTA_PROTO_DST_PORT, CTA_PROTO_ICMP_CODE, CTA_PROTO_ICMP_ID, CTA_PROTO_ICMP_TYPE,
  CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTOINFO, CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL,
  CTA_PROTOINFO_TCP_FLAGS_REPLY, CTA_PROTOINFO_TCP_STATE, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, CTA_PROTOINFO_TCP_WSCALE_REPLY,
  CTA_PROTONAT_PORT_MAX, CTA_PROTONAT_PORT_MIN, CTA_SEQ_ADJ_ORIG, CTA_SEQ_ADJ_REPLY, CTA_SEQADJ_CORRECTION_POS,
  CTA_SEQADJ_OFFSET_AFTER, CTA_SEQADJ_OFFSET_BEFORE, CTA_STATUS, CTA_TIMEOUT, CTA_TUPLE_IP, CTA_TUPLE_MASTER, CTA_TUPLE_ORIG,
  CTA_TUPLE_PROTO, CTA_TUPLE_REPLY, CTA_TUPLE_ZONE, CTA_USE, CTA_ZONE, IPPROTO_ICMP, NF_CT_TCP_FLAGS_LEN, NFGEN_OFF_FAMILY,
  NFGEN_OFF_RES_ID, NFGEN_OFF_VERSION, NFGENMSG_LEN, NFNETLINK_V0,
} from './constants.ts';

export interface CtTuple {
  src: string;
  dst: string;
  /** IP protocol number. */
  proto: number;
  /** TCP/UDP/SCTP/DCCP ports. */
  sport?: number;
  dport?: number;
  /** ICMP. */
  icmpId?: number;
  icmpType?: number;
  icmpCode?: number;
  /** Per-direction zone (CTA_TUPLE_ZONE), rarely used. */
  zone?: number;
}

export interface CtTcpFlags {
  flags: number;
  mask: number;
}

export interface CtTcpInfo {
  /** TCP_CONNTRACK_* */
  state: number;
  wscaleOrig?: number;
  wscaleReply?: number;
  flagsOrig?: CtTcpFlags;
  flagsReply?: CtTcpFlags;
}

export interface CtSeqAdj {
  correctionPos: number;
  offsetBefore: number;
  offsetAfter: number;
}

export interface CtCounters {
  packets: bigint;
  bytes: bigint;
}

/** NAT to apply on create (CTA_NAT_SRC / CTA_NAT_DST): one address and optionally one port. */
export interface CtNat {
  ip: string;
  port?: number;
}

export interface CtEntry {
  orig: CtTuple;
  /** Absent on create requests that let the kernel invert the original tuple. */
  reply?: CtTuple;
  /** IPS_* bits. */
  status?: number;
  /** Seconds left. */
  timeout?: number;
  mark?: number;
  zone?: number;
  id?: number;
  use?: number;
  tcp?: CtTcpInfo;
  seqAdjOrig?: CtSeqAdj;
  seqAdjReply?: CtSeqAdj;
  /** Connlabel bitmap as the kernel carries it (host-order u32 words). */
  labels?: Buffer;
  helper?: string;
  master?: CtTuple;
  countersOrig?: CtCounters;
  countersReply?: CtCounters;
  /** Create only: source / destination NAT. */
  natSrc?: CtNat;
  natDst?: CtNat;
}

/** An entry of a family this codec does not handle (IPv6): counted and skipped by callers. */
export class CtUnsupported extends Error {
  constructor(what: string) {
    super(`ctnetlink: unsupported ${what}`);
    this.name = 'CtUnsupported';
  }
}

export function ipv4ToString(b: Buffer, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function ipv4ToBuffer(s: string): Buffer {
  const n = parseIpv4(s);
  if (n === undefined) throw new RangeError(`not an IPv4 address: ${s}`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** struct nfgenmsg. */
export function encodeNfgenmsg(family: number, resId = 0): Buffer {
  const b = Buffer.alloc(NFGENMSG_LEN);
  b.writeUInt8(family, NFGEN_OFF_FAMILY);
  b.writeUInt8(NFNETLINK_V0, NFGEN_OFF_VERSION);
  b.writeUInt16BE(resId, NFGEN_OFF_RES_ID);
  return b;
}

function decodeTuple(attrs: Attribute[]): CtTuple {
  const t: CtTuple = { src: '', dst: '', proto: 0 };
  for (const a of attrs) {
    if (a.type === CTA_TUPLE_IP) {
      for (const ip of attrNested(a)) {
        if (ip.type === CTA_IP_V4_SRC || ip.type === CTA_IP_V4_DST) {
          if (ip.data.length !== 4) throw new NetlinkParseError(`IPv4 address of ${ip.data.length} bytes`, 0);
          if (ip.type === CTA_IP_V4_SRC) t.src = ipv4ToString(ip.data);
          else t.dst = ipv4ToString(ip.data);
        } else if (ip.type === CTA_IP_V6_SRC || ip.type === CTA_IP_V6_DST) {
          if (ip.data.length !== 16) throw new NetlinkParseError(`IPv6 address of ${ip.data.length} bytes`, 0);
          if (ip.type === CTA_IP_V6_SRC) t.src = formatIpv6(ip.data);
          else t.dst = formatIpv6(ip.data);
        }
      }
    } else if (a.type === CTA_TUPLE_PROTO) {
      for (const p of attrNested(a)) {
        if (p.type === CTA_PROTO_NUM) t.proto = attrU8(p);
        else if (p.type === CTA_PROTO_SRC_PORT) t.sport = attrBe16(p);
        else if (p.type === CTA_PROTO_DST_PORT) t.dport = attrBe16(p);
        else if (p.type === CTA_PROTO_ICMP_ID) t.icmpId = attrBe16(p);
        else if (p.type === CTA_PROTO_ICMP_TYPE) t.icmpType = attrU8(p);
        else if (p.type === CTA_PROTO_ICMP_CODE) t.icmpCode = attrU8(p);
        else if (p.type === CTA_PROTO_ICMPV6_ID) t.icmpId = attrBe16(p);
        else if (p.type === CTA_PROTO_ICMPV6_TYPE) t.icmpType = attrU8(p);
        else if (p.type === CTA_PROTO_ICMPV6_CODE) t.icmpCode = attrU8(p);
      }
    } else if (a.type === CTA_TUPLE_ZONE) {
      t.zone = attrBe16(a);
    }
  }
  if (t.src === '' || t.dst === '') throw new NetlinkParseError('tuple without addresses', 0);
  return t;
}

function decodeSeqAdj(a: Attribute): CtSeqAdj {
  const s: CtSeqAdj = { correctionPos: 0, offsetBefore: 0, offsetAfter: 0 };
  for (const x of attrNested(a)) {
    if (x.type === CTA_SEQADJ_CORRECTION_POS) s.correctionPos = attrBe32(x);
    else if (x.type === CTA_SEQADJ_OFFSET_BEFORE) s.offsetBefore = attrBe32(x);
    else if (x.type === CTA_SEQADJ_OFFSET_AFTER) s.offsetAfter = attrBe32(x);
  }
  return s;
}

function decodeCounters(a: Attribute): CtCounters {
  const c: CtCounters = { packets: 0n, bytes: 0n };
  for (const x of attrNested(a)) {
    if (x.type === CTA_COUNTERS_PACKETS) c.packets = attrBe64(x);
    else if (x.type === CTA_COUNTERS_BYTES) c.bytes = attrBe64(x);
  }
  return c;
}

function decodeTcpFlags(a: Attribute): CtTcpFlags {
  if (a.data.length !== NF_CT_TCP_FLAGS_LEN) throw new NetlinkParseError(`tcp flags of ${a.data.length} bytes`, 0);
  return { flags: a.data[0]!, mask: a.data[1]! };
}

function decodeProtoinfo(a: Attribute): CtTcpInfo | undefined {
  for (const p of attrNested(a)) {
    if (p.type !== CTA_PROTOINFO_TCP) continue;
    const tcp: CtTcpInfo = { state: 0 };
    for (const x of attrNested(p)) {
      if (x.type === CTA_PROTOINFO_TCP_STATE) tcp.state = attrU8(x);
      else if (x.type === CTA_PROTOINFO_TCP_WSCALE_ORIGINAL) tcp.wscaleOrig = attrU8(x);
      else if (x.type === CTA_PROTOINFO_TCP_WSCALE_REPLY) tcp.wscaleReply = attrU8(x);
      else if (x.type === CTA_PROTOINFO_TCP_FLAGS_ORIGINAL) tcp.flagsOrig = decodeTcpFlags(x);
      else if (x.type === CTA_PROTOINFO_TCP_FLAGS_REPLY) tcp.flagsReply = decodeTcpFlags(x);
    }
    return tcp;
  }
  return undefined;
}

/**
 * Decodes the payload of a ctnetlink conntrack message (nfgenmsg + attributes), as dumps and
 * NEW/UPDATE/DESTROY events carry it. Throws NetlinkParseError on malformed input and
 * CtUnsupported for families other than IPv4 and IPv6.
 */
export function decodeEntry(payload: Buffer): CtEntry {
  if (payload.length < NFGENMSG_LEN) throw new NetlinkParseError(`nfgenmsg of ${payload.length} bytes`, 0);
  const family = payload.readUInt8(NFGEN_OFF_FAMILY);
  if (family !== AF_INET && family !== AF_INET6) throw new CtUnsupported(`address family ${family}`);
  let orig: CtTuple | undefined;
  const e: Partial<CtEntry> = {};
  for (const a of decodeAttributes(payload.subarray(NFGENMSG_LEN))) {
    switch (a.type) {
      case CTA_TUPLE_ORIG: orig = decodeTuple(attrNested(a)); break;
      case CTA_TUPLE_REPLY: e.reply = decodeTuple(attrNested(a)); break;
      case CTA_TUPLE_MASTER: e.master = decodeTuple(attrNested(a)); break;
      case CTA_STATUS: e.status = attrBe32(a); break;
      case CTA_TIMEOUT: e.timeout = attrBe32(a); break;
      case CTA_MARK: e.mark = attrBe32(a); break;
      case CTA_ZONE: e.zone = attrBe16(a); break;
      case CTA_ID: e.id = attrBe32(a); break;
      case CTA_USE: e.use = attrBe32(a); break;
      case CTA_PROTOINFO: { const t = decodeProtoinfo(a); if (t !== undefined) e.tcp = t; break; }
      case CTA_SEQ_ADJ_ORIG: e.seqAdjOrig = decodeSeqAdj(a); break;
      case CTA_SEQ_ADJ_REPLY: e.seqAdjReply = decodeSeqAdj(a); break;
      case CTA_LABELS: e.labels = Buffer.from(a.data); break;
      case CTA_COUNTERS_ORIG: e.countersOrig = decodeCounters(a); break;
      case CTA_COUNTERS_REPLY: e.countersReply = decodeCounters(a); break;
      case CTA_HELP:
        for (const h of attrNested(a)) if (h.type === CTA_HELP_NAME) e.helper = attrString(h);
        break;
      default: break; // timestamps, secctx, synproxy: not replicated
    }
  }
  if (orig === undefined) throw new NetlinkParseError('conntrack message without CTA_TUPLE_ORIG', 0);
  return { orig, ...e };
}

// Entries are written straight into one reused AttributeEncoder (nests back-patched, no
// allocation per attribute): a commit encodes 100,000 entries, and an encoder that allocated per
// attribute made encoding cost as much as the kernel's work.

/** An address attribute: 4 bytes for a dotted quad, 16 for IPv6 text. */
function ipAttr(w: AttributeEncoder, v4: number, v6: number, text: string, v6text: boolean): void {
  if (v6text) {
    const at = w.attr(v6, 16);
    if (!writeIpv6(text, w.buffer, at)) throw new RangeError(`not an IPv6 address: ${text}`);
    return;
  }
  const n = parseIpv4(text);
  if (n === undefined) throw new RangeError(`not an IPv4 address: ${text}`);
  w.be32(v4, n);
}

function tcpFlags(w: AttributeEncoder, type: number, f: CtTcpFlags): void {
  if ((f.flags & 0xff) !== f.flags || (f.mask & 0xff) !== f.mask) throw new RangeError(`attribute ${type}: TCP flags not u8`);
  const at = w.attr(type, NF_CT_TCP_FLAGS_LEN);
  w.buffer[at] = f.flags;
  w.buffer[at + 1] = f.mask;
}

function encodeTuple(w: AttributeEncoder, type: number, t: CtTuple): void {
  const tuple = w.begin(type);
  const ip = w.begin(CTA_TUPLE_IP);
  const v6 = isIpv6Text(t.src);
  ipAttr(w, CTA_IP_V4_SRC, CTA_IP_V6_SRC, t.src, v6);
  ipAttr(w, CTA_IP_V4_DST, CTA_IP_V6_DST, t.dst, v6);
  w.end(ip);
  const p = w.begin(CTA_TUPLE_PROTO);
  w.u8(CTA_PROTO_NUM, t.proto);
  if (t.proto === IPPROTO_ICMP) {
    if (t.icmpId !== undefined) w.be16(CTA_PROTO_ICMP_ID, t.icmpId);
    if (t.icmpType !== undefined) w.u8(CTA_PROTO_ICMP_TYPE, t.icmpType);
    if (t.icmpCode !== undefined) w.u8(CTA_PROTO_ICMP_CODE, t.icmpCode);
  } else if (t.proto === IPPROTO_ICMPV6) {
    if (t.icmpId !== undefined) w.be16(CTA_PROTO_ICMPV6_ID, t.icmpId);
    if (t.icmpType !== undefined) w.u8(CTA_PROTO_ICMPV6_TYPE, t.icmpType);
    if (t.icmpCode !== undefined) w.u8(CTA_PROTO_ICMPV6_CODE, t.icmpCode);
  } else {
    if (t.sport !== undefined) w.be16(CTA_PROTO_SRC_PORT, t.sport);
    if (t.dport !== undefined) w.be16(CTA_PROTO_DST_PORT, t.dport);
  }
  w.end(p);
  if (t.zone !== undefined) w.be16(CTA_TUPLE_ZONE, t.zone);
  w.end(tuple);
}

function encodeSeqAdj(w: AttributeEncoder, type: number, s: CtSeqAdj): void {
  const n = w.begin(type);
  w.be32(CTA_SEQADJ_CORRECTION_POS, s.correctionPos);
  w.be32(CTA_SEQADJ_OFFSET_BEFORE, s.offsetBefore);
  w.be32(CTA_SEQADJ_OFFSET_AFTER, s.offsetAfter);
  w.end(n);
}

function encodeNat(w: AttributeEncoder, type: number, nat: CtNat): void {
  const n = w.begin(type);
  const v6 = isIpv6Text(nat.ip);
  ipAttr(w, CTA_NAT_V4_MINIP, CTA_NAT_V6_MINIP, nat.ip, v6);
  ipAttr(w, CTA_NAT_V4_MAXIP, CTA_NAT_V6_MAXIP, nat.ip, v6);
  if (nat.port !== undefined) {
    const p = w.begin(CTA_NAT_PROTO);
    w.be16(CTA_PROTONAT_PORT_MIN, nat.port);
    w.be16(CTA_PROTONAT_PORT_MAX, nat.port);
    w.end(p);
  }
  w.end(n);
}

export interface EncodeOptions {
  /** Which attributes: 'create' (everything settable), 'key' (tuple and zone only: delete, get). */
  purpose: 'create' | 'key';
  /** Status bits to send (the caller masks kernel-owned bits; see IPS_UNCHANGEABLE). */
  statusMask?: number;
  /** Status bits always sent (IPS_CONFIRMED: the kernel sets it before applying CTA_STATUS and
   * answers EBUSY to a status that would clear it). */
  statusSet?: number;
}

const scratch = new AttributeEncoder(undefined, 1024);

function writeEntry(w: AttributeEncoder, e: CtEntry, opts: EncodeOptions): void {
  const nfg = w.raw(NFGENMSG_LEN);
  w.buffer.writeUInt8(isIpv6Text(e.orig.src) ? AF_INET6 : AF_INET, nfg + NFGEN_OFF_FAMILY);
  w.buffer.writeUInt8(NFNETLINK_V0, nfg + NFGEN_OFF_VERSION);
  w.buffer.writeUInt16BE(0, nfg + NFGEN_OFF_RES_ID);
  encodeTuple(w, CTA_TUPLE_ORIG, e.orig);
  if (opts.purpose === 'create' && e.reply !== undefined) encodeTuple(w, CTA_TUPLE_REPLY, e.reply);
  if (e.zone !== undefined) w.be16(CTA_ZONE, e.zone);
  if (opts.purpose !== 'create') return;
  if (e.status !== undefined) w.be32(CTA_STATUS, ((e.status & (opts.statusMask ?? 0xffffffff)) | (opts.statusSet ?? 0)) >>> 0);
  if (e.timeout !== undefined) w.be32(CTA_TIMEOUT, e.timeout);
  if (e.mark !== undefined) w.be32(CTA_MARK, e.mark);
  if (e.tcp !== undefined) {
    const tcp = e.tcp;
    const pi = w.begin(CTA_PROTOINFO);
    const t = w.begin(CTA_PROTOINFO_TCP);
    w.u8(CTA_PROTOINFO_TCP_STATE, tcp.state);
    if (tcp.wscaleOrig !== undefined) w.u8(CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, tcp.wscaleOrig);
    if (tcp.wscaleReply !== undefined) w.u8(CTA_PROTOINFO_TCP_WSCALE_REPLY, tcp.wscaleReply);
    if (tcp.flagsOrig !== undefined) tcpFlags(w, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, tcp.flagsOrig);
    if (tcp.flagsReply !== undefined) tcpFlags(w, CTA_PROTOINFO_TCP_FLAGS_REPLY, tcp.flagsReply);
    w.end(t);
    w.end(pi);
  }
  if (e.natSrc !== undefined) encodeNat(w, CTA_NAT_SRC, e.natSrc);
  if (e.natDst !== undefined) encodeNat(w, CTA_NAT_DST, e.natDst);
  if (e.seqAdjOrig !== undefined) encodeSeqAdj(w, CTA_SEQ_ADJ_ORIG, e.seqAdjOrig);
  if (e.seqAdjReply !== undefined) encodeSeqAdj(w, CTA_SEQ_ADJ_REPLY, e.seqAdjReply);
  if (e.labels !== undefined) w.bytes(CTA_LABELS, e.labels);
  if (e.master !== undefined) encodeTuple(w, CTA_TUPLE_MASTER, e.master);
}

/** The payload (nfgenmsg + attributes) of a ctnetlink request for `e`. */
export function encodeEntry(e: CtEntry, opts: EncodeOptions = { purpose: 'create' }): Buffer {
  scratch.truncate(0);
  writeEntry(scratch, e, opts);
  return Buffer.from(scratch.encode());
}

/**
 * A whole netlink message (header + payload) for `e`, in one allocation: what batches send.
 * The header is little-endian (host order, x86 and arm64 alike).
 */
export function encodeEntryMessage(type: number, flags: number, seq: number, e: CtEntry, opts: EncodeOptions): Buffer {
  return Buffer.from(encodeEntryMessageView(type, flags, seq, e, opts));
}

/** encodeEntryMessage without the copy: a view of a shared buffer, valid until the next encode. */
export function encodeEntryMessageView(type: number, flags: number, seq: number, e: CtEntry, opts: EncodeOptions): Buffer {
  scratch.truncate(0);
  writeEntryMessage(scratch, type, flags, seq, e, opts);
  return scratch.encode();
}

/**
 * Appends the whole message for `e` to `w` (a batch being built); on a throw, what it wrote is
 * left for the caller to truncate. The header is little-endian (host order, x86 and arm64 alike).
 */
export function writeEntryMessage(w: AttributeEncoder, type: number, flags: number, seq: number, e: CtEntry, opts: EncodeOptions): void {
  const start = beginMessage(w);
  writeEntry(w, e, opts);
  endMessage(w, start, type, flags, seq);
}

/** The original tuple inverted: the reply tuple of an entry without NAT. */
export function invertTuple(t: CtTuple): CtTuple {
  const r: CtTuple = { src: t.dst, dst: t.src, proto: t.proto };
  if (t.sport !== undefined) r.dport = t.sport;
  if (t.dport !== undefined) r.sport = t.dport;
  if (t.icmpId !== undefined) r.icmpId = t.icmpId;
  if (t.icmpType !== undefined) r.icmpType = icmpReplyType(t.icmpType, t.proto);
  if (t.icmpCode !== undefined) r.icmpCode = t.icmpCode;
  if (t.zone !== undefined) r.zone = t.zone;
  return r;
}

const ICMP_PAIRS: Record<number, number> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17 };
/** ICMPv6 echo and node information (the kernel's icmpv6 invmap). */
const ICMPV6_PAIRS: Record<number, number> = { 128: 129, 129: 128, 139: 140, 140: 139 };

/** ICMP echo (8) <-> echo reply (0), and the other request/reply pairs the kernel inverts (ICMPv6's with proto 58). */
export function icmpReplyType(type: number, proto: number = IPPROTO_ICMP): number {
  const pairs = proto === IPPROTO_ICMPV6 ? ICMPV6_PAIRS : ICMP_PAIRS;
  return pairs[type] ?? type;
}
