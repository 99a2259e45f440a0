// Where the config comes from, for boot, the daemon and the CLI: the saved file on the data
// partition, else the board's default, else (boot only) a built-in minimal config. The paths are
// defined here once.
import type { ConfigError } from './errors.ts';
import { formatConfigError } from './errors.ts';
import type { Config } from './generated/config.ts';
import { loadConfigFile, loadConfigText } from './load.ts';
import { existsSync } from 'node:fs';

/** What the image installs: the board file and the board's default config. */
export const APPLIANCE_SHARE_DIR = '/usr/share/stockade';
export const SAVED_CONFIG_FILE = '/data/config.json';
export const BOARD_DEFAULT_CONFIG_FILE = `${APPLIANCE_SHARE_DIR}/default-config.json`;
export const BOARD_FILE = `${APPLIANCE_SHARE_DIR}/board.json`;
/** Where a command looks when it is given no config file: the saved one, else the board's default. */
export const CONFIG_FILES: readonly string[] = [SAVED_CONFIG_FILE, BOARD_DEFAULT_CONFIG_FILE];

export type ConfigSource = 'saved' | 'default' | 'built-in';

export interface ConfigChoice {
  readonly config: Config;
  readonly source: ConfigSource;
  /** The file it came from (none for the built-in one). */
  readonly file?: string;
  /** Why the saved config was not used. */
  readonly why?: string;
}

/** The last resort: every default, no management interface, nothing reachable from the network. */
const BUILT_IN_CONFIG = '{"version": 1}';

export function builtInConfig(): Config {
  const builtIn = loadConfigText(BUILT_IN_CONFIG);
  if (!builtIn.ok) throw new Error('the built-in minimal config does not validate');
  return builtIn.config;
}

/** The first of `files` that exists (a command's config when none is named). */
export function firstConfigFile(files: readonly string[] = CONFIG_FILES): string | undefined {
  return files.find((f) => existsSync(f));
}

/** The daemon's choice: the file if it loads, else the default if given and it loads. */
export type LoadedChoice = ({ ok: true; file: string; fallback: boolean } & ConfigChoice) | { ok: false; message: string };

/**
 * The daemon's config, chosen as boot chooses it: the config file if it loads, else the board's
 * default config (so a broken /data/config.json never leaves the box without its VRRP role being
 * at least the default one). Both failing is the caller's fatal error.
 */
export function chooseConfig(file: string, defaultFile: string | undefined): LoadedChoice {
  const first = loadConfigFile(file);
  if (first.ok) return { ok: true, config: first.config, source: 'saved', file, fallback: false };
  const why = `${first.errors.length} error(s), first: ${describe(file, first.errors[0])}`;
  if (defaultFile === undefined) return { ok: false, message: why };
  const second = loadConfigFile(defaultFile);
  if (second.ok) return { ok: true, config: second.config, source: 'default', file: defaultFile, fallback: true, why };
  return { ok: false, message: `${why}; and the default: ${describe(defaultFile, second.errors[0])}` };
}

function describe(file: string, e: ConfigError | undefined): string {
  return e ? formatConfigError(file, e) : `${file}: unknown error`;
}
