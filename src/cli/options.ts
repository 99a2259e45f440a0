// Command-line options for every command: node:util's parseArgs (strict: an unknown option is an
// error), its errors turned into one-line usage errors (exit 2) that name the command.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT_BAD_INPUT, UserError, type Command } from './command.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function usageError(command: Command, why?: string): UserError {
  const usage = `usage: stockade ${[...command.words, command.usage].filter(Boolean).join(' ')}`;
  return new UserError(why ? `${[...command.words].join(' ')}: ${why} (${usage})` : usage, EXIT_BAD_INPUT);
}

export function parseOptions<O extends Options>(command: Command, args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(command, parseArgsMessage(err));
  }
}

/** parseArgs' messages, shortened to what was wrong (its own suggest `--` and quote oddly). */
function parseArgsMessage(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (option !== undefined && e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option '${option}'`;
  if (option !== undefined && e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /argument missing/.test(message) ? `${option} needs a value` : `${option} takes no value`;
  }
  return message.split('\n')[0]!;
}

/** Options keyed by their spelling ('--socket' -> its value; '--json' in switches), for commands that pass them on by name. */
export interface Flags { positional: string[]; flags: Map<string, string>; switches: Set<string> }

export function parseFlags(command: Command, args: readonly string[], valued: readonly string[], bare: readonly string[] = []): Flags {
  const spec = Object.fromEntries([
    ...valued.map((f) => [f.slice(2), { type: 'string' as const }]),
    ...bare.map((f) => [f.slice(2), { type: 'boolean' as const }]),
  ]);
  const { values, positionals } = parseOptions(command, args, spec);
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (const [k, v] of Object.entries(values)) {
    if (v === '') throw usageError(command, `--${k} needs a value`);
    if (typeof v === 'string') flags.set(`--${k}`, v);
    else if (v === true) switches.add(`--${k}`);
  }
  return { positional: positionals, flags, switches };
}

/** The `ctl` status commands' options: --json, --socket PATH, nothing else. */
export function jsonAndSocket(command: Command, args: readonly string[]): { json: boolean; socket: string | undefined } {
  const { values, positionals } = parseOptions(command, args, { json: { type: 'boolean' }, socket: { type: 'string' } });
  if (positionals.length > 0) throw usageError(command, `unexpected argument '${positionals[0]}'`);
  if (values.socket === '') throw usageError(command, '--socket needs a path');
  return { json: values.json === true, socket: values.socket };
}
