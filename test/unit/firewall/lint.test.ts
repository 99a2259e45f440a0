// firewall lint: each warning kind, with the pointer it names; a clean config has none.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lintFirewall } from '../../../src/firewall/index.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/generated/config.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function config(doc: Record<string, unknown>): Config {
  const loaded = loadConfigText(JSON.stringify({
    version: 1,
    interfaces: { ports: [{ name: 'lan' }, { name: 'wan' }, { name: 'mgmt' }] },
    addresses: [{ interface: 'lan', static: ['192.0.2.1/24'] }, { interface: 'wan', static: ['203.0.113.2/24'] }],
    management: { interfaces: ['mgmt'] },
    ...doc,
  }));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

test('the HA fixture lints clean', () => {
  const loaded = loadConfigText(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'config', 'ha-node-a.json'), 'utf8'));
  assert.ok(loaded.ok);
  if (loaded.ok) assert.equal(lintFirewall(loaded.config), []);
});

test('a duplicate and a shadowed rule; a narrower rule first shadows nothing', () => {
  const w = lintFirewall(config({
    firewall: {
      rules: [
        { chain: 'input', action: 'accept', protocol: 'tcp', destination_ports: ['20-30'], in_interface: 'lan' },
        { chain: 'input', action: 'accept', protocol: 'tcp', destination_ports: ['20-30'], in_interface: 'lan' },
        { chain: 'input', action: 'drop', protocol: 'tcp', destination_ports: [22], source: '192.0.2.0/25', in_interface: 'lan' },
        { chain: 'forward', action: 'drop', source: '192.0.2.5' },
        { chain: 'forward', action: 'accept', source: '192.0.2.0/24' },
        { chain: 'output', action: 'drop', protocol: 'udp', states: ['new'] },
        { chain: 'output', action: 'accept', protocol: 'udp', states: ['new'], enabled: false },
      ],
    },
  }));
  assert.equal(w, [
    { pointer: '/firewall/rules/1', message: 'duplicate of /firewall/rules/0: it never matches' },
    { pointer: '/firewall/rules/2', message: 'shadowed by /firewall/rules/0 (accept), which matches everything it does: it never matches' },
  ]);
});

test('NAT to an address the box does not hold; DNAT to nowhere; SNAT to a VIP is fine', () => {
  const w = lintFirewall(config({
    vrrp: { instances: [{ name: 'w', interface: 'wan', vrid: 1, vips: ['203.0.113.1/24'] }] },
    firewall: {
      nat: [
        { type: 'snat', out_interface: 'wan', to_address: '203.0.113.1' },
        { type: 'snat', out_interface: 'wan', to_address: '203.0.113.99' },
        { type: 'one_to_one', source: '192.0.2.20', to_address: '203.0.113.98', out_interface: 'wan' },
        { type: 'dnat', in_interface: 'wan', to_address: '198.51.100.10' },
      ],
    },
  }));
  assert.equal(w.map((x) => x.pointer), ['/firewall/nat/1/to_address', '/firewall/nat/2/to_address', '/firewall/nat/3/to_address']);
  assert.match(w[0]!.message, /203\.0\.113\.99 is not an address of this box/);
  assert.match(w[2]!.message, /198\.51\.100\.10 is on no subnet/);
});

test('management lock-out: no management interface with an input drop policy; a preload line that drops everything first', () => {
  assert.equal(lintFirewall(config({ management: {} })).map((x) => x.pointer), ['/management/interfaces']);
  const w = lintFirewall(config({ firewall: { preload: { filter: ['-A INPUT -i mgmt -j DROP', '-A INPUT -i wan -j DROP', '-A INPUT -p tcp -j DROP'] } } }));
  assert.equal(w, [{ pointer: '/firewall/preload/filter/0', message: 'drops everything on mgmt before stockade\'s rules: SSH cannot be reached remotely' }]);
});

test.run();
