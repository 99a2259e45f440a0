// What SSH runs with, from the config: off without a management interface or a key; dropbear's
// arguments (keys only, no forwarding, the management addresses); the firewall opening that
// goes with it; the host key fingerprint as OpenSSH prints it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfigText } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/index.ts';
import { keyFingerprint, sshPlan } from '../../../src/ssh/index.ts';
import { baseRuleset, describeBaseFirewall } from '../../../src/firewall/index.ts';

/** Made by ssh-keygen -t ed25519; `ssh-keygen -lf` printed the fingerprint below for it. */
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKtXqLSihHJzSa1sMHJzNh1TiMhIGWeFp8O9fAtCgbT0 admin@laptop';
const KEY_FINGERPRINT = 'SHA256:4f7aXouqSgUkXTAeDT24Z5snrWEdpMCT1zveJDer2gQ';

function config(management: Record<string, unknown>, addresses: unknown[] = [{ interface: 'mgmt', static: ['192.0.2.130/26'] }]): Config {
  const r = loadConfigText(JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'mgmt' }, { name: 'lan' }] }, addresses, management }));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

test('off without a key or without a management interface, and nothing opened for it', () => {
  const noKey = sshPlan(config({ interfaces: ['mgmt'] }), '/data/k');
  assert.is(noKey.enabled, false);
  assert.is(noKey.why, 'no key in management.ssh_authorized_keys');
  assert.equal(noKey.argv, []);
  assert.is(sshPlan(config({ ssh_authorized_keys: [KEY] }), '/data/k').why, 'no management interface (management.interfaces)');
  const v4 = baseRuleset(config({ interfaces: ['mgmt'] }))[0]!.text;
  assert.not.match(v4, /-p tcp/, 'neither SSH nor the old api_port');
  assert.is(describeBaseFirewall(config({ interfaces: ['mgmt'] })), 'ping in on mgmt (no SSH: no management.ssh_authorized_keys)');
});

test('keys only, no forwarding, on the management addresses; the firewall lets ssh_port in there from the allowed sources', () => {
  const c = config({ interfaces: ['mgmt'], allowed_sources: ['192.0.2.128/26', '198.51.100.7'], ssh_port: 2222, ssh_authorized_keys: [KEY] });
  const p = sshPlan(c, '/data/ssh/dropbear_ed25519_host_key');
  assert.is(p.enabled, true);
  assert.equal(p.argv, ['-F', '-E', '-s', '-g', '-j', '-k', '-m', '-I', '1800', '-r', '/data/ssh/dropbear_ed25519_host_key', '-p', '192.0.2.130:2222']);
  assert.is(p.authorizedKeys, `${KEY}\n`);
  const v4 = baseRuleset(c)[0]!.text;
  assert.match(v4, /^-A STOCKADE-INPUT -s 192\.0\.2\.128\/26 -i mgmt -p tcp -m tcp --dport 2222 -m comment --comment "\/management\/ssh_port" -j ACCEPT$/m);
  assert.match(v4, /^-A STOCKADE-INPUT -s 198\.51\.100\.7\/32 -i mgmt -p tcp -m tcp --dport 2222 -m comment --comment "\/management\/ssh_port" -j ACCEPT$/m);
  assert.is((v4.match(/--dport/g) ?? []).length, 2, 'nothing else opened');
  assert.is(describeBaseFirewall(c), 'SSH tcp/2222 from 192.0.2.128/26, 198.51.100.7 and ping in on mgmt');
});

test('a management interface on DHCP: every address, and why', () => {
  const p = sshPlan(config({ interfaces: ['mgmt'], ssh_authorized_keys: [KEY] }, [{ interface: 'mgmt', static: [], dhcp: true }]), '/k');
  assert.equal(p.listen, ['22']);
  assert.is(p.listenNote, 'mgmt has a DHCP address');
  assert.equal(p.argv.slice(-2), ['-p', '22']);
});

test('the schema takes OpenSSH public key lines only', () => {
  const bad = loadConfigText(JSON.stringify({ version: 1, management: { ssh_authorized_keys: ['from="10.0.0.1" ' + KEY, 'ssh-ed25519', 'AAAA'] } }));
  assert.is(bad.ok, false);
  if (!bad.ok) assert.equal(bad.errors.map((e) => e.pointer), ['/management/ssh_authorized_keys/0', '/management/ssh_authorized_keys/1', '/management/ssh_authorized_keys/2']);
});

test('the fingerprint is OpenSSH\'s (ssh-keygen -l)', () => {
  assert.is(keyFingerprint(KEY), KEY_FINGERPRINT);
  assert.is(keyFingerprint('not a key'), undefined);
});

test.run();
