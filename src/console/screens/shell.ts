// A shell, only when `console.shell` is true. The console edits each line (a serial line or a
// stream has no pty) and hands it to the shell; `exit`, Ctrl-D on an empty line or Ctrl-C end it.
import { Interrupted } from '../terminal.ts';
import { title, type ScreenContext } from './context.ts';

export async function shellScreen(ctx: ScreenContext): Promise<void> {
  const sh = ctx.host.shell();
  ctx.term.screen([title(ctx, 'Shell'), '', 'A root shell: each line runs when you press Enter.', "'exit' or Ctrl-C goes back to the menu.", ''], '');
  if ('error' in sh) {
    ctx.term.line(sh.error);
    ctx.term.write('Press Enter for the menu. ');
    await ctx.term.anyKey();
    return;
  }
  ctx.log('console: shell started');
  sh.onOutput((text) => ctx.term.write(text));
  let done = false;
  void sh.exited.then(() => { done = true; });
  try {
    while (!done) {
      ctx.term.write('# ');
      const line = await Promise.race([ctx.term.readLine({ max: 240 }), sh.exited.then(() => undefined)]);
      if (line === undefined) break;
      sh.send(line + '\n');
      // Let the shell answer before the next prompt is printed.
      await new Promise((r) => ctx.timers.setTimeout(() => r(undefined), 50));
    }
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
  } finally {
    ctx.term.cancelRead();
    sh.stop();
    ctx.log('console: shell ended');
  }
}
