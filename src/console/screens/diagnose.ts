// Ping and traceroute from the box: a target typed (checked before anything runs), the tool's
// lines as they come, Ctrl-C stops it. Count and time are bounded where the tool is started.
import { Interrupted } from '../terminal.ts';
import type { DiagnosticTool } from '../host.ts';
import { title, type ScreenContext } from './context.ts';

/** An IPv4 address or a host name (RFC 1123 letters, digits, '-' and dots). */
export function validTarget(text: string): boolean {
  if (/^[0-9.]+$/.test(text)) return /^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/.test(text);
  return text.length <= 253 && /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(text);
}

export async function diagnoseScreen(ctx: ScreenContext, tool: DiagnosticTool): Promise<void> {
  const name = tool === 'ping' ? 'Ping' : 'Traceroute';
  let note = '';
  let target: string;
  for (;;) {
    ctx.term.screen([title(ctx, name), '', `${name} from this box to an IPv4 address or host name.`, 'Ctrl-C stops it; an empty line goes back.', '', note], 'Host: ');
    target = (await ctx.term.readLine({ max: 64 })).trim();
    if (target === '') return;
    if (validTarget(target)) break;
    note = `'${target}' is not an IPv4 address or host name.`;
  }
  // Each line redraws the screen (the newest 21 under the title): a dumb terminal has no
  // scrolling region, and lines written below a padded screen would push the title away.
  const head = [title(ctx, `${name} ${target}`), ''];
  const out: string[] = [];
  const show = (prompt = ''): void => ctx.term.screen([...head, ...out.slice(-(21))], prompt);
  show();
  const stop = new AbortController();
  // Ctrl-C while the tool runs; any other key is dropped.
  const interrupted = (async (): Promise<void> => {
    for (;;) {
      const k = await ctx.term.readKey();
      if (k.type === 'interrupt') return stop.abort();
    }
  })().catch(() => stop.abort());
  let last: string;
  try {
    last = await ctx.host.diagnose(tool, target, (l) => { out.push(l); show(); }, stop.signal);
  } finally {
    ctx.term.cancelRead();
  }
  void interrupted;
  out.push(stop.signal.aborted ? 'Stopped (Ctrl-C).' : last);
  show('Press Enter for the menu. ');
  try {
    await ctx.term.anyKey();
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
  }
}
