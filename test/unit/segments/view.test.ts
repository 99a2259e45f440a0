// ctl segments: hosts with their lease state, groups with their rules' counters, the public map.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatSegments, segmentsView, type Lease } from '../../../src/segments/index.ts';
import { countersByPointer } from '../../../src/cli/ctl-segments.ts';
import { config } from './fixture.ts';

const NOW = 1_000_000;
const leases = (l: Lease[]) => ({ pid: 42, leases: l });

test('hosts: leased with seconds left, no lease, expired, or another address than the fixed one', () => {
  const dhcp = new Map([
    ['g10', leases([{ mac: '02:00:00:00:0a:01', ip: '198.51.100.2', hostname: '', expires: NOW + 300 }, { mac: '02:00:00:00:0a:02', ip: '198.51.100.9', hostname: '', expires: NOW + 5 }])],
    ['lan', leases([{ mac: '02:00:00:00:0c:01', ip: '192.0.2.10', hostname: 'printer', expires: NOW - 1 }])],
  ]);
  const v = segmentsView(config(), dhcp, NOW, null);
  const counters = countersByPointer([{ family: 'ipv4', table: 'filter', chains: [{ name: 'X', policy: undefined, packets: 0, bytes: 0, rules: [
    { packets: 7, bytes: 0, pointer: '/segments/0/groups/0/rules/0', rule: '' },
    { packets: 100, bytes: 0, pointer: '/segments/0/groups/0', rule: '' },
  ] }] }, { family: 'ipv4', table: 'nat', chains: [{ name: 'Y', policy: undefined, packets: 0, bytes: 0, rules: [
    { packets: 3, bytes: 0, pointer: '/segments/0/public/assign/0', rule: '' }, { packets: 2, bytes: 0, pointer: '/segments/0/public/assign/0', rule: '' },
  ] }] }]);
  assert.is(formatSegments(v, counters), [
    'segment cloud (managed)',
    '  dhcp on g10: udhcpd pid 42',
    '  dhcp on g11: not running',
    '  group web id 0 on g10: 198.51.100.0/26, 1 rule(s), 7 packets let in by them, 2 host(s)',
    '    02:00:00:00:0a:01  198.51.100.2     leased, 300 s left',
    '    02:00:00:00:0a:02  198.51.100.3     leased 198.51.100.9 (not its fixed address)',
    '  group db id 1 on g11: 198.51.100.64/26, 1 rule(s), 0 packets let in by them, 1 host(s)',
    '    02:00:00:00:0b:01  198.51.100.66    no lease',
    '  public 203.0.113.65 -> 198.51.100.2 (5 packets translated)',
    'segment office (static)',
    '  dhcp on lan: udhcpd pid 42',
    '  02:00:00:00:0c:01  192.0.2.10       lease expired  (printer)',
    '',
  ].join('\n'));
});

test.run();
