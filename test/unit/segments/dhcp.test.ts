import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dhcpServers, parseLeases, udhcpdConfig } from '../../../src/segments/index.ts';
import { config } from './fixture.ts';

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

test.run();
