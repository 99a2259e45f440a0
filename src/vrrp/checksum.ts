// The Internet checksum (RFC 1071) and VRRP's two conventions for it.
//
// Version 2 sums the VRRP message only. Version 3 over IPv4 is ambiguous (RFC 5798 §5.2.8 names a
// pseudo-header, but only IPv6 defines one): keepalived (default) and tcpdump/wireshark prepend the
// 12-byte IPv4 pseudo-header {source, destination, 0, 112, VRRP length}; Cisco, Juniper, FRR's
// knob and RFC 9568 sum the message only (keepalived >= 2.3's `v3_checksum_as_v2`).
import { IPV4_PSEUDO_HEADER_LENGTH, VRRP_PROTOCOL } from './constants.ts';

export type ChecksumConvention = 'pseudo-header' | 'message';

/** One's-complement sum of 16-bit words, folded, not inverted; odd lengths padded with zero. */
function sum16(bytes: Uint8Array, start: number, end: number, acc: number): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) s += bytes[i]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, acc = 0): number {
  return ~sum16(bytes, start, end, acc) & 0xffff;
}

/** The checksum of a VRRP message whose checksum field (bytes 6-7) is taken as zero. */
export function vrrpChecksum(message: Uint8Array, convention: ChecksumConvention, source: number, destination: number): number {
  let acc = 0;
  if (convention === 'pseudo-header') {
    const ph = new Uint8Array(IPV4_PSEUDO_HEADER_LENGTH);
    const dv = new DataView(ph.buffer);
    dv.setUint32(0, source >>> 0);
    dv.setUint32(4, destination >>> 0);
    ph[8] = 0;
    ph[9] = VRRP_PROTOCOL;
    dv.setUint16(10, message.length);
    acc = sum16(ph, 0, ph.length, 0);
  }
  // Bytes 0-5, skip the checksum field, then the rest.
  acc = sum16(message, 0, Math.min(6, message.length), acc);
  acc = sum16(message, Math.min(8, message.length), message.length, acc);
  return ~acc & 0xffff;
}
