// Issue 15's done-when: a person with only a serial cable takes two factory-fresh boxes to a
// working HA pair with the menu, and reaches them by SSH afterwards. Both VMs boot the board's
// default config as flashed (no console password, no VRRP, no sync, no SSH key) and are wired as
// test/image/pair.ts wires its pair (lan, wan and mgmt bridges with lab hosts, the sync link).
// Everything on the boxes is typed on ttyS0: the first-login password, the mgmt, lan, wan and sync
// addresses (Interface address), the HA pair screen, and the admin's SSH key (SSH keys), each
// plan applied and confirmed in its countdown. Then, as a user would see it: a is VRRP MASTER
// holding the VIP and b BACKUP (stockade ctl through the test shell), conntrack sync is up (a
// client's flow through a is in b's external cache), the client's gateway VIP answers and routes,
// the admin's key runs a CLI command over SSH; the master's daemon frozen, b takes the VIP.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { menuKey } from '../unit/console/menu-key.ts';
import { ADMIN, BOOT_TIMEOUT_MS, LAN_VIP, SERVER, WAIT_MS, pairSuite, type Node, type Pair } from './pair.ts';
import { root, type Vm } from './vm.ts';

const PASSWORD = 'serial-console-pw';
const SECRET = '00112233445566778899aabbccddeeff';
/** What each box gets, typed on its console (the pair fixture's addresses). */
const BOX: Record<Node, { mgmt: string; lan: string; wan: string; sync: string; peerSync: string; priority: string }> = {
  a: { mgmt: '192.0.2.130/26', lan: '192.0.2.2/25', wan: '198.51.100.2/24', sync: '203.0.113.1/30', peerSync: '203.0.113.2', priority: '200' },
  b: { mgmt: '192.0.2.131/26', lan: '192.0.2.3/25', wan: '198.51.100.3/24', sync: '203.0.113.2/30', peerSync: '203.0.113.1', priority: '100' },
};
const SSH_TIMEOUT_MS = 180_000;

const keyDir = mkdtempSync(join(tmpdir(), 'stockade-console-ha-'));
process.on('exit', () => rmSync(keyDir, { recursive: true, force: true }));
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'admin@laptop', '-f', join(keyDir, 'admin')]);
const PUBLIC_KEY = readFileSync(join(keyDir, 'admin.pub'), 'utf8').trim();

const BOARD_DEFAULT = JSON.parse(readFileSync(join(root, 'board', 'x86_64-generic', 'config.json'), 'utf8')) as Record<string, unknown>;
const s = pairSuite('image console HA', { config: () => structuredClone(BOARD_DEFAULT) });

/** A person at one box's serial console: waits for what the screen says, then types. */
class Operator {
  readonly vm: Vm;
  at = 0;
  constructor(vm: Vm) { this.vm = vm; }

  async see(pattern: RegExp, timeoutMs = WAIT_MS): Promise<RegExpExecArray> {
    const m = await this.vm.waitFor(pattern, timeoutMs, this.at);
    this.at = m.index + m[0].length;
    return m;
  }

  /** Waits for `prompt`, types `text` and Enter. */
  async answer(prompt: RegExp, text: string): Promise<void> {
    await this.see(prompt);
    this.vm.typeConsole(`${text}\r`);
  }

  /** From the main menu: the item called `label`, by the number this menu gives it. */
  async open(label: string): Promise<void> {
    const prompt = await this.see(/Enter an option: /);
    const before = this.vm.console().slice(0, prompt.index);
    this.vm.typeConsole(`${menuKey(before.slice(before.lastIndexOf(' 1) Status')), label)}\r`);
  }

  /** The plan (left with q), yes, and the countdown confirmed; back on the main menu. */
  async applyAndConfirm(name: string): Promise<void> {
    await this.see(new RegExp(`${name}: the plan[\\s\\S]*?-- lines [^\\n]*menu $`));
    this.vm.typeConsole('q');
    await this.answer(/Type yes to apply: /, 'yes');
    await this.see(/Reverts in \d+ s\. c: confirm/);
    this.vm.typeConsole('c');
    await this.see(/Confirmed: saved as revision \d+\.[\s\S]*?-- lines [^\n]*menu /);
    this.vm.typeConsole('q');
  }

  async address(ifname: string, cidr: string): Promise<void> {
    await this.open('Interface address');
    await this.answer(/Interface \(Enter: back to the menu\): /, ifname);
    await this.answer(/Addresses \(Enter: keep\): /, cidr);
    await this.answer(/Default gateway \(Enter: keep\): /, '');
    await this.applyAndConfirm('Interface address');
  }
}

/** The whole walk on one box's serial console, from its first login. */
async function setUp(pair: Pair, n: Node): Promise<void> {
  const box = BOX[n];
  const o = new Operator(pair.vm(n));
  await o.see(/stockade: boot complete/, BOOT_TIMEOUT_MS);
  await o.answer(/No console password is set[\s\S]*?New password: /, PASSWORD);
  await o.answer(/Again: /, PASSWORD);
  await o.see(/Console password set\.\s*Saved in the config\./);
  // mgmt first: the board default's 192.0.2.1/24 overlaps the LAN subnet the pair uses.
  await o.address('mgmt', box.mgmt);
  await o.address('lan', box.lan);
  await o.address('wan', box.wan);
  await o.address('sync', box.sync);
  await o.open('HA pair');
  await o.answer(/VIP port \(Enter: lan\): /, '');
  await o.answer(/VIPs: /, LAN_VIP);
  await o.answer(/VRID \(Enter: 51\): /, '');
  await o.answer(/Priority \(Enter: 100\): /, box.priority);
  await o.answer(/Preempt \(Enter: yes\): /, '');
  await o.answer(/Advert key \(Enter: none\): /, SECRET);
  await o.answer(/Sync port \(Enter: sync\): /, '');
  await o.answer(/Peer sync address: /, box.peerSync);
  await o.answer(/Out port \(Enter: none\): /, 'wan');
  await o.applyAndConfirm('HA pair');
  await o.open('SSH keys');
  await o.answer(/No key: SSH is off\.[\s\S]*?Key \(Enter: back to the menu\): /, PUBLIC_KEY);
  await o.applyAndConfirm('SSH keys');
  await o.open('SSH keys');
  await o.see(/ 1 {2}ssh-ed25519 +SHA256:\S+ +admin@laptop[\s\S]*?Key \(Enter: back to the menu\): /);
  o.vm.typeConsole('\r');
  await o.see(/Enter an option: /);
}

const BASE = ['-F', '/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=60', '-o', 'LogLevel=ERROR'];

s.test('two fresh boxes set up only on their serial consoles become an HA pair reachable by SSH', async (pair) => {
  await Promise.all((['a', 'b'] as const).map((n) => setUp(pair, n)));

  const roles = await pair.lab.waitFor('a MASTER and b BACKUP on instance ha', async () => {
    const seen = { a: await pair.states('a'), b: await pair.states('b') };
    return (seen.a['ha'] === 'MASTER' && seen.b['ha'] === 'BACKUP') ? seen : undefined;
  }, { timeoutMs: WAIT_MS, intervalMs: 2000 });
  assert.equal(roles, { a: { ha: 'MASTER' }, b: { ha: 'BACKUP' } });
  assert.ok((await pair.addresses('a', 'lan')).includes(`${LAN_VIP}/25`), 'the master holds the VIP');
  assert.not.ok((await pair.addresses('b', 'lan')).includes(`${LAN_VIP}/25`), 'the backup does not');

  for (const [n, peer] of [['a', BOX.a.peerSync], ['b', BOX.b.peerSync]] as const) {
    const v = await pair.sync(n);
    assert.ok(v?.running, `${n}: sync running (${v?.reason ?? 'no answer'})`);
    assert.is(v.peer, peer, `${n}: ctl sync shows the peer`);
  }

  // The client's gateway is the VIP: it answers, and routes the client to the server through a
  // (the server's way back to the LAN is a's WAN address: the menu set no NAT).
  await pair.lab.exec('s', ['ip', 'route', 'add', '192.0.2.0/25', 'via', BOX.a.wan.split('/')[0]!]);
  const ping = await pair.lab.exec('c', ['ping', '-c', '3', '-W', '5', LAN_VIP], { check: false, timeoutMs: 60_000 });
  assert.is(ping.code, 0, `the client reaches the VIP:\n${ping.stdout}${ping.stderr}`);
  // A flow through a that lasts while b's cache is looked at (a ctl over TCG can take 35 s).
  const through = pair.lab.exec('c', ['ping', '-c', '120', '-i', '1', '-W', '5', SERVER], { check: false, timeoutMs: 240_000 });
  const external = await pair.lab.waitFor('the client\'s flow in b\'s external cache (conntrack sync up)', async () => {
    const v = await pair.sync('b');
    return (v?.external?.active ?? 0) > 0 ? v!.external!.active : undefined;
  }, { timeoutMs: WAIT_MS, intervalMs: 2000 });
  assert.ok(external > 0);
  const flow = await through;
  assert.match(flow.stdout, / 0% packet loss/, `the client reaches the server through the VIP:\n${flow.stdout}${flow.stderr}`);

  // The admin's key, added on the menu, logs in and runs a CLI command (SSH started live).
  const sshCmd = await pair.lab.exec('m', ['ssh', ...BASE, '-i', join(keyDir, 'admin'), `root@${BOX.a.mgmt.split('/')[0]}`, 'stockade', 'ctl', 'vrrp'], { check: false, timeoutMs: SSH_TIMEOUT_MS });
  assert.is(sshCmd.code, 0, `ssh from the admin host ${ADMIN}: ${sshCmd.stderr}`);
  assert.match(sshCmd.stdout, /ha\b[\s\S]*MASTER/);

  // The master's daemon frozen: b hears no adverts and takes the VIP.
  const status = await pair.ctl<{ pid: number }>('a', 'daemon');
  assert.ok(status?.pid, 'a\'s daemon pid');
  await pair.sh('a', `kill -STOP ${status.pid}`);
  try {
    await pair.lab.waitFor('b MASTER with the VIP after a froze', async () => {
      const st = await pair.states('b');
      return st['ha'] === 'MASTER' && (await pair.addresses('b', 'lan')).includes(`${LAN_VIP}/25`) ? true : undefined;
    }, { timeoutMs: WAIT_MS, intervalMs: 2000 });
  } finally {
    await pair.sh('a', `kill -CONT ${status.pid}`);
  }
});

s.run();
