// What every screen gets.
import type { ConsoleHost } from '../host.ts';
import type { Terminal } from '../terminal.ts';
import type { Timers } from '../timers.ts';

export interface ScreenContext {
  readonly term: Terminal;
  readonly host: ConsoleHost;
  readonly timers: Timers;
  /** Who acts, for logs and transactions ("console"). */
  readonly who: string;
  readonly log: (message: string) => void;
  /** This console's own counters, one line (keys, what its bounds dropped, logins). */
  readonly counters: () => string;
}

/** A screen's title line. */
export function title(ctx: ScreenContext, name: string): string {
  return `${ctx.host.hostname()} - ${name}`;
}

/** A message and "press a key" under it, as one screen. */
export async function notice(ctx: ScreenContext, name: string, lines: readonly string[]): Promise<void> {
  ctx.term.screen([title(ctx, name), '', ...lines], 'Press Enter for the menu. ');
  await ctx.term.anyKey();
}
