// "Ports": each link with its state and MAC, redrawn every second until a key, so that a person
// can plug cables one by one and watch which port comes up (the board file maps the labels on the
// box to NICs: this shows what the kernel has under each name).
import { title, type ScreenContext } from './context.ts';

const TICK_MS = 1000;
const LISTED = 16;

export async function portsScreen(ctx: ScreenContext): Promise<void> {
  for (;;) {
    const ports = await ctx.host.ports();
    const rows = typeof ports === 'string'
      ? [`  (cannot read the links: ${ports})`]
      : ports.slice(0, LISTED).map((p) => `  ${p.name.padEnd(15)} ${p.state.padEnd(11)} ${(p.mac ?? '-').padEnd(17)}  ${p.addresses.join(' ') || '-'}`);
    const more = typeof ports !== 'string' && ports.length > LISTED ? [`  (and ${ports.length - LISTED} more)`] : [];
    ctx.term.screen([title(ctx, 'Ports'), '', '  port            link        MAC                addresses', ...rows, ...more, '',
      'Plug a cable and watch its port come up (redrawn every second).'], 'Any key: back to the menu. ');
    const k = await ctx.term.keyWithin(TICK_MS);
    if (k !== undefined && k.type !== 'redraw') return;
  }
}
