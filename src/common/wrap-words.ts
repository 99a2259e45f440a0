// Text for an 80-column console: lines broken at spaces, so that nothing reaches column 80 (a
// terminal that wraps at once prints an empty line after an 80-character one).

/** The longest line a command prints for a person. */
export const TEXT_WIDTH = 79;

/**
 * `text` in lines of at most `width` characters, broken at spaces; continuation lines start with
 * `indent` (the first with `first`). A word longer than a line is cut where the line ends.
 */
export function wrapWords(text: string, width: number = TEXT_WIDTH, indent = '', first = indent): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  const push = (): void => {
    lines.push(line.trimEnd());
    line = indent;
    empty = true;
  };
  for (const raw of text.split(/\s+/).filter(Boolean)) {
    let word = raw;
    if (!empty && line.length + 1 + word.length > width) push();
    while (line.length + word.length > width && width > line.length) {
      const room = width - line.length;
      lines.push(line + word.slice(0, room));
      word = word.slice(room);
      line = indent;
    }
    line = empty ? line + word : `${line} ${word}`;
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(line.trimEnd());
  return lines;
}

/**
 * A message as printed, with a newline after each line: as it is when it fits (its spacing kept),
 * else wrapped with continuation lines indented by `indent`.
 */
export function wrappedText(text: string, width: number = TEXT_WIDTH, indent = '    '): string {
  return (text.length <= width ? text : wrapWords(text, width, indent, '').join('\n')) + '\n';
}

/** Text of several lines with each line past `width` wrapped (wrappedText); the others kept as they are. */
export function wrapLongLines(text: string, width: number = TEXT_WIDTH, indent = '    '): string {
  const end = text.endsWith('\n') ? '\n' : '';
  return (end ? text.slice(0, -1) : text).split('\n').map((l) => wrappedText(l, width, indent).slice(0, -1)).join('\n') + end;
}
