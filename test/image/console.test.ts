// `stockade console` on the booted appliance (x86_64): the image ships serialport.node beside the
// executable in /usr/lib/stockade, with the C++ runtime it links against, and the console loads
// it (a tty it cannot use is then refused by the native open, not for a missing addon).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureImages } from './images.ts';
import { startVms } from './vm.ts';
import type { Vms } from './vm.ts';
import { loud } from '../loud-hook.ts';

const BOOT_TIMEOUT_MS = 240_000;
const ctx: { vms?: Vms } = {};
const Console = suite('image console');

Console.before(loud('console', async () => {
  await ensureImages(['x86_64-generic']);
  ctx.vms = await startVms({ vms: { a: { board: 'x86_64-generic' } } });
  await ctx.vms.vm('a').waitFor(/boot complete/, BOOT_TIMEOUT_MS);
  await ctx.vms.vm('a').login();
}));

Console.after(async () => {
  await ctx.vms?.destroy();
});

Console('the console finds its serialport addon beside the executable and runs its native open', async () => {
  const a = ctx.vms!.vm('a');
  const ls = await a.run('ls -1 /usr/lib/stockade/');
  assert.match(ls.output, /^serialport\.node$/m);
  const r = await a.run('stockade console --tty /dev/null --config /nonexistent 2>&1', 60_000);
  assert.is(r.code, 1, r.output);
  assert.match(r.output, /^stockade: cannot open the console: \/dev\/null: /m);
  assert.not.match(r.output, /serialport\.node/);
});

Console.run();
