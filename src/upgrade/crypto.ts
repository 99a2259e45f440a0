// node:crypto on first use, as src/common/hmac.ts does: loading it costs every command start-up
// time, and only the bundle and upgrade commands need it.
import type * as Crypto from 'node:crypto';

let crypto: typeof Crypto | undefined;
export const nodeCrypto = (): typeof Crypto => (crypto ??= process.getBuiltinModule('node:crypto') as typeof Crypto);

export function sha256Hex(bytes: Uint8Array): string {
  return nodeCrypto().createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of the first `size` bytes of something read in 1 MiB pieces (a slot read back). */
export function sha256OfReads(read: (offset: number, length: number) => Uint8Array, size: number): string {
  const hash = nodeCrypto().createHash('sha256');
  for (let at = 0; at < size; at += 1 << 20) hash.update(read(at, Math.min(1 << 20, size - at)));
  return hash.digest('hex');
}
