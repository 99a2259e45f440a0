// NLMSG_ERROR (acks and errors) and NLMSG_DONE payloads, with extended-ack TLVs: the kernel's
// error message string, the offset of the offending attribute, a missing attribute's type.
import { errnoName } from '../errors.ts';
import { attrString, attrU32, decodeAttributes } from './attributes.ts';
import type { Attribute } from './attributes.ts';
import {
  NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSG_HDRLEN, NLMSG_OFF_FLAGS, NLMSG_OFF_LEN, NLMSG_OFF_PID, NLMSG_OFF_SEQ, NLMSG_OFF_TYPE, NLMSGERR_ATTR_COOKIE, NLMSGERR_ATTR_MISS_NEST,
  NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_POLICY, NLMSGERR_ERROR_LEN,
} from './constants.ts';
import { NetlinkParseError, nlmsgAlign } from './message.ts';
import type { NetlinkMessage } from './message.ts';

export interface ExtendedAck {
  /** NLMSGERR_ATTR_MSG: the kernel's explanation ("Unknown device type"). */
  message?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset of the bad attribute in the request, header included. */
  offset?: number;
  cookie?: Buffer;
  /** NLMSGERR_ATTR_POLICY: the violated policy, raw (NL_POLICY_TYPE_ATTR_* TLVs). */
  policy?: Attribute[];
  missingType?: number;
  missingNest?: number;
}

export interface AckInfo extends ExtendedAck {
  /** 0 for an ack, else a negative errno. */
  error: number;
  /** Header of the request this answers. */
  request: { len: number; type: number; flags: number; seq: number; pid: number };
  /** The request's payload as echoed (absent when capped: NETLINK_CAP_ACK, or any ack). */
  requestPayload?: Buffer;
}

function decodeExtAck(tlvs: Buffer): ExtendedAck {
  const out: ExtendedAck = {};
  for (const a of decodeAttributes(tlvs)) {
    switch (a.type) {
      case NLMSGERR_ATTR_MSG: out.message = attrString(a); break;
      case NLMSGERR_ATTR_OFFS: out.offset = attrU32(a); break;
      case NLMSGERR_ATTR_COOKIE: out.cookie = a.data; break;
      case NLMSGERR_ATTR_POLICY: out.policy = decodeAttributes(a.data); break;
      case NLMSGERR_ATTR_MISS_TYPE: out.missingType = attrU32(a); break;
      case NLMSGERR_ATTR_MISS_NEST: out.missingNest = attrU32(a); break;
      default: break; // newer kernels may add TLVs
    }
  }
  return out;
}

/** Decodes an NLMSG_ERROR message (type checked by the caller). */
export function decodeAck(m: NetlinkMessage): AckInfo {
  const p = m.payload;
  if (p.length < NLMSGERR_ERROR_LEN + NLMSG_HDRLEN) throw new NetlinkParseError(`NLMSG_ERROR payload of ${p.length} bytes`, 0);
  const error = p.readInt32LE(0);
  const h = NLMSGERR_ERROR_LEN;
  const request = {
    len: p.readUInt32LE(h + NLMSG_OFF_LEN),
    type: p.readUInt16LE(h + NLMSG_OFF_TYPE),
    flags: p.readUInt16LE(h + NLMSG_OFF_FLAGS),
    seq: p.readUInt32LE(h + NLMSG_OFF_SEQ),
    pid: p.readUInt32LE(h + NLMSG_OFF_PID),
  };
  let off = h + NLMSG_HDRLEN;
  const info: AckInfo = { error, request };
  // The kernel echoes the whole request only for errors without NETLINK_CAP_ACK.
  if ((m.flags & NLM_F_CAPPED) === 0 && error !== 0 && request.len > NLMSG_HDRLEN) {
    const end = h + nlmsgAlign(request.len);
    if (end > p.length) throw new NetlinkParseError(`echoed request of ${request.len} bytes runs past the ack`, h);
    info.requestPayload = p.subarray(off, h + request.len);
    off = end;
  }
  if ((m.flags & NLM_F_ACK_TLVS) !== 0 && off < p.length) Object.assign(info, decodeExtAck(p.subarray(off)));
  return info;
}

/** NLMSG_DONE: s32 status of the dump (negative errno if it failed), then extended-ack TLVs. */
export function decodeDone(m: NetlinkMessage): { error: number } & ExtendedAck {
  // Some families (old nfnetlink) send an empty DONE.
  if (m.payload.length < NLMSGERR_ERROR_LEN) return { error: 0 };
  const error = m.payload.readInt32LE(0);
  const ext = (m.flags & NLM_F_ACK_TLVS) !== 0 ? decodeExtAck(m.payload.subarray(NLMSGERR_ERROR_LEN)) : {};
  return { error, ...ext };
}

/** A kernel-reported failure of a netlink request, shaped like a Node system error. */
export class NetlinkError extends Error {
  readonly code: string;
  /** Negative, as in Node's system errors. */
  readonly errno: number;
  readonly syscall = 'netlink';
  readonly requestType: number;
  readonly kernelMessage: string | undefined;
  readonly offset: number | undefined;
  readonly missingType: number | undefined;

  constructor(error: number, requestType: number, ext: ExtendedAck = {}, what = 'request') {
    const code = errnoName(error);
    const detail = ext.message !== undefined ? `: ${ext.message}` : '';
    const where = ext.offset !== undefined ? ` (attribute at byte ${ext.offset})` : '';
    const missing = ext.missingType !== undefined ? ` (missing attribute ${ext.missingType})` : '';
    super(`netlink ${what} type ${requestType} failed: ${code}${detail}${where}${missing}`);
    this.name = 'NetlinkError';
    this.code = code;
    this.errno = -Math.abs(error);
    this.requestType = requestType;
    this.kernelMessage = ext.message;
    this.offset = ext.offset;
    this.missingType = ext.missingType;
  }
}
