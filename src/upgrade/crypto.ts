// Hashes for bundles and slots; node:crypto on first use (src/common/node-crypto.ts).
import { nodeCrypto } from '../common/index.ts';

export { nodeCrypto };

export function sha256Hex(bytes: Uint8Array): string {
  return nodeCrypto().createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of the first `size` bytes of something read in 1 MiB pieces (a slot read back). */
export function sha256OfReads(read: (offset: number, length: number) => Uint8Array, size: number): string {
  const hash = nodeCrypto().createHash('sha256');
  for (let at = 0; at < size; at += 1 << 20) hash.update(read(at, Math.min(1 << 20, size - at)));
  return hash.digest('hex');
}
