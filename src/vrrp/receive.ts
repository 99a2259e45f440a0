// Receive validation: a packet from the raw socket (payload, source, destination, TTL) either
// becomes an Advert for an instance or is dropped with one named reason, which the caller counts.
// Order follows keepalived's vrrp_check_packet(): structure, TTL, version, authentication, v2
// interval, checksum, destination, unicast source, addresses.
import { AUTH_IPSEC_AH, AUTH_NONE, AUTH_SIMPLE_PASSWORD, V2_AUTH_DATA_LENGTH, VRRP_TTL, VRRP_VERSION_2 } from './constants.ts';
import { checksumMatches, decodeAdvert } from './codec.ts';
import type { Advert, VrrpVersion } from './codec.ts';
import type { ChecksumConvention } from './checksum.ts';
import type { AdvertVerifier } from './auth.ts';
import { isMulticast } from './ipv4.ts';

export const DROP_REASONS = [
  'too_short', // fewer than 8 bytes
  'version', // neither 2 nor 3
  'type', // not an advertisement
  'length', // shorter than its address count needs, or unexpected bytes after it
  'ttl', // multicast advert with TTL other than 255 (not from this link)
  'unknown_vrid', // no instance here has this VRID on this interface
  'version_mismatch', // the instance runs the other version
  'auth_type', // v2 authentication type differs from ours (or is IPsec AH, unsupported)
  'auth_password', // v2 simple password differs
  'auth_missing', // authentication configured, advert has no (valid-looking) trailer
  'auth_key_id', // trailer names a key we do not have
  'auth_mac', // HMAC mismatch
  'auth_replay', // counter seen before, or older than the window
  'auth_clock', // counter's time too far from our clock: a replay after our restart, or the clocks disagree (NTP)
  'interval', // v2: interval differs from ours (RFC 3768 §7.1: drop, avoids two masters)
  'interval_zero', // an interval of 0 would make the master-down timer just the skew
  'checksum', // matches neither convention
  'checksum_convention', // would match the other v3 convention: fix `checksum` on one side
  'destination', // multicast to another group, or unicast while we expect multicast (and vice versa)
  'unicast_source', // unicast from an address that is not a configured peer
  'own_address', // our own advert looped back
  'owner', // we own the addresses (priority 255) and follow RFC 5798 §7.1 (ownerIgnoresAdverts)
  'address_count', // count differs from our VIP count
  'address_list', // same count, different addresses
] as const;

export type DropReason = (typeof DROP_REASONS)[number];
export type DropCounters = Record<DropReason, number>;

export function newDropCounters(): DropCounters {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as DropCounters;
}

export interface ReceivedPacket {
  /** The IP payload (the VRRP message, plus any authentication trailer). */
  payload: Uint8Array;
  source: number;
  destination: number;
  ttl: number;
}

export interface ReceiveConfig {
  version: VrrpVersion;
  /** Own advert interval in centiseconds (version 2 compares it, version 3 adopts the master's). */
  intervalCs: number;
  checksum: ChecksumConvention;
  /** The VIPs, compared with the advert's address list as a set. */
  addresses: readonly number[];
  /** Version 2 simple password (up to 8 bytes); absent: authentication type 0. */
  v2Password?: Uint8Array;
  /** HMAC authentication (Stockade peers only); absent: no trailer expected. */
  verifier?: AdvertVerifier;
  /** The group adverts go to (224.0.0.18 unless configured); used when unicastPeers is empty. */
  multicastGroup: number;
  /** Unicast: adverts must come from one of these and be addressed to us, not to a group. */
  unicastPeers: readonly number[];
  /** Our own addresses on the interface: an advert from one is our own, looped back. */
  ownAddresses: readonly number[];
  /**
   * Drop every advert (RFC 5798 §7.1: the address owner MUST discard them). Default off, as in
   * keepalived (owner_ignore_adverts): two misconfigured owners then still settle on one master.
   */
  ownerIgnoresAdverts?: boolean;
}

export type Validated = { ok: true; advert: Advert } | { ok: false; reason: DropReason };

/** First stage, before the instance is known: structure and TTL; gives the VRID to look up. */
export function preCheck(p: ReceivedPacket): { ok: true; vrid: number; version: number } | { ok: false; reason: DropReason } {
  const d = decodeAdvert(p.payload);
  if (!d.ok) return d;
  if (isMulticast(p.destination) && p.ttl !== VRRP_TTL) return { ok: false, reason: 'ttl' };
  return { ok: true, vrid: d.advert.vrid, version: d.advert.version };
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Full validation of one packet against one instance's configuration. */
export function validateAdvert(p: ReceivedPacket, cfg: ReceiveConfig, wallClockMs: number): Validated {
  const d = decodeAdvert(p.payload);
  if (!d.ok) return d;
  const a = d.advert;
  const multicast = isMulticast(p.destination);
  if (multicast && p.ttl !== VRRP_TTL) return { ok: false, reason: 'ttl' };
  if (a.version !== cfg.version) return { ok: false, reason: 'version_mismatch' };
  if (cfg.ownAddresses.includes(p.source)) return { ok: false, reason: 'own_address' };
  if (cfg.ownerIgnoresAdverts) return { ok: false, reason: 'owner' };

  if (a.version === VRRP_VERSION_2) {
    const wantType = cfg.v2Password ? AUTH_SIMPLE_PASSWORD : AUTH_NONE;
    if (a.authType === AUTH_IPSEC_AH || a.authType !== wantType) return { ok: false, reason: 'auth_type' };
    if (cfg.v2Password) {
      const want = new Uint8Array(V2_AUTH_DATA_LENGTH);
      want.set(cfg.v2Password.subarray(0, V2_AUTH_DATA_LENGTH));
      if (!equalBytes(want, a.authData)) return { ok: false, reason: 'auth_password' };
    }
  }
  if (cfg.verifier) {
    if (d.trailer.length === 0) return { ok: false, reason: 'auth_missing' };
  } else if (d.trailer.length !== 0) {
    return { ok: false, reason: 'length' };
  }
  if (a.intervalCs === 0) return { ok: false, reason: 'interval_zero' };
  if (a.version === VRRP_VERSION_2 && a.intervalCs !== cfg.intervalCs) return { ok: false, reason: 'interval' };

  if (!checksumMatches(p.payload, a, cfg.checksum, p.source, p.destination)) {
    const other: ChecksumConvention = cfg.checksum === 'message' ? 'pseudo-header' : 'message';
    const otherOk = a.version !== VRRP_VERSION_2 && checksumMatches(p.payload, a, other, p.source, p.destination);
    return { ok: false, reason: otherOk ? 'checksum_convention' : 'checksum' };
  }

  if (cfg.unicastPeers.length > 0) {
    if (multicast) return { ok: false, reason: 'destination' };
    if (!cfg.unicastPeers.includes(p.source)) return { ok: false, reason: 'unicast_source' };
  } else if (!multicast || p.destination !== cfg.multicastGroup) {
    return { ok: false, reason: 'destination' };
  }

  if (a.addresses.length !== cfg.addresses.length) return { ok: false, reason: 'address_count' };
  if (!sameSet(a.addresses, cfg.addresses)) return { ok: false, reason: 'address_list' };

  // Last: a MAC check records the counter, so only adverts that pass everything else consume it.
  if (cfg.verifier) {
    const v = cfg.verifier.verify(p.source, p.payload.subarray(0, a.length), d.trailer, wallClockMs);
    if (!v.ok) return v;
  }
  return { ok: true, advert: a };
}
