// The daemon's config, chosen as boot chooses it: the config file if it loads, else the board's
// default config (so a broken /data/config.json never leaves the box without its VRRP role being
// at least the default one). Both failing is fatal.
import { formatConfigError, loadConfigFile, type Config, type ConfigError } from '../config/index.ts';

export const DEFAULT_CONFIG_FILE = '/data/config.json';
export const DEFAULT_BOARD_CONFIG_FILE = '/usr/share/stockade/default-config.json';

export type ConfigChoice = { ok: true; config: Config; file: string; fallback: boolean; why?: string } | { ok: false; message: string };

export function chooseConfig(file: string, defaultFile: string | undefined): ConfigChoice {
  const first = loadConfigFile(file);
  if (first.ok) return { ok: true, config: first.config, file, fallback: false };
  const why = `${first.errors.length} error(s), first: ${describe(file, first.errors[0])}`;
  if (defaultFile === undefined) return { ok: false, message: why };
  const second = loadConfigFile(defaultFile);
  if (second.ok) return { ok: true, config: second.config, file: defaultFile, fallback: true, why };
  return { ok: false, message: `${why}; and the default: ${describe(defaultFile, second.errors[0])}` };
}

function describe(file: string, e: ConfigError | undefined): string {
  return e ? formatConfigError(file, e) : `${file}: unknown error`;
}
