// The VRRP config beyond instances and VIPs: checksum convention, password, HMAC keys, check
// scripts and their tracking, tracked instances, notify commands, accelerated failover; plus the
// issue's three headline errors (duplicate VRID on a link, VIP outside every subnet of its
// interface, interval out of range for the version). Each with a failing and a nearby passing case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeErrors, fixture, load, semanticCases, type SemanticCase } from './helpers.ts';


const KEY = '00112233445566778899aabbccddeeff';
const accel = (c: any, o: object = {}) => (c.vrrp.accelerated_failover = { interface: 'eth2', peer: '192.0.2.250', ...o });
const script = (c: any, o: object = {}) => (c.vrrp.scripts = [{ name: 'chk', command: ['/usr/local/bin/check'], ...o }]);

const cases: SemanticCase[] = [
  {
    name: 'duplicate VRID on one interface',
    bad: (c) => c.vrrp.instances.push({ name: 'vi_dup', interface: 'int', vrid: 20, vips: ['192.0.2.5'] }),
    pointer: '/vrrp/instances/3/vrid',
    expected: /a VRID not yet used on int/,
    good: (c) => c.vrrp.instances.push({ name: 'vi_dup', interface: 'int', vrid: 21, vips: ['192.0.2.5'] }),
  },
  {
    name: 'VIP outside every subnet of its interface',
    bad: (c) => (c.vrrp.instances[2].vips[0] = '203.0.113.77'),
    pointer: '/vrrp/instances/2/vips/0',
    expected: /an address inside a subnet of srv/,
    good: (c) => (c.vrrp.instances[2].vips[0] = '198.51.100.77'),
  },
  {
    name: 'interval out of range for version 3 (centiseconds, at most 40950)',
    bad: (c) => (c.vrrp.instances[0].advert_interval_ms = 41000),
    pointer: '/vrrp/instances/0/advert_interval_ms',
    expected: /centiseconds for VRRP version 3/,
    good: (c) => (c.vrrp.instances[0].advert_interval_ms = 40950),
  },
  {
    name: 'interval out of range for version 2 (whole seconds)',
    bad: (c) => Object.assign(c.vrrp.instances[1], { version: 2, advert_interval_ms: 100 }),
    pointer: '/vrrp/instances/1/advert_interval_ms',
    expected: /whole seconds for VRRP version 2/,
    good: (c) => Object.assign(c.vrrp.instances[1], { version: 2, advert_interval_ms: 1000 }),
  },
  {
    name: 'checksum convention is a version 3 choice',
    bad: (c) => Object.assign(c.vrrp.instances[1], { version: 2, checksum: 'message' }),
    pointer: '/vrrp/instances/1/checksum',
    expected: /pseudo-header \(the default\) with version 2/,
    good: (c) => Object.assign(c.vrrp.instances[1], { version: 3, checksum: 'message' }),
  },
  {
    name: 'password only with version 2',
    bad: (c) => Object.assign(c.vrrp.instances[1], { password: 'secret' }),
    pointer: '/vrrp/instances/1/password',
    expected: /a password only with version 2/,
    good: (c) => Object.assign(c.vrrp.instances[1], { version: 2, password: 'secret' }),
  },
  {
    name: 'password and authentication are exclusive',
    bad: (c) => Object.assign(c.vrrp.instances[1], { version: 2, password: 'secret', authentication: { keys: [{ id: 1, secret: KEY }] } }),
    pointer: '/vrrp/instances/1/password',
    expected: /password or authentication, not both/,
    good: (c) => Object.assign(c.vrrp.instances[1], { version: 2, authentication: { keys: [{ id: 1, secret: KEY }] } }),
  },
  {
    name: 'authentication keys: exactly one of secret and secret_file',
    bad: (c) => (c.vrrp.instances[0].authentication = { keys: [{ id: 1 }] }),
    pointer: '/vrrp/instances/0/authentication/keys/0',
    expected: /exactly one of secret and secret_file/,
    good: (c) => (c.vrrp.instances[0].authentication = { keys: [{ id: 1, secret_file: '/data/vrrp.key' }] }),
  },
  {
    name: 'authentication: key ids unique, active_key one of them',
    bad: (c) => (c.vrrp.instances[0].authentication = { keys: [{ id: 1, secret: KEY }, { id: 2, secret: KEY }], active_key: 3 }),
    pointer: '/vrrp/instances/0/authentication/active_key',
    expected: /the id of one of the keys/,
    hint: /key ids: 1, 2/,
    good: (c) => (c.vrrp.instances[0].authentication = { keys: [{ id: 1, secret: KEY }, { id: 2, secret: KEY }], active_key: 2 }),
  },
  {
    name: 'authentication: a short key is a schema error',
    bad: (c) => (c.vrrp.instances[0].authentication = { keys: [{ id: 1, secret: 'abcd' }] }),
    pointer: '/vrrp/instances/0/authentication/keys/0/secret',
    expected: /32 to 128 hex digits/,
  },
  {
    name: 'track_scripts name a script in vrrp.scripts (did you mean)',
    bad: (c) => {
      script(c);
      c.vrrp.instances[0].track_scripts = [{ script: 'chck', weight: -30 }];
    },
    pointer: '/vrrp/instances/0/track_scripts/0/script',
    expected: /the name of a script in vrrp.scripts/,
    hint: /did you mean "chk"/,
    good: (c) => {
      script(c, { rise: 2, fall: 3 });
      c.vrrp.instances[0].track_scripts = [{ script: 'chk', weight: -30 }];
    },
  },
  {
    name: 'script commands are absolute paths',
    bad: (c) => script(c, { command: ['check', '--quick'] }),
    pointer: '/vrrp/scripts/0/command/0',
    expected: /an absolute path to the program/,
    good: (c) => script(c, { command: ['/usr/bin/check', '--quick'] }),
  },
  {
    name: 'script timeout at most its interval',
    bad: (c) => script(c, { interval_ms: 1000, timeout_ms: 2000 }),
    pointer: '/vrrp/scripts/0/timeout_ms',
    expected: /at most interval_ms \(1000\)/,
    good: (c) => script(c, { interval_ms: 1000, timeout_ms: 500 }),
  },
  {
    name: 'track_instances: another existing instance',
    bad: (c) => (c.vrrp.instances[0].track_instances = [{ instance: 'vi_ext' }]),
    pointer: '/vrrp/instances/0/track_instances/0/instance',
    expected: /another instance/,
    good: (c) => (c.vrrp.instances[0].track_instances = [{ instance: 'vi_int', weight: -10 }]),
  },
  {
    name: 'track_instances: unknown name',
    bad: (c) => (c.vrrp.instances[0].track_instances = [{ instance: 'vi_inx' }]),
    pointer: '/vrrp/instances/0/track_instances/0/instance',
    expected: /the name of a VRRP instance/,
    hint: /did you mean "vi_int"/,
  },
  {
    name: 'notify commands are absolute paths (instances and sync groups)',
    bad: (c) => (c.vrrp.sync_groups[0].notify = { master: ['notify.sh', 'up'] }),
    pointer: '/vrrp/sync_groups/0/notify/master/0',
    expected: /an absolute path to the program/,
    good: (c) => {
      c.vrrp.sync_groups[0].notify = { master: ['/etc/stockade/notify', 'up'] };
      c.vrrp.instances[0].notify = { any: ['/etc/stockade/notify'] };
    },
  },
  {
    name: 'accelerated failover: the heartbeat link is not a VRRP link',
    bad: (c) => accel(c, { interface: 'int', peer: '192.0.2.2' }),
    pointer: '/vrrp/accelerated_failover/interface',
    expected: /a link no VRRP instance advertises on/,
    good: (c) => accel(c),
  },
  {
    name: 'accelerated failover: the peer is on the sync link',
    bad: (c) => accel(c, { peer: '203.0.113.99' }),
    pointer: '/vrrp/accelerated_failover/peer',
    expected: /an address on a connected subnet of eth2/,
  },
  {
    name: 'accelerated failover: timeout of at least 3 heartbeats',
    bad: (c) => accel(c, { heartbeat_interval_ms: 50, heartbeat_timeout_ms: 100 }),
    pointer: '/vrrp/accelerated_failover/heartbeat_timeout_ms',
    expected: /at least 3 heartbeat intervals \(150\)/,
    good: (c) => accel(c, { heartbeat_interval_ms: 30, heartbeat_timeout_ms: 100 }),
  },
  {
    name: 'accelerated failover: timeout shorter than the normal master-down',
    bad: (c) => {
      accel(c, { heartbeat_timeout_ms: 300 });
      c.vrrp.instances[0].advert_interval_ms = 100;
    },
    pointer: '/vrrp/accelerated_failover/heartbeat_timeout_ms',
    expected: /less than 3 advert intervals \(300 ms\)/,
    good: (c) => {
      accel(c, { heartbeat_timeout_ms: 100 });
      c.vrrp.instances[0].advert_interval_ms = 100;
    },
  },
];

semanticCases(test, cases);

test('accelerated failover without authentication: valid, with a warning that the heartbeats can only delay', () => {
  const c = fixture();
  accel(c);
  const r = load(c);
  if (!r.ok) throw new Error(describeErrors(r.errors));
  assert.equal(r.warnings?.map((w) => w.pointer), ['/vrrp/accelerated_failover']);
  assert.match(r.warnings![0]!.message, /can only delay a takeover/);
  const keyed = fixture();
  accel(keyed);
  keyed.vrrp.instances[0].authentication = { keys: [{ id: 1, secret: '00112233445566778899aabbccddeeff' }] };
  const k = load(keyed);
  if (!k.ok) throw new Error(describeErrors(k.errors));
  assert.is(k.warnings, undefined);
});

test('defaults: checksum pseudo-header, track lists empty, scripts rise/fall 1, accelerated heartbeat 20/60 ms', () => {
  const c = fixture();
  script(c);
  accel(c);
  const r = load(c);
  if (!r.ok) throw new Error(describeErrors(r.errors));
  const v = r.config.vrrp;
  assert.is(v.instances[0]!.checksum, 'pseudo-header');
  assert.equal(v.instances[0]!.track_scripts, []);
  assert.equal(v.instances[0]!.track_instances, []);
  assert.equal([v.scripts![0]!.rise, v.scripts![0]!.fall, v.scripts![0]!.interval_ms, v.scripts![0]!.init_fail], [1, 1, 1000, false]);
  assert.equal([v.accelerated_failover!.enabled, v.accelerated_failover!.heartbeat_interval_ms, v.accelerated_failover!.heartbeat_timeout_ms], [true, 20, 60]);
});

test.run();
