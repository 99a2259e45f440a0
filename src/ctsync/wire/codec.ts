// The conntrackd-compatible wire codec: datagram <-> messages, data message <-> SyncEntry.
// Pure and total: decoding never throws; every message it cannot accept is reported with a reason
// so the receiver can count it. Written by hand: no maintained library speaks this protocol.
//
// Byte facts confirmed against conntrackd 1.4.7 (see the fixtures): header and TLVs big-endian,
// except NTA_SPAT_PORT, NTA_DPAT_PORT and NTA_ICMP_ID, which x86/arm (little-endian) conntrackd
// puts on the wire little-endian; NAT addresses raw network order (>= 1.4.7). IPv6 entries carry
// NTA_IPV6 (src then dst, 16 bytes each) and NTA_SNAT/DNAT/MASTER_IPV6 instead of the IPv4 ones;
// ICMPv6 uses the ICMP attributes.
//
// A data message whose header frames it but whose body we cannot use (an expectation, a bad or
// unknown attribute) decodes to a 'skip' message with its seq: the receiver must track that seq
// before dropping it, as conntrackd does, or FTFW NACKs it for ever.
import { formatIpv6, isIpv6Text, parseIpv4, writeIpv6 } from '../../common/index.ts';
import {
  HDR_OFF_FLAGS, HDR_OFF_FROM, HDR_OFF_LEN, HDR_OFF_SEQ, HDR_OFF_TO, HDR_OFF_VERTYPE, HELLO_FLAGS, IPPROTO_ICMP, IPPROTO_ICMPV6,
  IPS_DST_NAT, IPS_SRC_NAT, MAX_DATAGRAM_LEN, MAX_MESSAGE_LEN, NET_F_ACK, NET_F_ALIVE, NET_F_NACK, NET_F_RESYNC, NET_T_CTL,
  NET_T_STATE_CT_DEL, NET_T_STATE_CT_NEW, NET_T_STATE_CT_UPD, NET_T_STATE_MAX, NETHDR_ACK_LEN, NETHDR_LEN, NTA_ALIGN,
  NTA_DNAT_IPV4, NTA_DNAT_IPV6, NTA_DPAT_PORT, NTA_HDR_LEN, NTA_HELPER_NAME, NTA_HELPER_NAME_MAX_LEN, NTA_ICMP_CODE,
  NTA_ICMP_ID, NTA_ICMP_TYPE, NTA_IPV4, NTA_IPV6, NTA_L4PROTO, NTA_LABELS, NTA_LABELS_MAX_LEN, NTA_MARK, NTA_MASTER_IPV4,
  NTA_MASTER_IPV6, NTA_MASTER_L4PROTO, NTA_MASTER_PORT, NTA_MAX, NTA_NAT_SEQ_ADJ, NTA_PORT, NTA_SIZE, NTA_SNAT_IPV4,
  NTA_SNAT_IPV6, NTA_SPAT_PORT, NTA_STATUS, NTA_SYNPROXY, NTA_TCP_STATE, NTA_TCP_WSCALE_ORIG, NTA_TCP_WSCALE_REPL,
  NTA_TIMEOUT, NTA_ZONE, PORT_PROTOCOLS, PROTOCOL_VERSION, TYPE_MASK, VERSION_SHIFT,
} from './constants.ts';

/** One conntrack entry as the protocol carries it (the original tuple plus what NAT changed). */
export interface SyncEntry {
  src: string;
  dst: string;
  proto: number;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  /** IPS_* bits. */
  status: number;
  tcpState?: number;
  wscaleOrig?: number;
  wscaleReply?: number;
  /** Seconds left when sent. */
  timeout?: number;
  mark?: number;
  zone?: number;
  /** New source address / port (SNAT), new destination address / port (DNAT). */
  snat?: string;
  dnat?: string;
  spat?: number;
  dpat?: number;
  /** orig correction_pos, offset_before, offset_after, then the same for reply. */
  natSeqAdj?: [number, number, number, number, number, number];
  helper?: string;
  /** Connlabel words, as on the wire (big-endian u32 each). */
  labels?: Buffer;
  synproxy?: { its: number; isn: number; tsoff: number };
  master?: { src: string; dst: string; proto: number; sport?: number; dport?: number };
}

export type DataType = 'new' | 'update' | 'destroy';

export type WireMessage =
  | { kind: 'data'; type: DataType; flags: number; seq: number; entry: SyncEntry }
  | { kind: 'ack' | 'nack' | 'resync'; flags: number; seq: number; from: number; to: number }
  | { kind: 'alive'; flags: number; seq: number }
  /** Framed, numbered, but not usable here (the reason is in the datagram's drops). */
  | { kind: 'skip'; flags: number; seq: number; reason: DropReason };

/** Why a message (or the rest of a datagram) was dropped. */
export type DropReason =
  | 'truncated' // shorter than its header, or len runs past the datagram
  | 'bad-length' // len below the minimum for its kind, or not a multiple of 4
  | 'oversized' // message over 4096 bytes or datagram over the UDP maximum
  | 'wrong-version'
  | 'bad-type' // type not data/control, or a flag combination that is neither
  | 'bad-attribute' // attribute length wrong for its type, or running past the message
  | 'unknown-attribute' // attribute type >= NTA_MAX
  | 'missing-attribute' // no address or protocol
  | 'unsupported'; // expectations, unknown message types: valid, not handled here

export const DROP_REASONS: readonly DropReason[] = [
  'truncated', 'bad-length', 'oversized', 'wrong-version', 'bad-type', 'bad-attribute', 'unknown-attribute',
  'missing-attribute', 'unsupported',
];

export interface DecodedDatagram {
  messages: WireMessage[];
  drops: DropReason[];
}

const TYPE_OF: Record<DataType, number> = { new: NET_T_STATE_CT_NEW, update: NET_T_STATE_CT_UPD, destroy: NET_T_STATE_CT_DEL };
const DATA_TYPES: DataType[] = ['new', 'update', 'destroy'];

function align(n: number): number {
  return (n + NTA_ALIGN - 1) & ~(NTA_ALIGN - 1);
}

/** ICMP or ICMPv6: they carry type, code and id instead of ports. */
export function isIcmp(proto: number): boolean {
  return proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6;
}

function ip6(b: Buffer, off: number): string {
  return formatIpv6(b, off);
}

function ip4(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Dotted quad to 4 bytes; throws on anything else (encoding input comes from our own code). */
export function ip4Bytes(s: string, out: Buffer, off: number): void {
  const n = parseIpv4(s);
  if (n === undefined) throw new RangeError(`not an IPv4 address: ${s}`);
  out.writeUInt32BE(n, off);
}

function ip6Bytes(s: string, out: Buffer, off: number): void {
  if (!writeIpv6(s, out, off)) throw new RangeError(`not an IPv6 address: ${s}`);
}

type AttrResult = { ok: true; entry: SyncEntry } | { ok: false; reason: DropReason };

/** Parses the attributes of one data message (conntrackd's msg2ct rules). */
export function decodeEntryAttributes(b: Buffer, start: number, end: number): AttrResult {
  const e: Partial<SyncEntry> & { status: number } = { status: 0 };
  let haveAddr = false;
  let haveProto = false;
  let off = start;
  // conntrackd stops once 4 bytes or fewer are left: trailing padding of a short message.
  while (end - off > NTA_HDR_LEN) {
    const len = b.readUInt16BE(off);
    const type = b.readUInt16BE(off + 2);
    if (len < NTA_HDR_LEN || len > end - off) return { ok: false, reason: 'bad-attribute' };
    if (type >= NTA_MAX) return { ok: false, reason: 'unknown-attribute' };
    const size = NTA_SIZE.get(type);
    const dlen = len - NTA_HDR_LEN;
    if (size !== undefined && dlen !== size) return { ok: false, reason: 'bad-attribute' };
    const d = off + NTA_HDR_LEN;
    switch (type) {
      case NTA_IPV4: e.src = ip4(b, d); e.dst = ip4(b, d + 4); haveAddr = true; break;
      case NTA_IPV6: e.src = ip6(b, d); e.dst = ip6(b, d + 16); haveAddr = true; break;
      case NTA_MASTER_IPV6: e.master = { ...(e.master ?? { proto: 0 }), src: ip6(b, d), dst: ip6(b, d + 16) }; break;
      case NTA_SNAT_IPV6: e.snat = ip6(b, d); break;
      case NTA_DNAT_IPV6: e.dnat = ip6(b, d); break;
      case NTA_L4PROTO: e.proto = b[d]!; haveProto = true; break;
      case NTA_PORT: e.sport = b.readUInt16BE(d); e.dport = b.readUInt16BE(d + 2); break;
      case NTA_TCP_STATE: e.tcpState = b[d]!; break;
      case NTA_STATUS: e.status = b.readUInt32BE(d); break;
      case NTA_TIMEOUT: e.timeout = b.readUInt32BE(d); break;
      case NTA_MARK: e.mark = b.readUInt32BE(d); break;
      case NTA_MASTER_IPV4: e.master = { ...(e.master ?? { proto: 0 }), src: ip4(b, d), dst: ip4(b, d + 4) }; break;
      case NTA_MASTER_L4PROTO: e.master = { ...(e.master ?? { src: '', dst: '' }), proto: b[d]! }; break;
      case NTA_MASTER_PORT:
        e.master = { ...(e.master ?? { src: '', dst: '', proto: 0 }), sport: b.readUInt16BE(d), dport: b.readUInt16BE(d + 2) };
        break;
      case NTA_SNAT_IPV4: e.snat = ip4(b, d); break;
      case NTA_DNAT_IPV4: e.dnat = ip4(b, d); break;
      case NTA_SPAT_PORT: e.spat = b.readUInt16LE(d); break;
      case NTA_DPAT_PORT: e.dpat = b.readUInt16LE(d); break;
      case NTA_NAT_SEQ_ADJ:
        e.natSeqAdj = [0, 1, 2, 3, 4, 5].map((i) => b.readUInt32BE(d + 4 * i)) as SyncEntry['natSeqAdj'] & number[];
        break;
      case NTA_ICMP_TYPE: e.icmpType = b[d]!; break;
      case NTA_ICMP_CODE: e.icmpCode = b[d]!; break;
      case NTA_ICMP_ID: e.icmpId = b.readUInt16LE(d); break;
      case NTA_TCP_WSCALE_ORIG: e.wscaleOrig = b[d]!; break;
      case NTA_TCP_WSCALE_REPL: e.wscaleReply = b[d]!; break;
      case NTA_HELPER_NAME: {
        if (len > NTA_HELPER_NAME_MAX_LEN || dlen === 0) return { ok: false, reason: 'bad-attribute' };
        const nul = b.indexOf(0, d);
        const stop = nul < 0 || nul >= d + dlen ? d + dlen : nul;
        e.helper = b.toString('latin1', d, stop);
        break;
      }
      case NTA_LABELS:
        if (len > NTA_LABELS_MAX_LEN || dlen === 0 || dlen % 4 !== 0) return { ok: false, reason: 'bad-attribute' };
        e.labels = Buffer.from(b.subarray(d, d + dlen));
        break;
      case NTA_SYNPROXY: e.synproxy = { its: b.readUInt32BE(d), isn: b.readUInt32BE(d + 4), tsoff: b.readUInt32BE(d + 8) }; break;
      case NTA_ZONE: e.zone = b.readUInt16BE(d); break;
      default: break; // SCTP / DCCP details: accepted, not kept (Stockade syncs TCP, UDP, ICMP)
    }
    off += align(len);
  }
  if (!haveAddr || !haveProto) return { ok: false, reason: 'missing-attribute' };
  // One family per entry: an IPv4 entry with IPv6 NAT (or the reverse) cannot be created.
  const v6 = isIpv6Text(e.src!);
  for (const a of [e.snat, e.dnat, e.master?.src]) if (a !== undefined && a !== '' && isIpv6Text(a) !== v6) return { ok: false, reason: 'bad-attribute' };
  return { ok: true, entry: canonical(e as SyncEntry) };
}

/** Drops attributes that do not belong to the entry's protocol (a sender's bug or noise), so the
 * decoded entry is exactly what the encoder would send. */
function canonical(e: SyncEntry): SyncEntry {
  if (!PORT_PROTOCOLS.has(e.proto)) {
    delete e.sport; delete e.dport; delete e.tcpState; delete e.wscaleOrig; delete e.wscaleReply;
  }
  if (!isIcmp(e.proto)) {
    delete e.icmpType; delete e.icmpCode; delete e.icmpId;
  }
  const m = e.master;
  if (m !== undefined) {
    if (m.src === '' || m.dst === '') delete e.master;
    else if (!PORT_PROTOCOLS.has(m.proto)) { delete m.sport; delete m.dport; }
    else { m.sport ??= 0; m.dport ??= 0; }
  }
  return e;
}

/**
 * Splits a datagram into messages and decodes each. Like conntrackd, a bad header ends the walk
 * (the rest cannot be framed); a bad message body drops that message only.
 */
export function decodeDatagram(buf: Uint8Array): DecodedDatagram {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: DecodedDatagram = { messages: [], drops: [] };
  if (b.length > MAX_DATAGRAM_LEN) {
    out.drops.push('oversized');
    return out;
  }
  let off = 0;
  while (off < b.length) {
    const left = b.length - off;
    if (left < NETHDR_LEN) { out.drops.push('truncated'); break; }
    const vt = b[off + HDR_OFF_VERTYPE]!;
    const flags = b[off + HDR_OFF_FLAGS]!;
    const len = b.readUInt16BE(off + HDR_OFF_LEN);
    const seq = b.readUInt32BE(off + HDR_OFF_SEQ);
    if (len < NETHDR_LEN) { out.drops.push('bad-length'); break; }
    if (len > left) { out.drops.push('truncated'); break; }
    if (len > MAX_MESSAGE_LEN) { out.drops.push('oversized'); off += len; continue; }
    const version = vt >> VERSION_SHIFT;
    const type = vt & TYPE_MASK;
    const msgEnd = off + len;
    const at = off;
    off = msgEnd;
    if (version !== PROTOCOL_VERSION) { out.drops.push('wrong-version'); continue; }
    const other = flags & ~HELLO_FLAGS;
    const skip = (reason: DropReason): void => {
      out.drops.push(reason);
      out.messages.push({ kind: 'skip', flags: flags & HELLO_FLAGS, seq, reason });
    };
    if (type <= NET_T_STATE_MAX) {
      if (other !== 0) { out.drops.push('bad-type'); continue; }
      if (type > NET_T_STATE_CT_DEL) { skip('unsupported'); continue; }
      const r = decodeEntryAttributes(b, at + NETHDR_LEN, msgEnd);
      if (!r.ok) { skip(r.reason); continue; }
      out.messages.push({ kind: 'data', type: DATA_TYPES[type]!, flags, seq, entry: r.entry });
    } else if (type === NET_T_CTL) {
      const kind = other === NET_F_ACK ? 'ack' : other === NET_F_NACK ? 'nack' : other === NET_F_RESYNC ? 'resync'
        : other === NET_F_ALIVE ? 'alive' : undefined;
      if (kind === undefined) { out.drops.push('bad-type'); continue; }
      if (kind === 'alive') {
        out.messages.push({ kind, flags, seq });
        continue;
      }
      if (len < NETHDR_ACK_LEN) { out.drops.push('bad-length'); continue; }
      out.messages.push({ kind, flags, seq, from: b.readUInt32BE(at + HDR_OFF_FROM), to: b.readUInt32BE(at + HDR_OFF_TO) });
    } else {
      skip('unsupported'); // a message type of a later protocol: numbered like any other
    }
  }
  return out;
}

/** Encoder for one message's attributes, in conntrackd's order (see encodeEntry). */
class TlvWriter {
  readonly buf: Buffer;
  off: number;

  constructor(buf: Buffer, off: number) {
    this.buf = buf;
    this.off = off;
  }

  #head(type: number, dlen: number): number {
    const len = NTA_HDR_LEN + dlen;
    const end = this.off + align(len);
    if (end > this.buf.length) throw new RangeError(`sync message over ${MAX_MESSAGE_LEN} bytes`);
    this.buf.writeUInt16BE(len, this.off);
    this.buf.writeUInt16BE(type, this.off + 2);
    this.buf.fill(0, this.off + NTA_HDR_LEN, end);
    const d = this.off + NTA_HDR_LEN;
    this.off = end;
    return d;
  }

  u8(type: number, v: number): void { this.buf[this.#head(type, 1)] = v & 0xff; }
  be16(type: number, v: number): void { this.buf.writeUInt16BE(v & 0xffff, this.#head(type, 2)); }
  le16(type: number, v: number): void { this.buf.writeUInt16LE(v & 0xffff, this.#head(type, 2)); }
  be32(type: number, v: number): void { this.buf.writeUInt32BE(v >>> 0, this.#head(type, 4)); }
  ports(type: number, a: number, b: number): void {
    const d = this.#head(type, 4);
    this.buf.writeUInt16BE(a & 0xffff, d);
    this.buf.writeUInt16BE(b & 0xffff, d + 2);
  }
  /** One address: IPv4 under t4 (4 bytes), IPv6 under t6 (16). */
  ip(t4: number, t6: number, a: string): void {
    if (isIpv6Text(a)) ip6Bytes(a, this.buf, this.#head(t6, 16));
    else ip4Bytes(a, this.buf, this.#head(t4, 4));
  }
  ipPair(t4: number, t6: number, a: string, b: string): void {
    if (isIpv6Text(a)) {
      const d = this.#head(t6, 32);
      ip6Bytes(a, this.buf, d);
      ip6Bytes(b, this.buf, d + 16);
      return;
    }
    const d = this.#head(t4, 8);
    ip4Bytes(a, this.buf, d);
    ip4Bytes(b, this.buf, d + 4);
  }
  words(type: number, ws: readonly number[]): void {
    const d = this.#head(type, 4 * ws.length);
    ws.forEach((w, i) => this.buf.writeUInt32BE(w >>> 0, d + 4 * i));
  }
  bytes(type: number, data: Buffer): void { data.copy(this.buf, this.#head(type, data.length)); }
}

function writeAttributes(w: TlvWriter, e: SyncEntry): void {
  w.ipPair(NTA_IPV4, NTA_IPV6, e.src, e.dst);
  w.be32(NTA_STATUS, e.status);
  w.u8(NTA_L4PROTO, e.proto);
  if (PORT_PROTOCOLS.has(e.proto)) {
    if (e.sport !== undefined || e.dport !== undefined) w.ports(NTA_PORT, e.sport ?? 0, e.dport ?? 0);
    if (e.tcpState !== undefined) w.u8(NTA_TCP_STATE, e.tcpState);
    if (e.wscaleOrig !== undefined) w.u8(NTA_TCP_WSCALE_ORIG, e.wscaleOrig);
    if (e.wscaleReply !== undefined) w.u8(NTA_TCP_WSCALE_REPL, e.wscaleReply);
  } else if (isIcmp(e.proto)) {
    if (e.icmpType !== undefined) w.u8(NTA_ICMP_TYPE, e.icmpType);
    if (e.icmpCode !== undefined) w.u8(NTA_ICMP_CODE, e.icmpCode);
    if (e.icmpId !== undefined) w.le16(NTA_ICMP_ID, e.icmpId);
  }
  if (e.timeout !== undefined) w.be32(NTA_TIMEOUT, e.timeout);
  if (e.mark !== undefined) w.be32(NTA_MARK, e.mark);
  if (e.master !== undefined) {
    w.ipPair(NTA_MASTER_IPV4, NTA_MASTER_IPV6, e.master.src, e.master.dst);
    w.u8(NTA_MASTER_L4PROTO, e.master.proto);
    if (PORT_PROTOCOLS.has(e.master.proto)) w.ports(NTA_MASTER_PORT, e.master.sport ?? 0, e.master.dport ?? 0);
  }
  if (e.snat !== undefined) w.ip(NTA_SNAT_IPV4, NTA_SNAT_IPV6, e.snat);
  if (e.dnat !== undefined) w.ip(NTA_DNAT_IPV4, NTA_DNAT_IPV6, e.dnat);
  if (e.spat !== undefined) w.le16(NTA_SPAT_PORT, e.spat);
  if (e.dpat !== undefined) w.le16(NTA_DPAT_PORT, e.dpat);
  if (e.natSeqAdj !== undefined) w.words(NTA_NAT_SEQ_ADJ, e.natSeqAdj);
  if (e.helper !== undefined) {
    const name = Buffer.from(`${e.helper}\0`, 'latin1');
    if (NTA_HDR_LEN + name.length > NTA_HELPER_NAME_MAX_LEN) throw new RangeError(`helper name '${e.helper}' too long for the protocol`);
    w.bytes(NTA_HELPER_NAME, name);
  }
  if (e.labels !== undefined) w.bytes(NTA_LABELS, e.labels);
  if (e.synproxy !== undefined) w.words(NTA_SYNPROXY, [e.synproxy.its, e.synproxy.isn, e.synproxy.tsoff]);
  if (e.zone !== undefined) w.be16(NTA_ZONE, e.zone);
}

function writeHeader(b: Buffer, off: number, type: number, flags: number, len: number, seq: number): void {
  b[off + HDR_OFF_VERTYPE] = (PROTOCOL_VERSION << VERSION_SHIFT) | type;
  b[off + HDR_OFF_FLAGS] = flags;
  b.writeUInt16BE(len, off + HDR_OFF_LEN);
  b.writeUInt32BE(seq >>> 0, off + HDR_OFF_SEQ);
}

/** One data message. The NAT flags of `status` do not decide what is sent: the fields do. */
export function encodeData(type: DataType, entry: SyncEntry, seq: number, flags = 0): Buffer {
  const b = Buffer.allocUnsafe(MAX_MESSAGE_LEN);
  const w = new TlvWriter(b, NETHDR_LEN);
  writeAttributes(w, entry);
  writeHeader(b, 0, TYPE_OF[type], flags, w.off, seq);
  return Buffer.from(b.subarray(0, w.off));
}

/** ACK, NACK or RESYNC (16 bytes) or ALIVE (8 bytes). */
export function encodeControl(m: Exclude<WireMessage, { kind: 'data' | 'skip' }>): Buffer {
  const bit = { ack: NET_F_ACK, nack: NET_F_NACK, resync: NET_F_RESYNC, alive: NET_F_ALIVE }[m.kind];
  const len = m.kind === 'alive' ? NETHDR_LEN : NETHDR_ACK_LEN;
  const b = Buffer.alloc(len);
  writeHeader(b, 0, NET_T_CTL, bit | (m.flags & HELLO_FLAGS), len, m.seq);
  if (m.kind !== 'alive') {
    b.writeUInt32BE(m.from >>> 0, HDR_OFF_FROM);
    b.writeUInt32BE(m.to >>> 0, HDR_OFF_TO);
  }
  return b;
}

export function encodeMessage(m: WireMessage): Buffer {
  if (m.kind === 'skip') throw new RangeError(`a skipped message (${m.reason}) has no encoding`);
  return m.kind === 'data' ? encodeData(m.type, m.entry, m.seq, m.flags & HELLO_FLAGS) : encodeControl(m);
}

/** Whether a status has SNAT / DNAT, for callers building entries. */
export function hasSnat(status: number): boolean {
  return (status & IPS_SRC_NAT) !== 0;
}
export function hasDnat(status: number): boolean {
  return (status & IPS_DST_NAT) !== 0;
}
