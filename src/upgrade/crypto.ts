// node:crypto on first use, as src/common/hmac.ts does: loading it costs every command start-up
// time, and only the bundle and upgrade commands need it.
import type * as Crypto from 'node:crypto';

let crypto: typeof Crypto | undefined;
export const nodeCrypto = (): typeof Crypto => (crypto ??= process.getBuiltinModule('node:crypto') as typeof Crypto);

export function sha256Hex(bytes: Uint8Array): string {
  return nodeCrypto().createHash('sha256').update(bytes).digest('hex');
}
