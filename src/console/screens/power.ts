// Reboot and halt, each behind a typed word (a stray Enter or digit on a serial line must not
// take a firewall down).
import { title, type ScreenContext } from './context.ts';
import type { PowerAction } from '../host.ts';

export async function powerScreen(ctx: ScreenContext, action: PowerAction): Promise<void> {
  const word = action.toUpperCase();
  const what = action === 'reboot' ? 'Reboot this box: VRRP hands over to the peer, connections not synced are lost.' : 'Halt this box: it stays off until someone powers it on.';
  ctx.term.screen([title(ctx, action === 'reboot' ? 'Reboot' : 'Halt'), '', what, '', `Type ${word} (capitals) to ${action}, anything else goes back.`], `${word}? `);
  const typed = await ctx.term.readLine({ max: 16 });
  if (typed !== word) return;
  ctx.log(`console: ${action} requested`);
  ctx.term.line(`${action === 'reboot' ? 'Rebooting' : 'Halting'}...`);
  const said = await ctx.host.power(action);
  ctx.term.line(said);
  ctx.term.write('Press Enter for the menu. ');
  await ctx.term.anyKey();
}
