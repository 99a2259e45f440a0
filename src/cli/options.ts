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
