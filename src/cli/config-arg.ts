// The config-file argument of the commands that read a config (`net plan|apply`,
// `firewall plan|apply|lint`): `[FILE] [--json]`, FILE defaulting to the saved config, else the
// board's default (config/source.ts).
import { EXIT_BAD_INPUT, UserError, type Io } from './command.ts';
import { CONFIG_FILES, errorCountLine, firstConfigFile, formatConfigErrorWrapped, loadConfigFile, type Config, type ConfigError } from '../config/index.ts';

export interface ConfigArgs { file: string; json: boolean }

export function parseConfigArgs(words: string, args: readonly string[]): ConfigArgs {
  const usage = `usage: stockade ${words} [FILE] [--json]`;
  let file: string | undefined;
  let json = false;
  for (const a of args) {
    if (a === '--json') json = true;
    else if (a.startsWith('-') || a === '') throw new UserError(`${words}: unexpected argument '${a}' (${usage})`, EXIT_BAD_INPUT);
    else if (file !== undefined) throw new UserError(`${words}: one config file only (${usage})`, EXIT_BAD_INPUT);
    else file = a;
  }
  if (file === undefined) {
    file = firstConfigFile();
    if (file === undefined) throw new UserError(`${words}: no config file given and none at ${CONFIG_FILES.join(' or ')}`, EXIT_BAD_INPUT);
  }
  return { file, json };
}

/** The config, or undefined after printing its errors (the caller exits 2, touching nothing). */
export function loadOrReport(file: string, io: Io): Config | undefined {
  const result = loadConfigFile(file);
  if (result.ok) return result.config;
  reportConfigErrors(file, result.errors, io);
  return undefined;
}

/** Every error of a config that does not load, each wrapped to the console's width, then the count. */
export function reportConfigErrors(file: string, errors: readonly ConfigError[], io: Io): void {
  for (const error of errors) io.err(formatConfigErrorWrapped(file, error) + '\n');
  io.err(errorCountLine(errors.length) + '\n');
}
