// The LVS-NAT checklist (pure) on made-up facts: what only a shared segment, conntrack sync or a
// fwmark service brings, and the parsing of the ARP table and the nat rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lvsChecklist, formatChecklist } from '../../../src/diagnose/index.ts';
import type { LvsFacts } from '../../../src/diagnose/index.ts';
import { parseArpTable } from '../../../src/kernel/arp-table.ts';
import { load } from '../config/helpers.ts';

function cfg(o: { sync?: boolean; shared?: boolean } = {}): any {
  const c: any = {
    version: 1,
    interfaces: { ports: [{ name: 'eth0' }, { name: 'eth1' }] },
    addresses: [{ interface: 'eth0', static: ['203.0.113.1/24', '203.0.113.10/24'] }, { interface: 'eth1', static: ['198.51.100.1/24'] }],
    lvs: { virtual_services: [{ name: 'web', address: o.shared ? '198.51.100.10' : '203.0.113.10', port: 80, real_servers: [{ address: '198.51.100.11' }] }] },
  };
  if (o.shared) c.addresses[1].static.push('198.51.100.10/24');
  if (o.sync) c.sync = { interface: 'eth0', peer: '203.0.113.2' };
  const r = load(c);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

function facts(sysctls: Record<string, string>, o: Partial<LvsFacts> = {}): LvsFacts {
  return {
    sysctl: (n) => sysctls[n],
    addresses: [{ ifname: 'eth0', address: '203.0.113.10', prefixLength: 24 }, { ifname: 'eth1', address: '198.51.100.1', prefixLength: 24 }, { ifname: 'eth1', address: '198.51.100.10', prefixLength: 24 }],
    arp: new Map([['198.51.100.11', { complete: true, device: 'eth1' }]]),
    ports: new Map([['198.51.100.11:80', 'open' as const]]),
    natRules: ['*nat', '-A STOCKADE-POSTROUTING -s 198.51.100.0/24 -o eth0 -j MASQUERADE', 'COMMIT'],
    modules: new Set(),
    ...o,
  };
}

const fails = (lines: ReturnType<typeof lvsChecklist>) => lines.filter((l) => l.verdict === 'FAIL').map((l) => l.what);

test('a healthy director: every line OK', () => {
  assert.equal(fails(lvsChecklist(cfg(), facts({ 'net.ipv4.ip_forward': '1' }))), []);
});

test('clients and real servers on one segment: ICMP redirects must be off (seed Q.2/Q.3)', () => {
  const lines = lvsChecklist(cfg({ shared: true }), facts({ 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.send_redirects': '1', 'net.ipv4.conf.eth1.send_redirects': '1' }));
  assert.equal(fails(lines), ['ICMP redirects are sent on eth1, where clients and real servers share a segment']);
  assert.equal(fails(lvsChecklist(cfg({ shared: true }), facts({ 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.send_redirects': '0', 'net.ipv4.conf.eth1.send_redirects': '0' }))), []);
});

test('with conntrack sync: be_liberal is required', () => {
  assert.equal(fails(lvsChecklist(cfg({ sync: true }), facts({ 'net.ipv4.ip_forward': '1' }))), ['conntrack accepts synced TCP windows (nf_conntrack_tcp_be_liberal)']);
});

test('strict rp_filter through "all" counts (the kernel uses the higher of all and the device)', () => {
  const lines = lvsChecklist(cfg(), facts({ 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '1', 'net.ipv4.conf.eth1.rp_filter': '0' }));
  assert.equal(fails(lines), ['strict reverse-path filtering (rp_filter 1) on the client side eth0', 'strict reverse-path filtering (rp_filter 1) on the real servers\' side eth1']);
});

test('NAT rules: a MASQUERADE for another subnet does not count; unreadable rules are a SKIP, not a pass', () => {
  const other = lvsChecklist(cfg(), facts({ 'net.ipv4.ip_forward': '1' }, { natRules: ['-A POSTROUTING -s 192.0.2.0/24 -j MASQUERADE'] }));
  assert.equal(fails(other), ['no MASQUERADE or SNAT for the real servers\' own traffic (198.51.100.11)']);
  const unread = lvsChecklist(cfg(), facts({ 'net.ipv4.ip_forward': '1' }, { natRules: { error: 'iptables-save: not found' } }));
  assert.ok(unread.some((l) => l.verdict === 'SKIP' && /iptables-save: not found/.test(l.what)));
});

test('a real server that does not answer ARP gets no port line (its port says nothing more)', () => {
  const lines = lvsChecklist(cfg(), facts({ 'net.ipv4.ip_forward': '1' }, { arp: new Map(), ports: new Map([['198.51.100.11:80', 'timeout' as const]]) }));
  assert.equal(fails(lines), ['198.51.100.11 does not answer ARP on eth1']);
});

test('return path: the server answers the box but not the VIP (its gateway is elsewhere) -> FAIL naming the director as gateway', () => {
  const back = (answer: 'open' | 'timeout') => facts({ 'net.ipv4.ip_forward': '1' }, { ports: new Map([['198.51.100.11:80', 'open' as const], ['203.0.113.10 198.51.100.11:80', answer]]) });
  const good = lvsChecklist(cfg(), back('open'));
  assert.equal(fails(good), []);
  assert.ok(good.some((l) => l.verdict === 'OK' && l.what === '198.51.100.11:80 answers 203.0.113.10: its replies to clients come back through this box'));
  const bad = lvsChecklist(cfg(), back('timeout'));
  assert.equal(bad.filter((l) => l.verdict === 'FAIL').map((l) => [l.what, l.fix]), [[
    '198.51.100.11:80 answers this box but not the client side 203.0.113.10 (timeout): its replies to clients do not come back through this box',
    'Make this director (198.51.100.1) the default gateway of 198.51.100.11: LVS-NAT rewrites the replies only when they pass back through it.',
  ]]);
});

test('return path: when the box SNATs the client side towards the servers, the gateway does not matter (SKIP, not a false OK or FAIL)', () => {
  const natRules = ['*nat', '-A STOCKADE-POSTROUTING -s 198.51.100.0/24 -o eth0 -j MASQUERADE', '-A STOCKADE-POSTROUTING -s 203.0.113.0/24 -o eth1 -j SNAT --to-source 198.51.100.1', 'COMMIT'];
  const lines = lvsChecklist(cfg(), facts({ 'net.ipv4.ip_forward': '1' }, { natRules, ports: new Map([['198.51.100.11:80', 'open' as const], ['203.0.113.10 198.51.100.11:80', 'timeout' as const]]) }));
  assert.equal(fails(lines), []);
  assert.ok(lines.some((l) => l.verdict === 'SKIP' && l.what === '198.51.100.11:80: this box SNATs 203.0.113.10 on the way to it, so its replies come back whatever its gateway'));
  // A SNAT out of another interface does not count.
  const other = natRules.map((l) => l.replace('-o eth1', '-o eth0'));
  assert.equal(fails(lvsChecklist(cfg(), facts({ 'net.ipv4.ip_forward': '1' }, { natRules: other, ports: new Map([['198.51.100.11:80', 'open' as const], ['203.0.113.10 198.51.100.11:80', 'timeout' as const]]) }))).length, 1);
});

test('text: verdict, service, what; the fix on the next line', () => {
  const lines = lvsChecklist(cfg(), facts({}));
  assert.equal(formatChecklist(lines).slice(0, 2), ['FAIL IP forwarding (net.ipv4.ip_forward) is on', '     fix: Set "net.ipv4.ip_forward": 1 in the config\'s sysctls: without it nothing is forwarded to or from the real servers.']);
});

test('/proc/net/arp: complete and incomplete entries', () => {
  const t = parseArpTable('IP address       HW type     Flags       HW address            Mask     Device\n198.51.100.11    0x1         0x2         aa:bb:cc:dd:ee:01     *        eth1\n198.51.100.13    0x1         0x0         00:00:00:00:00:00     *        eth1\n');
  assert.equal([t.get('198.51.100.11')?.complete, t.get('198.51.100.13')?.complete, t.get('198.51.100.13')?.device], [true, false, 'eth1']);
});

test.run();
