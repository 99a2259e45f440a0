// "Config": the saved config, what it would change on the running box, the kept revisions, and
// (with the daemon's transaction) a rollback to one of them or the board's default config, both
// applied as a transaction with its countdown. Restoring the default asks for a typed word: it
// can take the box's addresses away.
import { loadConfigText } from '../../config/index.ts';
import { page } from '../pager.ts';
import { planText, proposeText, type ConfigTransaction } from '../transaction.ts';
import { applyScreen } from './apply.ts';
import { askField, type Checked } from './field.ts';
import { notice, title, type ScreenContext } from './context.ts';
import { configScreen, historyScreen } from './read-only.ts';

const NAME = 'Config';

export async function configMenu(ctx: ScreenContext, tx: ConfigTransaction | undefined): Promise<void> {
  const items: Array<[string, (c: ScreenContext) => Promise<void>]> = [
    ['Show the saved config', configScreen],
    ['Diff: what the saved config changes on the running box', diffScreen],
    ['History of confirmed revisions', historyScreen],
    ...(tx ? [['Roll back to a revision', (c: ScreenContext) => rollbackScreen(c, tx)], ['Restore the board default config', (c: ScreenContext) => restoreScreen(c, tx)]] as Array<[string, (c: ScreenContext) => Promise<void>]> : []),
  ];
  let note: string[] = [];
  for (;;) {
    ctx.term.screen([title(ctx, NAME), '', ...items.map(([label], i) => `  ${i + 1}) ${label}`), '  0) Back to the menu', '', ...note], 'Enter an option: ');
    const choice = (await ctx.term.readLine({ max: 4 })).trim();
    note = [];
    if (choice === '0' || choice === '') return;
    const item = items[Number(choice) - 1];
    if (!/^[0-9]+$/.test(choice) || item === undefined) { note = [`No option '${choice}'.`]; continue; }
    await item[1](ctx);
  }
}

async function diffScreen(ctx: ScreenContext): Promise<void> {
  const name = 'Config diff';
  const saved = ctx.host.savedConfig();
  if ('error' in saved) return notice(ctx, name, [saved.error]);
  const loaded = loadConfigText(saved.text);
  if (!loaded.ok) return notice(ctx, name, [`${saved.path} does not load (${loaded.errors.length} errors): see Show the saved config.`]);
  const running = await ctx.host.runningConfig();
  if ('error' in running) return notice(ctx, name, [`The running config is the daemon's: ${running.error}`]);
  await page(ctx.term, title(ctx, `${name}: running -> ${saved.path}`), planText(running.config, loaded.config));
}

async function rollbackScreen(ctx: ScreenContext, tx: ConfigTransaction): Promise<void> {
  const saved = ctx.host.savedConfig();
  if ('error' in saved) return notice(ctx, 'Roll back', [saved.error]);
  const kept = ctx.host.history().map((r) => r.revision);
  if (kept.length === 0) return notice(ctx, 'Roll back', ['No revisions kept yet: every confirmed change is kept as one.']);
  const recent = ctx.host.history().slice(-8).reverse().map((r) => `  ${String(r.revision).padStart(4)}  ${r.at.slice(0, 19).replace('T', ' ')}  ${r.who.slice(0, 12).padEnd(12)}  ${r.summary}`);
  const rev = await askField<number | null>(ctx, [title(ctx, 'Roll back'), '', 'Kept revisions, newest first:', ...recent, ''], 'Revision (Enter: back): ', (t): Checked<number | null> => {
    if (t === '') return { ok: true, value: null };
    const n = Number(t);
    return /^[0-9]{1,9}$/.test(t) && kept.includes(n) ? { ok: true, value: n } : { ok: false, errors: [`No revision '${t}': kept are ${kept.join(', ')}.`] };
  }, 9);
  if (rev === null) return;
  const text = ctx.host.revisionText(rev);
  if (typeof text !== 'string') return notice(ctx, 'Roll back', [text.error]);
  await applyScreen(ctx, tx, `Roll back to revision ${rev}`, proposeText(saved.text, text, `revision ${rev}`));
}

async function restoreScreen(ctx: ScreenContext, tx: ConfigTransaction): Promise<void> {
  const name = 'Restore the board default';
  const saved = ctx.host.savedConfig();
  if ('error' in saved) return notice(ctx, name, [saved.error]);
  const def = ctx.host.boardDefault();
  if ('error' in def) return notice(ctx, name, [def.error]);
  ctx.term.screen([title(ctx, name), '', "The whole config becomes the board's default,", `  ${def.path}`, 'addresses, routes, VRRP, sync, firewall and the console password go', 'back to what the box had out of the box. It is applied as a transaction:', 'unless you confirm it, it reverts by itself.'], 'Type restore to go on (anything else: back): ');
  if ((await ctx.term.readLine({ max: 10 })).trim() !== 'restore') return;
  await applyScreen(ctx, tx, name, proposeText(saved.text, def.text, def.path));
}
