// Text for a dumb 80x24 terminal: printable ASCII only, lines that never reach the last column
// (a terminal that wraps at once would print an empty line after an 80-character one).
export const COLUMNS = 80;
export const ROWS = 24;
/** The longest line written: one short of the width (see above). */
export const LINE_MAX = COLUMNS - 1;
/** Rows of a screen above its prompt line. */
export const BODY_ROWS = ROWS - 1;

/** Printable ASCII: anything else (UTF-8, control bytes, escapes from a log line) becomes '?'. */
export function ascii(text: string): string {
  return text.replace(/\t/g, '  ').replace(/[^\x20-\x7e]/g, '?');
}

/** One line cut to fit (a '>' at the end says it was cut). */
export function fit(line: string, width = LINE_MAX): string {
  const a = ascii(line);
  return a.length <= width ? a : a.slice(0, width - 1) + '>';
}

/** Lines of at most `width` characters (long lines continue on the next, for paging). */
export function wrap(text: string, width = LINE_MAX): string[] {
  const out: string[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n')) {
    const line = ascii(raw);
    if (line.length === 0) out.push('');
    for (let i = 0; i < line.length; i += width) out.push(line.slice(i, i + width));
  }
  return out;
}

/** Two columns side by side, each cut to `width`. */
export function columns(left: readonly string[], right: readonly string[], width = 39): string[] {
  const n = Math.max(left.length, right.length);
  return Array.from({ length: n }, (_, i) => (fit(left[i] ?? '', width).padEnd(width) + ' ' + fit(right[i] ?? '', width)).trimEnd());
}
