// rtnetlink links: the RTM_NEWLINK codec (decode dumps and events; encode create, change and
// delete requests) with the link kinds Stockade manages: bond (options and members), vlan,
// bridge (options and ports), macvlan, veth. Numbers on the wire stay numbers here (bond mode 4,
// bridge times in 1/100 s); src/net maps them to config words.
//
// Requests are laid out as iproute2 lays out the same command (IFLA_IFNAME after the other
// attributes and before IFLA_LINKINFO; nests without NLA_F_NESTED; IFLA_INFO_KIND and
// IFLA_IFALIAS without a NUL), so tests compare bytes with what `ip` sends. The kernel accepts
// both forms.
import {
  AttributeEncoder, decodeAttributes, indexAttributes, stringAt, u16At, u32At, u8At, wantedTypes,
} from '../netlink/attributes.ts';
import { macAt, parseMac } from '../../common/mac.ts';
import { NetlinkParseError } from '../netlink/message.ts';
import type { NetlinkMessage } from '../netlink/message.ts';
import type { NetlinkSocket } from '../netlink/socket.ts';
import {
  AF_UNSPEC, IFF_UP, IFI_OFF_CHANGE, IFI_OFF_FAMILY, IFI_OFF_FLAGS, IFI_OFF_INDEX, IFI_OFF_TYPE, IFINFOMSG_LEN,
  IFLA_ADDRESS, IFLA_BOND_ACTIVE_SLAVE, IFLA_BOND_AD_LACP_RATE, IFLA_BOND_AD_SELECT, IFLA_BOND_ARP_INTERVAL, IFLA_BOND_DOWNDELAY,
  IFLA_BOND_FAIL_OVER_MAC, IFLA_BOND_MIIMON, IFLA_BOND_MIN_LINKS, IFLA_BOND_MODE, IFLA_BOND_PRIMARY, IFLA_BOND_PRIMARY_RESELECT,
  IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, IFLA_BOND_SLAVE_MII_STATUS, IFLA_BOND_SLAVE_PERM_HWADDR, IFLA_BOND_SLAVE_QUEUE_ID,
  IFLA_BOND_SLAVE_STATE, IFLA_BOND_UPDELAY, IFLA_BOND_USE_CARRIER, IFLA_BOND_XMIT_HASH_POLICY, IFLA_BR_AGEING_TIME,
  IFLA_BR_FORWARD_DELAY, IFLA_BR_HELLO_TIME, IFLA_BR_MAX_AGE, IFLA_BR_NF_CALL_IPTABLES, IFLA_BR_PRIORITY, IFLA_BR_STP_STATE,
  IFLA_BR_VLAN_DEFAULT_PVID, IFLA_BR_VLAN_FILTERING, IFLA_BR_VLAN_PROTOCOL, IFLA_BROADCAST, IFLA_BRPORT_COST, IFLA_BRPORT_PRIORITY,
  IFLA_BRPORT_STATE, IFLA_CARRIER, IFLA_EXT_MASK, IFLA_IFALIAS, IFLA_IFNAME, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_INFO_SLAVE_DATA,
  IFLA_INFO_SLAVE_KIND, IFLA_LINK, IFLA_LINK_NETNSID, IFLA_LINKINFO, IFLA_MACVLAN_FLAGS, IFLA_MACVLAN_MODE, IFLA_MASTER,
  IFLA_MAX_MTU, IFLA_MIN_MTU, IFLA_MTU, IFLA_NET_NS_FD, IFLA_NET_NS_PID, IFLA_OPERSTATE, IFLA_PARENT_DEV_BUS_NAME,
  IFLA_PARENT_DEV_NAME, IFLA_PERM_ADDRESS, IFLA_TXQLEN, IFLA_VLAN_FLAGS, IFLA_VLAN_ID, IFLA_VLAN_PROTOCOL, RTEXT_FILTER_SKIP_STATS,
  RTEXT_FILTER_VF, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, VETH_INFO_PEER,
} from './constants.ts';

export interface BondOptions {
  /** BOND_MODE_*. */
  mode?: number;
  /** ifindex of the active member (active-backup). */
  activeSlave?: number;
  miimonMs?: number;
  updelayMs?: number;
  downdelayMs?: number;
  useCarrier?: boolean;
  arpIntervalMs?: number;
  /** ifindex of the primary member; 0 for none. */
  primary?: number;
  primaryReselect?: number;
  failOverMac?: number;
  /** BOND_XMIT_POLICY_*. */
  xmitHashPolicy?: number;
  minLinks?: number;
  /** BOND_LACP_RATE_*. */
  lacpRate?: number;
  adSelect?: number;
}

export interface BondSlaveInfo {
  /** BOND_STATE_ACTIVE or BOND_STATE_BACKUP. */
  state?: number;
  /** BOND_LINK_*. */
  miiStatus?: number;
  linkFailureCount?: number;
  permHwaddr?: string;
  queueId?: number;
}

export interface BridgeOptions {
  /** Times in clock_t: 1/100 s (BR_CLOCK_T_PER_S). */
  forwardDelayCs?: number;
  helloTimeCs?: number;
  maxAgeCs?: number;
  ageingTimeCs?: number;
  /** 0 off, 1 kernel STP, 2 user STP. */
  stpState?: number;
  priority?: number;
  vlanFiltering?: boolean;
  /** Ethertype (ETH_P_8021Q). */
  vlanProtocol?: number;
  vlanDefaultPvid?: number;
  nfCallIptables?: boolean;
}

export interface BridgePortInfo {
  /** BR_STATE_*. */
  state?: number;
  priority?: number;
  cost?: number;
}

export interface VlanOptions {
  id: number;
  /** Ethertype; ETH_P_8021Q when absent. */
  protocol?: number;
  flags?: { flags: number; mask: number };
}

export interface MacvlanOptions {
  /** MACVLAN_MODE_*. */
  mode?: number;
  flags?: number;
}

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

export interface VethPeer {
  name: string;
  address?: string;
  /** Create the peer in the namespace of this process / file descriptor. */
  netnsPid?: number;
  netnsFd?: number;
  index?: number;
}

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

/** struct ifinfomsg for requests (family, type, index, flags, change). */
export function encodeIfinfomsg(family = AF_UNSPEC, index = 0, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b.writeUInt8(family, IFI_OFF_FAMILY);
  b.writeInt32LE(index, IFI_OFF_INDEX);
  b.writeUInt32LE(flags >>> 0, IFI_OFF_FLAGS);
  b.writeUInt32LE(change >>> 0, IFI_OFF_CHANGE);
  return b;
}

export { parseMac };

export function formatMac(b: Buffer): string {
  return macAt(b, 0, b.length);
}

/** A nest without NLA_F_NESTED, as iproute2 writes IFLA_LINKINFO and the kernel dumps it. */
function nest(e: AttributeEncoder, type: number, fill: (inner: AttributeEncoder) => void): void {
  const inner = new AttributeEncoder();
  fill(inner);
  e.bytes(type, inner.encode());
}

/** A string without its NUL (NLA_STRING), as iproute2 sends kinds and aliases. */
function rawString(e: AttributeEncoder, type: number, s: string): void {
  e.bytes(type, Buffer.from(s, 'utf8'));
}

function encodeBond(e: AttributeEncoder, o: BondOptions): void {
  if (o.mode !== undefined) e.u8(IFLA_BOND_MODE, o.mode);
  if (o.activeSlave !== undefined) e.u32(IFLA_BOND_ACTIVE_SLAVE, o.activeSlave);
  if (o.miimonMs !== undefined) e.u32(IFLA_BOND_MIIMON, o.miimonMs);
  if (o.updelayMs !== undefined) e.u32(IFLA_BOND_UPDELAY, o.updelayMs);
  if (o.downdelayMs !== undefined) e.u32(IFLA_BOND_DOWNDELAY, o.downdelayMs);
  if (o.useCarrier !== undefined) e.u8(IFLA_BOND_USE_CARRIER, o.useCarrier ? 1 : 0);
  if (o.arpIntervalMs !== undefined) e.u32(IFLA_BOND_ARP_INTERVAL, o.arpIntervalMs);
  if (o.primary !== undefined) e.u32(IFLA_BOND_PRIMARY, o.primary);
  if (o.primaryReselect !== undefined) e.u8(IFLA_BOND_PRIMARY_RESELECT, o.primaryReselect);
  if (o.failOverMac !== undefined) e.u8(IFLA_BOND_FAIL_OVER_MAC, o.failOverMac);
  if (o.xmitHashPolicy !== undefined) e.u8(IFLA_BOND_XMIT_HASH_POLICY, o.xmitHashPolicy);
  if (o.minLinks !== undefined) e.u32(IFLA_BOND_MIN_LINKS, o.minLinks);
  if (o.lacpRate !== undefined) e.u8(IFLA_BOND_AD_LACP_RATE, o.lacpRate);
  if (o.adSelect !== undefined) e.u8(IFLA_BOND_AD_SELECT, o.adSelect);
}

function encodeBridge(e: AttributeEncoder, o: BridgeOptions): void {
  if (o.forwardDelayCs !== undefined) e.u32(IFLA_BR_FORWARD_DELAY, o.forwardDelayCs);
  if (o.helloTimeCs !== undefined) e.u32(IFLA_BR_HELLO_TIME, o.helloTimeCs);
  if (o.maxAgeCs !== undefined) e.u32(IFLA_BR_MAX_AGE, o.maxAgeCs);
  if (o.ageingTimeCs !== undefined) e.u32(IFLA_BR_AGEING_TIME, o.ageingTimeCs);
  if (o.stpState !== undefined) e.u32(IFLA_BR_STP_STATE, o.stpState);
  if (o.priority !== undefined) e.u16(IFLA_BR_PRIORITY, o.priority);
  if (o.vlanFiltering !== undefined) e.u8(IFLA_BR_VLAN_FILTERING, o.vlanFiltering ? 1 : 0);
  if (o.vlanProtocol !== undefined) e.be16(IFLA_BR_VLAN_PROTOCOL, o.vlanProtocol);
  if (o.vlanDefaultPvid !== undefined) e.u16(IFLA_BR_VLAN_DEFAULT_PVID, o.vlanDefaultPvid);
  if (o.nfCallIptables !== undefined) e.u8(IFLA_BR_NF_CALL_IPTABLES, o.nfCallIptables ? 1 : 0);
}

function encodeVlan(e: AttributeEncoder, o: VlanOptions): void {
  e.u16(IFLA_VLAN_ID, o.id);
  if (o.protocol !== undefined) e.be16(IFLA_VLAN_PROTOCOL, o.protocol);
  if (o.flags !== undefined) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(o.flags.flags >>> 0, 0);
    b.writeUInt32LE(o.flags.mask >>> 0, 4);
    e.bytes(IFLA_VLAN_FLAGS, b);
  }
}

function encodeMacvlan(e: AttributeEncoder, o: MacvlanOptions): void {
  if (o.mode !== undefined) e.u32(IFLA_MACVLAN_MODE, o.mode);
  if (o.flags !== undefined) e.u16(IFLA_MACVLAN_FLAGS, o.flags);
}

function encodeInfoData(e: AttributeEncoder, info: LinkInfo): void {
  const data = new AttributeEncoder();
  switch (info.kind) {
    case 'bond': if (info.bond) encodeBond(data, info.bond); break;
    case 'bridge': if (info.bridge) encodeBridge(data, info.bridge); break;
    case 'vlan': encodeVlan(data, info.vlan); break;
    case 'macvlan': if (info.macvlan) encodeMacvlan(data, info.macvlan); break;
    case 'veth':
      if (info.peer) {
        // The peer is an ifinfomsg followed by attributes, not a plain attribute run.
        const p = info.peer;
        const peer = new AttributeEncoder();
        if (p.address !== undefined) peer.bytes(IFLA_ADDRESS, parseMac(p.address));
        if (p.netnsPid !== undefined) peer.u32(IFLA_NET_NS_PID, p.netnsPid);
        if (p.netnsFd !== undefined) peer.u32(IFLA_NET_NS_FD, p.netnsFd);
        peer.string(IFLA_IFNAME, p.name);
        data.bytes(VETH_INFO_PEER, Buffer.concat([encodeIfinfomsg(AF_UNSPEC, p.index ?? 0), peer.encode()]));
      }
      break;
    case 'dummy': break;
    default: break;
  }
  nest(e, IFLA_LINKINFO, (li) => {
    rawString(li, IFLA_INFO_KIND, info.kind);
    // IFLA_INFO_DATA only when the kind has options, as iproute2 does.
    if (data.length > 0) li.bytes(IFLA_INFO_DATA, data.encode());
  });
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

/** How a kind's option is read: u8 / u16 / u32 (host order), bool (a u8), be16, mac (6 bytes as text). */
type Reader = 'u8' | 'u16' | 'u32' | 'bool' | 'be16' | 'mac';

/** The options of a nest (bond, bridge, ...) as [attribute type, field, reader]; decoded by decodeFields. */
interface FieldSpec {
  readonly fields: ReadonlyArray<readonly [type: number, key: string, read: Reader]>;
  readonly types: Uint8Array;
  /** indexAttributes' table, reused (decodeFields does not nest). */
  readonly at: Int32Array;
}

function fieldSpec(fields: FieldSpec['fields']): FieldSpec {
  const types = wantedTypes(fields.map(([t]) => t));
  return { fields, types, at: new Int32Array(2 * types.length) };
}

/** The fields of `spec` found in the nest p[start, end) (absent ones are left out). */
function decodeFields<T>(p: Buffer, start: number, end: number, spec: FieldSpec): T {
  const at = spec.at;
  indexAttributes(p, start, end, spec.types, at);
  const o: Record<string, number | boolean | string> = {};
  for (const [type, key, read] of spec.fields) {
    const s = at[2 * type]!;
    if (s < 0) continue;
    const e = at[2 * type + 1]!;
    switch (read) {
      case 'u8': o[key] = u8At(p, type, s, e); break;
      case 'bool': o[key] = u8At(p, type, s, e) !== 0; break;
      case 'u16': o[key] = u16At(p, type, s, e); break;
      case 'u32': o[key] = u32At(p, type, s, e); break;
      case 'be16':
        if (e - s < 2) throw new NetlinkParseError(`attribute ${type}: be16 needs 2 bytes, has ${e - s}`, 0);
        o[key] = (p[s]! << 8) | p[s + 1]!;
        break;
      case 'mac': o[key] = macAt(p, s, e); break;
    }
  }
  return o as T;
}

const BOND_SPEC = fieldSpec([
  [IFLA_BOND_MODE, 'mode', 'u8'], [IFLA_BOND_ACTIVE_SLAVE, 'activeSlave', 'u32'], [IFLA_BOND_MIIMON, 'miimonMs', 'u32'],
  [IFLA_BOND_UPDELAY, 'updelayMs', 'u32'], [IFLA_BOND_DOWNDELAY, 'downdelayMs', 'u32'], [IFLA_BOND_USE_CARRIER, 'useCarrier', 'bool'],
  [IFLA_BOND_ARP_INTERVAL, 'arpIntervalMs', 'u32'], [IFLA_BOND_PRIMARY, 'primary', 'u32'], [IFLA_BOND_PRIMARY_RESELECT, 'primaryReselect', 'u8'],
  [IFLA_BOND_FAIL_OVER_MAC, 'failOverMac', 'u8'], [IFLA_BOND_XMIT_HASH_POLICY, 'xmitHashPolicy', 'u8'], [IFLA_BOND_MIN_LINKS, 'minLinks', 'u32'],
  [IFLA_BOND_AD_LACP_RATE, 'lacpRate', 'u8'], [IFLA_BOND_AD_SELECT, 'adSelect', 'u8'],
]);
const BOND_SLAVE_SPEC = fieldSpec([
  [IFLA_BOND_SLAVE_STATE, 'state', 'u8'], [IFLA_BOND_SLAVE_MII_STATUS, 'miiStatus', 'u8'],
  [IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, 'linkFailureCount', 'u32'], [IFLA_BOND_SLAVE_PERM_HWADDR, 'permHwaddr', 'mac'],
  [IFLA_BOND_SLAVE_QUEUE_ID, 'queueId', 'u16'],
]);
const BRIDGE_SPEC = fieldSpec([
  [IFLA_BR_FORWARD_DELAY, 'forwardDelayCs', 'u32'], [IFLA_BR_HELLO_TIME, 'helloTimeCs', 'u32'], [IFLA_BR_MAX_AGE, 'maxAgeCs', 'u32'],
  [IFLA_BR_AGEING_TIME, 'ageingTimeCs', 'u32'], [IFLA_BR_STP_STATE, 'stpState', 'u32'], [IFLA_BR_PRIORITY, 'priority', 'u16'],
  [IFLA_BR_VLAN_FILTERING, 'vlanFiltering', 'bool'], [IFLA_BR_VLAN_PROTOCOL, 'vlanProtocol', 'be16'],
  [IFLA_BR_VLAN_DEFAULT_PVID, 'vlanDefaultPvid', 'u16'], [IFLA_BR_NF_CALL_IPTABLES, 'nfCallIptables', 'bool'],
]);
const BRIDGE_PORT_SPEC = fieldSpec([[IFLA_BRPORT_STATE, 'state', 'u8'], [IFLA_BRPORT_PRIORITY, 'priority', 'u16'], [IFLA_BRPORT_COST, 'cost', 'u32']]);
const VLAN_SPEC = fieldSpec([[IFLA_VLAN_ID, 'id', 'u16'], [IFLA_VLAN_PROTOCOL, 'protocol', 'be16']]);
const MACVLAN_SPEC = fieldSpec([[IFLA_MACVLAN_MODE, 'mode', 'u32'], [IFLA_MACVLAN_FLAGS, 'flags', 'u16']]);
const LINKINFO_TYPES = wantedTypes([IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA]);
const linkinfoAt = new Int32Array(2 * LINKINFO_TYPES.length);

function decodeVlan(p: Buffer, start: number, end: number): VlanOptions {
  const o: VlanOptions = { id: 0, ...decodeFields<Partial<VlanOptions>>(p, start, end, VLAN_SPEC) };
  // (IFLA_VLAN_FLAGS is not in VLAN_SPEC: a struct of two u32, read only when whole.)
  for (const a of decodeAttributes(p.subarray(start, end))) {
    if (a.type === IFLA_VLAN_FLAGS && a.data.length >= 8) o.flags = { flags: a.data.readUInt32LE(0), mask: a.data.readUInt32LE(4) };
  }
  return o;
}

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
  if (ds >= 0) {
    if (link.kind === 'bond') link.bond = decodeFields<BondOptions>(p, ds, de, BOND_SPEC);
    else if (link.kind === 'bridge') link.bridge = decodeFields<BridgeOptions>(p, ds, de, BRIDGE_SPEC);
    else if (link.kind === 'vlan') link.vlan = decodeVlan(p, ds, de);
    else if (link.kind === 'macvlan' || link.kind === 'macvtap') link.macvlan = decodeFields<MacvlanOptions>(p, ds, de, MACVLAN_SPEC);
  }
  if (sds >= 0) {
    if (link.slaveKind === 'bond') link.bondSlave = decodeFields<BondSlaveInfo>(p, sds, sde, BOND_SLAVE_SPEC);
    else if (link.slaveKind === 'bridge') link.bridgePort = decodeFields<BridgePortInfo>(p, sds, sde, BRIDGE_PORT_SPEC);
  }
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

/** The request flags of a link change: family, index, flags, change (for tests). */
export function decodeIfinfomsg(p: Buffer): { family: number; type: number; index: number; flags: number; change: number } {
  return {
    family: p.readUInt8(IFI_OFF_FAMILY),
    type: p.readUInt16LE(IFI_OFF_TYPE),
    index: p.readInt32LE(IFI_OFF_INDEX),
    flags: p.readUInt32LE(IFI_OFF_FLAGS),
    change: p.readUInt32LE(IFI_OFF_CHANGE),
  };
}

/** Every link in the socket's network namespace. */
export async function listLinks(sock: NetlinkSocket): Promise<Link[]> {
  const msgs = await sock.dump(RTM_GETLINK, encodeLinkDumpRequest());
  return msgs.filter((m) => m.type === RTM_NEWLINK).map(decodeLink);
}
