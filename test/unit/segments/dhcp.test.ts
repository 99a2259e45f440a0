import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dhcpByInterface, dhcpdConfig, dhcpServers, parseDnsmasqLeases, parseLeases, udhcpdConfig } from '../../../src/segments/index.ts';
import { config, novlan } from './fixture.ts';

const files = { leaseFile: '/run/stockade/dhcpd/g10.leases', pidFile: '/run/stockade/dhcpd/g10.pid' };

test('one udhcpd per served interface: each managed group, the static segment', () => {
  assert.equal(dhcpServers(config()).map((s) => `${s.interface} ${s.subnet} ${s.router} ${s.first}-${s.last}`), [
    'g10 198.51.100.0/26 198.51.100.1 198.51.100.2-198.51.100.62',
    'g11 198.51.100.64/26 198.51.100.65 198.51.100.66-198.51.100.126',
    // Static: the router is the box's own address on the interface when none is given.
    'lan 192.0.2.0/24 192.0.2.1 192.0.2.2-192.0.2.254',
  ]);
});

test('udhcpd.conf: interface, range, files, options and the fixed MAC -> IP map', () => {
  assert.is(udhcpdConfig(dhcpServers(config())[0]!, files), [
    '# stockade: /segments/0/groups/0 (segment cloud, group web); generated, edits are overwritten',
    'interface g10', 'start 198.51.100.2', 'end 198.51.100.62', 'max_leases 61',
    'lease_file /run/stockade/dhcpd/g10.leases', 'pidfile /run/stockade/dhcpd/g10.pid', 'auto_time 60',
    'opt subnet 255.255.255.192', 'opt router 198.51.100.1', 'opt dns 192.0.2.53', 'opt lease 1200',
    'static_lease 02:00:00:00:0a:01 198.51.100.2', 'static_lease 02:00:00:00:0a:02 198.51.100.3', '',
  ].join('\n'));
});

test('lease file: written time + 36-byte records, seconds left relative to it', () => {
  const b = Buffer.alloc(8 + 36 * 2);
  b.writeBigUInt64BE(1_000_000n, 0);
  b.writeUInt32BE(600, 8);
  b.writeUInt32BE(0xc6336402, 12); // 198.51.100.2
  Buffer.from([2, 0, 0, 0, 0x0a, 1]).copy(b, 16);
  b.write('web1', 22, 'latin1');
  // The second record has no address: an empty slot.
  assert.equal(parseLeases(b), [{ mac: '02:00:00:00:0a:01', ip: '198.51.100.2', hostname: 'web1', expires: 1_000_600 }]);
});

test('managed_novlan: one dnsmasq on the shared interface, a tagged static range and router per group', () => {
  const servers = dhcpByInterface(dhcpServers(config(novlan())));
  assert.equal([...servers.keys()], ['trunk', 'lan']);
  assert.equal(servers.get('lan')!.map((s) => s.program), ['udhcpd']);
  const files = { leaseFile: '/run/stockade/dhcpd/trunk.leases', pidFile: '/run/stockade/dhcpd/trunk.pid' };
  assert.is(dhcpdConfig(servers.get('trunk')!, files), [
    '# stockade: /segments/0 (segment cloud); generated, edits are overwritten',
    'interface=trunk', 'bind-interfaces', 'port=0', 'no-resolv', 'no-hosts', 'dhcp-authoritative', 'user=root',
    'dhcp-leasefile=/run/stockade/dhcpd/trunk.leases', 'pid-file=/run/stockade/dhcpd/trunk.pid',
    '# /segments/0/groups/0 (group web)',
    'dhcp-range=set:g0,198.51.100.0,static,255.255.255.192,1200',
    'dhcp-option=tag:g0,option:router,198.51.100.1',
    'dhcp-option=tag:g0,option:dns-server,192.0.2.53',
    'dhcp-host=02:00:00:00:0a:01,198.51.100.2', 'dhcp-host=02:00:00:00:0a:02,198.51.100.3',
    '# /segments/0/groups/1 (group db)',
    'dhcp-range=set:g1,198.51.100.64,static,255.255.255.192,1200',
    'dhcp-option=tag:g1,option:router,198.51.100.65',
    'dhcp-option=tag:g1,option:dns-server,192.0.2.53',
    'dhcp-host=02:00:00:00:0b:01,198.51.100.66', '',
  ].join('\n'));
});

test("dnsmasq's lease file: a line per lease; anything else skipped", () => {
  const file = Buffer.from('1700000600 02:00:00:00:0A:01 198.51.100.2 web1 01:02:00:00:00:0a:01\n1700000700 02:00:00:00:0b:01 198.51.100.66 * *\ngarbage\n');
  assert.equal(parseDnsmasqLeases(file), [
    { mac: '02:00:00:00:0a:01', ip: '198.51.100.2', hostname: 'web1', expires: 1700000600 },
    { mac: '02:00:00:00:0b:01', ip: '198.51.100.66', hostname: '', expires: 1700000700 },
  ]);
});

test.run();
