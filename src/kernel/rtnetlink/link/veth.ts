// veth: its peer, carried in a create request as an ifinfomsg with attributes (not a plain
// attribute run). The kernel reports no veth options in dumps.
import { parseMac } from '../../../common/index.ts';
import { AttributeEncoder } from '../../netlink/attributes.ts';
import { AF_UNSPEC, IFLA_ADDRESS, IFLA_IFNAME, IFLA_NET_NS_FD, IFLA_NET_NS_PID, VETH_INFO_PEER } from '../constants.ts';
import { encodeIfinfomsg } from './ifinfomsg.ts';
import type { LinkKindCodec } from './kind.ts';

export interface VethPeer {
  name: string;
  address?: string;
  /** Create the peer in the namespace of this process / file descriptor. */
  netnsPid?: number;
  netnsFd?: number;
  index?: number;
}

export const vethCodec: LinkKindCodec = {
  kinds: ['veth'],
  encode(data, info) {
    if (info.kind !== 'veth' || !info.peer) return;
    const p = info.peer;
    const peer = new AttributeEncoder();
    if (p.address !== undefined) peer.bytes(IFLA_ADDRESS, parseMac(p.address));
    if (p.netnsPid !== undefined) peer.u32(IFLA_NET_NS_PID, p.netnsPid);
    if (p.netnsFd !== undefined) peer.u32(IFLA_NET_NS_FD, p.netnsFd);
    peer.string(IFLA_IFNAME, p.name);
    data.bytes(VETH_INFO_PEER, Buffer.concat([encodeIfinfomsg(AF_UNSPEC, p.index ?? 0), peer.encode()]));
  },
  decode() {},
};
