// The lvs config checks this issue adds: each bad value fails with its pointer and a clear
// expectation, and a valid twin near it passes (the HA fixture's web services).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeErrors, errorsOf, fixture, semanticCases, type SemanticCase } from '../config/helpers.ts';

const cases: SemanticCase[] = [
  {
    name: 'sh flags only with the sh scheduler',
    bad: (c) => (c.lvs.virtual_services[0].scheduler_flags = ['sh-port']),
    pointer: '/lvs/virtual_services/0/scheduler_flags/0',
    expected: /a flag of scheduler wlc/,
    hint: /sh-port is for the sh scheduler/,
    good: (c) => Object.assign(c.lvs.virtual_services[0], { scheduler: 'sh', scheduler_flags: ['sh-port', 'sh-fallback'] }),
  },
  {
    name: 'a scheduler flag once',
    bad: (c) => (c.lvs.virtual_services[0].scheduler_flags = ['flag-1', 'flag-1']),
    pointer: '/lvs/virtual_services/0/scheduler_flags/1',
    expected: /each flag once/,
    good: (c) => (c.lvs.virtual_services[0].scheduler_flags = ['flag-1']),
  },
  {
    name: 'tunnel settings only with method tun',
    bad: (c) => (c.lvs.virtual_services[1].tunnel = { type: 'gre' }),
    pointer: '/lvs/virtual_services/1/tunnel',
    expected: /no tunnel settings without method tun/,
    good: (c) => Object.assign(c.lvs.virtual_services[1], { method: 'tun', tunnel: { type: 'gre' } }),
  },
  {
    name: 'a gue tunnel needs its port',
    bad: (c) => Object.assign(c.lvs.virtual_services[1], { method: 'tun', tunnel: { type: 'gue' } }),
    pointer: '/lvs/virtual_services/1/tunnel/port',
    expected: /the GUE port/,
    good: (c) => Object.assign(c.lvs.virtual_services[1], { method: 'tun', tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } }),
  },
  {
    name: 'gre has no remcsum',
    bad: (c) => Object.assign(c.lvs.virtual_services[1], { method: 'tun', tunnel: { type: 'gre', checksum: 'remcsum' } }),
    pointer: '/lvs/virtual_services/1/tunnel/checksum',
    expected: /nocsum or csum for a gre tunnel/,
  },
  {
    name: 'tun cannot change ports',
    bad: (c) => (c.lvs.virtual_services[0].method = 'tun'),
    pointer: '/lvs/virtual_services/0/real_servers/0/port',
    expected: /the service's port 80 \(tun cannot change ports\)/,
    hint: /use method nat/,
  },
  {
    name: 'a DR fwmark service keeps the packet port',
    bad: (c) => {
      const vs = c.lvs.virtual_services[1];
      delete vs.address;
      delete vs.port;
      Object.assign(vs, { fwmark: 5, method: 'dr', real_servers: [{ address: '198.51.100.11', port: 443 }] });
    },
    pointer: '/lvs/virtual_services/1/real_servers/0/port',
    expected: /no port: dr keeps the packet's own port/,
  },
  {
    name: 'a fwmark service has no port',
    bad: (c) => {
      const vs = c.lvs.virtual_services[1];
      delete vs.address;
      vs.fwmark = 5;
    },
    pointer: '/lvs/virtual_services/1/port',
    expected: /no port with fwmark/,
  },
  {
    name: 'persistence_netmask needs persistence',
    bad: (c) => (c.lvs.virtual_services[0].persistence_netmask = '255.255.255.0'),
    pointer: '/lvs/virtual_services/0/persistence_netmask',
    expected: /no persistence_netmask without persistence_s/,
    good: (c) => (c.lvs.virtual_services[1].persistence_netmask = '255.255.255.0'),
  },
  {
    name: 'persistence_netmask is contiguous',
    bad: (c) => (c.lvs.virtual_services[1].persistence_netmask = '255.0.255.0'),
    pointer: '/lvs/virtual_services/1/persistence_netmask',
    expected: /a contiguous netmask/,
  },
  {
    name: 'one-packet scheduling only for udp',
    bad: (c) => (c.lvs.virtual_services[0].one_packet = true),
    pointer: '/lvs/virtual_services/0/one_packet',
    expected: /one_packet only on a udp or fwmark service \(this one is tcp\)/,
    good: (c) => Object.assign(c.lvs.virtual_services[0], { protocol: 'udp', one_packet: true, health_check: { type: 'tcp' } }),
  },
  {
    name: 'lower threshold below the upper one',
    bad: (c) => Object.assign(c.lvs.virtual_services[0].real_servers[0], { upper_threshold: 100, lower_threshold: 100 }),
    pointer: '/lvs/virtual_services/0/real_servers/0/lower_threshold',
    expected: /less than upper_threshold \(100\)/,
    good: (c) => Object.assign(c.lvs.virtual_services[0].real_servers[0], { upper_threshold: 100, lower_threshold: 50 }),
  },
  {
    name: 'a lower threshold needs an upper one',
    bad: (c) => (c.lvs.virtual_services[0].real_servers[0].lower_threshold = 10),
    pointer: '/lvs/virtual_services/0/real_servers/0/lower_threshold',
    expected: /no lower_threshold without an upper_threshold/,
  },
  {
    name: 'sync on a known interface',
    bad: (c) => (c.lvs.sync = { interface: 'snyc' }),
    pointer: '/lvs/sync/interface',
    expected: /the name of/,
    good: (c) => (c.lvs.sync = { interface: 'int' }),
  },
  {
    name: 'sync follows a VRRP unit that exists',
    bad: (c) => (c.lvs.sync = { interface: 'int', vrrp: 'fw2' }),
    pointer: '/lvs/sync/vrrp',
    expected: /the name of a VRRP sync group or instance/,
    hint: /did you mean "fw"/,
    good: (c) => (c.lvs.sync = { interface: 'int', vrrp: 'vi_ext', sync_id: 3 }),
  },
];

semanticCases(test, cases);

test('sync without a unit, when the services sit on VIPs of two units: name it', () => {
  const c = fixture();
  c.vrrp.sync_groups = [];
  c.lvs.sync = { interface: 'int' };
  c.lvs.virtual_services[1].address = '192.0.2.1';
  const e = errorsOf(c).find((x) => x.pointer === '/lvs/sync/vrrp');
  assert.ok(e, describeErrors(errorsOf(c)));
  assert.match(e!.hint ?? '', /belong to vi_ext and vi_int; name it here/);
});
test.run();
