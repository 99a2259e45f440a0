// rtnetlink policy routing rules: RTM_NEWRULE / RTM_DELRULE codec (struct fib_rule_hdr + FRA_*
// attributes). FRA_PROTOCOL says who added a rule (Stockade marks its own with RTPROT_STOCKADE).
import { AttributeEncoder, indexAttributes, stringAt, u32At, u8At, wantedTypes } from '../netlink/attributes.ts';
import { NetlinkParseError } from '../netlink/message.ts';
import type { NetlinkMessage } from '../netlink/message.ts';
import {
  AF_INET, FIB_RULE_HDR_LEN, FR_ACT_TO_TBL, FRA_DST, FRA_FWMARK, FRA_FWMASK, FRA_GOTO, FRA_IIFNAME, FRA_OIFNAME, FRA_PRIORITY,
  FRA_PROTOCOL, FRA_SRC, FRA_SUPPRESS_PREFIXLEN, FRA_TABLE, FRH_OFF_ACTION, FRH_OFF_DST_LEN, FRH_OFF_FAMILY, FRH_OFF_FLAGS,
  FRH_OFF_SRC_LEN, FRH_OFF_TABLE, FRH_OFF_TOS, RT_TABLE_UNSPEC, RTM_DELRULE, RTM_NEWRULE,
} from './constants.ts';
import { encodeIp, ipAt, type IpAddress } from './inet.ts';

/**
 * What a rule matches: the part the kernel's rules (addresses as text) and the config's
 * (IPv4 numbers) share.
 */
export interface RuleSelector<A extends IpAddress = string> {
  src?: A;
  srcLength: number;
  dst?: A;
  dstLength: number;
  iifname?: string;
  oifname?: string;
  fwmark?: number;
  fwmask?: number;
}

/** A selector's fields as a request carries them (only those set). */
export function selectorRequest(r: RuleSelector<IpAddress>): RuleRequest {
  return {
    ...(r.src !== undefined ? { src: r.src, srcLength: r.srcLength } : {}),
    ...(r.dst !== undefined ? { dst: r.dst, dstLength: r.dstLength } : {}),
    ...(r.iifname !== undefined ? { iifname: r.iifname } : {}),
    ...(r.oifname !== undefined ? { oifname: r.oifname } : {}),
    ...(r.fwmark !== undefined ? { fwmark: r.fwmark } : {}),
    ...(r.fwmask !== undefined ? { fwmask: r.fwmask } : {}),
  };
}

export interface Rule extends RuleSelector {
  family: number;
  /** FR_ACT_*. */
  action: number;
  /** Full table id (FRA_TABLE when present, else the header's). */
  table: number;
  /** FIB_RULE_* flags. */
  flags: number;
  tos: number;
  priority?: number;
  goto?: number;
  protocol?: number;
  suppressPrefixLength?: number;
}

export interface RuleRequest {
  family?: number;
  /** Default FR_ACT_TO_TBL. */
  action?: number;
  table?: number;
  flags?: number;
  tos?: number;
  priority?: number;
  src?: IpAddress;
  srcLength?: number;
  dst?: IpAddress;
  dstLength?: number;
  iifname?: string;
  oifname?: string;
  fwmark?: number;
  fwmask?: number;
  protocol?: number;
}

/**
 * RTM_NEWRULE (NLM_F_CREATE | NLM_F_EXCL) or RTM_DELRULE payload. Attribute order as
 * `ip rule add from SRC to DST iif I oif O fwmark M/K priority P table T protocol X` sends it.
 */
export function encodeRule(r: RuleRequest): Buffer {
  const table = r.table ?? 0;
  const h = Buffer.alloc(FIB_RULE_HDR_LEN);
  h.writeUInt8(r.family ?? AF_INET, FRH_OFF_FAMILY);
  h.writeUInt8(r.dst !== undefined ? (r.dstLength ?? 32) : 0, FRH_OFF_DST_LEN);
  h.writeUInt8(r.src !== undefined ? (r.srcLength ?? 32) : 0, FRH_OFF_SRC_LEN);
  h.writeUInt8(r.tos ?? 0, FRH_OFF_TOS);
  h.writeUInt8(table > 255 ? RT_TABLE_UNSPEC : table, FRH_OFF_TABLE);
  h.writeUInt8(r.action ?? FR_ACT_TO_TBL, FRH_OFF_ACTION);
  h.writeUInt32LE((r.flags ?? 0) >>> 0, FRH_OFF_FLAGS);
  const e = new AttributeEncoder();
  if (r.src !== undefined) e.bytes(FRA_SRC, encodeIp(r.src));
  if (r.dst !== undefined) e.bytes(FRA_DST, encodeIp(r.dst));
  if (r.iifname !== undefined) e.string(FRA_IIFNAME, r.iifname);
  if (r.oifname !== undefined) e.string(FRA_OIFNAME, r.oifname);
  if (r.fwmark !== undefined) e.u32(FRA_FWMARK, r.fwmark);
  if (r.fwmask !== undefined) e.u32(FRA_FWMASK, r.fwmask);
  if (r.priority !== undefined) e.u32(FRA_PRIORITY, r.priority);
  if (table > 255) e.u32(FRA_TABLE, table);
  if (r.protocol !== undefined) e.u8(FRA_PROTOCOL, r.protocol);
  return Buffer.concat([h, e.encode()]);
}

/** RTM_GETRULE dump request for a family. */
export function encodeRuleDumpRequest(family = AF_INET): Buffer {
  const h = Buffer.alloc(FIB_RULE_HDR_LEN);
  h.writeUInt8(family, FRH_OFF_FAMILY);
  return h;
}

const RULE_TYPES = wantedTypes([
  FRA_SRC, FRA_DST, FRA_IIFNAME, FRA_OIFNAME, FRA_FWMARK, FRA_FWMASK, FRA_PRIORITY, FRA_TABLE, FRA_GOTO, FRA_PROTOCOL, FRA_SUPPRESS_PREFIXLEN,
]);
/** Reused by every decode. */
const ruleAt = new Int32Array(2 * RULE_TYPES.length);

export function decodeRule(m: NetlinkMessage): Rule {
  if (m.type !== RTM_NEWRULE && m.type !== RTM_DELRULE) throw new NetlinkParseError(`message type ${m.type} is not RTM_NEWRULE`, 0);
  const p = m.payload;
  if (p.length < FIB_RULE_HDR_LEN) throw new NetlinkParseError(`fib_rule_hdr of ${p.length} bytes`, 0);
  const r: Rule = {
    family: p.readUInt8(FRH_OFF_FAMILY),
    action: p.readUInt8(FRH_OFF_ACTION),
    table: p.readUInt8(FRH_OFF_TABLE),
    flags: p.readUInt32LE(FRH_OFF_FLAGS),
    tos: p.readUInt8(FRH_OFF_TOS),
    srcLength: p.readUInt8(FRH_OFF_SRC_LEN),
    dstLength: p.readUInt8(FRH_OFF_DST_LEN),
  };
  // In place (see indexAttributes), as links, addresses and routes are read.
  const at = ruleAt;
  indexAttributes(p, FIB_RULE_HDR_LEN, p.length, RULE_TYPES, at);
  const s = (t: number): number => at[2 * t]!;
  const e = (t: number): number => at[2 * t + 1]!;
  const u32 = (t: number): number => u32At(p, t, s(t), e(t));
  if (s(FRA_SRC) >= 0) r.src = ipAt(p, s(FRA_SRC), e(FRA_SRC));
  if (s(FRA_DST) >= 0) r.dst = ipAt(p, s(FRA_DST), e(FRA_DST));
  if (s(FRA_IIFNAME) >= 0) r.iifname = stringAt(p, s(FRA_IIFNAME), e(FRA_IIFNAME));
  if (s(FRA_OIFNAME) >= 0) r.oifname = stringAt(p, s(FRA_OIFNAME), e(FRA_OIFNAME));
  if (s(FRA_FWMARK) >= 0) r.fwmark = u32(FRA_FWMARK);
  if (s(FRA_FWMASK) >= 0) r.fwmask = u32(FRA_FWMASK);
  if (s(FRA_PRIORITY) >= 0) r.priority = u32(FRA_PRIORITY);
  if (s(FRA_TABLE) >= 0) r.table = u32(FRA_TABLE);
  if (s(FRA_GOTO) >= 0) r.goto = u32(FRA_GOTO);
  if (s(FRA_PROTOCOL) >= 0) r.protocol = u8At(p, FRA_PROTOCOL, s(FRA_PROTOCOL), e(FRA_PROTOCOL));
  if (s(FRA_SUPPRESS_PREFIXLEN) >= 0) r.suppressPrefixLength = u32(FRA_SUPPRESS_PREFIXLEN);
  return r;
}
