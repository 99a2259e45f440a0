// VRRP advertisement codec for IPv4: version 2 (RFC 3768) and version 3 (RFC 5798 / RFC 9568).
//
//   byte 0    version << 4 | type (0x21 v2, 0x31 v3)
//   byte 1    VRID            byte 2  priority        byte 3  address count
//   bytes 4-5 v2: auth type, interval in seconds | v3: 4 reserved bits, 12-bit interval in cs
//   bytes 6-7 checksum
//   then      count x IPv4 address; v2 only: 8 bytes of authentication data
//
// Intervals are centiseconds in both versions here (v2 seconds x 100), so callers compare one unit.
// decodeAdvert() checks structure only; checksums, TTL and local configuration are receive.ts's.
import {
  HEADER_LENGTH, IPV4_ADDRESS_LENGTH, MAX_ADDRESSES, V2_AUTH_DATA_LENGTH, V2_INTERVAL_MAX_S,
  V3_INTERVAL_MAX_CS, VRRP_TYPE_ADVERTISEMENT, VRRP_VERSION_2, VRRP_VERSION_3,
} from './constants.ts';
import { vrrpChecksum } from './checksum.ts';
import type { ChecksumConvention } from './checksum.ts';

export type VrrpVersion = 2 | 3;

export interface Advert {
  version: VrrpVersion;
  type: number;
  vrid: number;
  priority: number;
  /** Centiseconds (version 2: the seconds byte x 100). */
  intervalCs: number;
  /** IPv4 addresses as unsigned 32-bit numbers, in wire order. */
  addresses: number[];
  /** Version 2 only (0 in version 3). */
  authType: number;
  /** Version 2: the 8 authentication bytes; version 3: empty. */
  authData: Uint8Array;
  checksum: number;
  /** The VRRP message length (without any trailer that follows it). */
  length: number;
}

export type DecodeFailure = 'too_short' | 'version' | 'type' | 'length';

export type DecodeResult =
  | { ok: true; advert: Advert; /** bytes after the VRRP message (an authentication trailer) */ trailer: Uint8Array }
  | { ok: false; reason: DecodeFailure };

export function messageLength(version: VrrpVersion, count: number): number {
  return HEADER_LENGTH + count * IPV4_ADDRESS_LENGTH + (version === VRRP_VERSION_2 ? V2_AUTH_DATA_LENGTH : 0);
}

export function decodeAdvert(bytes: Uint8Array): DecodeResult {
  if (bytes.length < HEADER_LENGTH) return { ok: false, reason: 'too_short' };
  const version = bytes[0]! >>> 4;
  const type = bytes[0]! & 0x0f;
  if (version !== VRRP_VERSION_2 && version !== VRRP_VERSION_3) return { ok: false, reason: 'version' };
  if (type !== VRRP_TYPE_ADVERTISEMENT) return { ok: false, reason: 'type' };
  const count = bytes[3]!;
  const length = messageLength(version, count);
  if (bytes.length < length) return { ok: false, reason: 'length' };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const addresses: number[] = [];
  for (let i = 0; i < count; i++) addresses.push(dv.getUint32(HEADER_LENGTH + i * IPV4_ADDRESS_LENGTH));
  const addrEnd = HEADER_LENGTH + count * IPV4_ADDRESS_LENGTH;
  const advert: Advert = {
    version,
    type,
    vrid: bytes[1]!,
    priority: bytes[2]!,
    intervalCs: version === VRRP_VERSION_2 ? bytes[5]! * 100 : dv.getUint16(4) & V3_INTERVAL_MAX_CS,
    addresses,
    authType: version === VRRP_VERSION_2 ? bytes[4]! : 0,
    authData: version === VRRP_VERSION_2 ? bytes.slice(addrEnd, addrEnd + V2_AUTH_DATA_LENGTH) : new Uint8Array(0),
    checksum: dv.getUint16(6),
    length,
  };
  return { ok: true, advert, trailer: bytes.subarray(length) };
}

export interface AdvertFields {
  version: VrrpVersion;
  vrid: number;
  priority: number;
  /** Centiseconds; version 2 needs a whole number of seconds (a multiple of 100). */
  intervalCs: number;
  addresses: readonly number[];
  /** Version 2 only; default none. */
  authType?: number;
  /** Version 2 only: up to 8 bytes, zero-padded (a simple password as keepalived sends it). */
  authData?: Uint8Array;
}

export interface EncodeOptions {
  /** Version 3 only (version 2 always sums the message alone). Default 'pseudo-header'. */
  checksum?: ChecksumConvention;
  source: number;
  destination: number;
}

/** Encodes one advert with its checksum. Throws on fields the wire cannot carry (a local bug). */
export function encodeAdvert(f: AdvertFields, o: EncodeOptions): Uint8Array {
  if (f.vrid < 1 || f.vrid > 255 || !Number.isInteger(f.vrid)) throw new RangeError(`VRID ${f.vrid}`);
  if (f.priority < 0 || f.priority > 255 || !Number.isInteger(f.priority)) throw new RangeError(`priority ${f.priority}`);
  if (f.addresses.length > MAX_ADDRESSES) throw new RangeError(`${f.addresses.length} addresses`);
  const len = messageLength(f.version, f.addresses.length);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  out[0] = (f.version << 4) | VRRP_TYPE_ADVERTISEMENT;
  out[1] = f.vrid;
  out[2] = f.priority;
  out[3] = f.addresses.length;
  if (f.version === VRRP_VERSION_2) {
    const seconds = f.intervalCs / 100;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > V2_INTERVAL_MAX_S) throw new RangeError(`v2 interval ${f.intervalCs} cs`);
    out[4] = f.authType ?? 0;
    out[5] = seconds;
  } else {
    if (!Number.isInteger(f.intervalCs) || f.intervalCs < 1 || f.intervalCs > V3_INTERVAL_MAX_CS) throw new RangeError(`v3 interval ${f.intervalCs} cs`);
    dv.setUint16(4, f.intervalCs);
  }
  f.addresses.forEach((a, i) => dv.setUint32(HEADER_LENGTH + i * IPV4_ADDRESS_LENGTH, a >>> 0));
  if (f.version === VRRP_VERSION_2 && f.authData) {
    out.set(f.authData.subarray(0, V2_AUTH_DATA_LENGTH), HEADER_LENGTH + f.addresses.length * IPV4_ADDRESS_LENGTH);
  }
  const convention: ChecksumConvention = f.version === VRRP_VERSION_2 ? 'message' : (o.checksum ?? 'pseudo-header');
  dv.setUint16(6, vrrpChecksum(out, convention, o.source, o.destination));
  return out;
}

/** keepalived's simple password: the first 8 bytes of the UTF-8 text, zero-padded. */
export function simplePasswordBytes(password: string): Uint8Array {
  const out = new Uint8Array(V2_AUTH_DATA_LENGTH);
  out.set(new TextEncoder().encode(password).subarray(0, V2_AUTH_DATA_LENGTH));
  return out;
}

/** Which checksum convention(s) an advert's checksum satisfies (a version 2 message: 'message'). */
export function checksumMatches(message: Uint8Array, advert: Advert, convention: ChecksumConvention, source: number, destination: number): boolean {
  const m = message.subarray(0, advert.length);
  const conv: ChecksumConvention = advert.version === VRRP_VERSION_2 ? 'message' : convention;
  return vrrpChecksum(m, conv, source, destination) === advert.checksum;
}
