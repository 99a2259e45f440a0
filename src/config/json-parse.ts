// A small JSON parser that remembers where things are.
//
// Why not JSON.parse: it silently keeps the last of two equal keys in an object (a config with
// "mode" twice would apply a value the admin may not have meant), it reports syntax errors as
// an offset in a V8-specific message, and it cannot tell where a value sits in the file, which
// every schema and semantic error wants to print as line:column.
//
// Why not @humanwhocodes/momoa (3.3.13, mode "json"; tried for issue 11): it does keep both
// members of a duplicated key with their positions, but (1) it accepts raw control characters
// inside strings (a tab, even a newline), which RFC 8259 forbids; (2) its errors name only the
// unexpected token ("Unexpected token String found."), never what was expected, the pointer or
// a hint, so the messages below would need a grammar-aware diagnosis beside it anyway; (3) on a
// 1.1 MiB config it took 786 ms for AST + value + offsets against 285 ms here with positions and
// 28 ms for parseJsonValue (the boot path), median of 9, same process.
//
// A clean file, the common case, is read by JSON.parse (parseJsonValue below): the same grammar
// in native code. This parser runs only when that read finds something to report.
//
// Strict RFC 8259: no comments, no trailing commas, no single quotes; nesting is limited so a
// hostile file cannot exhaust the stack.
import { escapeToken } from './pointer.ts';
import { terminalSafe } from './terminal-text.ts';

export interface DuplicateKey {
  /** Pointer of the property given twice. */
  readonly pointer: string;
  /** Offset of the second (and later) occurrence of the key. */
  readonly offset: number;
  /** Offset of the first occurrence. */
  readonly firstOffset: number;
}

export interface JsonDocument {
  readonly value: unknown;
  /** Offset where each value starts, by pointer ("" is the top-level value). */
  readonly valueOffsets: ReadonlyMap<string, number>;
  /** Offset of each property name, by the property's pointer. */
  readonly keyOffsets: ReadonlyMap<string, number>;
  readonly duplicates: readonly DuplicateKey[];
}

export interface JsonSyntaxError {
  readonly offset: number;
  /** Pointer of the value being read when the error was found. */
  readonly pointer: string;
  readonly expected: string;
  /** The text found there, quoted, or "end of file". */
  readonly found: string;
  readonly hint?: string;
}

export type JsonParseResult =
  | { readonly ok: true; readonly document: JsonDocument }
  | { readonly ok: false; readonly error: JsonSyntaxError };

export const MAX_NESTING = 64;

class SyntaxFault {
  readonly error: JsonSyntaxError;
  constructor(error: JsonSyntaxError) {
    this.error = error;
  }
}

const WORD = /[A-Za-z0-9_$+.-]/;

/** Makes a piece of input safe and readable in a one-line message, in single quotes. */
export function quoteFound(text: string): string {
  return `'${terminalSafe(text)}'`;
}

class Parser {
  private readonly text: string;
  private pos = 0;
  private depth = 0;
  private readonly valueOffsets = new Map<string, number>();
  private readonly keyOffsets = new Map<string, number>();
  private readonly duplicates: DuplicateKey[] = [];

  constructor(text: string) {
    this.text = text;
  }

  parse(): JsonDocument {
    this.skipSpace('');
    const value = this.value('');
    this.skipSpace('');
    if (this.pos < this.text.length) {
      this.fail('', 'the end of the file after the top-level value', this.pos, 'a config file holds exactly one JSON object');
    }
    return { value, valueOffsets: this.valueOffsets, keyOffsets: this.keyOffsets, duplicates: this.duplicates };
  }

  private fail(pointer: string, expected: string, offset: number, hint?: string): never {
    throw new SyntaxFault({ offset, pointer, expected, found: this.tokenAt(offset), ...(hint ? { hint } : {}) });
  }

  /** The token starting at offset, for "found ..." (strings and words whole, up to 24 chars). */
  private tokenAt(offset: number): string {
    const t = this.text;
    if (offset >= t.length) return 'end of file';
    const c = t[offset]!;
    if (c === '\n' || c === '\r') return 'end of line';
    let end = offset + 1;
    if (c === '"') {
      while (end < t.length && t[end] !== '"' && t[end] !== '\n' && end - offset < 24) end += t[end] === '\\' ? 2 : 1;
      if (t[end] === '"') end++;
    } else if (WORD.test(c)) {
      while (end < t.length && WORD.test(t[end]!) && end - offset < 24) end++;
    } else if (c >= '\ud800' && c <= '\udbff') {
      end++;
    }
    const token = t.slice(offset, end);
    return quoteFound(end - offset >= 24 && end < t.length ? token + '…' : token);
  }

  private skipSpace(pointer: string): void {
    const t = this.text;
    for (;;) {
      const c = t[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.pos++;
      } else if (c === '/' && (t[this.pos + 1] === '/' || t[this.pos + 1] === '*')) {
        this.fail(pointer, 'JSON text', this.pos, 'JSON has no comments; describe things in "description" properties');
      } else {
        return;
      }
    }
  }

  private value(pointer: string): unknown {
    const start = this.pos;
    const c = this.text[start];
    this.valueOffsets.set(pointer, start);
    if (c === '{') return this.object(pointer);
    if (c === '[') return this.array(pointer);
    if (c === '"') return this.string(pointer);
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number(pointer);
    for (const [word, literal] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, start)) {
        this.pos += word.length;
        return literal;
      }
    }
    this.fail(pointer, 'a value (object, array, string, number, true, false or null)', start, this.valueHint(start));
  }

  private valueHint(offset: number): string | undefined {
    const c = this.text[offset];
    if (c === "'") return 'JSON strings use double quotes';
    if (c === '}' || c === ']') return "a ',' before a closing bracket is not allowed in JSON";
    const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.text.slice(offset, offset + 32))?.[0];
    if (word === undefined) return undefined;
    if (['true', 'false', 'null'].includes(word.toLowerCase())) return `JSON writes it in lower case: ${word.toLowerCase()}`;
    if (['NaN', 'Infinity', 'undefined'].includes(word)) return `JSON has no ${word}`;
    return 'strings need double quotes';
  }

  private enter(pointer: string): void {
    if (++this.depth > MAX_NESTING) {
      this.fail(pointer, `at most ${MAX_NESTING} levels of nesting`, this.pos);
    }
  }

  private object(pointer: string): Record<string, unknown> {
    this.enter(pointer);
    const t = this.text;
    const result: Record<string, unknown> = {};
    const seen = new Map<string, number>();
    this.pos++; // {
    this.skipSpace(pointer);
    if (t[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return result;
    }
    for (;;) {
      const keyStart = this.pos;
      if (t[keyStart] !== '"') {
        const c = t[keyStart];
        const hint =
          c === '}'
            ? "a ',' after the last property is not allowed in JSON"
            : c === "'"
              ? 'JSON strings use double quotes'
              : c !== undefined && /[A-Za-z_$]/.test(c)
                ? 'property names need double quotes'
                : undefined;
        this.fail(pointer, 'a property name in double quotes', keyStart, hint);
      }
      const key = this.string(pointer);
      const child = `${pointer}/${escapeToken(key)}`;
      const first = seen.get(key);
      if (first !== undefined) {
        this.duplicates.push({ pointer: child, offset: keyStart, firstOffset: first });
      } else {
        seen.set(key, keyStart);
      }
      this.keyOffsets.set(child, keyStart);
      this.skipSpace(pointer);
      if (t[this.pos] !== ':') this.fail(child, "':' after the property name", this.pos);
      this.pos++;
      this.skipSpace(child);
      // A key named "__proto__" must stay a plain property (assignment would set the prototype);
      // every other key is assigned, which keeps objects in V8's fast mode for the checks after.
      const value = this.value(child);
      if (key === '__proto__') Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
      else result[key] = value;
      this.skipSpace(pointer);
      const c = t[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipSpace(pointer);
      } else if (c === '}') {
        this.pos++;
        this.depth--;
        return result;
      } else {
        this.fail(child, "',' or '}' after the property value", this.pos, c === '"' ? "is a ',' missing before this property?" : undefined);
      }
    }
  }

  private array(pointer: string): unknown[] {
    this.enter(pointer);
    const t = this.text;
    const result: unknown[] = [];
    this.pos++; // [
    this.skipSpace(pointer);
    if (t[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return result;
    }
    for (;;) {
      const child = `${pointer}/${result.length}`;
      result.push(this.value(child));
      this.skipSpace(pointer);
      const c = t[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipSpace(pointer);
      } else if (c === ']') {
        this.pos++;
        this.depth--;
        return result;
      } else {
        this.fail(child, "',' or ']' after the list item", this.pos, c === '"' || c === '{' ? "is a ',' missing before this item?" : undefined);
      }
    }
  }

  private string(pointer: string): string {
    const t = this.text;
    const start = this.pos;
    this.pos++; // opening quote
    let out = '';
    let chunk = this.pos;
    for (;;) {
      const c = t[this.pos];
      if (c === undefined) {
        this.fail(pointer, "'\"' to close this string", start);
      }
      if (c === '"') {
        out += t.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c === '\\') {
        out += t.slice(chunk, this.pos);
        out += this.escape(pointer);
        chunk = this.pos;
        continue;
      }
      if (c < ' ') {
        if (c === '\n' || c === '\r') this.fail(pointer, "'\"' to close this string on its line", start);
        this.fail(pointer, 'a control character written as an escape (like \\t)', this.pos);
      }
      this.pos++;
    }
  }

  private escape(pointer: string): string {
    const t = this.text;
    const at = this.pos;
    const c = t[at + 1];
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
    if (c !== undefined && Object.prototype.hasOwnProperty.call(simple, c)) {
      this.pos += 2;
      return simple[c]!;
    }
    if (c === 'u') {
      const hex = t.slice(at + 2, at + 6);
      if (/^[0-9A-Fa-f]{4}$/.test(hex)) {
        this.pos += 6;
        return String.fromCharCode(parseInt(hex, 16));
      }
      this.fail(pointer, 'four hex digits after \\u', at + 2);
    }
    this.fail(pointer, 'an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX', at, 'write a backslash as \\\\');
  }

  private number(pointer: string): number {
    const t = this.text;
    const start = this.pos;
    const digits = (): number => {
      const from = this.pos;
      while (t[this.pos] !== undefined && t[this.pos]! >= '0' && t[this.pos]! <= '9') this.pos++;
      return this.pos - from;
    };
    if (t[this.pos] === '-') this.pos++;
    if (t[this.pos] === '0') {
      this.pos++;
      const next = t[this.pos];
      if (next !== undefined && next >= '0' && next <= '9') {
        this.fail(pointer, 'a number without leading zeros', start, 'write 10, not 010; quote it if it is a name');
      }
    } else if (digits() === 0) {
      this.fail(pointer, "a digit after '-'", this.pos);
    }
    if (t[this.pos] === '.') {
      this.pos++;
      if (digits() === 0) this.fail(pointer, "a digit after the decimal point", this.pos);
    }
    if (t[this.pos] === 'e' || t[this.pos] === 'E') {
      this.pos++;
      if (t[this.pos] === '+' || t[this.pos] === '-') this.pos++;
      if (digits() === 0) this.fail(pointer, 'a digit in the exponent', this.pos);
    }
    return Number(t.slice(start, this.pos));
  }
}

/**
 * The value of a well-formed file without duplicate keys or deeper nesting than MAX_NESTING, or
 * undefined when the text has any of these (then parseJson, with positions, reports it).
 * JSON.parse reads the same grammar (RFC 8259: no comments, no trailing commas, no raw control
 * characters in strings) natively, several times faster than the parser above. What it cannot
 * see is a repeated key (it keeps the last), so keys are counted twice: as written (each string
 * followed by ':') and as parsed (the own keys of every object). A repeat makes the second fewer.
 */
export function parseJsonValue(text: string): { value: unknown } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  const parsed = keysParsed(value, 0);
  return parsed >= 0 && parsed === keysWritten(text) ? { value } : undefined;
}

/** The own keys of every object in a parsed value, or -1 when it nests deeper than MAX_NESTING. */
function keysParsed(value: unknown, depth: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (depth === MAX_NESTING) return -1;
  // Loops over the values in place (no Object.values() array per object: a config of 10,000
  // real servers has more than 10,000 objects).
  let keys = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const k = keysParsed(value[i], depth + 1);
      if (k < 0) return -1;
      keys += k;
    }
    return keys;
  }
  const o = value as Record<string, unknown>;
  for (const key in o) {
    keys++;
    const k = keysParsed(o[key], depth + 1);
    if (k < 0) return -1;
    keys += k;
  }
  return keys;
}

/**
 * The keys as written in text that JSON.parse accepted: no '"' stands outside a string there,
 * so each '"' found after a string's end opens the next string.
 */
function keysWritten(text: string): number {
  let keys = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    let close = text.indexOf('"', open + 1);
    while (close !== -1 && escapedAt(text, close)) close = text.indexOf('"', close + 1);
    if (close === -1) return -1;
    let next = close + 1;
    for (let c = text.charCodeAt(next); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(++next));
    if (text.charCodeAt(next) === 0x3a) keys++;
    open = text.indexOf('"', next);
  }
  return keys;
}

/** Whether the '"' at `at` is escaped: an odd number of backslashes before it. */
function escapedAt(text: string, at: number): boolean {
  let n = 0;
  while (text.charCodeAt(at - 1 - n) === 0x5c) n++;
  return n % 2 === 1;
}

export function parseJson(text: string): JsonParseResult {
  try {
    return { ok: true, document: new Parser(text).parse() };
  } catch (err) {
    if (err instanceof SyntaxFault) return { ok: false, error: err.error };
    throw err;
  }
}

/** Turns offsets into 1-based line and column (columns count characters, not UTF-16 units). */
export class LineIndex {
  private readonly text: string;
  private readonly starts: number[] = [0];
  /** Without astral characters a column is plain arithmetic, even on a 1 MiB single line. */
  private readonly astral: boolean;

  constructor(text: string) {
    this.text = text;
    this.astral = /[\ud800-\udfff]/.test(text);
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const start = this.starts[lo]!;
    if (!this.astral) return { line: lo + 1, column: Math.min(offset, this.text.length) - start + 1 };
    let column = 1;
    for (let i = start; i < offset && i < this.text.length; i++) {
      const code = this.text.charCodeAt(i);
      if (code < 0xdc00 || code > 0xdfff) column++;
    }
    return { line: lo + 1, column };
  }
}
