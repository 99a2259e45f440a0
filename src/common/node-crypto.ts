// node:crypto on first use, not imported: loading it is a good part of a command's start-up (17 of
// the 46 ms `stockade lvs apply` spends evaluating its modules on the host; more under the VM's
// emulated CPU), and most commands never hash, sign or authenticate anything.
import type * as Crypto from 'node:crypto';

let crypto: typeof Crypto | undefined;
export const nodeCrypto = (): typeof Crypto => (crypto ??= process.getBuiltinModule('node:crypto') as typeof Crypto);
