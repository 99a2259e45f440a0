// Kernel conntrack entries (ctnetlink's CtEntry) <-> the sync protocol's SyncEntry, following
// what conntrackd does: the reply tuple is not sent, NAT is sent as the changed address / port;
// the receiver rebuilds the reply tuple as the inverse of the original and asks the kernel for
// the NAT, and marks TCP entries BE_LIBERAL (windows are not synced).
//
// IPVS-NAT (LVS-NAT with net.ipv4.vs.conntrack=1) is the exception. What ctnetlink shows for a
// client's flow through an LVS-NAT virtual service on the director (Debian's 6.1 kernel, captured
// in the image test's director pair: test/unit/ctsync/fixtures/ipvs-nat-6.1.json):
//   orig   client:cport -> VIP:vport
//   reply  real server:rport -> client:cport  (IPVS rewrites it, ip_vs_nfct.c ip_vs_update_conntrack;
//          -> the SNAT address:port instead when a SNAT rule also matches on the way out)
//   status no IPS_DST_NAT (IPVS rewrites the packets itself, not through conntrack's NAT);
//          DST_NAT_DONE (null binding), SRC_NAT|SRC_NAT_DONE when SNATed, CONFIRMED, SEEN_REPLY, ASSURED.
// conntrackd sends no DNAT without the status bit, so its peer rebuilds the reply as VIP -> client,
// an entry the real server's replies never match. Here the changed reply source is sent as the
// DNAT address / port whatever the status says, and a DNAT without IPS_DST_NAT in the status is
// committed as the reply tuple's source (not as kernel NAT): the peer's entry is the director's.
// (A conntrackd peer would set up kernel DNAT to the real server instead: the flow still passes.)
import { invertTuple, type CtEntry, type CtTuple } from '../kernel/ctnetlink/index.ts';
import { isIcmp } from './wire/codec.ts';
import type { SyncEntry } from './wire/codec.ts';
import { IPPROTO_TCP, IPS_DST_NAT, IPS_EXPECTED, IPS_SRC_NAT, PORT_PROTOCOLS } from './wire/constants.ts';

/** IP_CT_TCP_FLAG_BE_LIBERAL: the kernel does not check windows of entries synced without them. */
const TCP_FLAG_BE_LIBERAL = 0x08;

export function toSyncEntry(e: CtEntry): SyncEntry {
  const o = e.orig;
  const s: SyncEntry = { src: o.src, dst: o.dst, proto: o.proto, status: e.status ?? 0 };
  if (PORT_PROTOCOLS.has(o.proto)) {
    s.sport = o.sport ?? 0;
    s.dport = o.dport ?? 0;
  } else if (isIcmp(o.proto)) {
    if (o.icmpType !== undefined) s.icmpType = o.icmpType;
    if (o.icmpCode !== undefined) s.icmpCode = o.icmpCode;
    if (o.icmpId !== undefined) s.icmpId = o.icmpId;
  }
  if (e.tcp !== undefined) {
    s.tcpState = e.tcp.state;
  }
  if (e.timeout !== undefined) s.timeout = e.timeout;
  if (e.mark !== undefined) s.mark = e.mark;
  if (e.zone !== undefined) s.zone = e.zone;
  const r = e.reply;
  if (r !== undefined) {
    if ((s.status & IPS_SRC_NAT) !== 0) {
      if (r.dst !== o.src) s.snat = r.dst;
      if (r.dport !== undefined && r.dport !== o.sport) s.spat = r.dport;
    }
    // With IPS_DST_NAT or without (IPVS-NAT: the header).
    if (r.src !== o.dst) s.dnat = r.src;
    if (r.sport !== undefined && r.sport !== o.dport) s.dpat = r.sport;
  }
  if (e.seqAdjOrig !== undefined && e.seqAdjReply !== undefined) {
    const a = e.seqAdjOrig;
    const b = e.seqAdjReply;
    s.natSeqAdj = [a.correctionPos, a.offsetBefore, a.offsetAfter, b.correctionPos, b.offsetBefore, b.offsetAfter];
  }
  if (e.helper !== undefined) s.helper = e.helper;
  if (e.labels !== undefined && e.labels.some((x) => x !== 0)) {
    // The kernel carries label words in host order (LE here); the protocol big-endian.
    const w = Buffer.alloc(e.labels.length - (e.labels.length % 4));
    for (let i = 0; i < w.length; i += 4) w.writeUInt32BE(e.labels.readUInt32LE(i), i);
    s.labels = w;
  }
  if (e.master !== undefined) {
    const m = e.master;
    s.master = { src: m.src, dst: m.dst, proto: m.proto };
    if (m.sport !== undefined) s.master.sport = m.sport;
    if (m.dport !== undefined) s.master.dport = m.dport;
  }
  return s;
}

function origTuple(s: SyncEntry): CtTuple {
  const t: CtTuple = { src: s.src, dst: s.dst, proto: s.proto };
  if (PORT_PROTOCOLS.has(s.proto)) {
    t.sport = s.sport ?? 0;
    t.dport = s.dport ?? 0;
  } else if (isIcmp(s.proto)) {
    if (s.icmpType !== undefined) t.icmpType = s.icmpType;
    if (s.icmpCode !== undefined) t.icmpCode = s.icmpCode;
    if (s.icmpId !== undefined) t.icmpId = s.icmpId;
  }
  return t;
}

/** A reply source changed without IPS_DST_NAT: IPVS-NAT's real server (the header). */
export function isIpvsNat(s: Pick<SyncEntry, 'status' | 'dnat' | 'dpat'>): boolean {
  return (s.status & IPS_DST_NAT) === 0 && (s.dnat !== undefined || s.dpat !== undefined);
}

export interface CommitOptions {
  /** Seconds; replaces the synced timeout (conntrackd's CommitTimeout). */
  timeout?: number;
  /** Used when the entry carries none. Default 180 s. */
  defaultTimeout?: number;
  /** Seconds since the entry was last updated, subtracted from its timeout. */
  age?: number;
}

/** A kernel create request for a synced entry. */
export function toCtEntry(s: SyncEntry, opts: CommitOptions = {}): CtEntry {
  const orig = origTuple(s);
  // The plain inverse: the kernel applies NAT to the reply tuple on create. An IPVS-NAT entry's
  // reply comes from its real server (the header).
  const reply = invertTuple(orig);
  const ipvsNat = isIpvsNat(s);
  if (ipvsNat) {
    if (s.dnat !== undefined) reply.src = s.dnat;
    if (s.dpat !== undefined) reply.sport = s.dpat;
  }
  const e: CtEntry = { orig, reply, status: s.status & ~IPS_EXPECTED };
  let timeout = opts.timeout ?? (s.timeout !== undefined ? s.timeout - Math.floor(opts.age ?? 0) : opts.defaultTimeout ?? 180);
  if (timeout <= 0) timeout = 60; // conntrackd's floor for entries whose time ran out in the cache
  e.timeout = timeout;
  if (s.mark !== undefined) e.mark = s.mark;
  if (s.zone !== undefined) e.zone = s.zone;
  if (s.proto === IPPROTO_TCP && s.tcpState !== undefined) {
    const liberal = { flags: TCP_FLAG_BE_LIBERAL, mask: TCP_FLAG_BE_LIBERAL };
    e.tcp = { state: s.tcpState, flagsOrig: liberal, flagsReply: liberal };
    if (s.wscaleOrig !== undefined) e.tcp.wscaleOrig = s.wscaleOrig;
    if (s.wscaleReply !== undefined) e.tcp.wscaleReply = s.wscaleReply;
  }
  if (s.snat !== undefined || s.spat !== undefined) {
    e.natSrc = { ip: s.snat ?? s.src };
    if (s.spat !== undefined) e.natSrc.port = s.spat;
  }
  if (!ipvsNat && (s.dnat !== undefined || s.dpat !== undefined)) {
    e.natDst = { ip: s.dnat ?? s.dst };
    if (s.dpat !== undefined) e.natDst.port = s.dpat;
  }
  if (s.natSeqAdj !== undefined) {
    const [a, b, c, d, f, g] = s.natSeqAdj;
    e.seqAdjOrig = { correctionPos: a, offsetBefore: b, offsetAfter: c };
    e.seqAdjReply = { correctionPos: d, offsetBefore: f, offsetAfter: g };
  }
  if (s.labels !== undefined) {
    const w = Buffer.alloc(s.labels.length);
    for (let i = 0; i < w.length; i += 4) w.writeUInt32LE(s.labels.readUInt32BE(i), i);
    e.labels = w;
  }
  return e;
}

/** Cache key: the original tuple and zone, as conntrackd's cache (>= 1.4.7) compares entries. */
export function entryKey(s: Pick<SyncEntry, 'src' | 'dst' | 'proto' | 'sport' | 'dport' | 'icmpId' | 'icmpType' | 'icmpCode' | 'zone'>): string {
  const l4 = PORT_PROTOCOLS.has(s.proto) ? `${s.sport ?? 0}:${s.dport ?? 0}`
    : isIcmp(s.proto) ? `${s.icmpType ?? 0}:${s.icmpCode ?? 0}:${s.icmpId ?? 0}` : '';
  return `${s.proto}|${s.src}|${s.dst}|${l4}|${s.zone ?? 0}`;
}
