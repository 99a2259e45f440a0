// The menu's config-changing items with a config transaction (issue 15 item 3): each field
// checked by the config loader as typed (a refused value shows the loader's message and asks the
// same field again, nothing applied), the plan, "yes", then the commit-confirm countdown redrawn
// every second on the prompt line; confirm, revert now, or let it run out. Golden 80x24 screens.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConsoleHost } from '../../../src/console/index.ts';
import { assertGolden } from './harness.ts';
import { HASH, WINDOW_S, session as txSession } from './tx-session.ts';

const SAVED = JSON.stringify({
  version: 1,
  system: { hostname: 'fw-a' },
  interfaces: { ports: [{ name: 'wan' }, { name: 'lan' }, { name: 'sync' }] },
  addresses: [{ interface: 'lan', static: ['192.0.2.2/24'] }, { interface: 'sync', static: ['198.51.100.1/30'] }],
  routes: [{ destination: 'default', gateway: '192.0.2.254' }],
  vrrp: { instances: [{ name: 'lan_vip', interface: 'lan', vrid: 51, priority: 200, vips: ['192.0.2.1'] }] },
  console: { password_hash: HASH },
}, null, 2) + '\n';

const session = (over: Omit<Partial<ConsoleHost>, 'settings'> = {}) => txSession(SAVED, over);

const screens = suite('console: screens that change the config');

screens('the menu with a config transaction lists the change items', async () => {
  const s = await session();
  assertGolden(s.stream, 'menu-tx');
});

screens('interface address: a refused value keeps the operator on the field; plan, countdown, confirm', async () => {
  const s = await session();
  await s.pick('Interface address');
  assertGolden(s.stream, 'address');
  await s.type('eth9\r');
  assert.match(s.screen(), /No interface 'eth9' in the config: one of wan, lan, sync\.[\s\S]*Interface \(Enter: back to the menu\):$/);
  await s.type('wan\r');
  await s.type('192.0.2.300/24\r');
  assertGolden(s.stream, 'address-refused');
  await s.type('203.0.113.2\r');
  assert.match(s.screen(), /203\.0\.113\.2: give the prefix length too, like 203\.0\.113\.2\/24[\s\S]*Addresses \(Enter: keep\):$/);
  await s.type('203.0.113.2/24\r');
  await s.type('198.51.100.77\r');
  assert.match(s.screen(), /Not accepted: '198\.51\.100\.77'\. Nothing was applied\.\n.*\/routes\/0\/gateway[\s\S]*Default gateway \(Enter: keep\):$/);
  assert.equal(s.calls, [], 'nothing applied while a field is refused');
  await s.type('203.0.113.1\r');
  assertGolden(s.stream, 'address-plan');
  await s.type('\r');
  await s.type('yes\r');
  assertGolden(s.stream, 'countdown');
  await s.timers.advance(3000);
  assert.match(s.screen(), /Reverts in 57 s\. c: confirm, r: revert now, Ctrl-C: leave it:$/, 'the countdown runs on the prompt line');
  await s.type('c');
  assert.match(s.screen(), /Confirmed: saved as revision 4\./);
  assert.equal(s.calls, ['apply by console', 'confirm by console']);
  const applied = JSON.parse(s.texts[0]!) as { addresses: unknown[]; routes: unknown[] };
  assert.equal(applied.addresses, [{ interface: 'lan', static: ['192.0.2.2/24'] }, { interface: 'sync', static: ['198.51.100.1/30'] }, { interface: 'wan', static: ['203.0.113.2/24'] }]);
  assert.equal(applied.routes, [{ destination: 'default', gateway: '203.0.113.1' }]);
  await s.type('q');
  assert.match(s.screen(), /Enter an option:$/);
});

screens('interface address: dhcp, Enter keeps the routes; left alone the window runs out and says so', async () => {
  const s = await session();
  await s.pick('Interface address');
  await s.type('lan\rdhcp\r\r');
  assert.match(s.screen(), /address lan/);
  await s.type('\ryes\r');
  await s.timers.advance((WINDOW_S + 1) * 1000);
  assertGolden(s.stream, 'reverted');
  assert.equal(s.calls, ['apply by console']);
  const applied = JSON.parse(s.texts[0]!) as { addresses: unknown[]; routes: unknown[] };
  assert.equal(applied.addresses[0], { interface: 'lan', dhcp: true });
  assert.equal(applied.routes, [{ destination: 'default', gateway: '192.0.2.254' }]);
});

screens('name and DNS: refused values stay on their field; the name and the servers applied as one transaction', async () => {
  const s = await session();
  await s.pick('Name and DNS');
  assertGolden(s.stream, 'name-dns');
  await s.type('fw_north\r');
  assert.match(s.screen(), /Not accepted: 'fw_north'\. Nothing was applied\.[\s\S]*\/system\/hostname[\s\S]*Host name \(Enter: keep\):$/);
  await s.type('fw-north\r');
  assert.match(s.screen(), /Host name: {4}fw-north\n/);
  await s.type('192.0.2.53 192.0.2.300\r');
  assert.match(s.screen(), /Not accepted: '192\.0\.2\.53 192\.0\.2\.300'\. Nothing was applied\.[\s\S]*\/system\/nameservers\/1[\s\S]*Name servers \(Enter: keep\):$/);
  assert.equal(s.calls, [], 'nothing applied while a field is refused');
  await s.type('192.0.2.53 198.51.100.53\r');
  assert.match(s.screen(), /~ system\/hostname: changed\n {6}"fw-a" -> "fw-north"\n {2}~ system\/nameservers: changed\n {6}\[\] -> \["192\.0\.2\.53","198\.51\.100\.53"\]\n/);
  await s.type('\r');
  await s.type('yes\r');
  await s.type('c');
  assert.equal(s.calls, ['apply by console', 'confirm by console']);
  assert.equal((JSON.parse(s.texts[0]!) as { system: unknown }).system, { hostname: 'fw-north', nameservers: ['192.0.2.53', '198.51.100.53'] });
});

screens('VRRP quick settings: a priority the config refuses stays on the field; r reverts at once', async () => {
  const s = await session();
  await s.pick('VRRP quick settings');
  assertGolden(s.stream, 'vrrp');
  await s.type('lan_vip\r300\r');
  assertGolden(s.stream, 'vrrp-refused');
  await s.type('150\r');
  await s.type('192.0.2.1 192.0.2.9\r');
  await s.type('maybe\r');
  assert.match(s.screen(), /Type yes or no\.[\s\S]*Preempt \(Enter: keep yes\):$/);
  await s.type('no\r');
  assert.match(s.screen(), /VRRP quick settings: the plan/);
  await s.type('\ryes\r');
  await s.type('r');
  assert.match(s.screen(), /Reverted: the confirmed config runs again\./);
  assert.equal(s.calls, ['apply by console', 'abort by console']);
  const inst = (JSON.parse(s.texts[0]!) as { vrrp: { instances: Array<Record<string, unknown>> } }).vrrp.instances[0];
  assert.equal(inst, { name: 'lan_vip', interface: 'lan', vrid: 51, priority: 150, vips: ['192.0.2.1', '192.0.2.9'], preempt: false });
});

screens('config: diff with the running config, rollback to a kept revision, restore the default only when typed', async () => {
  const running = JSON.parse(SAVED) as Record<string, any>;
  running.addresses[0].static = ['192.0.2.3/24'];
  const { loadConfigText } = await import('../../../src/config/index.ts');
  const r = loadConfigText(JSON.stringify(running));
  assert.ok(r.ok);
  const s = await session({
    runningConfig: async () => (r.ok ? { config: r.config } : { error: 'x' }),
    history: () => [{ revision: 3, who: 'console', at: '2026-12-01T10:00:00.000Z', summary: 'net: address lan' }],
    revisionText: (n) => (n === 3 ? SAVED.replace('"priority": 200', '"priority": 120') : { error: `no revision ${n}` }),
  });
  await s.pick('Config');
  assertGolden(s.stream, 'config-menu');
  await s.type('2\r');
  assert.match(s.screen(), /Config diff: running -> \/data\/config\.json/);
  assert.match(s.screen(), /address lan/);
  await s.type('q4\r');
  await s.type('9\r');
  assert.match(s.screen(), /No revision '9': kept are 3\./);
  await s.type('3\r');
  assert.match(s.screen(), /Roll back to revision 3: the plan[\s\S]*lan_vip/);
  await s.type('\rno\r');
  await s.type('5\r');
  assertGolden(s.stream, 'restore');
  await s.type('yes\r');
  assert.match(s.screen(), /Enter an option:$/, 'anything but restore goes back');
  await s.type('5\rrestore\r');
  assert.match(s.screen(), /Restore the board default: the plan/);
  await s.type('qyes\r');
  assert.match(s.screen(), /Reverts in 60 s/, s.screen());
  assert.match(s.texts[0]!, /"dhcp": true/, 'the board default is what was applied');
});

screens('console password: typed twice, applied as the console part, never echoed', async () => {
  const s = await session();
  await s.pick('Console password');
  assertGolden(s.stream, 'password');
  await s.type('newsecret\rnewsecret\r');
  assert.match(s.screen(), /Console password: the plan[\s\S]*console/);
  await s.type('\ryes\rc');
  assert.equal(s.calls, ['apply by console', 'confirm by console']);
  assert.match(s.texts[0]!, /"password_hash": "\$6\$/);
  assert.not.ok(s.stream.vt.raw.includes('newsecret'));
});

screens('upgrade: the slots as the upgrade command prints them; mark good; the other slot only after ROLLBACK', async () => {
  const runs: string[] = [];
  const s = await session({
    upgrade: async (action) => {
      runs.push(action);
      if (action === 'status') return { ok: true, text: 'running slot A; GRUB order A B; security epoch floor 1\nslot A * good, 3 tries left; 0.2.0 (build 7, epoch 1), installed 2026-12-01T10:00:00Z\nslot B   good, 3 tries left; 0.1.0 (build 5, epoch 1), installed 2026-11-01T10:00:00Z\n' };
      if (action === 'mark-good') return { ok: true, text: 'slot A marked good (GRUB order A B, 3 tries); security epoch floor 1\n' };
      return { ok: false, text: 'upgrade rollback: slot B is not good; slot A stays' };
    },
  });
  assert.match(s.screen(), / \d+\) Upgrade/);
  await s.pick('Upgrade');
  assertGolden(s.stream, 'upgrade');
  await s.type('1\r');
  assert.match(s.screen(), /slot A marked good \(GRUB order A B, 3 tries\)/);
  await s.type('2\rno\r');
  assert.equal(runs, ['status', 'mark-good', 'status', 'status'], 'no rollback without the word');
  await s.type('2\rROLLBACK\r');
  assert.match(s.screen(), /upgrade rollback: slot B is not good; slot A stays/);
  assert.equal(runs.filter((r) => r === 'rollback').length, 1);
  await s.type('0\r');
  assert.match(s.screen(), /Enter an option:$/);
});

const NICS = (up: boolean) => [
  { name: 'wan', state: up ? 'up' : 'no-carrier', mac: '52:54:00:00:00:01', hwMac: '52:54:00:00:00:01', nic: true, addresses: [] },
  { name: 'lan', state: 'up', mac: '52:54:00:00:00:02', hwMac: '52:54:00:00:00:02', nic: true, addresses: ['192.0.2.2/24'] },
  { name: 'sync', state: 'down', mac: '02:00:00:00:00:09', hwMac: '52:54:00:00:00:03', nic: true, addresses: [] },
  { name: 'nic7', state: 'down', mac: '52:54:00:00:00:07', hwMac: '52:54:00:00:00:07', nic: true, addresses: [] },
  { name: 'br0', state: 'up', mac: '52:54:00:00:00:02', addresses: [] },
];

screens('assign ports: each link with state, hardware MAC and who labels it, redrawn every second until a key', async () => {
  let up = false;
  const s = await session({ ports: async () => NICS(up) });
  await s.pick('Assign ports');
  assertGolden(s.stream, 'ports');
  up = true;
  await s.timers.advance(1000);
  assert.match(s.screen(), /^ {2}wan +up +52:54:00:00:00:01 +board/m, 'the cable plugged in shows at the next redraw');
  await s.type('x');
  assert.match(s.screen(), /Enter an option:$/);
});

screens('assign ports: a label given to a NIC that has another label trades places with it, through the transaction; a bad MAC keeps the field', async () => {
  const s = await session({ ports: async () => NICS(true) });
  await s.pick('Assign ports');
  await s.type('a');
  assertGolden(s.stream, 'assign-ports');
  await s.type('eth0\r');
  assert.match(s.screen(), /No port 'eth0' in the config: one of wan, lan, sync\.[\s\S]*Port \(Enter: back\):$/);
  await s.type('lan\r');
  assert.match(s.screen(), /lan: NIC 52:54:00:00:00:02 now \(board file\)[\s\S]*NIC MAC:$/);
  await s.type('52:54:00:zz\r');
  assert.match(s.screen(), /Not accepted: '52:54:00:zz'\. Nothing was applied\.[\s\S]*NIC MAC:$/);
  assert.equal(s.calls, []);
  await s.type('52:54:00:00:00:01\r');
  assert.match(s.screen(), /Assign ports: the plan[\s\S]*port wan: changed[\s\S]*port lan: changed/);
  await s.type('\r');
  await s.type('yes\r');
  assert.match(s.screen(), /Reverts in 60 s\./);
  const doc = JSON.parse(s.texts[0]!) as { interfaces: { ports: Array<{ name: string; nic_mac?: string }> } };
  assert.equal(doc.interfaces.ports, [{ name: 'wan', nic_mac: '52:54:00:00:00:02' }, { name: 'lan', nic_mac: '52:54:00:00:00:01' }, { name: 'sync' }]);
  await s.type('c');
  await s.type('\r');
  assert.match(s.screen(), /the labels move to their NICs at the next[\s\S]*Press Enter for the menu\.$/);
  assert.equal(s.calls, ['apply by console', 'confirm by console']);
  await s.type('\r');
  assert.match(s.screen(), /a: assign, any other key: back to the menu\.$/);
});

screens('assign ports: board gives the label back to the board file; two labels on one NIC are refused by the loader', async () => {
  const cfg = JSON.parse(SAVED) as { interfaces: { ports: Array<Record<string, string>> } };
  cfg.interfaces.ports[0]!['nic_mac'] = '52:54:00:00:00:07';
  const text = JSON.stringify(cfg, null, 2);
  const s = await session({ ports: async () => NICS(true), savedConfig: () => ({ path: '/data/config.json', text }) });
  await s.pick('Assign ports');
  assert.match(s.screen(), /^ {2}wan +up +52:54:00:00:00:01 +config/m);
  await s.type('a');
  await s.type('lan\r');
  // nic7 has no label: lan takes it, but wan is given it already.
  await s.type('52:54:00:00:00:07\r');
  assertGolden(s.stream, 'assign-ports-refused');
  await s.type('\x03');
  await s.pick('Assign ports');
  await s.type('a');
  await s.type('wan\r');
  await s.type('board\r');
  await s.type('\r');
  await s.type('yes\r');
  const doc = JSON.parse(s.texts[0]!) as { interfaces: { ports: Array<{ name: string; nic_mac?: string }> } };
  assert.equal(doc.interfaces.ports[0], { name: 'wan' });
});

screens('diagnose LVS: the checklist stockade diagnose prints, paged', async () => {
  const s = await session({ diagnoseLvs: async () => ['/data/config.json:', 'OK   net.ipv4.ip_forward is 1', 'FAIL 192.0.2.10:80 answers ARP for the VIP: set arp_ignore=1 on it', '1 problem found.'] });
  await s.pick('Diagnose LVS');
  assertGolden(s.stream, 'diagnose-lvs');
  assert.match(s.screen(), /- Diagnose LVS \(stockade diagnose\)\n\n\/data\/config\.json:\nOK {3}net\.ipv4\.ip_forward is 1\nFAIL 192\.0\.2\.10:80/);
  assert.match(s.screen(), /1 problem found\./);
});

screens.run();
