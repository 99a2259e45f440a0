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
  // The tool's lines scroll under the title as on any dumb terminal, one short write each: a
  // full redraw per line would keep a 115200-baud line busy, and serialport's poller reads
  // nothing while a write waits for the line (bindings-cpp 13 replaces the poll mask).
  ctx.term.begin([title(ctx, `${name} ${target}`), '']);
  const stop = new AbortController();
  // Ctrl-C while the tool runs; any other key is dropped. After the tool ends this loop must not
  // read on, or it would compete with the "Press Enter" below for the keys already queued.
  let finished = false;
  const interrupted = (async (): Promise<void> => {
    for (;;) {
      const k = await ctx.term.readKey();
      if (finished) return;
      if (k.type === 'interrupt') return stop.abort();
    }
  })().catch(() => stop.abort());
  let last: string;
  try {
    last = await ctx.host.diagnose(tool, target, (l) => ctx.term.line(l), stop.signal);
  } finally {
    finished = true;
    ctx.term.cancelRead();
  }
  void interrupted;
  ctx.term.line(stop.signal.aborted ? 'Stopped (Ctrl-C).' : last);
  ctx.term.write('Press Enter for the menu. ');
  try {
    await ctx.term.anyKey();
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
  }
}
