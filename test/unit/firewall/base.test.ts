// The fail-closed base ruleset `stockade boot` loads, against golden text: exactly what
// iptables-restore is given. Since issue 12 it carries the system rules the config needs (VRRP,
// sync, heartbeats, DHCP, management) in STOCKADE-INPUT, each rule tagged with its pointer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BASE_FIREWALL_MODULES, baseRuleset, describeBaseFirewall, lockdownTable } from '../../../src/firewall/index.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/generated/config.ts';

function config(doc: Record<string, unknown>): Config {
  const loaded = loadConfigText(JSON.stringify({ version: 1, ...doc }));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

const HEAD = `# stockade base firewall (fail-closed), loaded by stockade boot
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:STOCKADE-FORWARD - [0:0]
:STOCKADE-INPUT - [0:0]
-A INPUT -j STOCKADE-INPUT
-A FORWARD -j STOCKADE-FORWARD
-A STOCKADE-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "/firewall" -j ACCEPT
-A STOCKADE-FORWARD -m conntrack --ctstate INVALID -m comment --comment "/firewall" -j DROP
-A STOCKADE-INPUT -i lo -m comment --comment "/firewall" -j ACCEPT
-A STOCKADE-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "/firewall" -j ACCEPT
-A STOCKADE-INPUT -m conntrack --ctstate INVALID -m comment --comment "/firewall" -j DROP
-A STOCKADE-INPUT -p icmp -m icmp --icmp-type 3 -m comment --comment "/firewall" -j ACCEPT
-A STOCKADE-INPUT -p icmp -m icmp --icmp-type 11 -m comment --comment "/firewall" -j ACCEPT
`;

const V6 = `# stockade base firewall (fail-closed), loaded by stockade boot
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:STOCKADE-INPUT - [0:0]
-A INPUT -j STOCKADE-INPUT
-A STOCKADE-INPUT -i lo -m comment --comment "/firewall" -j ACCEPT
-A STOCKADE-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "/firewall" -j ACCEPT
-A STOCKADE-INPUT -m conntrack --ctstate INVALID -m comment --comment "/firewall" -j DROP
COMMIT
`;

const PORTS = { interfaces: { ports: [{ name: 'mgmt' }, { name: 'wan' }, { name: 'lan' }, { name: 'sync' }] } };
/** An OpenSSH public key (ssh-keygen -t ed25519): with one, SSH runs and its port is opened. */
const KEYS = ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKtXqLSihHJzSa1sMHJzNh1TiMhIGWeFp8O9fAtCgbT0 admin@laptop'];
const SYNC_ADDRESS = { addresses: [{ interface: 'sync', static: ['198.51.100.1/30'] }] };

test('management interfaces with allowed sources: ping per interface, the SSH port per source', () => {
  const [v4, v6] = baseRuleset(config({
    interfaces: { ports: [{ name: 'mgmt' }], vlans: [{ name: 'bond0.10', parent: 'mgmt', id: 10 }] },
    management: { interfaces: ['mgmt', 'bond0.10'], allowed_sources: ['192.0.2.0/24', '198.51.100.7'], ssh_authorized_keys: KEYS },
  }));
  assert.equal({ family: v4!.family, table: v4!.table }, { family: 'ipv4', table: 'filter' });
  assert.fixture(
    v4!.text,
    HEAD +
      `-A STOCKADE-INPUT -i mgmt -p icmp -m icmp --icmp-type 8 -m comment --comment "/management" -j ACCEPT
-A STOCKADE-INPUT -s 192.0.2.0/24 -i mgmt -p tcp -m tcp --dport 22 -m comment --comment "/management/ssh_port" -j ACCEPT
-A STOCKADE-INPUT -s 198.51.100.7/32 -i mgmt -p tcp -m tcp --dport 22 -m comment --comment "/management/ssh_port" -j ACCEPT
-A STOCKADE-INPUT -i bond0.10 -p icmp -m icmp --icmp-type 8 -m comment --comment "/management" -j ACCEPT
-A STOCKADE-INPUT -s 192.0.2.0/24 -i bond0.10 -p tcp -m tcp --dport 22 -m comment --comment "/management/ssh_port" -j ACCEPT
-A STOCKADE-INPUT -s 198.51.100.7/32 -i bond0.10 -p tcp -m tcp --dport 22 -m comment --comment "/management/ssh_port" -j ACCEPT
COMMIT
`,
  );
  // IPv6: the same policies and no openings.
  assert.equal({ family: v6!.family, table: v6!.table }, { family: 'ipv6', table: 'filter' });
  assert.fixture(v6!.text, V6);
});

test('management interfaces without allowed sources: the SSH port from anywhere on them; without a key, no SSH port', () => {
  assert.not.match(baseRuleset(config({ ...PORTS, management: { interfaces: ['mgmt'], api_port: 443 } }))[0]!.text, /-p tcp/, 'nothing listens on api_port');
  const [v4] = baseRuleset(config({ ...PORTS, management: { interfaces: ['mgmt'], ssh_port: 443, ssh_authorized_keys: KEYS } }));
  assert.fixture(
    v4!.text,
    HEAD +
      `-A STOCKADE-INPUT -i mgmt -p icmp -m icmp --icmp-type 8 -m comment --comment "/management" -j ACCEPT
-A STOCKADE-INPUT -i mgmt -p tcp -m tcp --dport 443 -m comment --comment "/management/ssh_port" -j ACCEPT
COMMIT
`,
  );
});

test('no management interface: console only, nothing but loopback, replies and ICMP errors gets in', () => {
  const c = config({});
  assert.fixture(baseRuleset(c)[0]!.text, HEAD + 'COMMIT\n');
  assert.is(describeBaseFirewall(c), 'nothing in (no management interface: console only)');
});

test('the HA pair: VRRP adverts per instance, sync from the peer, heartbeats, DHCP renewals; user rules, NAT and preload wait for the daemon', () => {
  const c = config({
    ...PORTS,
    addresses: [{ interface: 'wan', dhcp: true }, { interface: 'lan', static: ['192.0.2.2/24'] }, { interface: 'sync', static: ['198.51.100.1/30'] }],
    vrrp: {
      instances: [
        { name: 'lan', interface: 'lan', vrid: 1, vips: ['192.0.2.1/24'] },
        { name: 'uni', interface: 'lan', vrid: 2, vips: ['192.0.2.3/24'], unicast_peers: ['192.0.2.4'] },
        { name: 'mac', interface: 'lan', vrid: 3, vips: ['192.0.2.5/24'], use_vmac: true },
      ],
      accelerated_failover: { interface: 'sync', peer: '198.51.100.2' },
    },
    sync: { interface: 'sync', peer: '198.51.100.2', vrrp_group: 'lan' },
    firewall: { rules: [{ chain: 'input', action: 'accept', protocol: 'tcp', destination_ports: [22] }], nat: [{ type: 'masquerade', out_interface: 'wan' }], preload: { filter: ['-A INPUT -j DROP'] } },
  });
  const tables = baseRuleset(c);
  assert.equal(tables.map((t) => `${t.family} ${t.table}`), ['ipv4 filter', 'ipv6 filter']);
  assert.fixture(
    tables[0]!.text,
    HEAD +
      `-A STOCKADE-INPUT -d 224.0.0.18/32 -i lan -p 112 -m comment --comment "/vrrp/instances/0" -j ACCEPT
-A STOCKADE-INPUT -s 192.0.2.4/32 -i lan -p 112 -m comment --comment "/vrrp/instances/1" -j ACCEPT
-A STOCKADE-INPUT -d 224.0.0.18/32 -i lan -p 112 -m comment --comment "/vrrp/instances/2" -j ACCEPT
-A STOCKADE-INPUT -d 224.0.0.18/32 -i vrrp.3 -p 112 -m comment --comment "/vrrp/instances/2" -j ACCEPT
-A STOCKADE-INPUT -s 198.51.100.2/32 -i sync -p udp -m udp --dport 3780 -m comment --comment "/sync" -j ACCEPT
-A STOCKADE-INPUT -s 198.51.100.2/32 -i sync -p udp -m udp --dport 3781 -m comment --comment "/vrrp/accelerated_failover" -j ACCEPT
-A STOCKADE-INPUT -i wan -p udp -m udp --sport 67 --dport 68 -m comment --comment "/addresses/0/dhcp" -j ACCEPT
COMMIT
`,
  );
  assert.is(describeBaseFirewall(c), 'nothing in (no management interface: console only); VRRP on lan; sync on sync; heartbeats on sync; DHCP on wan');
});

test('multicast sync: from the group on the sync interface; disabled or statistics-only sync: nothing', () => {
  const multicast = config({ ...PORTS, ...SYNC_ADDRESS, sync: { interface: 'sync', transport: 'multicast' } });
  assert.ok(baseRuleset(multicast)[0]!.text.includes('-A STOCKADE-INPUT -d 225.0.0.50/32 -i sync -p udp -m udp --dport 3780 -m comment --comment "/sync" -j ACCEPT\n'));
  for (const sync of [{ interface: 'sync', peer: '198.51.100.2', enabled: false }, { interface: 'sync', peer: '198.51.100.2', stats_only: true }]) {
    assert.not.match(baseRuleset(config({ ...PORTS, ...SYNC_ADDRESS, sync }))[0]!.text, /\/sync/);
  }
});

/** A director's services: NAT with a sorry server and a disabled server, UDP, DR, a firewall mark, SCTP; IPVS sync. */
const LVS = {
  virtual_services: [
    { name: 'web', address: '192.0.2.1', port: 80, health_check: { type: 'tcp', sorry_server: { address: '198.51.100.99' } },
      real_servers: [{ address: '198.51.100.10', port: 8080 }, { address: '198.51.100.11' }, { address: '198.51.100.12', enabled: false }] },
    { name: 'dns', address: '192.0.2.1', protocol: 'udp', port: 53, health_check: { type: 'none' }, real_servers: [{ address: '198.51.100.10' }] },
    { name: 'direct', address: '192.0.2.1', port: 443, method: 'dr', health_check: { type: 'none' }, real_servers: [{ address: '198.51.100.20' }] },
    { name: 'marked', fwmark: 5, health_check: { type: 'none' }, real_servers: [{ address: '198.51.100.21' }] },
    { name: 'diameter', address: '192.0.2.1', protocol: 'sctp', port: 3868, health_check: { type: 'none' }, real_servers: [{ address: '198.51.100.23' }] },
  ],
  sync: { interface: 'sync' },
};
/** Where LVS above can be: the VIP on lan, the real servers on wan. */
const DIRECTOR = {
  ...PORTS,
  addresses: [{ interface: 'lan', static: ['192.0.2.2/24'] }, { interface: 'wan', static: ['198.51.100.2/24'] }, { interface: 'sync', static: ['203.0.113.1/30'] }],
  vrrp: { instances: [{ name: 'lan', interface: 'lan', vrid: 51, vips: ['192.0.2.1/24'] }] },
};

test('LVS: each virtual service in INPUT, NAT real servers\' replies (and the sorry server\'s) in FORWARD, the IPVS sync multicast; in the boot firewall', () => {
  const c = config({ ...DIRECTOR, lvs: LVS });
  const text = baseRuleset(c)[0]!.text;
  const input = text.split('\n').filter((l) => l.startsWith('-A STOCKADE-INPUT') && l.includes('/lvs/'));
  assert.equal(input, [
    '-A STOCKADE-INPUT -d 192.0.2.1/32 -p tcp -m tcp --dport 80 -m comment --comment "/lvs/virtual_services/0" -j ACCEPT',
    '-A STOCKADE-INPUT -d 192.0.2.1/32 -p udp -m udp --dport 53 -m comment --comment "/lvs/virtual_services/1" -j ACCEPT',
    '-A STOCKADE-INPUT -d 192.0.2.1/32 -p tcp -m tcp --dport 443 -m comment --comment "/lvs/virtual_services/2" -j ACCEPT',
    '-A STOCKADE-INPUT -m mark --mark 0x5 -m comment --comment "/lvs/virtual_services/3" -j ACCEPT',
    '-A STOCKADE-INPUT -d 192.0.2.1/32 -p sctp -m comment --comment "/lvs/virtual_services/4" -j ACCEPT',
    '-A STOCKADE-INPUT -d 224.0.0.81/32 -i sync -p udp -m udp --dport 8848 -m comment --comment "/lvs/sync" -j ACCEPT',
  ]);
  const forward = text.split('\n').filter((l) => l.startsWith('-A STOCKADE-FORWARD'));
  assert.equal(forward, [
    '-A STOCKADE-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "/firewall" -j ACCEPT',
    '-A STOCKADE-FORWARD -m conntrack --ctstate INVALID -m comment --comment "/firewall" -j DROP',
    '-A STOCKADE-FORWARD -s 198.51.100.10/32 -p tcp -m tcp --sport 8080 -m comment --comment "/lvs/virtual_services/0/real_servers/0" -j ACCEPT',
    '-A STOCKADE-FORWARD -s 198.51.100.11/32 -p tcp -m tcp --sport 80 -m comment --comment "/lvs/virtual_services/0/real_servers/1" -j ACCEPT',
    '-A STOCKADE-FORWARD -s 198.51.100.99/32 -p tcp -m tcp --sport 80 -m comment --comment "/lvs/virtual_services/0/health_check/sorry_server" -j ACCEPT',
    '-A STOCKADE-FORWARD -s 198.51.100.10/32 -p udp -m udp --sport 53 -m comment --comment "/lvs/virtual_services/1/real_servers/0" -j ACCEPT',
    '-A STOCKADE-FORWARD -s 198.51.100.21/32 -m comment --comment "/lvs/virtual_services/3/real_servers/0" -j ACCEPT',
    '-A STOCKADE-FORWARD -s 198.51.100.23/32 -p sctp -m comment --comment "/lvs/virtual_services/4/real_servers/0" -j ACCEPT',
  ], 'DR servers answer the client directly; a disabled server gets nothing');
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
  for (const t of baseRuleset(config({ ...PORTS, management: { interfaces: ['mgmt', 'wan'], allowed_sources: ['203.0.113.0/25'] } }))) {
    assert.equal(t.text.split('\n').filter((l) => l.startsWith('*')), ['*filter']);
    assert.ok(t.text.endsWith('\nCOMMIT\n'));
  }
});

test('the description names what is open', () => {
  assert.is(describeBaseFirewall(config({ ...PORTS, management: { interfaces: ['mgmt'], allowed_sources: ['192.0.2.1'], ssh_authorized_keys: KEYS } })), 'SSH tcp/22 from 192.0.2.1 and ping in on mgmt');
  assert.is(describeBaseFirewall(config({ ...PORTS, management: { interfaces: ['mgmt'], allowed_sources: ['192.0.2.1'] } })), 'ping in on mgmt (no SSH: no management.ssh_authorized_keys)');
});

test('a source or interface that does not belong in a rule is refused, not written', () => {
  const c = config({ ...PORTS, management: { interfaces: ['mgmt'], ssh_authorized_keys: KEYS } });
  assert.throws(() => baseRuleset({ ...c, management: { ...c.management, allowed_sources: ['192.0.2.1; -j ACCEPT'] } }), /not an IPv4 address/);
  assert.throws(() => baseRuleset({ ...c, management: { ...c.management, interfaces: ['mgmt -j ACCEPT'] } }), /not an interface name/);
  assert.throws(() => baseRuleset({ ...c, management: { ...c.management, ssh_port: 0 } }), /not a port/);
});

test('the modules the base rules need with the nf_tables backend: one per xtables match used', () => {
  assert.equal([...BASE_FIREWALL_MODULES], ['nf_tables', 'nft_compat', 'nf_conntrack', 'nft_ct', 'xt_conntrack', 'xt_tcpudp', 'xt_comment', 'ip_tables', 'xt_mark']);
  const c = config({ ...DIRECTOR, management: { interfaces: ['mgmt'], ssh_authorized_keys: KEYS }, addresses: [...DIRECTOR.addresses, { interface: 'mgmt', dhcp: true }], sync: { interface: 'sync', peer: '203.0.113.2', vrrp_group: 'lan' }, lvs: LVS });
  const text = baseRuleset(c).map((t) => t.text).join('');
  const matches = [...new Set([...text.matchAll(/-m (\w+)/g)].map((m) => m[1]))].sort();
  // Each match here must have its module in the list above (a new match needs its module added).
  assert.equal(matches, ['comment', 'conntrack', 'icmp', 'mark', 'tcp', 'udp']);
});

test.run();
