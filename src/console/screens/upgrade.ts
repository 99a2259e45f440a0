// "Upgrade": both slots as `stockade upgrade status` prints them, marking the running slot good,
// and booting the other slot from now on (a reboot: the word ROLLBACK is typed first). The work
// is the upgrade commands' own (the host runs them); installing a bundle stays with the CLI
// (`ssh box stockade upgrade install - < bundle`): a serial line is no way to carry one.
import { wrapWords } from '../../common/index.ts';
import { LINE_MAX, ascii } from '../text.ts';
import type { UpgradeAction } from '../host.ts';
import { title, type ScreenContext } from './context.ts';

const NAME = 'Upgrade';
const STATUS_ROWS = 10;

/** Command output for the screen: continued lines indented, broken at spaces. */
const wrap = (text: string): string[] => text.replace(/\n$/, '').split('\n').map(ascii).flatMap((l) => (l.length <= LINE_MAX ? [l] : wrapWords(l, LINE_MAX, '    ', '')));

export async function upgradeScreen(ctx: ScreenContext, run: (action: UpgradeAction) => Promise<{ ok: boolean; text: string }>): Promise<void> {
  let note: string[] = [];
  for (;;) {
    ctx.term.screen([title(ctx, NAME), '', 'Asking the slots...'], '');
    const st = await run('status');
    const lines = wrap(st.text);
    ctx.term.screen([
      title(ctx, NAME), '', ...lines.slice(0, STATUS_ROWS), ...(lines.length > STATUS_ROWS ? ['(more: stockade upgrade status)'] : []), '',
      '  1) Mark the running slot good (GRUB keeps booting it)',
      '  2) Boot the other slot from now on (reboots the box)',
      '  0) Back to the menu', '', ...note,
    ], 'Enter an option: ');
    const choice = (await ctx.term.readLine({ max: 4 })).trim();
    note = [];
    if (choice === '0' || choice === '') return;
    if (choice === '1') {
      const r = await run('mark-good');
      note = wrap(r.text).slice(0, 3);
      ctx.log(`console: upgrade mark-good: ${r.ok ? 'done' : r.text}`);
    } else if (choice === '2') {
      ctx.term.screen([title(ctx, NAME), '', 'The box boots the other slot from now on, and reboots at once.', 'Refused when the other slot is not good.'], 'Type ROLLBACK to go on (anything else: back): ');
      if ((await ctx.term.readLine({ max: 10 })).trim() !== 'ROLLBACK') continue;
      const r = await run('rollback');
      ctx.log(`console: upgrade rollback: ${r.ok ? 'done' : r.text}`);
      note = wrap(r.text).slice(0, 4);
    } else note = [`No option '${choice}'.`];
  }
}
