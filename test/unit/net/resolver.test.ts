// system.nameservers as resolv.conf: the text, and what a run does with the file there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configResolvConf, isConfigResolvConf, leaseResolvAction, resolvAction } from '../../../src/net/resolver.ts';
import { fixtureConfig } from '../config/helpers.ts';

const MARK = '# stockade: system.nameservers from the config (DHCP leases do not replace them)';

test('the config\'s name servers, its domain as the search list unless search_domains says otherwise', () => {
  assert.is(configResolvConf(fixtureConfig((c) => { c.system = { ...c.system, nameservers: ['192.0.2.53'], domain: 'example.test' }; })),
    `${MARK}\ndomain example.test\nsearch example.test\nnameserver 192.0.2.53\n`);
  assert.is(configResolvConf(fixtureConfig((c) => { c.system = { ...c.system, nameservers: ['192.0.2.53', '198.51.100.53'], domain: 'example.test', search_domains: ['a.example', 'b.example'] }; })),
    `${MARK}\ndomain example.test\nsearch a.example b.example\nnameserver 192.0.2.53\nnameserver 198.51.100.53\n`);
  assert.is(configResolvConf(fixtureConfig((c) => { c.system = { ...c.system, nameservers: ['192.0.2.53'] }; delete c.system.domain; })), `${MARK}\nnameserver 192.0.2.53\n`);
  assert.is(configResolvConf(fixtureConfig((c) => { c.system = { ...c.system, nameservers: [], domain: 'example.test' }; })), undefined, 'no name servers: the file is DHCP\'s');
});

test('written when it differs, left when it is the same; removed only when it is the config\'s and the config names none now', () => {
  const withDns = fixtureConfig((c) => { c.system = { ...c.system, nameservers: ['192.0.2.53'] }; delete c.system.domain; });
  const without = fixtureConfig((c) => { c.system = { ...c.system, nameservers: [] }; });
  const text = `${MARK}\nnameserver 192.0.2.53\n`;
  assert.equal(resolvAction(withDns, undefined), { kind: 'write', text });
  assert.equal(resolvAction(withDns, 'nameserver 198.51.100.53\n'), { kind: 'write', text }, 'over a lease\'s');
  assert.equal(resolvAction(withDns, text), { kind: 'none' });
  assert.equal(resolvAction(without, text), { kind: 'remove' });
  assert.equal(resolvAction(without, 'nameserver 198.51.100.53\n'), { kind: 'none' }, 'a lease\'s stays');
  assert.equal(resolvAction(without, undefined), { kind: 'none' });
  assert.ok(isConfigResolvConf(text));
  assert.not.ok(isConfigResolvConf(`nameserver 192.0.2.1\n${MARK}\n`), 'only as the first line');
});

test('a lease\'s name servers go over the file unless it is the config\'s', () => {
  const lease = { local: '198.51.100.100', prefixLength: 24, dns: ['198.51.100.53'] };
  assert.equal(leaseResolvAction(lease, undefined), { kind: 'write', text: 'nameserver 198.51.100.53\n' });
  assert.equal(leaseResolvAction(lease, 'nameserver 192.0.2.1\n'), { kind: 'write', text: 'nameserver 198.51.100.53\n' });
  assert.equal(leaseResolvAction(lease, `${MARK}\nnameserver 192.0.2.53\n`), { kind: 'none', kept: true });
  assert.equal(leaseResolvAction({ ...lease, dns: [] }, undefined), { kind: 'none' }, 'no servers offered: the file is left');
});

test.run();
