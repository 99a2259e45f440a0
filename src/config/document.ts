// The JSON stage shared by every file stockade validates (the config, the board file): text ->
// parsed document with positions, duplicate-key errors, a locator for pointers, and the one
// order errors are printed in.
import type { ConfigError } from './errors.ts';
import { describeFound } from './describe.ts';
import { LineIndex, parseJson, parseJsonValue, type JsonDocument } from './json-parse.ts';
import { parentPointer } from './pointer.ts';
import type { Locate } from './schema-errors.ts';

export type ParsedDocument =
  | { readonly ok: false; readonly errors: ConfigError[] }
  | {
      readonly ok: true;
      readonly value: unknown;
      readonly locate: Locate;
      /** Properties given twice: errors, but the document can still be validated. */
      readonly duplicates: ConfigError[];
    };

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

export function parseDocument(text: string): ParsedDocument {
  // Positions are found only when an error needs them: a clean file is parsed once without them.
  const fast = parseJsonValue(text);
  if (fast !== undefined) {
    let locate: Locate | undefined;
    return {
      ok: true,
      value: fast.value,
      locate: (pointer, at) => {
        if (locate === undefined) {
          const again = parseJson(text);
          if (!again.ok) return undefined; // cannot happen: the same text parsed above
          locate = locator(again.document, new LineIndex(text));
        }
        return locate(pointer, at);
      },
      duplicates: [],
    };
  }
  return parseWithPositions(text);
}

function parseWithPositions(text: string): ParsedDocument {
  const lines = new LineIndex(text);
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { offset, ...rest } = parsed.error;
    return { ok: false, errors: [{ kind: 'syntax', ...rest, ...lines.position(offset) }] };
  }
  const doc = parsed.document;
  const duplicates: ConfigError[] = doc.duplicates.map((d) => {
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
  return { ok: true, value: doc.value, locate: locator(doc, lines), duplicates };
}

export function inFileOrder(errors: ConfigError[]): ConfigError[] {
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
