// Addresses on the wire: IPv4 as 4 bytes, IPv6 as 16, in network order. Stockade configures IPv4;
// IPv6 is decoded so that dumps of a dual-stack box read cleanly.
import { isIP } from 'node:net';
import { AF_INET, AF_INET6 } from './constants.ts';
import { formatIpv4, formatIpv6, parseIpv4 as ipv4Number, parseIpv6, type Ipv4 } from '../../common/index.ts';

/** An address as requests take it: an IPv4 number (what the config's addresses are), or text (IPv4 or IPv6). */
export type IpAddress = Ipv4 | string;

/** The text of an address (for messages and for comparing with what the kernel reports). */
export function ipText(a: IpAddress): string {
  return typeof a === 'number' ? formatIpv4(a) : a;
}

function ipv4Bytes(n: Ipv4): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`not an IPv4 address: ${n}`);
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(n >>> 0);
  return out;
}

/** "192.0.2.1" -> its 4 bytes, or undefined for anything else (then isIP decides). */
function parseIpv4(text: string): Buffer | undefined {
  const n = ipv4Number(text);
  return n === undefined ? undefined : ipv4Bytes(n);
}

export function familyOf(a: IpAddress): number {
  if (typeof a === 'number') return AF_INET;
  const text = a;
  // The common case without isIP's regular expressions (hundreds per network apply).
  if (parseIpv4(text) !== undefined) return AF_INET;
  const v = isIP(text);
  if (v === 4) return AF_INET;
  if (v === 6) return AF_INET6;
  throw new RangeError(`not an IP address: ${JSON.stringify(text)}`);
}

export function encodeIp(a: IpAddress): Buffer {
  if (typeof a === 'number') return ipv4Bytes(a);
  const text = a;
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return v4;
  const family = familyOf(text);
  if (family === AF_INET) return Buffer.from(text.split('.').map(Number));
  return encodeIpv6(text);
}

function encodeIpv6(text: string): Buffer {
  const b = parseIpv6(text);
  if (b === undefined) throw new RangeError(`not an IP address: ${JSON.stringify(text)}`);
  return b;
}

export function decodeIp(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) return formatIpv6(b);
  throw new RangeError(`an IP address of ${b.length} bytes`);
}

/** decodeIp of b[start, end), without a Buffer view for the common IPv4 case (big dumps). */
export function ipAt(b: Buffer, start: number, end: number): string {
  if (end - start === 4) return `${b[start]!}.${b[start + 1]!}.${b[start + 2]!}.${b[start + 3]!}`;
  return decodeIp(b.subarray(start, end));
}

/** Address length in bytes of a family. */
export function addressLength(family: number): number {
  return family === AF_INET6 ? 16 : 4;
}
