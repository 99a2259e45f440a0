// What the bundle and upgrade commands share: their option parser (./options.ts), key files read
// into keys, sizes in MiB.
import { readFileSync } from 'node:fs';
import { EXIT_BAD_INPUT, UserError } from './command.ts';
import { formatBundleError, parseKeyText, type PublicKey } from '../upgrade/index.ts';
import type { KeyObject } from 'node:crypto';

export { parseOptions, usageError } from './options.ts';

export function readKeyFile(file: string): { public: PublicKey; private?: KeyObject } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read the key (${(err as NodeJS.ErrnoException).code ?? String(err)})`, EXIT_BAD_INPUT);
  }
  const parsed = parseKeyText(text, file);
  if (!parsed.ok) throw new UserError(formatBundleError(parsed.error), EXIT_BAD_INPUT);
  return parsed.value;
}

export { mib } from '../upgrade/index.ts';
