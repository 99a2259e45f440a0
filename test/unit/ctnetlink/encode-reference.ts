// The ctnetlink create/key encoder as first written, on the generic AttributeEncoder: kept as the
// reference that src/kernel/ctnetlink/entry.ts's direct writer must match byte for byte.
import { AttributeEncoder } from '../../../src/kernel/netlink/attributes.ts';
import { encodeMessage } from '../../../src/kernel/netlink/message.ts';
import { encodeNfgenmsg, ipv4ToBuffer } from '../../../src/kernel/ctnetlink/entry.ts';
import type { CtEntry, CtNat, CtSeqAdj, CtTuple, EncodeOptions } from '../../../src/kernel/ctnetlink/entry.ts';
import {
  AF_INET, CTA_IP_V4_DST, CTA_IP_V4_SRC, CTA_LABELS, CTA_MARK, CTA_NAT_DST, CTA_NAT_PROTO, CTA_NAT_SRC, CTA_NAT_V4_MAXIP,
  CTA_NAT_V4_MINIP, CTA_PROTO_DST_PORT, CTA_PROTO_ICMP_CODE, CTA_PROTO_ICMP_ID, CTA_PROTO_ICMP_TYPE, CTA_PROTO_NUM,
  CTA_PROTO_SRC_PORT, CTA_PROTOINFO, CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, CTA_PROTOINFO_TCP_FLAGS_REPLY,
  CTA_PROTOINFO_TCP_STATE, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, CTA_PROTOINFO_TCP_WSCALE_REPLY, CTA_PROTONAT_PORT_MAX,
  CTA_PROTONAT_PORT_MIN, CTA_SEQ_ADJ_ORIG, CTA_SEQ_ADJ_REPLY, CTA_SEQADJ_CORRECTION_POS, CTA_SEQADJ_OFFSET_AFTER,
  CTA_SEQADJ_OFFSET_BEFORE, CTA_STATUS, CTA_TIMEOUT, CTA_TUPLE_IP, CTA_TUPLE_MASTER, CTA_TUPLE_ORIG, CTA_TUPLE_PROTO,
  CTA_TUPLE_REPLY, CTA_TUPLE_ZONE, CTA_ZONE, IPPROTO_ICMP,
} from '../../../src/kernel/ctnetlink/constants.ts';

function encodeTuple(enc: AttributeEncoder, type: number, t: CtTuple): void {
  enc.nested(type, (n) => {
    n.nested(CTA_TUPLE_IP, (ip) => ip.bytes(CTA_IP_V4_SRC, ipv4ToBuffer(t.src)).bytes(CTA_IP_V4_DST, ipv4ToBuffer(t.dst)));
    n.nested(CTA_TUPLE_PROTO, (p) => {
      p.u8(CTA_PROTO_NUM, t.proto);
      if (t.proto === IPPROTO_ICMP) {
        if (t.icmpId !== undefined) p.be16(CTA_PROTO_ICMP_ID, t.icmpId);
        if (t.icmpType !== undefined) p.u8(CTA_PROTO_ICMP_TYPE, t.icmpType);
        if (t.icmpCode !== undefined) p.u8(CTA_PROTO_ICMP_CODE, t.icmpCode);
      } else {
        if (t.sport !== undefined) p.be16(CTA_PROTO_SRC_PORT, t.sport);
        if (t.dport !== undefined) p.be16(CTA_PROTO_DST_PORT, t.dport);
      }
    });
    if (t.zone !== undefined) n.be16(CTA_TUPLE_ZONE, t.zone);
  });
}

function encodeSeqAdj(enc: AttributeEncoder, type: number, s: CtSeqAdj): void {
  enc.nested(type, (n) => n.be32(CTA_SEQADJ_CORRECTION_POS, s.correctionPos)
    .be32(CTA_SEQADJ_OFFSET_BEFORE, s.offsetBefore).be32(CTA_SEQADJ_OFFSET_AFTER, s.offsetAfter));
}

function encodeNat(enc: AttributeEncoder, type: number, nat: CtNat): void {
  enc.nested(type, (n) => {
    const ip = ipv4ToBuffer(nat.ip);
    n.bytes(CTA_NAT_V4_MINIP, ip).bytes(CTA_NAT_V4_MAXIP, ip);
    if (nat.port !== undefined) {
      const port = nat.port;
      n.nested(CTA_NAT_PROTO, (p) => p.be16(CTA_PROTONAT_PORT_MIN, port).be16(CTA_PROTONAT_PORT_MAX, port));
    }
  });
}

/** The payload (nfgenmsg + attributes) of a ctnetlink request for `e`. */
export function referenceEncodeEntry(e: CtEntry, opts: EncodeOptions = { purpose: 'create' }): Buffer {
  const enc = new AttributeEncoder();
  encodeTuple(enc, CTA_TUPLE_ORIG, e.orig);
  if (opts.purpose === 'create' && e.reply !== undefined) encodeTuple(enc, CTA_TUPLE_REPLY, e.reply);
  if (e.zone !== undefined) enc.be16(CTA_ZONE, e.zone);
  if (opts.purpose === 'create') {
    if (e.status !== undefined) enc.be32(CTA_STATUS, ((e.status & (opts.statusMask ?? 0xffffffff)) | (opts.statusSet ?? 0)) >>> 0);
    if (e.timeout !== undefined) enc.be32(CTA_TIMEOUT, e.timeout);
    if (e.mark !== undefined) enc.be32(CTA_MARK, e.mark);
    if (e.tcp !== undefined) {
      const tcp = e.tcp;
      enc.nested(CTA_PROTOINFO, (pi) => pi.nested(CTA_PROTOINFO_TCP, (t) => {
        t.u8(CTA_PROTOINFO_TCP_STATE, tcp.state);
        if (tcp.wscaleOrig !== undefined) t.u8(CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, tcp.wscaleOrig);
        if (tcp.wscaleReply !== undefined) t.u8(CTA_PROTOINFO_TCP_WSCALE_REPLY, tcp.wscaleReply);
        if (tcp.flagsOrig !== undefined) t.bytes(CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, Buffer.from([tcp.flagsOrig.flags, tcp.flagsOrig.mask]));
        if (tcp.flagsReply !== undefined) t.bytes(CTA_PROTOINFO_TCP_FLAGS_REPLY, Buffer.from([tcp.flagsReply.flags, tcp.flagsReply.mask]));
      }));
    }
    if (e.natSrc !== undefined) encodeNat(enc, CTA_NAT_SRC, e.natSrc);
    if (e.natDst !== undefined) encodeNat(enc, CTA_NAT_DST, e.natDst);
    if (e.seqAdjOrig !== undefined) encodeSeqAdj(enc, CTA_SEQ_ADJ_ORIG, e.seqAdjOrig);
    if (e.seqAdjReply !== undefined) encodeSeqAdj(enc, CTA_SEQ_ADJ_REPLY, e.seqAdjReply);
    if (e.labels !== undefined) enc.bytes(CTA_LABELS, e.labels);
    if (e.master !== undefined) encodeTuple(enc, CTA_TUPLE_MASTER, e.master);
  }
  return Buffer.concat([encodeNfgenmsg(AF_INET), enc.encode()]);
}

export function referenceEncodeMessage(type: number, flags: number, seq: number, e: CtEntry, opts: EncodeOptions): Buffer {
  return encodeMessage({ type, flags, seq, pid: 0, payload: referenceEncodeEntry(e, opts) });
}
