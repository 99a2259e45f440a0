// Gratuitous ARP frames for the VIPs, byte for byte as keepalived sends them (vrrp_arp.c; checked
// against frames captured from Debian's keepalived 2.2.7): Ethernet broadcast from the interface
// MAC, ARP request (op 1), sender MAC = our MAC, sender IP = target IP = the VIP, target MAC =
// broadcast. 42 bytes, no padding (the NIC pads to 60 on the wire). Sent through AF_PACKET by the
// shell.

export const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV4 = 0x0800;
const ARPHRD_ETHER = 1;
const ARPOP_REQUEST = 1;
export const GARP_FRAME_LENGTH = 42;
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

export { parseMac } from '../common/index.ts';

/** The whole Ethernet frame of one gratuitous ARP for `vip` (uint32) from `mac`. */
export function garpFrame(mac: Uint8Array, vip: number): Uint8Array {
  if (mac.length !== 6) throw new RangeError('MAC must be 6 bytes');
  const f = new Uint8Array(GARP_FRAME_LENGTH);
  const dv = new DataView(f.buffer);
  f.set(BROADCAST, 0);
  f.set(mac, 6);
  dv.setUint16(12, ETHERTYPE_ARP);
  dv.setUint16(14, ARPHRD_ETHER);
  dv.setUint16(16, ETHERTYPE_IPV4);
  f[18] = 6;
  f[19] = 4;
  dv.setUint16(20, ARPOP_REQUEST);
  f.set(mac, 22);
  dv.setUint32(28, vip >>> 0);
  f.set(BROADCAST, 32);
  dv.setUint32(38, vip >>> 0);
  return f;
}

/** The IPv4 virtual router MAC of a VRID (RFC 5798 §7.3): 00:00:5e:00:01:<vrid>. */
export function virtualMac(vrid: number): string {
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new RangeError(`VRID out of range: ${vrid}`);
  return `00:00:5e:00:01:${vrid.toString(16).padStart(2, '0')}`;
}
