// HMAC-SHA256 and a constant-time compare for VRRP and conntrack sync authentication. node:crypto
// is loaded on first use, not imported: loading it costs every command ~5 ms of start-up
// (`stockade --version`), and only authenticated instances need it.
import type * as Crypto from 'node:crypto';

let crypto: typeof Crypto | undefined;
const lib = (): typeof Crypto => (crypto ??= process.getBuiltinModule('node:crypto') as typeof Crypto);

export function createHmac(algorithm: 'sha256', key: Crypto.BinaryLike): Crypto.Hmac {
  return lib().createHmac(algorithm, key);
}

export function timingSafeEqual(a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean {
  return lib().timingSafeEqual(a, b);
}
