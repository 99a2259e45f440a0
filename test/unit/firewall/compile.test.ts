// The full ruleset compiler against golden text, one case per rule kind and per system-rule
// source: exactly what iptables-save prints back (checked in the lab by test/lab/firewall).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileRuleset, FirewallConfigError, type FwTable } from '../../../src/firewall/index.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/generated/config.ts';

function config(doc: Record<string, unknown>): Config {
  const loaded = loadConfigText(JSON.stringify({ version: 1, ...doc }));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

const BASE = {
  interfaces: { ports: [{ name: 'lan' }, { name: 'wan' }, { name: 'dmz' }] },
  addresses: [{ interface: 'lan', static: ['192.0.2.1/24'] }, { interface: 'wan', static: ['203.0.113.2/24'] }, { interface: 'dmz', static: ['198.51.100.1/24'] }],
};

function table(c: Config, family: string, name: string): FwTable {
  return compileRuleset(c, { scope: 'full' }).tables.find((t) => t.family === family && t.table === name)!;
}

/** "CHAIN spec" lines of the given chains. */
function lines(t: FwTable, ...chains: string[]): string[] {
  return t.chains.filter((c) => chains.includes(c.name)).flatMap((c) => c.rules.map((r) => `${c.name} ${r.spec}`));
}

test('filter rules: every field, ports single and multiple, ranges, states, reject per protocol, log, disabled', () => {
  const c = config({
    ...BASE,
    firewall: {
      rules: [
        { chain: 'input', action: 'accept', protocol: 'tcp', source: '192.0.2.0/24', in_interface: 'lan', destination_ports: [22] },
        { chain: 'input', action: 'reject', protocol: 'tcp', source_ports: [1024, '2000-2010'], destination_ports: ['8000-8080', 9000] },
        { chain: 'input', action: 'reject', protocol: 'udp', destination: '192.0.2.1', states: ['established', 'new'] },
        { chain: 'forward', action: 'drop', in_interface: 'wan', out_interface: 'lan', protocol: 'gre', log: true },
        { chain: 'output', action: 'accept', protocol: 'vrrp', out_interface: 'lan', enabled: false },
        { chain: 'output', action: 'drop', protocol: 'sctp', destination_ports: [5000] },
      ],
    },
  });
  const t = table(c, 'ipv4', 'filter');
  assert.equal(lines(t, 'STOCKADE-IN-0', 'STOCKADE-FWD-0', 'STOCKADE-OUT-0'), [
    'STOCKADE-IN-0 -s 192.0.2.0/24 -i lan -p tcp -m tcp --dport 22 -m comment --comment "/firewall/rules/0" -j ACCEPT',
    'STOCKADE-IN-0 -p tcp -m multiport --sports 1024,2000:2010 -m multiport --dports 8000:8080,9000 -m comment --comment "/firewall/rules/1" -j REJECT --reject-with tcp-reset',
    'STOCKADE-IN-0 -d 192.0.2.1/32 -p udp -m conntrack --ctstate NEW,ESTABLISHED -m comment --comment "/firewall/rules/2" -j REJECT --reject-with icmp-port-unreachable',
    'STOCKADE-FWD-0 -i wan -o lan -p 47 -m limit --limit 5/min -m comment --comment "/firewall/rules/3" -j LOG --log-prefix "stk /firewall/rules/3 "',
    'STOCKADE-FWD-0 -i wan -o lan -p 47 -m comment --comment "/firewall/rules/3" -j DROP',
    'STOCKADE-OUT-0 -p sctp -m sctp --dport 5000 -m comment --comment "/firewall/rules/5" -j DROP',
  ]);
  // The built-in chains jump to stockade's, which hold the system rules and then the chunks.
  assert.equal(lines(t, 'INPUT', 'FORWARD', 'OUTPUT'), ['INPUT -j STOCKADE-INPUT', 'FORWARD -j STOCKADE-FORWARD', 'OUTPUT -j STOCKADE-OUTPUT']);
  assert.equal(t.chains.find((x) => x.name === 'STOCKADE-OUTPUT')!.rules.map((r) => r.spec), ['-j STOCKADE-OUT-0'], 'output accepts: no system openings');
  assert.equal(t.chains.filter((x) => x.policy).map((x) => `${x.name} ${x.policy}`), ['INPUT DROP', 'FORWARD DROP', 'OUTPUT ACCEPT']);
});

test('policies and log_dropped: a drop policy logs last in its chain; an output drop policy opens what the box sends', () => {
  const c = config({
    ...BASE,
    addresses: [...BASE.addresses.slice(0, 2), { interface: 'dmz', dhcp: true }],
    vrrp: { instances: [{ name: 'v', interface: 'lan', vrid: 9, vips: ['192.0.2.9/24'] }] },
    firewall: { policy: { input: 'drop', forward: 'accept', output: 'drop' }, log_dropped: true },
  });
  const t = table(c, 'ipv4', 'filter');
  assert.equal(lines(t, 'STOCKADE-OUTPUT'), [
    'STOCKADE-OUTPUT -o lo -m comment --comment "/firewall" -j ACCEPT',
    'STOCKADE-OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "/firewall" -j ACCEPT',
    'STOCKADE-OUTPUT -d 224.0.0.18/32 -o lan -p 112 -m comment --comment "/vrrp/instances/0" -j ACCEPT',
    'STOCKADE-OUTPUT -o dmz -p udp -m udp --sport 68 --dport 67 -m comment --comment "/addresses/2/dhcp" -j ACCEPT',
    'STOCKADE-OUTPUT -m limit --limit 5/min -m comment --comment "/firewall/log_dropped" -j LOG --log-prefix "stk drop OUTPUT "',
  ]);
  assert.equal(lines(t, 'STOCKADE-INPUT').slice(-1), ['STOCKADE-INPUT -m limit --limit 5/min -m comment --comment "/firewall/log_dropped" -j LOG --log-prefix "stk drop INPUT "']);
  assert.not.ok(lines(t, 'STOCKADE-FORWARD').some((l) => l.includes('LOG')), 'forward accepts: nothing dropped to log');
  assert.equal(t.chains.filter((x) => x.policy).map((x) => `${x.name} ${x.policy}`), ['INPUT DROP', 'FORWARD ACCEPT', 'OUTPUT DROP']);
});

test('segments: new connections from each allowed segment\'s interfaces into the segment, after the user\'s rules', () => {
  const c = config({
    ...BASE,
    firewall: { rules: [{ chain: 'forward', action: 'drop', in_interface: 'dmz' }] },
    segments: [{ name: 'inside', interfaces: ['lan'] }, { name: 'outside', interfaces: ['wan'], allow_from: ['inside', 'servers'] }, { name: 'servers', interfaces: ['dmz'] }],
  });
  assert.equal(lines(table(c, 'ipv4', 'filter'), 'STOCKADE-FORWARD'), [
    'STOCKADE-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "/firewall" -j ACCEPT',
    'STOCKADE-FORWARD -m conntrack --ctstate INVALID -m comment --comment "/firewall" -j DROP',
    'STOCKADE-FORWARD -j STOCKADE-FWD-0',
    'STOCKADE-FORWARD -i lan -o wan -m comment --comment "/segments/1/allow_from/0" -j ACCEPT',
    'STOCKADE-FORWARD -i dmz -o wan -m comment --comment "/segments/1/allow_from/1" -j ACCEPT',
  ]);
});

test('NAT: masquerade, SNAT to a VIP, DNAT port forward, 1:1 both ways with hairpin; forwarded DNAT traffic let through', () => {
  const c = config({
    ...BASE,
    vrrp: { instances: [{ name: 'w', interface: 'wan', vrid: 1, vips: ['203.0.113.1/24'] }] },
    firewall: {
      nat: [
        { type: 'masquerade', source: '192.0.2.0/24', out_interface: 'wan' },
        { type: 'snat', source: '198.51.100.0/24', out_interface: 'wan', to_address: '203.0.113.1' },
        { type: 'dnat', in_interface: 'wan', protocol: 'tcp', destination: '203.0.113.1', destination_ports: [80, 443], to_address: '198.51.100.10', to_port: 8080 },
        { type: 'one_to_one', source: '192.0.2.20', to_address: '203.0.113.20', out_interface: 'wan' },
      ],
    },
  });
  const nat = table(c, 'ipv4', 'nat');
  assert.equal(lines(nat, 'PREROUTING', 'POSTROUTING', 'STOCKADE-PREROUTING', 'STOCKADE-POSTROUTING', 'STOCKADE-DNAT-0', 'STOCKADE-SNAT-0'), [
    'PREROUTING -j STOCKADE-PREROUTING',
    'POSTROUTING -j STOCKADE-POSTROUTING',
    'STOCKADE-PREROUTING -j STOCKADE-DNAT-0',
    'STOCKADE-DNAT-0 -d 203.0.113.1/32 -i wan -p tcp -m multiport --dports 80,443 -m comment --comment "/firewall/nat/2" -j DNAT --to-destination 198.51.100.10:8080',
    'STOCKADE-DNAT-0 -d 203.0.113.20/32 -m comment --comment "/firewall/nat/3" -j DNAT --to-destination 192.0.2.20',
    'STOCKADE-POSTROUTING -j STOCKADE-SNAT-0',
    'STOCKADE-SNAT-0 -s 192.0.2.0/24 -o wan -m comment --comment "/firewall/nat/0" -j MASQUERADE',
    'STOCKADE-SNAT-0 -s 198.51.100.0/24 -o wan -m comment --comment "/firewall/nat/1" -j SNAT --to-source 203.0.113.1',
    'STOCKADE-SNAT-0 -s 192.0.2.20/32 -o wan -m comment --comment "/firewall/nat/3" -j SNAT --to-source 203.0.113.20',
    'STOCKADE-SNAT-0 -s 192.0.2.0/24 -d 192.0.2.20/32 -o lan -m conntrack --ctstate DNAT -m comment --comment "/firewall/nat/3" -j MASQUERADE',
  ]);
  assert.ok(lines(table(c, 'ipv4', 'filter'), 'STOCKADE-FORWARD').includes('STOCKADE-FORWARD -m conntrack --ctstate DNAT -m comment --comment "/firewall/nat" -j ACCEPT'));
});

test('conntrack helpers: CT in the raw table (PREROUTING, and OUTPUT for the box\'s own), their modules', () => {
  const c = config({ ...BASE, firewall: { helpers: [{ helper: 'ftp' }, { helper: 'ftp', port: 2121, in_interface: 'lan', destination: '203.0.113.0/24' }] } });
  const rs = compileRuleset(c, { scope: 'full' });
  const raw = rs.tables.find((t) => t.table === 'raw')!;
  assert.equal(lines(raw, 'PREROUTING', 'OUTPUT', 'STOCKADE-PREROUTING', 'STOCKADE-OUTPUT'), [
    'PREROUTING -j STOCKADE-PREROUTING',
    'OUTPUT -j STOCKADE-OUTPUT',
    'STOCKADE-PREROUTING -p tcp -m tcp --dport 21 -m comment --comment "/firewall/helpers/0" -j CT --helper ftp',
    'STOCKADE-PREROUTING -d 203.0.113.0/24 -i lan -p tcp -m tcp --dport 2121 -m comment --comment "/firewall/helpers/1" -j CT --helper ftp',
    'STOCKADE-OUTPUT -p tcp -m tcp --dport 21 -m comment --comment "/firewall/helpers/0" -j CT --helper ftp',
  ]);
  assert.equal([...rs.modules].sort(), ['nf_conntrack_ftp', 'nf_nat_ftp', 'xt_CT']);
});

test('preload: kept first in their chains, -I placed where the kernel puts it, the admin\'s own chains declared', () => {
  const c = config({
    ...BASE,
    firewall: { preload: { filter: ['-A INPUT -s 192.0.2.66/32 -j DROP', '-I INPUT -i wan -j MINE', '-A MINE -p tcp -j ACCEPT'], mangle: ['-A PREROUTING -j MARK --set-xmark 0x1/0xffffffff'] } },
  });
  const t = table(c, 'ipv4', 'filter');
  assert.equal(lines(t, 'INPUT', 'MINE'), ['INPUT -i wan -j MINE', 'INPUT -s 192.0.2.66/32 -j DROP', 'INPUT -j STOCKADE-INPUT', 'MINE -p tcp -j ACCEPT']);
  assert.equal(t.chains.find((x) => x.name === 'INPUT')!.rules.map((r) => r.pointer), ['/firewall/preload/filter/1', '/firewall/preload/filter/0', '/firewall']);
  assert.equal(lines(table(c, 'ipv4', 'mangle'), 'PREROUTING'), ['PREROUTING -j MARK --set-xmark 0x1/0xffffffff']);
});

test('preload lines that cannot be placed: a clear error naming the line; also a config error', () => {
  const bad = { ...BASE, firewall: { preload: { filter: ['-A STOCKADE-INPUT -j ACCEPT', '-I INPUT 3 -j ACCEPT'] } } };
  const loaded = loadConfigText(JSON.stringify({ version: 1, ...bad }));
  assert.not.ok(loaded.ok);
  if (loaded.ok) return;
  assert.equal(loaded.errors.map((e) => e.pointer), ['/firewall/preload/filter/0', '/firewall/preload/filter/1']);
  assert.match(loaded.errors[0]!.expected, /stockade's own chain/);
  assert.match(loaded.errors[1]!.expected, /-I INPUT 3: the chain has 0 rules before this line/);
  const good = config(BASE);
  assert.throws(() => compileRuleset({ ...good, firewall: { ...good.firewall, preload: { ...good.firewall.preload, filter: ['-A STOCKADE-X -j ACCEPT'] } } }, { scope: 'full' }), (e: unknown) => e instanceof FirewallConfigError && /\/firewall\/preload\/filter\/0/.test(e.message));
});

test('1:1 NAT takes one host whole: a network, ports or a protocol are config errors', () => {
  const loaded = loadConfigText(JSON.stringify({ version: 1, ...BASE, firewall: { nat: [{ type: 'one_to_one', source: '192.0.2.0/24', to_address: '203.0.113.20', protocol: 'tcp', destination_ports: [80] }] } }));
  assert.not.ok(loaded.ok);
  if (loaded.ok) return;
  assert.equal(loaded.errors.map((e) => e.pointer).sort(), ['/firewall/nat/0/destination_ports', '/firewall/nat/0/out_interface', '/firewall/nat/0/protocol', '/firewall/nat/0/source']);
});

test('user rules are cut into chunk chains of chunkSize, jumped to in order', () => {
  const rules = Array.from({ length: 5 }, (_, i) => ({ chain: 'input', action: 'accept', protocol: 'tcp', destination_ports: [1000 + i] }));
  const t = compileRuleset(config({ ...BASE, firewall: { rules } }), { scope: 'full', chunkSize: 2 }).tables[0]!;
  assert.equal(lines(t, 'STOCKADE-INPUT').filter((l) => l.includes('-j STOCKADE-IN-')), ['STOCKADE-INPUT -j STOCKADE-IN-0', 'STOCKADE-INPUT -j STOCKADE-IN-1', 'STOCKADE-INPUT -j STOCKADE-IN-2']);
  assert.equal(['STOCKADE-IN-0', 'STOCKADE-IN-1', 'STOCKADE-IN-2'].map((n) => t.chains.find((x) => x.name === n)!.rules.length), [2, 2, 1]);
});

test('LVS with a dropping OUTPUT: what IPVS and the checks send to each real server, and the sync multicast, go out', () => {
  const c = config({
    ...BASE,
    firewall: { policy: { output: 'drop' } },
    vrrp: { instances: [{ name: 'lan', interface: 'lan', vrid: 1, vips: ['192.0.2.10/24'] }] },
    lvs: {
      virtual_services: [{ name: 'web', address: '192.0.2.10', port: 80, health_check: { type: 'tcp' }, real_servers: [{ address: '198.51.100.10', port: 8080 }, { address: '198.51.100.11', enabled: false }] }],
      sync: { interface: 'dmz', vrrp: 'lan' },
    },
  });
  assert.equal(lines(table(c, 'ipv4', 'filter'), 'STOCKADE-OUTPUT').filter((l) => l.includes('/lvs/')), [
    'STOCKADE-OUTPUT -d 198.51.100.10/32 -m comment --comment "/lvs/virtual_services/0/real_servers/0" -j ACCEPT',
    'STOCKADE-OUTPUT -d 224.0.0.81/32 -o dmz -p udp -m udp --dport 8848 -m comment --comment "/lvs/sync" -j ACCEPT',
  ]);
});

test('IPv6: drop policies, loopback and replies only, whatever the config says', () => {
  const c = config({ ...BASE, firewall: { policy: { input: 'accept', forward: 'accept' }, rules: [{ chain: 'input', action: 'accept' }] } });
  const v6 = table(c, 'ipv6', 'filter');
  assert.equal(v6.chains.filter((x) => x.policy).map((x) => `${x.name} ${x.policy}`), ['INPUT DROP', 'FORWARD DROP', 'OUTPUT ACCEPT']);
  assert.equal(lines(v6, 'STOCKADE-INPUT').length, 3);
});

test.run();
