// Columns of text for an 80-column console: each column as wide as its widest cell, two spaces
// between columns, one when two would push a row past column 79 (the last cell is not padded).
import { TEXT_WIDTH } from '../common/index.ts';

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const wide = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1) > TEXT_WIDTH;
  const gap = wide ? ' ' : '  ';
  return rows.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(widths[c]!))).join(gap).trimEnd() + '\n').join('');
}
