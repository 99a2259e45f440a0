// Boot steps 2 and 3: the board file and the config. The config comes from the data partition;
// when that is missing, unreadable or invalid, from the board's default (saying why, with the
// first errors); should even that fail, from a built-in minimal config (no management
// interfaces: console only), so the firewall step always has something safe to apply. The saved
// file is only read, never changed.
import { builtInConfig, formatConfigError, loadBoardFile, loadConfigFile, type Board, type ConfigChoice, type ConfigError } from '../config/index.ts';
import type { StepReport } from './report.ts';

/** Errors printed under a step: enough to see what is wrong, short enough for a console. */
export const ERRORS_SHOWN = 3;

function errorLines(file: string, errors: readonly ConfigError[]): string[] {
  const lines = errors.slice(0, ERRORS_SHOWN).map((e) => formatConfigError(file, e));
  if (errors.length > ERRORS_SHOWN) lines.push(`... and ${errors.length - ERRORS_SHOWN} more (stockade config validate ${file})`);
  return lines;
}

function count(errors: readonly ConfigError[]): string {
  return `${errors.length} ${errors.length === 1 ? 'error' : 'errors'}`;
}

export function runBoard(file: string): { report: StepReport; board?: Board } {
  const result = loadBoardFile(file);
  if (result.ok) {
    const b = result.board;
    return { report: { step: 'board', status: 'ok', detail: `${b.name} (${b.arch}, ${b.ports.length} ports) from ${file}` }, board: b };
  }
  const first = result.errors[0]!;
  const detail =
    first.kind === 'file'
      ? `${formatConfigError(file, first)}; the board's modules and port names are not applied`
      : `${file}: ${count(result.errors)}; the board's modules and port names are not applied`;
  return { report: { step: 'board', status: 'failed', detail, critical: true, ...(first.kind === 'file' ? {} : { more: errorLines(file, result.errors) }) } };
}

export interface ConfigFiles {
  readonly configFile: string;
  readonly defaultConfigFile: string;
}

function isMissing(errors: readonly ConfigError[]): boolean {
  return errors.length === 1 && errors[0]!.kind === 'file' && /no such file/.test(errors[0]!.found);
}

export function runConfig(files: ConfigFiles, dataAvailable: boolean): { report: StepReport; choice: ConfigChoice } {
  let why: string;
  let savedFailed = false;
  let more: string[] = [];
  if (!dataAvailable) {
    why = 'the data partition is not mounted';
  } else {
    const saved = loadConfigFile(files.configFile);
    if (saved.ok) {
      return {
        report: { step: 'config', status: 'ok', detail: `${files.configFile}` },
        choice: { config: saved.config, source: 'saved', file: files.configFile },
      };
    }
    if (isMissing(saved.errors)) {
      why = `no saved config at ${files.configFile}`;
    } else {
      savedFailed = true;
      const first = saved.errors[0]!;
      why = first.kind === 'file' ? formatConfigError(files.configFile, first) : `${files.configFile} is invalid (${count(saved.errors)})`;
      if (first.kind !== 'file') more = errorLines(files.configFile, saved.errors);
    }
  }

  const fallback = loadConfigFile(files.defaultConfigFile);
  if (fallback.ok) {
    const detail = `${why}; using the board default ${files.defaultConfigFile}${savedFailed ? ' (the saved file is left as it is)' : ''}`;
    return {
      // A box that was never configured booting its default is normal (and a missing data
      // partition is the mounts step's failure); a saved config that cannot be used is a failure
      // the admin must see.
      report: { step: 'config', status: savedFailed ? 'failed' : 'ok', detail, ...(more.length ? { more } : {}) },
      choice: { config: fallback.config, source: 'default', file: files.defaultConfigFile, why },
    };
  }
  more = [...more, ...errorLines(files.defaultConfigFile, fallback.errors)];
  return {
    report: {
      step: 'config',
      status: 'failed',
      detail: `${why}; the board default ${files.defaultConfigFile} cannot be used either: using the built-in minimal config (console access only)`,
      more,
    },
    choice: { config: builtInConfig(), source: 'built-in', why: `${why}; board default unusable` },
  };
}
