// rtnetlink links: the RTM_NEWLINK codec (decode dumps and events; encode create, change and
// delete requests). Each kind's options (bond, bridge, vlan, macvlan, veth) have their codec in
// link/<kind>.ts, listed in link/kinds.ts. Numbers on the wire stay numbers here (bond mode 4,
// bridge times in 1/100 s); src/net maps them to config words.
//
// Requests are laid out as iproute2 lays out the same command (IFLA_IFNAME after the other
// attributes and before IFLA_LINKINFO; nests without NLA_F_NESTED; IFLA_INFO_KIND and
// IFLA_IFALIAS without a NUL), so tests compare bytes with what `ip` sends. The kernel accepts
// both forms.
import { AttributeEncoder, indexAttributes, stringAt, u32At, u8At, wantedTypes, decodeAttributes } from '../netlink/attributes.ts';
import { macAt, parseMac } from '../../common/index.ts';
import { NLA_HDRLEN } from '../netlink/constants.ts';
import { NetlinkParseError } from '../netlink/message.ts';
import type { NetlinkMessage } from '../netlink/message.ts';
import type { NetlinkSocket } from '../netlink/socket.ts';
import {
  AF_UNSPEC, IFF_UP, IFI_OFF_FLAGS, IFI_OFF_INDEX, IFI_OFF_TYPE, IFINFOMSG_LEN,
  IFLA_ADDRESS, IFLA_BROADCAST, IFLA_CARRIER, IFLA_EXT_MASK, IFLA_IFALIAS, IFLA_IFNAME, IFLA_INFO_DATA, IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_DATA, IFLA_INFO_SLAVE_KIND, IFLA_LINK, IFLA_LINK_NETNSID, IFLA_LINKINFO, IFLA_MASTER, IFLA_MAX_MTU,
  IFLA_MIN_MTU, IFLA_MTU, IFLA_OPERSTATE, IFLA_PARENT_DEV_BUS_NAME, IFLA_PARENT_DEV_NAME, IFLA_PERM_ADDRESS, IFLA_TXQLEN,
  RTEXT_FILTER_SKIP_STATS, RTEXT_FILTER_VF, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, VETH_INFO_PEER,
} from './constants.ts';
import type { BondOptions, BondSlaveInfo } from './link/bond.ts';
import type { BridgeOptions, BridgePortInfo } from './link/bridge.ts';
import { encodeIfinfomsg } from './link/ifinfomsg.ts';
import { codecFor } from './link/kinds.ts';
import type { MacvlanOptions } from './link/macvlan.ts';
import type { VethPeer } from './link/veth.ts';
import type { VlanOptions } from './link/vlan.ts';

export type { BondOptions, BondSlaveInfo, BridgeOptions, BridgePortInfo, MacvlanOptions, VethPeer, VlanOptions };
export { decodeIfinfomsg, encodeIfinfomsg } from './link/ifinfomsg.ts';

/** A link as the kernel reports it (RTM_NEWLINK in a dump or event). */
export interface Link {
  index: number;
  name: string;
  /** IFF_* flags. */
  flags: number;
  /** ARPHRD_* type. */
  type: number;
  mtu: number | undefined;
  /** Link-layer address, colon-separated lowercase hex ("00:00:00:00:00:00" for lo). */
  address: string | undefined;
  broadcast?: string;
  /** The hardware's own address (IFLA_PERM_ADDRESS), when the driver has one. */
  permAddress?: string;
  /** ifindex of the bond or bridge this link is a member of. */
  master?: number;
  /** IFLA_LINK: the lower device (a VLAN's parent, a veth's peer). */
  parent?: number;
  /** Set when `parent` is an index in another namespace. */
  parentNetnsId?: number;
  alias?: string;
  /** IF_OPER_*. */
  operstate?: number;
  carrier?: boolean;
  txqlen?: number;
  minMtu?: number;
  maxMtu?: number;
  /** The device's bus and its address on it ("pci", "0000:00:03.0"), kernel >= 5.15. */
  parentDevBusName?: string;
  parentDevName?: string;
  /** IFLA_INFO_KIND ("bond", "bridge", "vlan", "veth", "macvlan", ...); absent for hardware. */
  kind?: string;
  /** IFLA_INFO_SLAVE_KIND: what `master` is ("bond", "bridge"). */
  slaveKind?: string;
  bond?: BondOptions;
  bridge?: BridgeOptions;
  vlan?: VlanOptions;
  macvlan?: MacvlanOptions;
  bondSlave?: BondSlaveInfo;
  bridgePort?: BridgePortInfo;
}

/** Kind-specific data of a create or change request. */
export type LinkInfo =
  | { kind: 'bond'; bond?: BondOptions }
  | { kind: 'bridge'; bridge?: BridgeOptions }
  | { kind: 'vlan'; vlan: VlanOptions }
  | { kind: 'macvlan'; macvlan?: MacvlanOptions }
  | { kind: 'veth'; peer?: VethPeer }
  | { kind: 'dummy' };

/** Attributes settable both at creation and on an existing link. */
export interface LinkAttributes {
  name?: string;
  mtu?: number;
  address?: string;
  /** ifindex of the new master; 0 releases the link from its master. */
  master?: number;
  /** "" clears the alias. */
  alias?: string;
  txqlen?: number;
  /** Admin state: IFF_UP set or cleared (ifi_change = IFF_UP). Absent: left as it is. */
  up?: boolean;
}

export interface NewLinkRequest extends Omit<LinkAttributes, 'alias'> {
  name: string;
  /**
   * Not part of the create message: the kernel ignores IFLA_IFALIAS when it creates a link
   * (rtnl_create_link, 6.1 and 6.18 alike). Rtnl sends it in a second message, by name, in the
   * same datagram (encodeAliasByName).
   */
  alias?: string;
  info: LinkInfo;
  /** IFLA_LINK: the lower device (VLAN parent, macvlan lower). */
  parent?: number;
  /** Ask for this ifindex (0 or absent: the kernel chooses). */
  index?: number;
}

export interface ChangeLinkRequest extends LinkAttributes {
  index: number;
  /** Changed kind options (bond or bridge options, ...): the kind must be the link's own. */
  info?: LinkInfo;
}

export { parseMac };

export function formatMac(b: Buffer): string {
  return macAt(b, 0, b.length);
}

/** A string without its NUL (NLA_STRING), as iproute2 sends kinds and aliases. */
function rawString(e: AttributeEncoder, type: number, s: string): void {
  e.bytes(type, Buffer.from(s, 'utf8'));
}

function encodeInfoData(e: AttributeEncoder, info: LinkInfo): void {
  // Nests without NLA_F_NESTED, as iproute2 writes IFLA_LINKINFO and the kernel dumps it.
  const li = e.begin(IFLA_LINKINFO, false);
  rawString(e, IFLA_INFO_KIND, info.kind);
  const data = e.begin(IFLA_INFO_DATA, false);
  codecFor(info.kind)?.encode(e, info);
  // IFLA_INFO_DATA only when the kind has options, as iproute2 does.
  if (e.offset === data + NLA_HDRLEN) e.truncate(data);
  else e.end(data);
  e.end(li);
}

function encodeCommon(e: AttributeEncoder, a: LinkAttributes): void {
  if (a.mtu !== undefined) e.u32(IFLA_MTU, a.mtu);
  if (a.address !== undefined) e.bytes(IFLA_ADDRESS, parseMac(a.address));
  if (a.txqlen !== undefined) e.u32(IFLA_TXQLEN, a.txqlen);
  if (a.master !== undefined) e.u32(IFLA_MASTER, a.master);
  if (a.alias !== undefined) rawString(e, IFLA_IFALIAS, a.alias);
}

function upFlags(up: boolean | undefined): [flags: number, change: number] {
  if (up === undefined) return [0, 0];
  return [up ? IFF_UP : 0, IFF_UP];
}

/**
 * RTM_NEWLINK payload creating a link (send with NLM_F_CREATE | NLM_F_EXCL); `up` is honoured
 * at creation (rtnl_configure_link), `alias` is not (see encodeAliasByName).
 */
export function encodeNewLink(req: NewLinkRequest): Buffer {
  const [flags, change] = upFlags(req.up);
  const e = new AttributeEncoder(encodeIfinfomsg(AF_UNSPEC, req.index ?? 0, flags, change));
  const { alias: _alias, ...common } = req;
  encodeCommon(e, common);
  if (req.parent !== undefined) e.u32(IFLA_LINK, req.parent);
  e.string(IFLA_IFNAME, req.name);
  encodeInfoData(e, req.info);
  return e.encode();
}

/**
 * RTM_NEWLINK payload changing an existing link by index (no NLM_F_CREATE): a rename, MTU,
 * address, master, alias, admin state, and the kind's options (the kernel's changelink).
 * The kernel renames before it changes flags, so a rename of a link that must be down first is
 * two requests.
 */
export function encodeChangeLink(req: ChangeLinkRequest): Buffer {
  const [flags, change] = upFlags(req.up);
  const e = new AttributeEncoder(encodeIfinfomsg(AF_UNSPEC, req.index, flags, change));
  encodeCommon(e, req);
  if (req.name !== undefined) e.string(IFLA_IFNAME, req.name);
  if (req.info !== undefined) encodeInfoData(e, req.info);
  return e.encode();
}

/**
 * RTM_NEWLINK payload setting the alias of the link named `name` (ifindex 0: the kernel finds it
 * by IFLA_IFNAME). By name, so it can follow the link's create in one datagram, before its
 * index is known.
 */
export function encodeAliasByName(name: string, alias: string): Buffer {
  const e = new AttributeEncoder(encodeIfinfomsg());
  rawString(e, IFLA_IFALIAS, alias);
  e.string(IFLA_IFNAME, name);
  return e.encode();
}

/** RTM_DELLINK payload. */
export function encodeDelLink(index: number): Buffer {
  return encodeIfinfomsg(AF_UNSPEC, index);
}

/** RTM_GETLINK of one link by name, without statistics. */
export function encodeLinkGetRequest(name: string): Buffer {
  return new AttributeEncoder(encodeIfinfomsg()).u32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS).string(IFLA_IFNAME, name).encode();
}

/** RTM_GETLINK dump request without statistics (smaller, faster dumps). */
export function encodeLinkDumpRequest(): Buffer {
  return Buffer.concat([encodeIfinfomsg(), new AttributeEncoder().u32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS).encode()]);
}

const LINKINFO_TYPES = wantedTypes([IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA]);
const linkinfoAt = new Int32Array(2 * LINKINFO_TYPES.length);

/** IFLA_LINKINFO in p[start, end): the kind, its options, and what the link is to its master. */
function decodeLinkInfo(link: Link, p: Buffer, start: number, end: number): void {
  const at = linkinfoAt;
  indexAttributes(p, start, end, LINKINFO_TYPES, at);
  const [ks, ke, ds, de, sks, ske, sds, sde] = [
    at[2 * IFLA_INFO_KIND]!, at[2 * IFLA_INFO_KIND + 1]!, at[2 * IFLA_INFO_DATA]!, at[2 * IFLA_INFO_DATA + 1]!,
    at[2 * IFLA_INFO_SLAVE_KIND]!, at[2 * IFLA_INFO_SLAVE_KIND + 1]!, at[2 * IFLA_INFO_SLAVE_DATA]!, at[2 * IFLA_INFO_SLAVE_DATA + 1]!,
  ];
  if (ks >= 0) link.kind = stringAt(p, ks, ke);
  if (sks >= 0) link.slaveKind = stringAt(p, sks, ske);
  if (ds >= 0) codecFor(link.kind)?.decode(link, p, ds, de);
  if (sds >= 0) codecFor(link.slaveKind)?.decodeMember?.(link, p, sds, sde);
}

/** RTM_NEWLINK (dump part or event) or RTM_DELLINK (event) -> Link. */
export function decodeLink(m: NetlinkMessage): Link {
  if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) throw new NetlinkParseError(`message type ${m.type} is not RTM_NEWLINK`, 0);
  return decodeLinkPayload(m.payload);
}

const LINK_TYPES = wantedTypes([
  IFLA_IFNAME, IFLA_MTU, IFLA_ADDRESS, IFLA_BROADCAST, IFLA_PERM_ADDRESS, IFLA_MASTER, IFLA_LINK, IFLA_LINK_NETNSID, IFLA_IFALIAS,
  IFLA_OPERSTATE, IFLA_CARRIER, IFLA_TXQLEN, IFLA_MIN_MTU, IFLA_MAX_MTU, IFLA_PARENT_DEV_NAME, IFLA_PARENT_DEV_BUS_NAME, IFLA_LINKINFO,
]);
/** Reused by every decode (decodeLinkPayload does not nest). */
const linkAt = new Int32Array(2 * LINK_TYPES.length);

/** An ifinfomsg and its attributes (a message payload, or a veth peer nest). */
export function decodeLinkPayload(p: Buffer): Link {
  if (p.length < IFINFOMSG_LEN) throw new NetlinkParseError(`ifinfomsg of ${p.length} bytes`, 0);
  const link: Link = {
    index: p.readInt32LE(IFI_OFF_INDEX),
    name: '',
    flags: p.readUInt32LE(IFI_OFF_FLAGS),
    type: p.readUInt16LE(IFI_OFF_TYPE),
    mtu: undefined,
    address: undefined,
  };
  const at = linkAt;
  indexAttributes(p, IFINFOMSG_LEN, p.length, LINK_TYPES, at);
  const has = (t: number): boolean => at[2 * t]! >= 0;
  const u32 = (t: number): number => u32At(p, t, at[2 * t]!, at[2 * t + 1]!);
  const str = (t: number): string => stringAt(p, at[2 * t]!, at[2 * t + 1]!);
  const mac = (t: number): string => macAt(p, at[2 * t]!, at[2 * t + 1]!);
  if (has(IFLA_IFNAME)) link.name = str(IFLA_IFNAME);
  if (has(IFLA_MTU)) link.mtu = u32(IFLA_MTU);
  if (has(IFLA_ADDRESS)) link.address = mac(IFLA_ADDRESS);
  if (has(IFLA_BROADCAST)) link.broadcast = mac(IFLA_BROADCAST);
  if (has(IFLA_PERM_ADDRESS)) link.permAddress = mac(IFLA_PERM_ADDRESS);
  if (has(IFLA_MASTER)) link.master = u32(IFLA_MASTER);
  if (has(IFLA_LINK)) link.parent = u32(IFLA_LINK);
  if (has(IFLA_LINK_NETNSID)) {
    const s = at[2 * IFLA_LINK_NETNSID]!;
    const e = at[2 * IFLA_LINK_NETNSID + 1]!;
    if (e - s < 4) throw new NetlinkParseError(`attribute ${IFLA_LINK_NETNSID}: s32 needs 4 bytes, has ${e - s}`, 0);
    link.parentNetnsId = p.readInt32LE(s);
  }
  if (has(IFLA_IFALIAS)) link.alias = str(IFLA_IFALIAS);
  if (has(IFLA_OPERSTATE)) link.operstate = u8At(p, IFLA_OPERSTATE, at[2 * IFLA_OPERSTATE]!, at[2 * IFLA_OPERSTATE + 1]!);
  if (has(IFLA_CARRIER)) link.carrier = u8At(p, IFLA_CARRIER, at[2 * IFLA_CARRIER]!, at[2 * IFLA_CARRIER + 1]!) !== 0;
  if (has(IFLA_TXQLEN)) link.txqlen = u32(IFLA_TXQLEN);
  if (has(IFLA_MIN_MTU)) link.minMtu = u32(IFLA_MIN_MTU);
  if (has(IFLA_MAX_MTU)) link.maxMtu = u32(IFLA_MAX_MTU);
  if (has(IFLA_PARENT_DEV_NAME)) link.parentDevName = str(IFLA_PARENT_DEV_NAME);
  if (has(IFLA_PARENT_DEV_BUS_NAME)) link.parentDevBusName = str(IFLA_PARENT_DEV_BUS_NAME);
  if (has(IFLA_LINKINFO)) decodeLinkInfo(link, p, at[2 * IFLA_LINKINFO]!, at[2 * IFLA_LINKINFO + 1]!);
  return link;
}

/** The veth peer carried in a create request (for tests reading requests back). */
export function decodeVethPeer(infoData: Buffer): Link | undefined {
  for (const a of decodeAttributes(infoData)) if (a.type === VETH_INFO_PEER) return decodeLinkPayload(a.data);
  return undefined;
}

/** Every link in the socket's network namespace. */
export async function listLinks(sock: NetlinkSocket): Promise<Link[]> {
  const msgs = await sock.dump(RTM_GETLINK, encodeLinkDumpRequest());
  return msgs.filter((m) => m.type === RTM_NEWLINK).map(decodeLink);
}
