// Addresses the segments part owns (marked RTPROT_STOCKADE_SEGMENTS): made to match a wanted
// list, touching nothing else and nothing that already matches (no address is re-added, so no
// route or neighbour entry of a working group is disturbed).
import { parsePrefix, formatIpv4 } from '../common/index.ts';
import { AF_INET } from './rtnetlink/constants.ts';
import { Rtnl } from './rtnetlink/client.ts';
import { RTPROT_STOCKADE_SEGMENTS } from './rtnetlink/segment-constants.ts';
import { PacketSocket } from './packet-socket.ts';
import { ETH_P_ARP } from './socket-constants.ts';

export interface OwnedAddress {
  readonly interface: string;
  /** "192.0.2.65/26" */
  readonly cidr: string;
}

export interface AddressChanges {
  readonly added: OwnedAddress[];
  readonly removed: OwnedAddress[];
}

const key = (a: OwnedAddress): string => `${a.interface} ${a.cidr}`;

/** Makes the marked addresses exactly `wanted`; an interface that does not exist is an error naming it. */
export async function syncSegmentAddresses(wanted: readonly OwnedAddress[]): Promise<AddressChanges> {
  const rtnl = Rtnl.open();
  try {
    const links = await rtnl.links();
    const byName = new Map(links.map((l) => [l.name, l.index]));
    const byIndex = new Map(links.map((l) => [l.index, l.name]));
    const have = new Map<string, { index: number; local: string; prefixLength: number }>();
    for (const a of await rtnl.addresses(AF_INET)) {
      if (a.protocol !== RTPROT_STOCKADE_SEGMENTS || a.local === undefined) continue;
      const name = byIndex.get(a.index);
      if (name === undefined) continue;
      have.set(key({ interface: name, cidr: `${a.local}/${a.prefixLength}` }), { index: a.index, local: a.local, prefixLength: a.prefixLength });
    }
    const want = new Map(wanted.map((w) => [key(w), w]));
    const removed: OwnedAddress[] = [];
    for (const [k, a] of have) {
      if (want.has(k)) continue;
      await rtnl.deleteAddress({ index: a.index, local: a.local, prefixLength: a.prefixLength });
      const [ifname, cidr] = k.split(' ');
      removed.push({ interface: ifname!, cidr: cidr! });
    }
    const added: OwnedAddress[] = [];
    for (const [k, w] of want) {
      if (have.has(k)) continue;
      const index = byName.get(w.interface);
      if (index === undefined) throw new Error(`${w.interface}: no such interface (for ${w.cidr})`);
      const p = parsePrefix(w.cidr)!;
      const broadcast = p.length < 31 ? formatIpv4(p.broadcast) : undefined;
      await rtnl.addAddress({ index, local: p.address, prefixLength: p.length, protocol: RTPROT_STOCKADE_SEGMENTS, ...(broadcast ? { broadcast } : {}) });
      added.push(w);
    }
    return { added, removed };
  } finally {
    rtnl.close();
  }
}

/**
 * Sends `frames(mac)` (gratuitous ARP for addresses just added) out of `ifname`, so neighbours
 * drop a stale entry pointing at the other box of the pair. Returns how many frames went out.
 */
export async function sendArpAnnouncements(ifname: string, frames: (mac: string) => readonly Uint8Array[]): Promise<number> {
  const rtnl = Rtnl.open();
  let link;
  try {
    link = (await rtnl.links()).find((l) => l.name === ifname);
  } finally {
    rtnl.close();
  }
  if (link === undefined || link.address === undefined) return 0;
  const sock = PacketSocket.open(link.index, ETH_P_ARP);
  try {
    let n = 0;
    for (const f of frames(link.address)) {
      sock.send(f);
      n++;
    }
    return n;
  } finally {
    sock.close();
  }
}
