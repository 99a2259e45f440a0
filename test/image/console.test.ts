// `stockade console` on the booted appliance (x86_64): init runs it on the board's console tty
// (ttyS0) in place of the old getty; a person types the console password and gets the menu. The
// image ships serialport.node beside the executable in /usr/lib/stockade, with the C++ runtime
// it links against, and the console loads it (a tty it cannot use is then refused by the native
// open, not for a missing addon). The test drives the box through its test shell (vm.ts), and
// types on ttyS0 as a person on the serial cable would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sha512Crypt } from '../../src/console/index.ts';
import { ensureImages } from './images.ts';
import { root, startVms } from './vm.ts';
import type { Vms } from './vm.ts';
import { loud } from '../loud-hook.ts';
import { reboot } from './upgrade-fixture.ts';

const BOOT_TIMEOUT_MS = 240_000;
const WAIT_MS = 120_000;
const PASSWORD = 'serial-console-pw';
const ctx: { vms?: Vms } = {};
const Console = suite('image console');

Console.before(loud('console', async () => {
  await ensureImages(['x86_64-generic']);
  // The board's default config with a console password (rounds=1000: checked under TCG).
  const config = JSON.parse(readFileSync(join(root, 'board', 'x86_64-generic', 'config.json'), 'utf8')) as Record<string, unknown>;
  config.console = { password_hash: sha512Crypt(PASSWORD, 'consoletest', 1000) };
  ctx.vms = await startVms({ vms: { a: { board: 'x86_64-generic', data: { 'config.json': JSON.stringify(config, null, 2) } } } });
  await ctx.vms.vm('a').waitFor(/boot complete/, BOOT_TIMEOUT_MS);
  await ctx.vms.vm('a').login();
}));

Console.after(async () => {
  await ctx.vms?.destroy();
});

Console('init runs the menu on the console tty: no getty, a password, then the menu', async () => {
  const a = ctx.vms!.vm('a');
  const booted = a.console().search(/stockade: boot complete/);
  const prompt = await a.waitFor(/stockade - stockade console[\s\S]*Password: /, WAIT_MS, booted);
  assert.not.match(a.console().slice(booted), /login: /, 'no getty login prompt');
  a.typeConsole('not-the-password\r');
  const wrong = await a.waitFor(/Login incorrect\. Wait 1 s\./, WAIT_MS, prompt.index + prompt[0].length);
  const again = await a.waitFor(/Password: /, WAIT_MS, wrong.index + wrong[0].length);
  a.typeConsole(`${PASSWORD}\r`);
  const menu = await a.waitFor(/ 1\) Status[\s\S]* 0\) Logout[\s\S]*1 failed login attempt since the last login\.[\s\S]*Enter an option: /, WAIT_MS, again.index + again[0].length);
  a.typeConsole('1\r');
  // The status screen asks the daemon (init started it): its pid and uptime.
  const status = await a.waitFor(/daemon[^\n]*pid \d+/i, WAIT_MS, menu.index + menu[0].length);
  a.typeConsole('\x03');
  const back = await a.waitFor(/Enter an option: /, WAIT_MS, status.index + status[0].length);
  a.typeConsole('0\r');
  await a.waitFor(/Password: /, WAIT_MS, back.index + back[0].length);
  const ps = await a.run('for p in $(pidof stockade); do tr "\\0" " " < /proc/$p/cmdline; echo; done');
  assert.match(ps.output, /^\/usr\/bin\/stockade console --tty ttyS0 ?$/m, 'the console is its own process');
  assert.match(ps.output, /^\/usr\/bin\/stockade daemon /m);
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

// Issue 13: a config applied on the running box is not saved until it is confirmed, so a reboot
// inside the commit-confirm window (300 s by default) boots the last confirmed config.
Console('a reboot inside the commit-confirm window boots the last confirmed config', async () => {
  const a = ctx.vms!.vm('a');
  const saved = (await a.run('sha256sum /data/config.json')).output.split(' ')[0];
  const config = JSON.parse((await a.run('cat /data/config.json')).output) as { addresses?: unknown[] };
  config.addresses = [...(config.addresses ?? []), { interface: 'lan', static: ['203.0.113.77/24'] }];
  const b64 = Buffer.from(JSON.stringify(config)).toString('base64');
  const applied = await a.run(`echo ${b64} | base64 -d > /tmp/next.json && stockade config apply /tmp/next.json 2>&1`, 120_000);
  assert.is(applied.code, 0, applied.output);
  assert.match((await a.run('ip -4 addr show dev lan')).output, /inet 203\.0\.113\.77\/24/, 'the change runs');
  assert.match((await a.run('stockade config status 2>&1')).output, /reverts in \d+ s unless confirmed/);
  const slot = await reboot(a);
  assert.is(slot, 'A');
  assert.not.match((await a.run('ip -4 addr show dev lan')).output, /203\.0\.113\.77/, 'the unconfirmed change is gone after the reboot');
  assert.is((await a.run('sha256sum /data/config.json')).output.split(' ')[0], saved, '/data/config.json is the last confirmed one');
  // The test shell can answer before init has started the daemon again: wait for its socket.
  const status = await a.run('i=0; until stockade config status >/tmp/status.out 2>&1; do i=$((i+1)); [ $i -ge 120 ] && break; sleep 1; done; cat /tmp/status.out', 180_000);
  assert.match(status.output, /^No transaction waiting\./m);
});

Console.run();
