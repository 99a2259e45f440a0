// rtnetlink addresses: RTM_NEWADDR / RTM_DELADDR codec (struct ifaddrmsg + IFA_* attributes).
// An IPv4 address is identified by (ifindex, local address, prefix length); IFA_PROTO says who
// added it (Stockade marks its own with RTPROT_STOCKADE).
import { AttributeEncoder, indexAttributes, stringAt, u32At, u8At, wantedTypes } from '../netlink/attributes.ts';
import { NetlinkParseError } from '../netlink/message.ts';
import type { NetlinkMessage } from '../netlink/message.ts';
import {
  AF_INET, IFA_ADDRESS, IFA_BROADCAST, IFA_CACHEINFO, IFA_CACHEINFO_LEN, IFA_FLAGS, IFA_LABEL, IFA_LOCAL, IFA_OFF_FAMILY,
  IFA_OFF_FLAGS, IFA_OFF_INDEX, IFA_OFF_PREFIXLEN, IFA_OFF_SCOPE, IFA_PROTO, IFA_RT_PRIORITY, IFADDRMSG_LEN, RTM_DELADDR, RTM_NEWADDR,
} from './constants.ts';
import { encodeIp, familyOf, ipAt, type IpAddress } from './inet.ts';

export interface Address {
  family: number;
  /** ifindex of the interface. */
  index: number;
  prefixLength: number;
  /** IFA_F_* (from IFA_FLAGS when present: it has the bits that do not fit ifa_flags). */
  flags: number;
  /** RT_SCOPE_*. */
  scope: number;
  /** IFA_LOCAL: the interface's own address (IPv4). */
  local?: string;
  /** IFA_ADDRESS: the peer on point-to-point links, else the same as local (IPv6: the address). */
  address?: string;
  broadcast?: string;
  label?: string;
  /** IFA_PROTO: who added it (0 or absent: unknown, e.g. `ip addr add`). */
  protocol?: number;
  /** IFA_RT_PRIORITY: metric of the prefix route. */
  metric?: number;
  /** Seconds; 0xffffffff = forever. */
  validLifetime?: number;
  preferredLifetime?: number;
}

export interface AddressRequest {
  index: number;
  /** The interface's address (an IPv4 number, or text). */
  local: IpAddress;
  prefixLength: number;
  /** Peer address; defaults to local, as `ip addr add` sends it. */
  address?: IpAddress;
  broadcast?: IpAddress;
  label?: string;
  protocol?: number;
  scope?: number;
  flags?: number;
  metric?: number;
  /** Seconds (IFA_CACHEINFO; both or neither): the kernel removes the address when valid runs out. */
  validLifetime?: number;
  preferredLifetime?: number;
}

function ifaddrmsg(family: number, prefixLength: number, flags: number, scope: number, index: number): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b.writeUInt8(family, IFA_OFF_FAMILY);
  b.writeUInt8(prefixLength, IFA_OFF_PREFIXLEN);
  b.writeUInt8(flags & 0xff, IFA_OFF_FLAGS);
  b.writeUInt8(scope, IFA_OFF_SCOPE);
  b.writeUInt32LE(index >>> 0, IFA_OFF_INDEX);
  return b;
}

/**
 * RTM_NEWADDR payload (send with NLM_F_CREATE | NLM_F_EXCL to add, NLM_F_REPLACE to update the
 * protocol, metric and lifetimes of an existing one in place) or RTM_DELADDR payload.
 * Attribute order as `ip addr add` sends it: IFA_LOCAL, IFA_ADDRESS, then the rest.
 */
export function encodeAddress(req: AddressRequest): Buffer {
  const family = familyOf(req.local);
  const flags = req.flags ?? 0;
  const e = new AttributeEncoder(ifaddrmsg(family, req.prefixLength, flags, req.scope ?? 0, req.index));
  e.bytes(IFA_LOCAL, encodeIp(req.local));
  e.bytes(IFA_ADDRESS, encodeIp(req.address ?? req.local));
  if (req.broadcast !== undefined) e.bytes(IFA_BROADCAST, encodeIp(req.broadcast));
  if (req.label !== undefined) e.string(IFA_LABEL, req.label);
  if (req.metric !== undefined) e.u32(IFA_RT_PRIORITY, req.metric);
  if (req.protocol !== undefined) e.u8(IFA_PROTO, req.protocol);
  if (req.validLifetime !== undefined || req.preferredLifetime !== undefined) {
    // struct ifa_cacheinfo: ifa_prefered, ifa_valid, cstamp, tstamp (the stamps are ignored on input).
    const ci = Buffer.alloc(IFA_CACHEINFO_LEN);
    ci.writeUInt32LE((req.preferredLifetime ?? req.validLifetime!) >>> 0, 0);
    ci.writeUInt32LE((req.validLifetime ?? req.preferredLifetime!) >>> 0, 4);
    e.bytes(IFA_CACHEINFO, ci);
  }
  // Flags above 0xff only travel in IFA_FLAGS.
  if (flags > 0xff) e.u32(IFA_FLAGS, flags);
  return e.encode();
}

/** RTM_GETADDR dump request for one family (AF_UNSPEC: all). */
export function encodeAddressDumpRequest(family = AF_INET): Buffer {
  return ifaddrmsg(family, 0, 0, 0, 0);
}

const ADDRESS_TYPES = wantedTypes([IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST, IFA_LABEL, IFA_FLAGS, IFA_PROTO, IFA_RT_PRIORITY, IFA_CACHEINFO]);
/** Reused by every decode. */
const addressAt = new Int32Array(2 * ADDRESS_TYPES.length);

export function decodeAddress(m: NetlinkMessage): Address {
  if (m.type !== RTM_NEWADDR && m.type !== RTM_DELADDR) throw new NetlinkParseError(`message type ${m.type} is not RTM_NEWADDR`, 0);
  const p = m.payload;
  if (p.length < IFADDRMSG_LEN) throw new NetlinkParseError(`ifaddrmsg of ${p.length} bytes`, 0);
  const a: Address = {
    family: p.readUInt8(IFA_OFF_FAMILY),
    index: p.readUInt32LE(IFA_OFF_INDEX),
    prefixLength: p.readUInt8(IFA_OFF_PREFIXLEN),
    flags: p.readUInt8(IFA_OFF_FLAGS),
    scope: p.readUInt8(IFA_OFF_SCOPE),
  };
  // In place (see indexAttributes): an address dump has one message per address.
  const at = addressAt;
  indexAttributes(p, IFADDRMSG_LEN, p.length, ADDRESS_TYPES, at);
  const s = (t: number): number => at[2 * t]!;
  const e = (t: number): number => at[2 * t + 1]!;
  if (s(IFA_LOCAL) >= 0) a.local = ipAt(p, s(IFA_LOCAL), e(IFA_LOCAL));
  if (s(IFA_ADDRESS) >= 0) {
    // Mostly the same bytes as IFA_LOCAL (not a point-to-point link): the same text.
    const l = s(IFA_LOCAL);
    const r = s(IFA_ADDRESS);
    const same = a.local !== undefined && e(IFA_ADDRESS) - r === 4 && e(IFA_LOCAL) - l === 4
      && p[l] === p[r] && p[l + 1] === p[r + 1] && p[l + 2] === p[r + 2] && p[l + 3] === p[r + 3];
    a.address = same ? a.local : ipAt(p, s(IFA_ADDRESS), e(IFA_ADDRESS));
  }
  if (s(IFA_BROADCAST) >= 0) a.broadcast = ipAt(p, s(IFA_BROADCAST), e(IFA_BROADCAST));
  if (s(IFA_LABEL) >= 0) a.label = stringAt(p, s(IFA_LABEL), e(IFA_LABEL));
  if (s(IFA_FLAGS) >= 0) a.flags = u32At(p, IFA_FLAGS, s(IFA_FLAGS), e(IFA_FLAGS));
  if (s(IFA_PROTO) >= 0) a.protocol = u8At(p, IFA_PROTO, s(IFA_PROTO), e(IFA_PROTO));
  if (s(IFA_RT_PRIORITY) >= 0) a.metric = u32At(p, IFA_RT_PRIORITY, s(IFA_RT_PRIORITY), e(IFA_RT_PRIORITY));
  if (s(IFA_CACHEINFO) >= 0 && e(IFA_CACHEINFO) - s(IFA_CACHEINFO) >= IFA_CACHEINFO_LEN) {
    a.preferredLifetime = p.readUInt32LE(s(IFA_CACHEINFO));
    a.validLifetime = p.readUInt32LE(s(IFA_CACHEINFO) + 4);
  }
  return a;
}

/** The interface's own address: IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6. */
export function ownAddress(a: Address): string | undefined {
  return a.local ?? a.address;
}
