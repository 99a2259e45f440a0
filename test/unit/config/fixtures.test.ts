import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadConfigFile } from '../../../src/config/load.ts';
import { configSchema } from '../../../src/config/describe.ts';
import { describeErrors, fixturePath, load } from './helpers.ts';

for (const name of ['ha-node-a.json', 'minimal.json']) {
  test(`fixture ${name} is valid`, () => {
    const result = loadConfigFile(fixturePath(name));
    assert.ok(result.ok, result.ok ? '' : describeErrors(result.errors));
  });
}

test('the HA fixture has the seeds layout: bond, VLANs on it, sync link, VIPs, sync, LVS, rules', () => {
  const result = loadConfigFile(fixturePath('ha-node-a.json'));
  if (!result.ok) throw new Error(describeErrors(result.errors));
  const c = result.config;
  assert.equal(c.interfaces.bonds[0]!.members, ['eth0', 'eth1']);
  assert.ok(c.interfaces.vlans.every((v) => v.parent === 'bond0'));
  assert.is(c.sync?.interface, 'eth2');
  assert.ok(c.vrrp.instances.length >= 2 && c.vrrp.instances.every((i) => i.vips.length > 0));
  assert.ok(c.lvs.virtual_services[0]!.real_servers.length >= 2);
  assert.ok(c.firewall.rules.length >= 3);
});

test('{"version": 1} alone is a valid config, and validation fills in every default', () => {
  const result = load({ version: 1 });
  if (!result.ok) throw new Error(describeErrors(result.errors));
  const c = result.config;
  assert.is(c.system.hostname, 'stockade');
  assert.equal(c.interfaces, { ports: [], bonds: [], vlans: [], bridges: [] });
  assert.equal(c.firewall.policy, { input: 'drop', forward: 'drop', output: 'accept' });
  assert.equal(c.vrrp, { instances: [], sync_groups: [] });
  assert.is(c.sync, undefined);
  assert.is(c.console.baud, 115200);
});

test('defaults reach nested objects in lists (bond, VRRP instance, sync)', () => {
  const result = loadConfigFile(fixturePath('ha-node-a.json'));
  if (!result.ok) throw new Error(describeErrors(result.errors));
  const c = result.config;
  assert.is(c.interfaces.bonds[0]!.updelay_ms, 0);
  assert.is(c.interfaces.ports[0]!.mtu, 1500);
  assert.is(c.vrrp.instances[1]!.version, 3);
  assert.is(c.vrrp.instances[1]!.garp.repeat, 5);
  assert.is(c.sync?.ack_window, 300);
  assert.is(c.lvs.virtual_services[1]!.health_check.rise, 2);
});

test('the generated schema module is current with src/config/schema.json', () => {
  const source = JSON.parse(readFileSync(new URL('../../../src/config/schema.json', import.meta.url), 'utf8'));
  assert.equal(configSchema, source, 'run scripts/node-run scripts/gen-config.ts');
});

test.run();
