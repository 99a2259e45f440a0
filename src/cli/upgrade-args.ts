// Option parsing shared by the bundle and upgrade commands: node:util's parseArgs, its errors
// turned into one-line usage errors (exit 2), and key files read into keys.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT_BAD_INPUT, UserError, type Command } from './command.ts';
import { formatBundleError, parseKeyText, type PublicKey } from '../upgrade/index.ts';
import type { KeyObject } from 'node:crypto';

type Options = NonNullable<ParseArgsConfig['options']>;

export function usageError(command: Command, why?: string): UserError {
  const usage = `usage: stockade ${[...command.words, command.usage].filter(Boolean).join(' ')}`;
  return new UserError(why ? `${[...command.words].join(' ')}: ${why} (${usage})` : usage, EXIT_BAD_INPUT);
}

export function parseOptions<O extends Options>(command: Command, args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(command, err instanceof Error ? err.message.split('\n')[0] : String(err));
  }
}

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

export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
