// The one shape of every config problem, from an unreadable file to a VIP outside its subnet,
// and how it is printed.
import { TEXT_WIDTH, wrapWords } from '../common/index.ts';
import { terminalSafe } from './terminal-text.ts';

export type ConfigErrorKind = 'file' | 'syntax' | 'schema' | 'semantic';

export interface ConfigError {
  readonly kind: ConfigErrorKind;
  /** JSON pointer of the offending value ("" is the whole document). */
  readonly pointer: string;
  /** What would have been right, in words: "an integer from 1 to 255". */
  readonly expected: string;
  /** What is there, abbreviated: "\"active-passive\"", "nothing". */
  readonly found: string;
  readonly hint?: string;
  /** 1-based position in the file, when known. */
  readonly line?: number;
  readonly column?: number;
}

/** Valid, but worth knowing (e.g. a setting that protects less than it seems to). Never stops a load. */
export interface ConfigWarning {
  readonly pointer: string;
  readonly message: string;
  readonly hint?: string;
  readonly line?: number;
  readonly column?: number;
}

export function formatConfigWarning(file: string, w: ConfigWarning): string {
  const where = w.line !== undefined ? `${file}:${w.line}:${w.column ?? 1}` : file;
  return terminalSafe(`${where}: ${pointerLabel(w.pointer)}: warning: ${w.message}${w.hint ? `. hint: ${w.hint}` : ''}`);
}

export function pointerLabel(pointer: string): string {
  return pointer === '' ? '(top level)' : pointer;
}

/**
 * One line per error. File-level problems read as plain sentences ("config.json: no such
 * file"); the rest as `FILE:LINE:COL: POINTER: expected ...; found .... hint: ...`.
 */
export function formatConfigError(file: string, e: ConfigError): string {
  const hint = e.hint ? `. hint: ${e.hint}` : '';
  if (e.kind === 'file') return terminalSafe(`${file}: ${e.found}${hint}`);
  const where = e.line !== undefined ? `${file}:${e.line}:${e.column ?? 1}` : file;
  // Pointers and file names carry the user's own characters; keep the line one terminal-safe line.
  return terminalSafe(`${where}: ${pointerLabel(e.pointer)}: expected ${e.expected}; found ${e.found}${hint}`);
}

/**
 * The same error for a person at an 80-column console: formatConfigError's line when it fits
 * within `width`, else the place and pointer on the first line, then what was expected, what was
 * found and the hint each on lines of their own, indented, broken at spaces.
 */
export function formatConfigErrorWrapped(file: string, e: ConfigError, width = TEXT_WIDTH): string {
  const one = formatConfigError(file, e);
  if (one.length <= width) return one;
  const where = e.line !== undefined ? `${file}:${e.line}:${e.column ?? 1}` : file;
  const head = e.kind === 'file' ? `${where}:` : `${where}: ${pointerLabel(e.pointer)}:`;
  const parts = e.kind === 'file' ? [e.found] : [`expected ${e.expected};`, `found ${e.found}${e.hint ? '.' : ''}`];
  if (e.hint) parts.push(`hint: ${e.hint}`);
  return [
    ...wrapWords(terminalSafe(head), width, '  ', ''),
    ...parts.flatMap((p) => wrapWords(terminalSafe(p), width, '    ', '  ')),
  ].join('\n');
}

/** A warning, wrapped the same way (its message, then its hint). */
export function formatConfigWarningWrapped(file: string, w: ConfigWarning, width = TEXT_WIDTH): string {
  const one = formatConfigWarning(file, w);
  if (one.length <= width) return one;
  const where = w.line !== undefined ? `${file}:${w.line}:${w.column ?? 1}` : file;
  return [
    ...wrapWords(terminalSafe(`${where}: ${pointerLabel(w.pointer)}:`), width, '  ', ''),
    ...[`warning: ${w.message}${w.hint ? '.' : ''}`, ...(w.hint ? [`hint: ${w.hint}`] : [])].flatMap((p) => wrapWords(terminalSafe(p), width, '    ', '  ')),
  ].join('\n');
}

export function errorCountLine(count: number): string {
  return `${count} ${count === 1 ? 'error' : 'errors'}; nothing applied`;
}
