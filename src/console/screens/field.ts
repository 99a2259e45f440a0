// One field of a change screen: asked until the value is accepted. What refuses a value (the
// config loader, through proposeChange) shows its message above the same prompt again; nothing
// is applied meanwhile. Ctrl-C throws Interrupted (back to the menu).
import { wrapWords } from '../../common/index.ts';
import { LINE_MAX } from '../text.ts';
import type { ScreenContext } from './context.ts';

/**
 * A loader message for the screen: without the file position (the edited text is the menu's,
 * not a file the operator has) and wrapped, not cut.
 */
function errorLines(message: string): string[] {
  return wrapWords(message.replace(/^config:\d+:\d+: /, ''), LINE_MAX, '    ');
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly string[] };

/** Messages shown under a refused value (the rest are counted: the screen has 23 rows). */
const ERRORS_SHOWN = 4;

export interface FieldOptions {
  /** The line may run past the screen's width (a pasted key), unseen past it. */
  readonly long?: boolean;
  /** A secret (an advert key): typed as stars, may run past the width, never shown back. */
  readonly secret?: boolean;
}

export async function askField<T>(ctx: ScreenContext, lines: readonly string[], prompt: string, check: (typed: string) => Checked<T>, max = 64, opts: FieldOptions = {}): Promise<T> {
  let note: string[] = [];
  for (;;) {
    ctx.term.screen([...lines, ...note], prompt);
    const typed = (await ctx.term.readLine({ max, ...(opts.long ? { overflow: true } : {}), ...(opts.secret ? { secret: true } : {}) })).trim();
    const r = check(typed);
    if (r.ok) return r.value;
    const more = r.errors.length - ERRORS_SHOWN;
    const shown = typed.length > 40 ? `${typed.slice(0, 37)}...` : typed;
    // The loader quotes what it found: not a secret's.
    const errors = opts.secret ? r.errors.map((e) => e.split(JSON.stringify(typed)).join('(not shown)')) : r.errors;
    note = ['', opts.secret ? `Not accepted (${typed.length} characters typed). Nothing was applied.` : `Not accepted: '${shown}'. Nothing was applied.`, ...errors.slice(0, ERRORS_SHOWN).flatMap(errorLines), ...(more > 0 ? [`(and ${more} more)`] : [])];
  }
}
