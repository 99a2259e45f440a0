// Text longer than a screen, a page at a time (the log, the saved config, a plan): 21 lines per
// page under a title, Enter or space for the next page, b for the one before, q or Ctrl-C back.
import { Interrupted, type Terminal } from './terminal.ts';
import { BODY_ROWS, wrap } from './text.ts';

/** Rows for text: the screen less the title and the blank line under it. */
export const PAGE_ROWS = BODY_ROWS - 2;

export async function page(term: Terminal, title: string, text: string | readonly string[], opts: { startAtEnd?: boolean } = {}): Promise<void> {
  const lines = typeof text === 'string' ? wrap(text) : text.flatMap((l) => wrap(l));
  const pages = Math.max(1, Math.ceil(lines.length / PAGE_ROWS));
  let at = opts.startAtEnd ? pages - 1 : 0;
  // From the end, pages are cut from the end: the last one is full, the first one short.
  const shift = opts.startAtEnd ? (PAGE_ROWS - (lines.length % PAGE_ROWS)) % PAGE_ROWS : 0;
  for (;;) {
    const first = Math.max(0, at * PAGE_ROWS - shift);
    const shown = lines.slice(first, (at + 1) * PAGE_ROWS - shift);
    const where = lines.length === 0 ? '(empty)' : `lines ${first + 1}-${first + shown.length} of ${lines.length}`;
    const keys = at < pages - 1 ? 'Enter: next page, b: back a page, q: menu' : at > 0 ? 'end; b: back a page, Enter or q: menu' : 'Enter or q: menu';
    term.screen([title, '', ...shown], `-- ${where} -- ${keys} `);
    let k;
    try {
      k = await term.anyKey();
    } catch (e) {
      if (e instanceof Interrupted) return;
      throw e;
    }
    const c = k.type === 'char' ? k.char : k.type === 'enter' ? '\n' : '';
    if (c === 'q' || c === 'Q') return;
    if (c === 'b' || c === 'B' || c === 'p') at = Math.max(0, at - 1);
    else if (c === '\n' || c === ' ' || c === 'n') {
      if (at === pages - 1) return;
      at++;
    } else if (c === 'g') at = 0;
    else if (c === 'G') at = pages - 1;
  }
}
