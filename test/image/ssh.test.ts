// SSH on the appliance pair (issue 15 items 4 and 6): dropbear from Debian, keys only, on the
// management interface only, from management.allowed_sources only. From the admin host m on the
// mgmt bridge: `ssh box stockade CMD` runs the CLI with stdin passed through, an interactive
// login gets the console menu; a wrong key, a password, a shell command and the LAN side (client
// c) are refused; a key added by a config transaction logs in at once and goes with its abort;
// another port and another management address move SSH at once (an open session goes on).
// The host key is made at the first boot on /data and its fingerprint printed on
// the console. Killing the serial console or an SSH session (kill -9) leaves VRRP alone: same
// daemon, same states, no transition, adverts going on.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { sha512Crypt } from '../../src/console/index.ts';
import { addressesOf, pairSuite, type Node, type Pair } from './pair.ts';
import { slotSquashfs } from './upgrade-fixture.ts';
import { imageFor, root } from './vm.ts';

const PASSWORD = 'console-test-pw';
/** rounds=1000 (crypt's least): the check runs under TCG at every login. */
const HASH = sha512Crypt(PASSWORD, 'sshtestsalt', 1000);
const SSH_TIMEOUT_MS = 180_000;

// The admin's keys, made here by OpenSSH's ssh-keygen: one the box trusts, one it does not.
const keyDir = mkdtempSync(join(tmpdir(), 'stockade-ssh-'));
process.on('exit', () => rmSync(keyDir, { recursive: true, force: true }));
for (const k of ['good', 'wrong']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${k}@admin`, '-f', join(keyDir, k)]);
const publicKey = (k: string): string => readFileSync(join(keyDir, `${k}.pub`), 'utf8').trim();
// A release key the boxes trust, and a bundle it signed: the image's own root as version 0.3.0
// (built as test/image/upgrade-fixture.ts builds its "base" bundle), streamed over SSH.
const release = generateKeyPairSync('ed25519');
const releasePem = join(keyDir, 'release.pem');
writeFileSync(releasePem, release.privateKey.export({ format: 'pem', type: 'pkcs8' }));
const TRUSTED = Buffer.from(release.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
const bundleFile = join(keyDir, 'base.stk');
let bundleMade: string | undefined;
/** Made on first use (the image must exist first: the suite's before builds it). */
function bundle(): string {
  if (bundleMade) return bundleMade;
  const squash = join(keyDir, 'base.squashfs');
  slotSquashfs(imageFor('x86_64-generic'), squash);
  const r = spawnSync(join(root, 'dist', 'x64', 'stockade'), ['bundle', 'create', '--rootfs', squash, '-o', bundleFile, '--version', '0.3.0', '--epoch', '1', '--board', 'x86_64-generic', '--key', releasePem], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`stockade bundle create: exit ${r.status}: ${r.stderr}`);
  rmSync(squash, { force: true });
  bundleMade = bundleFile;
  return bundleFile;
}

const s = pairSuite('image ssh', {
  config: (_n, c) => ({
    ...c,
    management: { ...(c.management as object), ssh_authorized_keys: [publicKey('good')] },
    console: { password_hash: HASH },
    upgrade: { trusted_keys: [{ name: 'test', ed25519_public_key: TRUSTED }] },
  }),
});

const BASE = ['-F', '/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=60', '-o', 'LogLevel=ERROR'];

/** ssh from lab host `from` to `address` as root with key `key`, running `command` (`extra` first: ssh takes an option's first value). */
async function ssh(pair: Pair, from: string, address: string, key: string, command: string[], opts: { input?: string; extra?: string[] } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return pair.lab.exec(from, ['ssh', ...(opts.extra ?? []), ...BASE, '-i', join(keyDir, key), `root@${address}`, ...command], { check: false, timeoutMs: SSH_TIMEOUT_MS, ...(opts.input !== undefined ? { input: opts.input } : {}) });
}

const mgmt = (n: Node): string => addressesOf(n).mgmt;

/** An interactive `ssh -tt` from the admin host: what it printed, keys to type, and its end. */
function interactive(pair: Pair, n: Node): { out: () => string; type: (t: string) => void; waitFor: (re: RegExp, from?: number) => Promise<number>; kill: () => Promise<void> } {
  const argv = ['ip', 'netns', 'exec', pair.lab.nsName('m'), 'ssh', ...BASE, '-tt', '-i', join(keyDir, 'good'), `root@${mgmt(n)}`];
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const add = (d: Buffer) => {
    text += d.toString('latin1').replace(/\r/g, '');
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const kill = () => {
    try { if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
  };
  process.on('exit', kill);
  return {
    out: () => text,
    type: (t) => { child.stdin!.write(t); },
    waitFor: (re, from = 0) => new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(text.slice(from));
        if (m) { listeners.delete(check); clearTimeout(timer); resolve(from + m.index + m[0].length); }
      };
      const timer = setTimeout(() => { listeners.delete(check); reject(new Error(`ssh -tt to ${n}: no ${re} within ${SSH_TIMEOUT_MS / 1000} s; it printed:\n${text.slice(-2000)}`)); }, SSH_TIMEOUT_MS);
      listeners.add(check);
      check();
    }),
    kill: async () => { kill(); await exited; },
  };
}

/** The pid of the box's process whose command line contains `pattern` (one), or undefined. */
async function pidOf(pair: Pair, n: Node, pattern: string): Promise<number | undefined> {
  const out = await pair.sh(n, `for p in $(ls /proc | grep -E '^[0-9]+$'); do c=$(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null); case "$c" in *'${pattern}'*) echo $p;; esac; done`);
  const pids = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  return pids[0];
}

s.test('boot makes the host key on /data and prints its fingerprint; the client sees the same key', async (pair) => {
  await pair.ready();
  for (const n of ['a', 'b'] as const) {
    const text = pair.vm(n).console();
    assert.match(text, /^stockade: ssh +changed +dropbear on 192\.0\.2\.13[01]:22; 1 key, no passwords$/m);
    assert.match(text, /^stockade: {3}host key made: \/data\/ssh\/dropbear_ed25519_host_key$/m);
    const fp = /^stockade: {3}host key (SHA256:\S+)$/m.exec(text)?.[1];
    assert.ok(fp, `${n}: the boot output names the host key's fingerprint`);
    const scan = await pair.lab.exec('m', ['sh', '-c', `ssh-keyscan -T 60 -t ed25519 ${mgmt(n)} 2>/dev/null | ssh-keygen -lf -`], { timeoutMs: SSH_TIMEOUT_MS });
    assert.ok(scan.stdout.includes(fp!), `${n}: ssh-keyscan's key has the fingerprint boot printed (${fp}): ${scan.stdout}`);
    assert.match(await pair.sh(n, 'ls -l /data/ssh/'), /^-rw------- .* dropbear_ed25519_host_key$/m);
  }
});

s.test('ssh box stockade CMD runs the CLI; its stdin is the session\'s', async (pair) => {
  const v = await ssh(pair, 'm', mgmt('a'), 'good', ['stockade', '--version']);
  assert.is(v.code, 0, v.stderr);
  assert.is(v.stdout.trim(), (await pair.sh('a', 'stockade --version')).trim());
  // a is MASTER once the pair has settled (its daemon starts after boot, under TCG): waited for.
  await pair.waitRoles('a');
  const ctl = await ssh(pair, 'm', mgmt('a'), 'good', ['stockade', 'ctl', 'vrrp']);
  assert.is(ctl.code, 0, ctl.stderr);
  assert.match(ctl.stdout, /\blan\b.*\bMASTER\b/, ctl.stdout);
  // On the MASTER an upgrade is refused before a byte is read: the BACKUP goes first.
  const master = await ssh(pair, 'm', mgmt('a'), 'good', ['stockade', 'upgrade', 'install', '-', '--no-reboot'], { input: '<html>502 Bad Gateway</html>\n' });
  assert.is(master.code, 2, `${master.stdout}\n${master.stderr}`);
  assert.match(master.stderr, /upgrade install: this box is the VRRP MASTER of lan \(lan\), wan \(wan\): .*; nothing was written/);
  assert.not.match(master.stderr, /502/);
  // On the BACKUP what the admin pipes in reaches the command: the installer quotes the first bytes it read.
  const up = await ssh(pair, 'm', mgmt('b'), 'good', ['stockade', 'upgrade', 'install', '-', '--no-reboot'], { input: '<html>502 Bad Gateway</html>\n' });
  assert.is(up.code, 2, `${up.stdout}\n${up.stderr}`);
  assert.match(up.stderr, /stockade: stdin: offset 0: not a stockade bundle: it starts with "<html>502 Bad Gateway<\/html>\\n"/, up.stderr);
});

s.test('ssh box stockade upgrade install - < bundle streams a signed bundle into the other slot', async (pair) => {
  const file = bundle();
  const r = await pair.lab.exec('m', ['sh', '-c', `ssh ${BASE.join(' ')} -i ${join(keyDir, 'good')} root@${mgmt('b')} stockade upgrade install - --no-reboot < ${file}`], { check: false, timeoutMs: 900_000 });
  assert.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout.replace(/\n +/g, ' '), /^slot B: 0\.3\.0 installed and read back \(sha256 [0-9a-f]{64}\); GRUB boots it next, once, on trial/m);
  assert.match(r.stderr, /signed by test/);
  const status = await ssh(pair, 'm', mgmt('b'), 'good', ['stockade', 'upgrade', 'status']);
  assert.is(status.code, 0, status.stderr);
  assert.match(status.stdout, /0\.3\.0/);
});

s.test('only stockade commands, in plain words: a shell command line is refused, not run', async (pair) => {
  const marker = '/tmp/ssh-refused-marker';
  for (const command of [`touch ${marker}`, `stockade --version; touch ${marker}`, `stockade --version $(touch ${marker})`]) {
    const r = await ssh(pair, 'm', mgmt('a'), 'good', [command]);
    assert.is(r.code, 2, `${command}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /stockade: over SSH only/);
  }
  assert.is((await pair.run('a', `test -e ${marker}`)).code, 1, 'nothing ran');
});

s.test('a key not in ssh_authorized_keys, and any password, are refused', async (pair) => {
  const wrong = await ssh(pair, 'm', mgmt('a'), 'wrong', ['stockade', '--version']);
  assert.is(wrong.code, 255);
  assert.match(wrong.stderr, /Permission denied \(publickey\)/);
  // dropbear offers no password method at all (-s): the client has nothing to try.
  const pw = await ssh(pair, 'm', mgmt('a'), 'wrong', ['stockade', '--version'], { extra: ['-o', 'PreferredAuthentications=password,keyboard-interactive', '-o', 'PubkeyAuthentication=no'] });
  assert.is(pw.code, 255);
  assert.match(pw.stderr, /Permission denied \(publickey\)/);
});

s.test('a key added by a config transaction logs in at once; aborting the transaction takes it away again', async (pair) => {
  const saved = JSON.parse(await pair.sh('a', 'cat /data/config.json')) as { management: { ssh_authorized_keys: string[] } };
  saved.management.ssh_authorized_keys = [...saved.management.ssh_authorized_keys, publicKey('wrong')];
  const b64 = Buffer.from(JSON.stringify(saved, null, 2)).toString('base64');
  const applied = await pair.run('a', `echo ${b64} | base64 -d > /tmp/ssh-keys.json && stockade config apply /tmp/ssh-keys.json 2>&1`);
  assert.is(applied.code, 0, applied.output);
  assert.match(applied.output, /Applied: .*management/);
  try {
    const added = await ssh(pair, 'm', mgmt('a'), 'wrong', ['stockade', '--version']);
    assert.is(added.code, 0, `the added key logs in: ${added.stderr}`);
  } finally {
    await pair.sh('a', 'stockade config abort');
  }
  const gone = await ssh(pair, 'm', mgmt('a'), 'wrong', ['stockade', '--version']);
  assert.is(gone.code, 255, 'the key is gone with the aborted transaction');
  assert.match(gone.stderr, /Permission denied \(publickey\)/);
  assert.is((await ssh(pair, 'm', mgmt('a'), 'good', ['stockade', '--version'])).code, 0, 'the configured key still logs in');
});

s.test('another SSH port and another management address move SSH at once; an open session goes on; the abort moves it back', async (pair) => {
  const moved = '192.0.2.150';
  const version = async (address: string, port: number): Promise<number> => (await ssh(pair, 'm', address, 'good', ['stockade', '--version'], { extra: ['-p', String(port), '-o', 'ConnectTimeout=10'] })).code;
  /** Until `address`:`port` logs in (init starts dropbear again within seconds; bounded). */
  const answers = async (address: string, port: number): Promise<void> => {
    await pair.lab.waitFor(`ssh to ${address}:${port}`, async () => ((await version(address, port)) === 0) || undefined, { timeoutMs: SSH_TIMEOUT_MS, intervalMs: 2000 });
  };
  // A session open before the change, at the login prompt of its menu.
  const t = interactive(pair, 'a');
  try {
    const at = await t.waitFor(/Password: $/);
    const saved = JSON.parse(await pair.sh('a', 'cat /data/config.json')) as { management: { ssh_port?: number }; addresses: Array<{ interface: string; static: string[] }> };
    saved.management.ssh_port = 2222;
    saved.addresses.find((x) => x.interface === 'mgmt')!.static.push(`${moved}/26`);
    const b64 = Buffer.from(JSON.stringify(saved, null, 2)).toString('base64');
    const applied = await pair.run('a', `echo ${b64} | base64 -d > /tmp/ssh-move.json && stockade config apply /tmp/ssh-move.json 2>&1`);
    assert.is(applied.code, 0, applied.output);
    assert.match(applied.output, /Applied: .*management/);
    try {
      await answers(moved, 2222);
      await answers(mgmt('a'), 2222);
      assert.is(await version(mgmt('a'), 22), 255, 'port 22 no longer answers');
      assert.match(await pair.sh('a', 'iptables -S STOCKADE-INPUT'), /-i mgmt -p tcp -m tcp --dport 2222 .*-j ACCEPT/);
      // The session opened before the move goes on: its menu logs in.
      t.type(`${PASSWORD}\r`);
      await t.waitFor(/ 1\) Status[\s\S]*Enter an option: $/, at);
    } finally {
      await pair.sh('a', 'stockade config abort');
    }
    await answers(mgmt('a'), 22);
    assert.is(await version(mgmt('a'), 2222), 255, 'port 2222 no longer answers');
    assert.is(await version(moved, 22), 255, 'the added address is gone');
  } finally {
    await t.kill();
  }
});

s.test('SSH answers on the management interface only: from the LAN it is dropped', async (pair) => {
  // Client c (on the LAN, routed through the LAN VIP) reaches SSH neither on a's LAN address
  // nor on its management address through the LAN side.
  for (const address of [addressesOf('a').lan, mgmt('a')]) {
    const r = await pair.lab.exec('c', ['ssh', ...BASE, '-o', 'ConnectTimeout=10', '-i', join(keyDir, 'good'), `root@${address}`, 'stockade', '--version'], { check: false, timeoutMs: SSH_TIMEOUT_MS });
    assert.is(r.code, 255, `${address}: ${r.stdout}`);
    assert.match(r.stderr, /timed out|No route|refused/i, address);
    assert.not.match(r.stdout, /stockade/);
  }
  const rules = await pair.sh('a', 'iptables -S STOCKADE-INPUT');
  assert.match(rules, /^-A STOCKADE-INPUT -s 192\.0\.2\.128\/26 -i mgmt -p tcp -m tcp --dport 22 -m comment --comment "?\/management\/ssh_port"? -j ACCEPT$/m);
  assert.not.match(rules, /--dport 8443/, 'nothing listens on the old api_port: it is not opened');
});

s.test('an interactive login gets the console menu on the session\'s terminal', async (pair) => {
  const t = interactive(pair, 'a');
  try {
    let at = await t.waitFor(/fw-a - stockade console[\s\S]*Password: $/);
    t.type(`${PASSWORD}\r`);
    at = await t.waitFor(/ 1\) Status[\s\S]*Enter an option: $/, at);
    t.type('1\r');
    await t.waitFor(/VRRP|vrrp/, at);
  } finally {
    await t.kill();
  }
});

s.test('kill -9 of the serial console and of an SSH session leaves VRRP and the daemon alone', async (pair) => {
  await pair.waitRoles('a');
  const before = { a: await pair.vrrp('a'), b: await pair.vrrp('b') };
  const daemonBefore = await pidOf(pair, 'a', 'stockade daemon');
  // An SSH session running the menu, killed on the box.
  const t = interactive(pair, 'a');
  try {
    await t.waitFor(/Password: $/);
    const session = await pidOf(pair, 'a', 'console --tty /dev/pts/');
    assert.ok(session, 'the SSH session runs stockade console on its pty');
    await pair.sh('a', `kill -9 ${session}`);
  } finally {
    await t.kill();
  }
  // The serial console: init starts a new one, which draws a fresh login screen.
  const serial = await pidOf(pair, 'a', 'console --tty ttyS0');
  assert.ok(serial, 'init runs stockade console on ttyS0');
  const from = pair.vm('a').console().length;
  await pair.sh('a', `kill -9 ${serial}`);
  await pair.vm('a').waitFor(/Password: /, SSH_TIMEOUT_MS, from);
  const again = await pidOf(pair, 'a', 'console --tty ttyS0');
  assert.ok(again !== undefined && again !== serial, `init respawned the console (${serial} -> ${again})`);
  // Adverts keep flowing: wait until b has heard more of them, then compare.
  const heard = before.b!.instances.find((i) => i.name === 'lan')!.counters.advertsIn;
  await pair.lab.waitFor('b hears more adverts from a', async () => ((await pair.vrrp('b'))!.instances.find((i) => i.name === 'lan')!.counters.advertsIn > heard + 2) || undefined, { timeoutMs: SSH_TIMEOUT_MS, intervalMs: 1000 });
  const after = { a: await pair.vrrp('a'), b: await pair.vrrp('b') };
  assert.is(await pidOf(pair, 'a', 'stockade daemon'), daemonBefore, 'the same daemon process');
  for (const n of ['a', 'b'] as const) {
    assert.ok(after[n]!.uptimeMs > before[n]!.uptimeMs, `${n}: the daemon was not restarted`);
    for (const i of after[n]!.instances) {
      const was = before[n]!.instances.find((x) => x.name === i.name)!;
      assert.is(i.state, was.state, `${n} ${i.name}: state`);
      assert.is(i.counters.transitions, was.counters.transitions, `${n} ${i.name}: no transition`);
      if (n === 'a') assert.ok(i.counters.advertsOut > was.counters.advertsOut, `a ${i.name}: adverts go on`);
    }
  }
});

s.run();
