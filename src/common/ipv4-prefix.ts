// IPv4 prefixes as unsigned 32-bit numbers, for the semantic checks (subnets, overlaps,
// reachability) and the firewall's rule text. Input strings have already passed the schema's patterns; these
// functions still reject anything malformed by returning undefined.

export interface Ipv4Prefix {
  /** The address as written (host bits may be set: 192.0.2.1/24). */
  readonly address: number;
  readonly length: number;
  /** address with host bits cleared. */
  readonly network: number;
  /** address with host bits set. */
  readonly broadcast: number;
}

import { formatIpv4, parseIpv4 } from './ipv4.ts';

export function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** "192.0.2.1/24" -> prefix; "192.0.2.1" -> a /32 unless `defaultLength` says otherwise. */
export function parsePrefix(text: string, defaultLength = 32): Ipv4Prefix | undefined {
  const [addr, len, extra] = text.split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const address = parseIpv4(addr);
  if (address === undefined) return undefined;
  let length = defaultLength;
  if (len !== undefined) {
    if (!/^(3[0-2]|[12]?[0-9])$/.test(len)) return undefined;
    length = Number(len);
  }
  const mask = maskOf(length);
  const network = (address & mask) >>> 0;
  return { address, length, network, broadcast: (network | (~mask >>> 0)) >>> 0 };
}

export function formatPrefix(p: { readonly network: number; readonly length: number }): string {
  return `${formatIpv4(p.network)}/${p.length}`;
}

export function contains(prefix: Ipv4Prefix, address: number): boolean {
  return ((address & maskOf(prefix.length)) >>> 0) === prefix.network;
}

export function overlaps(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  const len = Math.min(a.length, b.length);
  const mask = maskOf(len);
  return ((a.network & mask) >>> 0) === ((b.network & mask) >>> 0);
}

/** Addresses no host or gateway may have: 0.0.0.0/8, loopback, multicast, 255.255.255.255. */
export function isSpecial(address: number): boolean {
  const first = address >>> 24;
  return first === 0 || first === 127 || first >= 224;
}
