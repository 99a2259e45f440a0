// The board file (board/<name>/board.json, on the appliance /usr/share/stockade/board.json):
// read, parsed and checked the way a config is (same error shape, same wording), against
// src/config/board.schema.json through its precompiled validator, then the rules a schema
// without oneOf cannot say: each port has exactly one of mac or path; labels, MACs and paths are
// unique; arch and debian_arch name the same architecture.
import { UserError } from '../common/index.ts';
import { validate } from './generated/board-validate.js';
import { schema as generatedBoardSchema } from './generated/board-schema.js';
import type { Board } from './generated/board-types.ts';
import type { SchemaNode } from './describe.ts';
import { describeFound } from './describe.ts';
import { inFileOrder, parseDocument } from './document.ts';
import { formatConfigError, type ConfigError } from './errors.ts';
import { pointer } from './pointer.ts';
import { decodeConfigBytes, readConfigBytes } from './read.ts';
import { schemaErrors } from './schema-errors.ts';

export type { Board, BoardPort } from './generated/board-types.ts';

export const boardSchema: SchemaNode = generatedBoardSchema;

export type BoardLoadResult =
  | { readonly ok: true; readonly board: Board }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

/** Node's architecture name -> Debian's. */
const DEBIAN_ARCH: Record<Board['arch'], Board['debian_arch']> = { x64: 'amd64', arm64: 'arm64' };

function semantic(board: Board): Omit<ConfigError, 'line' | 'column'>[] {
  const errors: Omit<ConfigError, 'line' | 'column'>[] = [];
  const add = (at: string, expected: string, found: string, hint?: string): void => {
    errors.push({ kind: 'semantic', pointer: at, expected, found, ...(hint ? { hint } : {}) });
  };
  if (DEBIAN_ARCH[board.arch] !== board.debian_arch) {
    add('/debian_arch', `${JSON.stringify(DEBIAN_ARCH[board.arch])} (Debian's name for arch ${JSON.stringify(board.arch)})`, describeFound(board.debian_arch));
  }
  const labels = new Map<string, number>();
  const macs = new Map<string, number>();
  const paths = new Map<string, number>();
  board.ports.forEach((port, i) => {
    const has = (port.mac !== undefined ? 1 : 0) + (port.path !== undefined ? 1 : 0);
    if (has !== 1) {
      add(
        pointer('ports', i),
        'exactly one of "mac" or "path" (how the port is found)',
        has === 0 ? 'neither' : 'both',
        has === 0 ? 'add the NIC\'s MAC address, e.g. "mac": "52:54:00:12:34:01"' : 'keep one: a NIC is matched by its MAC or by its bus path, not both',
      );
    }
    const unique = (seen: Map<string, number>, key: string | undefined, field: string, what: string): void => {
      if (key === undefined) return;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, i);
        return;
      }
      const value = (port as unknown as Record<string, string>)[field];
      add(pointer('ports', i, field), `${what} not used by another port`, `${describeFound(value)} again`, `port ${first} (${board.ports[first]!.label}) has it too`);
    };
    unique(labels, port.label, 'label', 'a label');
    unique(macs, port.mac?.toLowerCase(), 'mac', 'a MAC address');
    unique(paths, port.path, 'path', 'a bus path');
  });
  return errors;
}

export function loadBoardText(text: string): BoardLoadResult {
  const parsed = parseDocument(text);
  if (!parsed.ok) return { ok: false, errors: parsed.errors };
  const { locate, value } = parsed;
  const errors: ConfigError[] = [...parsed.duplicates];
  if (!validate(value)) errors.push(...schemaErrors(validate.errors ?? [], value, locate, boardSchema));
  if (errors.length > 0) return { ok: false, errors: inFileOrder(errors) };
  const board = value as Board;
  const problems = semantic(board).map((e): ConfigError => ({ ...e, ...(locate(e.pointer, 'value') ?? {}) }));
  if (problems.length > 0) return { ok: false, errors: inFileOrder(problems) };
  return { ok: true, board };
}

/** Every problem with the board file at `path`, or the board. */
export function loadBoardFile(path: string): BoardLoadResult {
  const read = readConfigBytes(path);
  if (!read.ok) return { ok: false, errors: [read.error] };
  const decoded = decodeConfigBytes(read.bytes);
  if (!decoded.ok) return { ok: false, errors: [decoded.error] };
  return loadBoardText(decoded.text);
}

/** A board file that cannot be used: the message is its first error; `errors` has them all. */
export class BoardFileError extends UserError {
  readonly file: string;
  readonly errors: readonly ConfigError[];
  constructor(file: string, errors: readonly ConfigError[]) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more ${errors.length === 2 ? 'error' : 'errors'})` : '';
    super(`board file ${formatConfigError(file, errors[0]!)}${more}`);
    this.name = 'BoardFileError';
    this.file = file;
    this.errors = errors;
  }
}

/** The board at `path`, or a BoardFileError naming the file, the pointer and the problem. */
export function loadBoard(path: string): Board {
  const result = loadBoardFile(path);
  if (!result.ok) throw new BoardFileError(path, result.errors);
  return result.board;
}
