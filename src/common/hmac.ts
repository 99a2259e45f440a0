// HMAC-SHA256 and a constant-time compare for VRRP and conntrack sync authentication (node:crypto
// on first use: only authenticated instances need it).
import type * as Crypto from 'node:crypto';
import { nodeCrypto as lib } from './node-crypto.ts';

export function createHmac(algorithm: 'sha256', key: Crypto.BinaryLike): Crypto.Hmac {
  return lib().createHmac(algorithm, key);
}

export function timingSafeEqual(a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean {
  return lib().timingSafeEqual(a, b);
}
