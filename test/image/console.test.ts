// `stockade console` on the booted appliance (x86_64): init runs it on the board's console tty
// (ttyS0) in place of the old getty; a person types the console password and gets the menu. The
// image ships serialport.node beside the executable in /usr/lib/stockade, with the C++ runtime
// it links against, and the console loads it (a tty it cannot use is then refused by the native
// open, not for a missing addon). The test drives the box through its test shell (vm.ts), and
// types on ttyS0 as a person on the serial cable would: the box boots with no console password,
// so the first login sets one; the LAN address is set on the menu, confirmed in its countdown,
// and is there after a reboot typed on the menu too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { verifySha512Crypt } from '../../src/console/index.ts';
import { ensureImages } from './images.ts';
import { root, startVms } from './vm.ts';
import type { Vms } from './vm.ts';
import { loud } from '../loud-hook.ts';
import { bootedSlot, reboot } from './upgrade-fixture.ts';

const BOOT_TIMEOUT_MS = 240_000;
const WAIT_MS = 120_000;
const PASSWORD = 'serial-console-pw';
const ctx: { vms?: Vms } = {};
const Console = suite('image console');

Console.before(loud('console', async () => {
  await ensureImages(['x86_64-generic']);
  // The board's default config as flashed: no console password (the first login sets one).
  const config = JSON.parse(readFileSync(join(root, 'board', 'x86_64-generic', 'config.json'), 'utf8')) as Record<string, unknown>;
  ctx.vms = await startVms({ vms: { a: { board: 'x86_64-generic', data: { 'config.json': JSON.stringify(config, null, 2) } } } });
  await ctx.vms.vm('a').waitFor(/boot complete/, BOOT_TIMEOUT_MS);
  await ctx.vms.vm('a').login();
}));

Console.after(async () => {
  await ctx.vms?.destroy();
});

Console('init runs the menu on the console tty: no getty; the first login sets the password, saved through the daemon', async () => {
  const a = ctx.vms!.vm('a');
  const booted = a.console().search(/stockade: boot complete/);
  const fresh = await a.waitFor(/stockade - stockade console[\s\S]*No console password is set[\s\S]*New password: /, WAIT_MS, booted);
  assert.not.match(a.console().slice(booted), /login: /, 'no getty login prompt');
  const after = (m: RegExpExecArray): number => m.index + m[0].length;
  a.typeConsole('short\r');
  const short = await a.waitFor(/Too short \(5 characters\)[\s\S]*New password: /, WAIT_MS, after(fresh));
  a.typeConsole(`${PASSWORD}\r`);
  const again1 = await a.waitFor(/Again: /, WAIT_MS, after(short));
  a.typeConsole(`${PASSWORD}\r`);
  const set = await a.waitFor(/Console password set\.\s*Saved in the config\.[\s\S]*Enter an option: /, WAIT_MS, after(again1));
  // Saved through the daemon's transaction: in /data/config.json and in its history.
  const saved = JSON.parse((await a.run('cat /data/config.json')).output) as { console?: { password_hash?: string } };
  assert.match(saved.console?.password_hash ?? '', /^\$6\$/, 'a SHA-512 crypt hash in /data/config.json');
  assert.ok(verifySha512Crypt(PASSWORD, saved.console!.password_hash!), 'the hash is of the password typed');
  assert.match((await a.run('stockade config history 2>&1')).output, /console/, 'config history shows the change');
  a.typeConsole('0\r');
  const prompt = await a.waitFor(/Password: /, WAIT_MS, after(set));
  a.typeConsole('not-the-password\r');
  const wrong = await a.waitFor(/Login incorrect\. Wait 1 s\./, WAIT_MS, after(prompt));
  const again = await a.waitFor(/Password: /, WAIT_MS, after(wrong));
  a.typeConsole(`${PASSWORD}\r`);
  const menu = await a.waitFor(/ 1\) Status[\s\S]* 0\) Logout[\s\S]*1 failed login attempt since the last login\.[\s\S]*Enter an option: /, WAIT_MS, after(again));
  a.typeConsole('1\r');
  // The status screen asks the daemon (init started it): its pid and uptime.
  const status = await a.waitFor(/daemon[^\n]*pid \d+/i, WAIT_MS, after(menu));
  a.typeConsole('\x03');
  const back = await a.waitFor(/Enter an option: /, WAIT_MS, after(status));
  a.typeConsole('0\r');
  await a.waitFor(/Password: /, WAIT_MS, after(back));
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

// The walk on the serial line: Assign ports (lan to the NIC wan has: they trade) and the
// LAN address set on the menu (static), each with its plan and commit-confirm countdown,
// confirmed; then Reboot from the menu: lan is the other NIC, and has the address.
Console('on the serial menu: lan and wan trade NICs (Assign ports) and lan gets an address, each confirmed in its countdown; after a reboot typed on the menu both hold', async () => {
  const a = ctx.vms!.vm('a');
  const ADDRESS = '203.0.113.9/24';
  const after = (m: RegExpExecArray): number => m.index + m[0].length;
  a.typeConsole('\x0c');
  const prompt = await a.waitFor(/Password: $/, WAIT_MS, a.console().length - 200);
  a.typeConsole(`${PASSWORD}\r`);
  const menu = await a.waitFor(/ 1\) Status[\s\S]*Enter an option: /, WAIT_MS, after(prompt));
  const item = (label: string): string => {
    const m = new RegExp(`(\\d+)\\) ${label}`).exec(menu[0]);
    if (!m) throw new Error(`no '${label}' in the menu:\n${menu[0]}`);
    return m[1]!;
  };
  // Assign ports: lan goes to the NIC wan has (by its MAC); wan takes lan's NIC in the same change.
  const macOf = async (port: string): Promise<string> => (await a.run(`cat /sys/class/net/${port}/address`)).output.trim();
  const wanMac = await macOf('wan');
  const lanMac = await macOf('lan');
  a.typeConsole(`${item('Assign ports')}\r`);
  const watch = await a.waitFor(/Assign ports[\s\S]* lan +\S+ +[0-9a-f:]{17} +board[\s\S]*a: assign, any other key: back to the menu\. /, WAIT_MS, after(menu));
  a.typeConsole('a');
  const port = await a.waitFor(/Port \(Enter: back\): /, WAIT_MS, after(watch));
  a.typeConsole('lan\r');
  const nic = await a.waitFor(/NIC MAC: /, WAIT_MS, after(port));
  a.typeConsole(`${wanMac}\r`);
  const portsPlan = await a.waitFor(/Assign ports: the plan[\s\S]*port wan: changed[\s\S]*port lan: changed[\s\S]*-- lines [^\n]*menu /, WAIT_MS, after(nic));
  a.typeConsole('\r');
  const portsApply = await a.waitFor(/Type yes to apply: /, WAIT_MS, after(portsPlan));
  a.typeConsole('yes\r');
  const portsCountdown = await a.waitFor(/Reverts in \d+ s\. c: confirm/, WAIT_MS, after(portsApply));
  a.typeConsole('c');
  const portsConfirmed = await a.waitFor(/Assign ports[\s\S]*-- lines [^\n]*menu /, WAIT_MS, after(portsCountdown));
  a.typeConsole('\r');
  const portsSaved = await a.waitFor(/the labels move to their NICs at the next[\s\S]*Press Enter for the menu\. /, WAIT_MS, after(portsConfirmed));
  // Not renamed live: lan is still the NIC it was until the reboot.
  assert.is(await macOf('lan'), lanMac, 'the running links keep their names until the reboot');
  a.typeConsole('\r');
  const watchAgain = await a.waitFor(/a: assign, any other key: back to the menu\. /, WAIT_MS, after(portsSaved));
  a.typeConsole('q');
  const menu2 = await a.waitFor(/Enter an option: /, WAIT_MS, after(watchAgain));

  a.typeConsole(`${item('Interface address')}\r`);
  const ifname = await a.waitFor(/Interface \(Enter: back to the menu\): /, WAIT_MS, after(menu2));
  a.typeConsole('lan\r');
  const addr = await a.waitFor(/Addresses \(Enter: keep\): /, WAIT_MS, after(ifname));
  a.typeConsole(`${ADDRESS}\r`);
  const gw = await a.waitFor(/Default gateway \(Enter: keep\): /, WAIT_MS, after(addr));
  a.typeConsole('\r');
  const plan = await a.waitFor(/Interface address: the plan[\s\S]*address lan: added[\s\S]*203\.0\.113\.9\/24[\s\S]*-- lines [^\n]*menu /, WAIT_MS, after(gw));
  a.typeConsole('\r');
  const apply = await a.waitFor(/Type yes to apply: /, WAIT_MS, after(plan));
  a.typeConsole('yes\r');
  const countdown = await a.waitFor(/Transaction \d+ runs now[\s\S]*Reverts in (\d+) s\. c: confirm/, WAIT_MS, after(apply));
  // It runs before it is confirmed, and the daemon holds it pending.
  assert.match((await a.run('ip -4 addr show dev lan')).output, /inet 203\.0\.113\.9\/24/, 'applied at once');
  assert.match((await a.run('stockade config status 2>&1')).output, /reverts in \d+ s unless confirmed/);
  // The countdown is redrawn every second on the prompt line.
  const tick = await a.waitFor(/Reverts in (\d+) s\. c: confirm/, WAIT_MS, after(countdown));
  assert.ok(Number(tick[1]) < Number(countdown[1]), `the countdown goes down (${countdown[1]} -> ${tick[1]})`);
  a.typeConsole('c');
  const confirmed = await a.waitFor(/Interface address[\s\S]*-- lines [^\n]*menu /, WAIT_MS, after(tick));
  assert.match((await a.run('stockade config status 2>&1')).output, /^No transaction waiting\./m);
  const saved = JSON.parse((await a.run('cat /data/config.json')).output) as { addresses?: Array<{ interface: string; static?: string[] }>; interfaces: { ports: Array<{ name: string; nic_mac?: string }> } };
  assert.equal(saved.addresses?.find((x) => x.interface === 'lan')?.static, [ADDRESS], 'saved in /data/config.json');
  assert.equal(saved.interfaces.ports.filter((p) => p.nic_mac !== undefined).map((p) => [p.name, p.nic_mac]), [['wan', lanMac], ['lan', wanMac]], 'the assignment saved');
  a.typeConsole('\r');
  const back = await a.waitFor(/Enter an option: /, WAIT_MS, after(confirmed));
  a.typeConsole(`${item('Reboot')}\r`);
  const ask = await a.waitFor(/Type REBOOT \(capitals\)[\s\S]*REBOOT\? /, WAIT_MS, after(back));
  const from = a.console().length;
  a.typeConsole('REBOOT\r');
  await a.waitFor(/Rebooting\.\.\./, WAIT_MS, after(ask));
  assert.is(await bootedSlot(a, from), 'A');
  assert.match((await a.run('ip -4 addr show dev lan')).output, /inet 203\.0\.113\.9\/24/, 'the address is there after the reboot');
  // The labels traded NICs at boot: lan (with its address) is the NIC that was wan.
  assert.is(await macOf('lan'), wanMac, 'lan names the NIC wan had');
  assert.is(await macOf('wan'), lanMac, 'wan names the NIC lan had');
  // The password set at the first login outlived the reboot too: a password prompt, not a new one.
  const again = await a.waitFor(/stockade - stockade console[\s\S]*(New password|Password): $/, WAIT_MS, from);
  assert.is(again[1], 'Password');
});

Console.run();
