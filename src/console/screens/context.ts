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

/** The saved config, its text and as a JSON object, or undefined once the reason is shown (unreadable, not JSON). */
export async function savedConfigDoc(ctx: ScreenContext, name: string): Promise<{ text: string; doc: Record<string, unknown> } | undefined> {
  const saved = ctx.host.savedConfig();
  if ('error' in saved) {
    await notice(ctx, name, [saved.error]);
    return undefined;
  }
  try {
    return { text: saved.text, doc: JSON.parse(saved.text) as Record<string, unknown> };
  } catch (e) {
    await notice(ctx, name, [`${saved.path}: ${(e as Error).message}`]);
    return undefined;
  }
}
