// rtnetlink links: the RTM_NEWLINK codec (decode dumps and events; encode create, change and
// delete requests) with the link kinds Stockade manages: bond (options and members), vlan,
// bridge (options and ports), macvlan, veth. Numbers on the wire stay numbers here (bond mode 4,
// bridge times in 1/100 s); src/net maps them to config words.
//
// Requests are laid out as iproute2 lays out the same command (IFLA_IFNAME after the other
// attributes and before IFLA_LINKINFO; nests without NLA_F_NESTED; IFLA_INFO_KIND and
// IFLA_IFALIAS without a NUL), so tests compare bytes with what `ip` sends. The kernel accepts
// both forms.
import { AttributeEncoder, attrNested, attrString, attrU16, attrU32, attrU8, decodeAttributes } from '../netlink/attributes.ts';
import type { Attribute } from '../netlink/attributes.ts';
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

/** The kernel ignores IFLA_IFALIAS when it creates a link: set an alias with a change after. */
export interface NewLinkRequest extends Omit<LinkAttributes, 'alias'> {
  name: string;
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

export function formatMac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** "02:00:00:00:00:01" (either case) -> 6 bytes; throws on anything else. */
export function parseMac(text: string): Buffer {
  if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(text)) throw new RangeError(`not a MAC address: ${JSON.stringify(text)}`);
  return Buffer.from(text.split(':').map((x) => parseInt(x, 16)));
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

/** RTM_NEWLINK payload creating a link (send with NLM_F_CREATE | NLM_F_EXCL). */
export function encodeNewLink(req: NewLinkRequest): Buffer {
  const [flags, change] = upFlags(req.up);
  const e = new AttributeEncoder();
  encodeCommon(e, req);
  if (req.parent !== undefined) e.u32(IFLA_LINK, req.parent);
  e.string(IFLA_IFNAME, req.name);
  encodeInfoData(e, req.info);
  return Buffer.concat([encodeIfinfomsg(AF_UNSPEC, req.index ?? 0, flags, change), e.encode()]);
}

/**
 * RTM_NEWLINK payload changing an existing link by index (no NLM_F_CREATE): a rename, MTU,
 * address, master, alias, admin state, and the kind's options (the kernel's changelink).
 * The kernel renames before it changes flags, so a rename of a link that must be down first is
 * two requests.
 */
export function encodeChangeLink(req: ChangeLinkRequest): Buffer {
  const [flags, change] = upFlags(req.up);
  const e = new AttributeEncoder();
  encodeCommon(e, req);
  if (req.name !== undefined) e.string(IFLA_IFNAME, req.name);
  if (req.info !== undefined) encodeInfoData(e, req.info);
  return Buffer.concat([encodeIfinfomsg(AF_UNSPEC, req.index, flags, change), e.encode()]);
}

/** RTM_DELLINK payload. */
export function encodeDelLink(index: number): Buffer {
  return encodeIfinfomsg(AF_UNSPEC, index);
}

/** RTM_GETLINK of one link by name, without statistics. */
export function encodeLinkGetRequest(name: string): Buffer {
  return Buffer.concat([encodeIfinfomsg(), new AttributeEncoder().u32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS).string(IFLA_IFNAME, name).encode()]);
}

/** RTM_GETLINK dump request without statistics (smaller, faster dumps). */
export function encodeLinkDumpRequest(): Buffer {
  return Buffer.concat([encodeIfinfomsg(), new AttributeEncoder().u32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS).encode()]);
}

function decodeBond(attrs: Attribute[]): BondOptions {
  const o: BondOptions = {};
  for (const a of attrs) {
    switch (a.type) {
      case IFLA_BOND_MODE: o.mode = attrU8(a); break;
      case IFLA_BOND_ACTIVE_SLAVE: o.activeSlave = attrU32(a); break;
      case IFLA_BOND_MIIMON: o.miimonMs = attrU32(a); break;
      case IFLA_BOND_UPDELAY: o.updelayMs = attrU32(a); break;
      case IFLA_BOND_DOWNDELAY: o.downdelayMs = attrU32(a); break;
      case IFLA_BOND_USE_CARRIER: o.useCarrier = attrU8(a) !== 0; break;
      case IFLA_BOND_ARP_INTERVAL: o.arpIntervalMs = attrU32(a); break;
      case IFLA_BOND_PRIMARY: o.primary = attrU32(a); break;
      case IFLA_BOND_PRIMARY_RESELECT: o.primaryReselect = attrU8(a); break;
      case IFLA_BOND_FAIL_OVER_MAC: o.failOverMac = attrU8(a); break;
      case IFLA_BOND_XMIT_HASH_POLICY: o.xmitHashPolicy = attrU8(a); break;
      case IFLA_BOND_MIN_LINKS: o.minLinks = attrU32(a); break;
      case IFLA_BOND_AD_LACP_RATE: o.lacpRate = attrU8(a); break;
      case IFLA_BOND_AD_SELECT: o.adSelect = attrU8(a); break;
      default: break;
    }
  }
  return o;
}

function decodeBondSlave(attrs: Attribute[]): BondSlaveInfo {
  const o: BondSlaveInfo = {};
  for (const a of attrs) {
    switch (a.type) {
      case IFLA_BOND_SLAVE_STATE: o.state = attrU8(a); break;
      case IFLA_BOND_SLAVE_MII_STATUS: o.miiStatus = attrU8(a); break;
      case IFLA_BOND_SLAVE_LINK_FAILURE_COUNT: o.linkFailureCount = attrU32(a); break;
      case IFLA_BOND_SLAVE_PERM_HWADDR: o.permHwaddr = formatMac(a.data); break;
      case IFLA_BOND_SLAVE_QUEUE_ID: o.queueId = attrU16(a); break;
      default: break;
    }
  }
  return o;
}

function decodeBridge(attrs: Attribute[]): BridgeOptions {
  const o: BridgeOptions = {};
  for (const a of attrs) {
    switch (a.type) {
      case IFLA_BR_FORWARD_DELAY: o.forwardDelayCs = attrU32(a); break;
      case IFLA_BR_HELLO_TIME: o.helloTimeCs = attrU32(a); break;
      case IFLA_BR_MAX_AGE: o.maxAgeCs = attrU32(a); break;
      case IFLA_BR_AGEING_TIME: o.ageingTimeCs = attrU32(a); break;
      case IFLA_BR_STP_STATE: o.stpState = attrU32(a); break;
      case IFLA_BR_PRIORITY: o.priority = attrU16(a); break;
      case IFLA_BR_VLAN_FILTERING: o.vlanFiltering = attrU8(a) !== 0; break;
      case IFLA_BR_VLAN_PROTOCOL: o.vlanProtocol = a.data.readUInt16BE(0); break;
      case IFLA_BR_VLAN_DEFAULT_PVID: o.vlanDefaultPvid = attrU16(a); break;
      case IFLA_BR_NF_CALL_IPTABLES: o.nfCallIptables = attrU8(a) !== 0; break;
      default: break;
    }
  }
  return o;
}

function decodeBridgePort(attrs: Attribute[]): BridgePortInfo {
  const o: BridgePortInfo = {};
  for (const a of attrs) {
    switch (a.type) {
      case IFLA_BRPORT_STATE: o.state = attrU8(a); break;
      case IFLA_BRPORT_PRIORITY: o.priority = attrU16(a); break;
      case IFLA_BRPORT_COST: o.cost = attrU32(a); break;
      default: break;
    }
  }
  return o;
}

function decodeVlan(attrs: Attribute[]): VlanOptions {
  const o: VlanOptions = { id: 0 };
  for (const a of attrs) {
    switch (a.type) {
      case IFLA_VLAN_ID: o.id = attrU16(a); break;
      case IFLA_VLAN_PROTOCOL: o.protocol = a.data.readUInt16BE(0); break;
      case IFLA_VLAN_FLAGS:
        if (a.data.length >= 8) o.flags = { flags: a.data.readUInt32LE(0), mask: a.data.readUInt32LE(4) };
        break;
      default: break;
    }
  }
  return o;
}

function decodeMacvlan(attrs: Attribute[]): MacvlanOptions {
  const o: MacvlanOptions = {};
  for (const a of attrs) {
    if (a.type === IFLA_MACVLAN_MODE) o.mode = attrU32(a);
    else if (a.type === IFLA_MACVLAN_FLAGS) o.flags = attrU16(a);
  }
  return o;
}

function decodeLinkInfo(link: Link, attrs: Attribute[]): void {
  let data: Attribute | undefined;
  let slaveData: Attribute | undefined;
  for (const a of attrs) {
    if (a.type === IFLA_INFO_KIND) link.kind = attrString(a);
    else if (a.type === IFLA_INFO_DATA) data = a;
    else if (a.type === IFLA_INFO_SLAVE_KIND) link.slaveKind = attrString(a);
    else if (a.type === IFLA_INFO_SLAVE_DATA) slaveData = a;
  }
  if (data !== undefined) {
    const d = attrNested(data);
    if (link.kind === 'bond') link.bond = decodeBond(d);
    else if (link.kind === 'bridge') link.bridge = decodeBridge(d);
    else if (link.kind === 'vlan') link.vlan = decodeVlan(d);
    else if (link.kind === 'macvlan' || link.kind === 'macvtap') link.macvlan = decodeMacvlan(d);
  }
  if (slaveData !== undefined) {
    const d = attrNested(slaveData);
    if (link.slaveKind === 'bond') link.bondSlave = decodeBondSlave(d);
    else if (link.slaveKind === 'bridge') link.bridgePort = decodeBridgePort(d);
  }
}

/** RTM_NEWLINK (dump part or event) or RTM_DELLINK (event) -> Link. */
export function decodeLink(m: NetlinkMessage): Link {
  if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) throw new NetlinkParseError(`message type ${m.type} is not RTM_NEWLINK`, 0);
  return decodeLinkPayload(m.payload);
}

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
  for (const a of decodeAttributes(p.subarray(IFINFOMSG_LEN))) {
    switch (a.type) {
      case IFLA_IFNAME: link.name = attrString(a); break;
      case IFLA_MTU: link.mtu = attrU32(a); break;
      case IFLA_ADDRESS: link.address = formatMac(a.data); break;
      case IFLA_BROADCAST: link.broadcast = formatMac(a.data); break;
      case IFLA_PERM_ADDRESS: link.permAddress = formatMac(a.data); break;
      case IFLA_MASTER: link.master = attrU32(a); break;
      case IFLA_LINK: link.parent = attrU32(a); break;
      case IFLA_LINK_NETNSID: link.parentNetnsId = a.data.readInt32LE(0); break;
      case IFLA_IFALIAS: link.alias = attrString(a); break;
      case IFLA_OPERSTATE: link.operstate = attrU8(a); break;
      case IFLA_CARRIER: link.carrier = attrU8(a) !== 0; break;
      case IFLA_TXQLEN: link.txqlen = attrU32(a); break;
      case IFLA_MIN_MTU: link.minMtu = attrU32(a); break;
      case IFLA_MAX_MTU: link.maxMtu = attrU32(a); break;
      case IFLA_PARENT_DEV_NAME: link.parentDevName = attrString(a); break;
      case IFLA_PARENT_DEV_BUS_NAME: link.parentDevBusName = attrString(a); break;
      case IFLA_LINKINFO: decodeLinkInfo(link, attrNested(a)); break;
      default: break;
    }
  }
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
