// The built executable inside a lab host: `stockade net plan` and `stockade net apply` as a user
// runs them: what they print, their exit statuses (0; 2 for a bad config, nothing touched; 1 for
// a kernel refusal, undone), and that a second apply changes nothing.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import { requireLab } from '../require.ts';
import { unwrapped } from '../../unit/config/helpers.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'dist', 'x64', 'stockade');
const ready = requireLab(test, 'lab/cli/net-apply');
const dir = mkdtempSync(join(tmpdir(), 'stockade-net-apply-'));

function file(name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

const good = {
  version: 1,
  interfaces: { ports: [{ name: 'wan0' }, { name: 'lan0' }], bridges: [{ name: 'br0', members: ['lan0'] }] },
  addresses: [{ interface: 'wan0', static: ['203.0.113.2/24'] }, { interface: 'br0', static: ['192.0.2.1/24'] }],
  routes: [{ destination: 'default', gateway: '203.0.113.1' }],
  sysctls: { 'net.ipv4.ip_forward': 1 },
};

if (ready) {
  test('net plan, net apply, net apply again', async () => {
    assert.ok(existsSync(bin), `${bin} is built by npm run build`);
    await withLab({ hosts: ['a', 'b'], links: [['a:wan0', 'b:eth0'], ['a:lan0', 'b:eth1']] }, async (l) => {
      const cfg = file('good.json', good);
      const plan = await l.exec('a', [bin, 'net', 'plan', cfg]);
      assert.match(plan.stdout, /^links:\n {2}create bridge br0: stp off \(in the config, not in the kernel\)\n/);
      assert.match(plan.stdout, /\n\d+ changes to make \(stockade net apply .*good\.json\)\n$/);
      const apply = await l.exec('a', [bin, 'net', 'apply', cfg]);
      assert.match(apply.stdout, /create address 192\.0\.2\.1\/24 on br0 \(in the config, not on the interface\)\n/);
      assert.match(apply.stdout, /\n\d+ changes made\n$/);
      const again = await l.exec('a', [bin, 'net', 'apply', cfg]);
      assert.is(again.stdout, 'no changes: the kernel matched the config\n');
      const json = JSON.parse((await l.exec('a', [bin, 'net', 'apply', cfg, '--json'])).stdout);
      assert.equal([json.done, json.writes], [[], 0]);
    });
  });

  test('a bad config: exit 2, every error, nothing touched', async () => {
    await withLab({ hosts: ['a', 'b'], links: [['a:wan0', 'b:eth0'], ['a:lan0', 'b:eth1']] }, async (l) => {
      const before = (await l.exec('a', ['ip', '-o', 'link'])).stdout + (await l.exec('a', ['ip', '-o', 'addr'])).stdout;
      const bad = file('bad.json', { ...good, interfaces: { ...good.interfaces, vlans: [{ name: 'v10', parent: 'bond0', id: 10 }] }, addresses: [...good.addresses, { interface: 'lan0', static: ['192.0.2.5/25'] }] });
      const r = await l.exec('a', [bin, 'net', 'apply', bad], { check: false });
      assert.is(r.code, 2);
      // Errors past 79 columns are wrapped (as config validate's): joined again here.
      const err = unwrapped(r.stderr);
      assert.match(err, /\/interfaces\/vlans\/0\/parent: expected the name of a port, a bond or a bridge; found "bond0"/);
      assert.match(err, /\/addresses\/2\/interface: expected an interface that is not a member of a bond or bridge/);
      assert.match(err, /errors; nothing applied\n$/);
      assert.is((await l.exec('a', ['ip', '-o', 'link'])).stdout + (await l.exec('a', ['ip', '-o', 'addr'])).stdout, before);
    });
  });

  test('a kernel refusal (no bonding in this kernel): exit 1, the object and the reason, undone', async () => {
    await withLab({ hosts: ['a', 'b'], links: [['a:wan0', 'b:eth0'], ['a:lan0', 'b:eth1']] }, async (l) => {
      const before = (await l.exec('a', ['ip', '-o', 'link'])).stdout;
      const cfg = file('bond.json', { ...good, interfaces: { ports: good.interfaces.ports, bonds: [{ name: 'bond0', members: ['lan0'] }] }, addresses: [good.addresses[0]], routes: [] });
      const r = await l.exec('a', [bin, 'net', 'apply', cfg], { check: false });
      assert.is(r.code, 1);
      assert.match(r.stderr, /^stockade: net apply: create bond bond0 \(mode active-backup, miimon 100 ms\): the kernel refused: Unknown device type \(ENOTSUP\); is the bonding module loaded\? \(list it under modules in the board or the config\); nothing had been changed\n$/);
      assert.is((await l.exec('a', ['ip', '-o', 'link'])).stdout, before);
    });
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
