// rtnetlink routes: RTM_NEWROUTE / RTM_DELROUTE codec (struct rtmsg + RTA_* attributes), any
// table. In the IPv4 FIB a route is identified by (table, destination/length, tos, metric); the
// gateway, interface and type are what the route says. rtm_protocol says who added it
// (Stockade marks its own with RTPROT_STOCKADE).
import { AttributeEncoder, indexAttributes, u32At, wantedTypes } from '../netlink/attributes.ts';
import { NetlinkParseError } from '../netlink/message.ts';
import type { NetlinkMessage } from '../netlink/message.ts';
import {
  AF_INET, RT_SCOPE_UNIVERSE, RT_TABLE_MAIN, RT_TABLE_UNSPEC, RTA_DST, RTA_GATEWAY, RTA_IIF, RTA_MULTIPATH, RTA_OIF, RTA_PREFSRC,
  RTA_PRIORITY, RTA_SRC, RTA_TABLE, RTM_DELROUTE, RTM_NEWROUTE, RTM_OFF_DST_LEN, RTM_OFF_FAMILY, RTM_OFF_FLAGS, RTM_OFF_PROTOCOL,
  RTM_OFF_SCOPE, RTM_OFF_SRC_LEN, RTM_OFF_TABLE, RTM_OFF_TOS, RTM_OFF_TYPE, RTMSG_LEN, RTN_UNICAST, RTPROT_STATIC, RTA_MARK,
} from './constants.ts';
import { encodeIp, ipAt, type IpAddress } from './inet.ts';

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
  dst?: IpAddress;
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
  gateway?: IpAddress;
  oif?: number;
  metric?: number;
  prefsrc?: IpAddress;
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
  const e = new AttributeEncoder(rtmsg(r, tableId > 255 ? RT_TABLE_UNSPEC : tableId));
  if (r.dst !== undefined && r.dstLength > 0) e.bytes(RTA_DST, encodeIp(r.dst));
  if (r.gateway !== undefined) e.bytes(RTA_GATEWAY, encodeIp(r.gateway));
  if (r.metric !== undefined) e.u32(RTA_PRIORITY, r.metric);
  if (tableId > 255) e.u32(RTA_TABLE, tableId);
  if (r.prefsrc !== undefined) e.bytes(RTA_PREFSRC, encodeIp(r.prefsrc));
  if (r.oif !== undefined) e.u32(RTA_OIF, r.oif);
  return e.encode();
}

/**
 * What a route dump asks for: one table and/or one protocol (rtm_protocol). Only a socket with
 * NETLINK_GET_STRICT_CHK has the kernel filter (then it walks the other tables without sending
 * them, e.g. the local table's route per address); without it the kernel sends every route, so
 * a reader filters again (routeMatches).
 */
export interface RouteDumpFilter {
  /** Full table id (not 0: that is every table). */
  table?: number;
  /** RTPROT_* (not 0: that is any). */
  protocol?: number;
}

/**
 * RTM_GETROUTE dump request: every table of a family, or what `filter` selects, laid out as
 * iproute2 does for `ip -4 route show table T proto P` (rtm_protocol; the table in RTA_TABLE,
 * rtm_table 0).
 */
export function encodeRouteDumpRequest(family = AF_INET, filter: RouteDumpFilter = {}): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b.writeUInt8(family, RTM_OFF_FAMILY);
  if (filter.protocol !== undefined) b.writeUInt8(filter.protocol, RTM_OFF_PROTOCOL);
  if (filter.table === undefined) return b;
  return Buffer.concat([b, new AttributeEncoder().u32(RTA_TABLE, filter.table).encode()]);
}

/** Whether a dumped route is one `filter` asks for. */
export function routeMatches(r: Route, filter: RouteDumpFilter): boolean {
  return (filter.table === undefined || r.table === filter.table) && (filter.protocol === undefined || r.protocol === filter.protocol);
}

const ROUTE_TYPES = wantedTypes([RTA_DST, RTA_SRC, RTA_GATEWAY, RTA_OIF, RTA_IIF, RTA_PRIORITY, RTA_PREFSRC, RTA_TABLE, RTA_MARK, RTA_MULTIPATH]);
/** Reused by every decode. */
const routeAt = new Int32Array(2 * ROUTE_TYPES.length);

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
  // In place (see indexAttributes).
  const at = routeAt;
  indexAttributes(p, RTMSG_LEN, p.length, ROUTE_TYPES, at);
  const s = (t: number): number => at[2 * t]!;
  const e = (t: number): number => at[2 * t + 1]!;
  const u32 = (t: number): number => u32At(p, t, s(t), e(t));
  if (s(RTA_DST) >= 0) r.dst = ipAt(p, s(RTA_DST), e(RTA_DST));
  if (s(RTA_SRC) >= 0) r.src = ipAt(p, s(RTA_SRC), e(RTA_SRC));
  if (s(RTA_GATEWAY) >= 0) r.gateway = ipAt(p, s(RTA_GATEWAY), e(RTA_GATEWAY));
  if (s(RTA_OIF) >= 0) r.oif = u32(RTA_OIF);
  if (s(RTA_IIF) >= 0) r.iif = u32(RTA_IIF);
  if (s(RTA_PRIORITY) >= 0) r.metric = u32(RTA_PRIORITY);
  if (s(RTA_PREFSRC) >= 0) r.prefsrc = ipAt(p, s(RTA_PREFSRC), e(RTA_PREFSRC));
  if (s(RTA_TABLE) >= 0) r.table = u32(RTA_TABLE);
  if (s(RTA_MARK) >= 0) r.mark = u32(RTA_MARK);
  if (s(RTA_MULTIPATH) >= 0) r.multipath = true;
  return r;
}
