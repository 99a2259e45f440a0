// The ipvsadm text formats beyond the captured tables: print_largenum's K/M/G/T steps, --exact,
// service lines with every option, the connection list, and ipvsadm's sort order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareServices, formatIpvsadmConnections, formatIpvsadmList, largeNum } from '../../../src/lvs/index.ts';
import type { TableView } from '../../../src/lvs/index.ts';

test('largeNum: ipvsadm\'s print_largenum', () => {
  assert.is(largeNum(0), '        0');
  assert.is(largeNum(99_999_999), ' 99999999');
  assert.is(largeNum(100_000_000), '  100000K');
  assert.is(largeNum(999_999_999), '  999999K');
  assert.is(largeNum(1_000_000_000), '    1000M');
  assert.is(largeNum(99_999_999_999), '   99999M');
  assert.is(largeNum(100_000_000_000), '     100G');
  assert.is(largeNum(100_000_000_000_000), '     100T');
  assert.is(largeNum(1_234_567_890_123, true), ' 1234567890123');
  assert.is(largeNum(12, true), '       12');
});

const zero = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };

test('ipvsadm order: address services by protocol, address, port; fwmarks last by mark', () => {
  const keys = [
    { fwmark: 2, family: 'inet' as const }, { protocol: 'udp' as const, address: '192.0.2.1', port: 53 },
    { fwmark: 1, family: 'inet' as const }, { protocol: 'tcp' as const, address: '192.0.2.10', port: 80 },
    { protocol: 'tcp' as const, address: '192.0.2.9', port: 443 }, { protocol: 'tcp' as const, address: '192.0.2.9', port: 80 },
  ].map((key) => ({ key }));
  assert.equal(keys.sort(compareServices).map((k) => JSON.stringify(k.key)), [
    '{"protocol":"tcp","address":"192.0.2.9","port":80}', '{"protocol":"tcp","address":"192.0.2.9","port":443}',
    '{"protocol":"tcp","address":"192.0.2.10","port":80}', '{"protocol":"udp","address":"192.0.2.1","port":53}',
    '{"fwmark":1,"family":"inet"}', '{"fwmark":2,"family":"inet"}',
  ]);
});

test('big counters switch to K/M in --stats lines', () => {
  const t: TableView = {
    info: { version: 0x010201, connTabSize: 4096 },
    services: [{ key: { protocol: 'tcp', address: '192.0.2.1', port: 80 }, scheduler: 'rr', flags: 2, timeout: 0, netmask: 0xffffffff, pe: '', stats: { ...zero, conns: 5, inBytes: 123_456_789_012 }, dests: [] }],
  };
  assert.is(formatIpvsadmList(t, { stats: true }).split('\n')[3], 'TCP  192.0.2.1:80                        5        0        0     123G        0');
});

test('connection entries as ipvsadm -L -n -c', () => {
  const out = formatIpvsadmConnections([
    { protocol: 'TCP', client: { address: '192.0.2.10', port: 40000 }, virtual: { address: '192.0.2.1', port: 80 }, dest: { address: '198.51.100.10', port: 8080 }, state: 'ESTABLISHED', expiresS: 899 },
  ]);
  assert.is(out, 'IPVS connection entries\npro expire state       source             virtual            destination\nTCP 14:59  ESTABLISHED 192.0.2.10:40000   192.0.2.1:80       198.51.100.10:8080\n');
});

test('the check-state block under the table: each server, its state, weight and reason; each service\'s quorum; sync; warnings', async () => {
  const { formatCheckState } = await import('../../../src/cli/ctl-lvs.ts');
  const out = formatCheckState({
    info: { version: 0x010201, connTabSize: 4096 }, services: [],
    servers: [
      { server: 'web 198.51.100.11:8080', pointer: '/lvs/virtual_services/0/real_servers/0', state: 'down', weight: 1, reason: '3 failed checks' },
      { server: 'web 198.51.100.2:80', pointer: '/lvs/virtual_services/0/real_servers/1', state: 'unchecked', weight: 2, reason: 'no checker result (programmed as up)' },
    ],
    checks: {
      services: [
        { name: 'web', quorumUp: false, liveWeight: 0, quorum: 1, suspended: false, sorryServerIn: true },
        { name: 'dns', quorumUp: true, liveWeight: 2, quorum: 1, suspended: true, sorryServerIn: false },
      ],
      counters: { probes: 12, inFlight: 1 },
    },
    sync: { unit: 'fw', interface: 'sync', syncId: 51, role: 'master', daemons: [{ state: 'master', interface: 'sync', syncId: 51 }] },
    applies: 1, writes: 3, fromHealth: { applies: 4, updates: 9, coalesced: 5, lastLatencyMs: 2.34, maxLatencyMs: 12 }, lastError: null, appliedAt: null, warnings: ['web: tcp health checks are not run by this build; its real servers are programmed as up'],
    events: { held: 0, max: 256, dropped: 0 },
  });
  assert.is(out, [
    '',
    'Real servers (state weight reason):',
    '  web 198.51.100.11:8080  down      1      3 failed checks',
    '  web 198.51.100.2:80     unchecked 2      no checker result (programmed as up)',
    'Services (health checks):',
    '  web  quorum LOST (live weight 0, quorum 1): sorry server in',
    '  dns  quorum up (live weight 2, quorum 1); checks paused: the VIP is not held here (ha_suspend)',
    'checks: probes=12 inFlight=1',
    'table: applies=1 writes=3; from health checks: applies=4 updates=9 coalesced=5 lastMs=2.3 maxMs=12.0',
    'sync: follows fw (master); master sync daemon (mcast=sync, syncid=51)',
    'warning: web: tcp health checks are not run by this build; its real servers are programmed as up',
    '',
  ].join('\n'));
});

test.run();
