// "Diagnose LVS": `stockade diagnose`'s checklist of this box's LVS-NAT setup (each line OK or
// FAIL with its fix), paged.
import { page } from '../pager.ts';
import { title, type ScreenContext } from './context.ts';

export async function diagnoseLvsScreen(ctx: ScreenContext, run: () => Promise<string[]>): Promise<void> {
  ctx.term.screen([title(ctx, 'Diagnose LVS'), '', 'Checking...'], '');
  await page(ctx.term, title(ctx, 'Diagnose LVS (stockade diagnose)'), await run());
}
