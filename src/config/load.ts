// Config loading: bytes -> text -> JSON (with positions) -> schema (fills defaults) ->
// semantic checks. Every problem found at a stage is reported, in file order; a later stage
// runs only when the earlier ones found nothing, so errors never cascade from one mistake.
// Boot uses the precompiled standalone validator; nothing here compiles a schema.
import { validate } from './generated/validate.js';
import type { Config } from './generated/config.ts';
import type { ConfigError } from './errors.ts';
import { describeFound } from './describe.ts';
import { LineIndex, parseJson, type JsonDocument } from './json-parse.ts';
import { parentPointer } from './pointer.ts';
import { decodeConfigBytes, readConfigBytes } from './read.ts';
import { schemaErrors, type Locate } from './schema-errors.ts';
import { checkSemantics } from './semantic/index.ts';

export const CONFIG_VERSION = 1;

export type LoadResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

export function loadConfigFile(path: string): LoadResult {
  const read = readConfigBytes(path);
  if (!read.ok) return { ok: false, errors: [read.error] };
  return loadConfigBytes(read.bytes);
}

export function loadConfigBytes(bytes: Uint8Array): LoadResult {
  const decoded = decodeConfigBytes(bytes);
  if (!decoded.ok) return { ok: false, errors: [decoded.error] };
  return loadConfigText(decoded.text);
}

function locator(doc: JsonDocument, lines: LineIndex): Locate {
  return (pointer, at) => {
    let p = pointer;
    let offset = at === 'key' ? (doc.keyOffsets.get(p) ?? doc.valueOffsets.get(p)) : (doc.valueOffsets.get(p) ?? doc.keyOffsets.get(p));
    while (offset === undefined && p !== '') {
      p = parentPointer(p);
      offset = doc.valueOffsets.get(p);
    }
    return offset === undefined ? undefined : lines.position(offset);
  };
}

function inFileOrder(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.line ?? Infinity) - (b.e.line ?? Infinity) || (a.e.column ?? 0) - (b.e.column ?? 0) || a.i - b.i)
    .map(({ e }) => e)
    .filter((e) => {
      // One error per place: the first found there is the one to fix first.
      const key = `${e.kind === 'syntax' ? 'syntax' : 'value'} ${e.pointer}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

export function loadConfigText(text: string): LoadResult {
  const lines = new LineIndex(text);
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { offset, ...rest } = parsed.error;
    return { ok: false, errors: [{ kind: 'syntax', ...rest, ...lines.position(offset) }] };
  }
  const doc = parsed.document;
  const locate = locator(doc, lines);
  const errors: ConfigError[] = doc.duplicates.map((d) => {
    const first = lines.position(d.firstOffset);
    const name = d.pointer.slice(d.pointer.lastIndexOf('/') + 1).replace(/~1/g, '/').replace(/~0/g, '~');
    return {
      kind: 'syntax',
      pointer: d.pointer,
      expected: 'each property name once per object',
      found: `${describeFound(name)} again`,
      hint: `first given at line ${first.line} column ${first.column}; JSON would silently keep the last`,
      ...lines.position(d.offset),
    };
  });

  const value = doc.value;
  const version = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { version?: unknown }).version : undefined;
  if (typeof version === 'number' && version !== CONFIG_VERSION) {
    // A file for another format version: its other errors would only be noise.
    errors.push({
      kind: 'schema',
      pointer: '/version',
      expected: `${CONFIG_VERSION} (the config format version this stockade reads)`,
      found: describeFound(version),
      hint: Number.isInteger(version) && version > CONFIG_VERSION ? 'the file was written for a newer stockade' : `set "version": ${CONFIG_VERSION}`,
      ...(locate('/version', 'value') ?? {}),
    });
    return { ok: false, errors: inFileOrder(errors) };
  }

  if (!validate(value)) errors.push(...schemaErrors(validate.errors ?? [], value, locate));
  if (errors.length > 0) return { ok: false, errors: inFileOrder(errors) };

  const config = value as Config;
  // ajv filled in defaults in place; errors quote the file as written, so re-read it if needed.
  const written = (): unknown => {
    const again = parseJson(text);
    return again.ok ? again.document.value : undefined;
  };
  const semantic = checkSemantics(config, written).map((e) => ({ ...e, ...(locate(e.pointer, 'value') ?? {}) }));
  if (semantic.length > 0) return { ok: false, errors: inFileOrder(semantic) };
  return { ok: true, config };
}
