// The fail-closed base ruleset against golden text: exactly what iptables-restore is given.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BASE_FIREWALL_MODULES, baseFirewallSpec, baseRuleset, describeBaseFirewall, ipv4FilterRules, lockdownTable,
} from '../../../src/firewall/base.ts';
import { loadConfigText } from '../../../src/config/load.ts';

const HEAD = `# stockade base firewall (fail-closed), loaded by stockade boot
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
`;

test('management interfaces with allowed sources: ping per interface, the API port per source', () => {
  const [v4, v6] = baseRuleset({ managementInterfaces: ['mgmt', 'bond0.10'], allowedSources: ['192.0.2.0/24', '198.51.100.7'], apiPort: 8443 });
  assert.equal({ family: v4!.family, table: v4!.table }, { family: 'ipv4', table: 'filter' });
  assert.fixture(
    v4!.text,
    HEAD +
      `-A INPUT -i mgmt -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -s 192.0.2.0/24 -i mgmt -p tcp -m tcp --dport 8443 -j ACCEPT
-A INPUT -s 198.51.100.7/32 -i mgmt -p tcp -m tcp --dport 8443 -j ACCEPT
-A INPUT -i bond0.10 -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -s 192.0.2.0/24 -i bond0.10 -p tcp -m tcp --dport 8443 -j ACCEPT
-A INPUT -s 198.51.100.7/32 -i bond0.10 -p tcp -m tcp --dport 8443 -j ACCEPT
COMMIT
`,
  );
  // IPv6: the same policies and no openings.
  assert.equal({ family: v6!.family, table: v6!.table }, { family: 'ipv6', table: 'filter' });
  assert.fixture(v6!.text, HEAD + 'COMMIT\n');
});

test('management interfaces without allowed sources: the API port from anywhere on them', () => {
  const [v4] = baseRuleset({ managementInterfaces: ['mgmt'], allowedSources: [], apiPort: 443 });
  assert.fixture(
    v4!.text,
    HEAD +
      `-A INPUT -i mgmt -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -i mgmt -p tcp -m tcp --dport 443 -j ACCEPT
COMMIT
`,
  );
});

test('no management interface: console only, nothing but loopback and replies gets in', () => {
  const [v4] = baseRuleset({ managementInterfaces: [], allowedSources: [], apiPort: 8443 });
  assert.fixture(v4!.text, HEAD + 'COMMIT\n');
  assert.is(describeBaseFirewall({ managementInterfaces: [], allowedSources: [], apiPort: 8443 }), 'nothing in (no management interface: console only)');
});

test('the lockdown table: policies and loopback only', () => {
  assert.fixture(
    lockdownTable('ipv4').text,
    `# stockade base firewall (fail-closed), loaded by stockade boot
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
COMMIT
`,
  );
  assert.is(lockdownTable('ipv6').family, 'ipv6');
});

test('each table text holds exactly one table and ends with COMMIT and a newline', () => {
  for (const t of baseRuleset({ managementInterfaces: ['a', 'b'], allowedSources: ['203.0.113.0/25'], apiPort: 1 })) {
    assert.equal(t.text.split('\n').filter((l) => l.startsWith('*')), ['*filter']);
    assert.ok(t.text.endsWith('\nCOMMIT\n'));
  }
});

test('the spec comes from the config: defaults fill the port', () => {
  const loaded = loadConfigText(JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'mgmt' }] }, management: { interfaces: ['mgmt'], allowed_sources: ['192.0.2.1'] } }));
  assert.ok(loaded.ok);
  if (!loaded.ok) return;
  const spec = baseFirewallSpec(loaded.config);
  assert.equal(spec, { managementInterfaces: ['mgmt'], allowedSources: ['192.0.2.1'], apiPort: 8443 });
  assert.equal(ipv4FilterRules(spec).slice(-1), ['-A INPUT -s 192.0.2.1/32 -i mgmt -p tcp -m tcp --dport 8443 -j ACCEPT']);
  assert.is(describeBaseFirewall(spec), 'tcp/8443 from 192.0.2.1 and ping in on mgmt');
});

test('a source that is not an IPv4 address or network is refused, not written', () => {
  assert.throws(() => baseRuleset({ managementInterfaces: ['mgmt'], allowedSources: ['192.0.2.1; -j ACCEPT'], apiPort: 8443 }), /not an IPv4 address/);
});

test('interface names and ports that do not belong in a rule are refused', () => {
  assert.throws(() => baseRuleset({ managementInterfaces: ['mgmt -j ACCEPT'], allowedSources: [], apiPort: 8443 }), /not an interface name/);
  assert.throws(() => baseRuleset({ managementInterfaces: ['mgmt'], allowedSources: [], apiPort: 0 }), /not a port/);
});

test('the modules the base rules need with the nf_tables backend: one per xtables match used', () => {
  assert.equal([...BASE_FIREWALL_MODULES], ['nf_tables', 'nft_compat', 'nf_conntrack', 'nft_ct', 'xt_conntrack', 'xt_tcpudp', 'ip_tables']);
  const text = baseRuleset({ managementInterfaces: ['mgmt'], allowedSources: [], apiPort: 1 }).map((t) => t.text).join('');
  const matches = [...new Set([...text.matchAll(/-m (\w+)/g)].map((m) => m[1]))].sort();
  // Each match here must have its module in the list above (a new match needs its module added).
  assert.equal(matches, ['conntrack', 'icmp', 'tcp']);
});

test.run();
