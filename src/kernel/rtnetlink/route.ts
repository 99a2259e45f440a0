// rtnetlink routes: RTM_NEWROUTE / RTM_DELROUTE codec (struct rtmsg + RTA_* attributes), any
// table. In the IPv4 FIB a route is identified by (table, destination/length, tos, metric); the
// gateway, interface and type are what the route says. rtm_protocol says who added it
// (Stockade marks its own with RTPROT_STOCKADE).
import { AttributeEncoder, attrU32, decodeAttributes } from '../netlink/attributes.ts';
import { NetlinkParseError } from '../netlink/message.ts';
import type { NetlinkMessage } from '../netlink/message.ts';
import {
  AF_INET, RT_SCOPE_UNIVERSE, RT_TABLE_MAIN, RT_TABLE_UNSPEC, RTA_DST, RTA_GATEWAY, RTA_IIF, RTA_MULTIPATH, RTA_OIF, RTA_PREFSRC,
  RTA_PRIORITY, RTA_SRC, RTA_TABLE, RTM_DELROUTE, RTM_NEWROUTE, RTM_OFF_DST_LEN, RTM_OFF_FAMILY, RTM_OFF_FLAGS, RTM_OFF_PROTOCOL,
  RTM_OFF_SCOPE, RTM_OFF_SRC_LEN, RTM_OFF_TABLE, RTM_OFF_TOS, RTM_OFF_TYPE, RTMSG_LEN, RTN_UNICAST, RTPROT_STATIC, RTA_MARK,
} from './constants.ts';
import { decodeIp, encodeIp } from './inet.ts';

export interface Route {
  family: number;
  /** Destination prefix; absent with dstLength 0 (the default route). */
  dst?: string;
  dstLength: number;
  src?: string;
  srcLength: number;
  tos: number;
  /** Full table id (RTA_TABLE when present, else rtm_table). */
  table: number;
  /** RTPROT_*: who added it. */
  protocol: number;
  /** RT_SCOPE_*. */
  scope: number;
  /** RTN_*. */
  type: number;
  /** RTM_F_* and RTNH_F_* bits. */
  flags: number;
  gateway?: string;
  /** Outgoing interface index. */
  oif?: number;
  iif?: number;
  /** RTA_PRIORITY, the metric. */
  metric?: number;
  prefsrc?: string;
  mark?: number;
  /** Present for multipath routes (not managed by Stockade; kept so they are never mistaken). */
  multipath?: boolean;
}

export interface RouteRequest {
  family?: number;
  dst?: string;
  dstLength: number;
  tos?: number;
  /** Default RT_TABLE_MAIN. */
  table?: number;
  /** Default RTPROT_STATIC. */
  protocol?: number;
  /** Default RT_SCOPE_UNIVERSE. */
  scope?: number;
  /** Default RTN_UNICAST. */
  type?: number;
  flags?: number;
  gateway?: string;
  oif?: number;
  metric?: number;
  prefsrc?: string;
}

function rtmsg(r: RouteRequest, table: number): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b.writeUInt8(r.family ?? AF_INET, RTM_OFF_FAMILY);
  b.writeUInt8(r.dstLength, RTM_OFF_DST_LEN);
  b.writeUInt8(0, RTM_OFF_SRC_LEN);
  b.writeUInt8(r.tos ?? 0, RTM_OFF_TOS);
  b.writeUInt8(table, RTM_OFF_TABLE);
  b.writeUInt8(r.protocol ?? RTPROT_STATIC, RTM_OFF_PROTOCOL);
  b.writeUInt8(r.scope ?? RT_SCOPE_UNIVERSE, RTM_OFF_SCOPE);
  b.writeUInt8(r.type ?? RTN_UNICAST, RTM_OFF_TYPE);
  b.writeUInt32LE((r.flags ?? 0) >>> 0, RTM_OFF_FLAGS);
  return b;
}

/**
 * RTM_NEWROUTE (NLM_F_CREATE | NLM_F_EXCL to add, NLM_F_CREATE | NLM_F_REPLACE to change the
 * route with the same key in place) or RTM_DELROUTE payload. Attribute order as `ip route add
 * DST via GW metric M table T src S dev IF` sends it (iproute2 adds RTA_OIF last); tables above 255 go in RTA_TABLE, as iproute2 does.
 */
export function encodeRoute(r: RouteRequest): Buffer {
  const tableId = r.table ?? RT_TABLE_MAIN;
  const e = new AttributeEncoder();
  if (r.dst !== undefined && r.dstLength > 0) e.bytes(RTA_DST, encodeIp(r.dst));
  if (r.gateway !== undefined) e.bytes(RTA_GATEWAY, encodeIp(r.gateway));
  if (r.metric !== undefined) e.u32(RTA_PRIORITY, r.metric);
  if (tableId > 255) e.u32(RTA_TABLE, tableId);
  if (r.prefsrc !== undefined) e.bytes(RTA_PREFSRC, encodeIp(r.prefsrc));
  if (r.oif !== undefined) e.u32(RTA_OIF, r.oif);
  return Buffer.concat([rtmsg(r, tableId > 255 ? RT_TABLE_UNSPEC : tableId), e.encode()]);
}

/** RTM_GETROUTE dump request: every table of a family. */
export function encodeRouteDumpRequest(family = AF_INET): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b.writeUInt8(family, RTM_OFF_FAMILY);
  return b;
}

export function decodeRoute(m: NetlinkMessage): Route {
  if (m.type !== RTM_NEWROUTE && m.type !== RTM_DELROUTE) throw new NetlinkParseError(`message type ${m.type} is not RTM_NEWROUTE`, 0);
  const p = m.payload;
  if (p.length < RTMSG_LEN) throw new NetlinkParseError(`rtmsg of ${p.length} bytes`, 0);
  const r: Route = {
    family: p.readUInt8(RTM_OFF_FAMILY),
    dstLength: p.readUInt8(RTM_OFF_DST_LEN),
    srcLength: p.readUInt8(RTM_OFF_SRC_LEN),
    tos: p.readUInt8(RTM_OFF_TOS),
    table: p.readUInt8(RTM_OFF_TABLE),
    protocol: p.readUInt8(RTM_OFF_PROTOCOL),
    scope: p.readUInt8(RTM_OFF_SCOPE),
    type: p.readUInt8(RTM_OFF_TYPE),
    flags: p.readUInt32LE(RTM_OFF_FLAGS),
  };
  for (const a of decodeAttributes(p.subarray(RTMSG_LEN))) {
    switch (a.type) {
      case RTA_DST: r.dst = decodeIp(a.data); break;
      case RTA_SRC: r.src = decodeIp(a.data); break;
      case RTA_GATEWAY: r.gateway = decodeIp(a.data); break;
      case RTA_OIF: r.oif = attrU32(a); break;
      case RTA_IIF: r.iif = attrU32(a); break;
      case RTA_PRIORITY: r.metric = attrU32(a); break;
      case RTA_PREFSRC: r.prefsrc = decodeIp(a.data); break;
      case RTA_TABLE: r.table = attrU32(a); break;
      case RTA_MARK: r.mark = attrU32(a); break;
      case RTA_MULTIPATH: r.multipath = true; break;
      default: break;
    }
  }
  return r;
}
