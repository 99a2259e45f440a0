// The HA fixture's vrrp section -> engine configuration, and that engine running: the built
// adverts decode back to the configured fields.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixture, load } from '../config/helpers.ts';
import { planFromConfig } from '../../../src/vrrp/from-config.ts';
import type { RuntimeFacts } from '../../../src/vrrp/from-config.ts';
import { VrrpEngine } from '../../../src/vrrp/engine.ts';
import { decodeAdvert } from '../../../src/vrrp/codec.ts';
import { formatIpv4, mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';
import { internetChecksum, vrrpChecksum } from '../../../src/vrrp/checksum.ts';

const ADDR: Record<string, string> = { ext: '203.0.113.2', int: '192.0.2.2', srv: '198.51.100.2', eth2: '192.0.2.249' };
const facts: RuntimeFacts = {
  primaryAddress: (i) => ADDR[i]!,
  ownAddresses: (i) => [ADDR[i]!],
  keySecret: (_n, k) => Buffer.from(k.secret ?? '', 'hex'),
};

function config(edit: (c: any) => void = () => undefined) {
  const c = fixture();
  edit(c);
  const r = load(c);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

test('the HA fixture maps to three instances in one sync group with their tracking', () => {
  const p = planFromConfig(config().vrrp, facts);
  assert.equal(p.engine.instances.map((i) => [i.name, i.interface, i.vrid, i.priority, i.version, i.advertIntervalMs]), [
    ['vi_ext', 'ext', 10, 150, 3, 1000], ['vi_int', 'int', 20, 150, 3, 1000], ['vi_srv', 'srv', 30, 150, 3, 1000],
  ]);
  const ext = p.engine.instances[0]!;
  assert.equal(ext.receive.addresses.map(formatIpv4), ['203.0.113.1', '203.0.113.10']);
  assert.is(formatIpv4(ext.primaryAddress), '203.0.113.2');
  assert.equal(ext.tracks, [{ kind: 'interface', name: 'eth0', weight: -20 }, { kind: 'interface', name: 'eth1', weight: -20 }]);
  assert.equal(ext.garp, { repeat: 5, delayMs: 5000, refreshMs: 0, refreshRepeat: 1, lowerPriorityRepeat: 5 });
  assert.equal(p.engine.syncGroups, [{ name: 'fw', instances: ['vi_ext', 'vi_int', 'vi_srv'] }]);
  assert.is(p.accelerated, undefined);
  // the engine takes it
  const e = new VrrpEngine(p.engine);
  e.start(0);
  assert.equal(e.status().instances.map((i) => i.state), ['BACKUP', 'BACKUP', 'BACKUP']);
});

test('v2 with password, message checksum, unicast peers, scripts, auth, accelerated failover', () => {
  const p = planFromConfig(config((c) => {
    Object.assign(c.vrrp.instances[1], { version: 2, password: 'secret12', unicast_peers: ['192.0.2.3', '192.0.2.4'] });
    Object.assign(c.vrrp.instances[2], { checksum: 'message', authentication: { keys: [{ id: 3, secret: '00112233445566778899aabbccddeeff' }] } });
    c.vrrp.scripts = [{ name: 'chk', command: ['/bin/true'], rise: 2, fall: 3 }];
    c.vrrp.instances[0].track_scripts = [{ script: 'chk', weight: 0 }];
    c.vrrp.accelerated_failover = { interface: 'eth2', peer: '192.0.2.250' };
  }).vrrp, facts);
  // Heartbeats are signed with the active key of the first instance with authentication (vi_srv's key 3).
  const { key, ...rest } = p.accelerated!;
  assert.equal(rest, { interface: 'eth2', peer: '192.0.2.250', port: 3781, heartbeatIntervalMs: 20, heartbeatTimeoutMs: 60 });
  assert.equal([key!.id, Buffer.from(key!.secret).toString('hex')], [3, '00112233445566778899aabbccddeeff']);
  assert.equal([p.engine.heartbeat!.local, p.engine.heartbeat!.peer, p.engine.heartbeat!.key], [ip('192.0.2.249'), ip('192.0.2.250'), key]);
  const acc = { heartbeatTimeoutMs: 60, heartbeatIntervalMs: 20 };
  assert.equal(p.engine.instances.map((i) => i.accelerated), [acc, acc, acc]);
  assert.equal(p.scripts.get('chk'), { command: ['/bin/true'], intervalMs: 1000, timeoutMs: 1000 });
  const e = new VrrpEngine(p.engine);
  e.start(0);
  assert.is(e.instance('vi_ext')!.state, 'FAULT', 'weight-0 script not run yet');

  // v2, password, unicast: one copy per peer, each a valid v2 advert (message checksum)
  const v2 = e.advertPackets('vi_int', 150, 0);
  assert.equal(v2.map((x) => [x.source, x.destination]), [['192.0.2.2', '192.0.2.3'], ['192.0.2.2', '192.0.2.4']]);
  for (const x of v2) {
    const d = decodeAdvert(x.payload);
    assert.ok(d.ok && d.advert.version === 2 && d.advert.authType === 1 && Buffer.from(d.advert.authData).toString() === 'secret12');
    assert.is(internetChecksum(x.payload), 0);
  }
  // v3, message checksum, signed: the trailer follows the 12-byte message
  const [v3] = e.advertPackets('vi_srv', 150, 1_800_000_000_000);
  assert.is(v3!.destination, '224.0.0.18');
  assert.is(v3!.payload.length, 12 + 28);
  assert.is(internetChecksum(v3!.payload.subarray(0, 12)), 0);
  assert.is(v3!.payload[12], 0x53);
  assert.is(v3!.payload[13], 3);
});

test('two engines from config with authentication talk; a replayed or forged advert is dropped and counted', () => {
  const withAuth = (c: any) => Object.assign(c.vrrp.instances[0], { authentication: { keys: [{ id: 1, secret: '00112233445566778899aabbccddeeff' }] } });
  const a = new VrrpEngine(planFromConfig(config(withAuth).vrrp, { ...facts, primaryAddress: () => '203.0.113.3', ownAddresses: () => ['203.0.113.3'] }).engine);
  const b = new VrrpEngine(planFromConfig(config(withAuth).vrrp, facts).engine);
  b.start(0);
  const [pkt] = a.advertPackets('vi_ext', 200, 1_800_000_000_000);
  const rx = (payload: Uint8Array) => b.receive(10, 1_800_000_000_000, 'ext', { payload, source: ip('203.0.113.3'), destination: ip('224.0.0.18'), ttl: 255 });
  rx(pkt!.payload);
  assert.is(b.status().instances[0]!.counters.advertsIn, 1);
  assert.is(b.status().instances[0]!.masterAddress, ip('203.0.113.3'));
  rx(pkt!.payload);
  const forged = Uint8Array.from(pkt!.payload);
  forged[2] = 254; // priority changed, checksum fixed up: only the MAC can catch it
  new DataView(forged.buffer).setUint16(6, vrrpChecksum(forged.subarray(0, 16), 'pseudo-header', ip('203.0.113.3'), ip('224.0.0.18')));
  rx(forged);
  const drops = b.status().instances[0]!.drops;
  assert.is(drops.auth_replay, 1);
  assert.is(drops.auth_mac, 1);
  assert.is(b.status().instances[0]!.counters.advertsIn, 1);
});

test('pair: multicast instances take over without Skew_Time only when told (or with one unicast peer)', () => {
  const p = planFromConfig(config((c) => {
    c.vrrp.instances[0].pair = true;
    c.vrrp.instances[1].unicast_peers = ['192.0.2.3'];
  }).vrrp, facts);
  assert.equal(p.engine.instances.map((i) => i.pairOnly), [true, true, false]);
});

test('use_vmac: a macvlan plan per instance, vrrp.<VRID> with the virtual router MAC unless named', () => {
  const p = planFromConfig(config((c) => {
    c.vrrp.instances[0].use_vmac = true;
    Object.assign(c.vrrp.instances[2], { use_vmac: true, vmac_interface: 'vm.srv' });
  }).vrrp, facts);
  assert.equal([...p.vmacs], [
    ['vi_ext', { name: 'vrrp.10', parent: 'ext', mac: '00:00:5e:00:01:0a' }],
    ['vi_srv', { name: 'vm.srv', parent: 'srv', mac: '00:00:5e:00:01:1e' }],
  ]);
  assert.is(planFromConfig(config().vrrp, facts).vmacs.size, 0);
});

test.run();
