// The screens that only show: status, the daemon's log, the saved config, its history.
import { page } from '../pager.ts';
import { formatStatus } from './status.ts';
import { notice, title, type ScreenContext } from './context.ts';

export async function statusScreen(ctx: ScreenContext): Promise<void> {
  ctx.term.screen([title(ctx, 'Status'), '', 'Asking the daemon...'], '');
  await page(ctx.term, title(ctx, 'Status'), [...formatStatus(await ctx.host.status()), ctx.counters()]);
}

export async function logScreen(ctx: ScreenContext): Promise<void> {
  const log = ctx.host.logTail();
  if ('error' in log) return notice(ctx, 'Log', [log.error]);
  await page(ctx.term, title(ctx, 'Log (newest last)'), log.text, { startAtEnd: true });
}

export async function configScreen(ctx: ScreenContext): Promise<void> {
  const saved = ctx.host.savedConfig();
  if ('error' in saved) return notice(ctx, 'Saved config', [saved.error]);
  await page(ctx.term, title(ctx, `Saved config ${saved.path}`), saved.text);
}

export async function historyScreen(ctx: ScreenContext): Promise<void> {
  const h = ctx.host.history();
  if (h.length === 0) return notice(ctx, 'Config history', ['No revisions yet: a config confirmed through a transaction is kept', 'as a numbered revision, and listed here.']);
  const lines = [...h].reverse().map((r) => `${String(r.revision).padStart(4)}  ${r.at.padEnd(24)}  ${r.who.padEnd(12)}  ${r.summary}`);
  await page(ctx.term, title(ctx, 'Config history (newest first)'), ['   #  when                      who           what', ...lines]);
}
