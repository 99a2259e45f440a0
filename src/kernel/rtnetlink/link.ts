// The minimal rtnetlink link codec: a dump request and the fields of RTM_NEWLINK that prove
// the netlink layer (the full rtnetlink codec comes later and replaces this).
import { attrString, attrU32, decodeAttributes } from '../netlink/attributes.ts';
import { NetlinkParseError } from '../netlink/message.ts';
import type { NetlinkMessage } from '../netlink/message.ts';
import type { NetlinkSocket } from '../netlink/socket.ts';
import {
  AF_UNSPEC, IFI_OFF_FAMILY, IFI_OFF_FLAGS, IFI_OFF_INDEX, IFI_OFF_TYPE, IFINFOMSG_LEN, IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU,
  RTM_GETLINK, RTM_NEWLINK,
} from './constants.ts';

export interface Link {
  index: number;
  name: string;
  /** IFF_* flags. */
  flags: number;
  /** ARPHRD_* type. */
  type: number;
  mtu: number | undefined;
  /** Link-layer address, colon-separated hex ("00:00:00:00:00:00" for lo). */
  address: string | undefined;
}

/** struct ifinfomsg for requests (family, type, index, flags, change). */
export function encodeIfinfomsg(family = AF_UNSPEC, index = 0): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b.writeUInt8(family, IFI_OFF_FAMILY);
  b.writeInt32LE(index, IFI_OFF_INDEX);
  return b;
}

export function formatMac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function decodeLink(m: NetlinkMessage): Link {
  if (m.type !== RTM_NEWLINK) throw new NetlinkParseError(`message type ${m.type} is not RTM_NEWLINK`, 0);
  const p = m.payload;
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
    if (a.type === IFLA_IFNAME) link.name = attrString(a);
    else if (a.type === IFLA_MTU) link.mtu = attrU32(a);
    else if (a.type === IFLA_ADDRESS) link.address = formatMac(a.data);
  }
  return link;
}

/** Every link in the socket's network namespace. */
export async function listLinks(sock: NetlinkSocket): Promise<Link[]> {
  const msgs = await sock.dump(RTM_GETLINK, encodeIfinfomsg());
  return msgs.filter((m) => m.type === RTM_NEWLINK).map(decodeLink);
}
