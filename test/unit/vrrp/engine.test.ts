// Two and three boxes on a fake segment with a fake clock (sim.ts): elections, handover, split
// brain and heal, sync groups, tracking, accelerated failover, and drop counting in the engine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sim, instanceConfig, GROUP } from './sim.ts';
import type { SimNode } from './sim.ts';
import { VrrpEngine } from '../../../src/vrrp/engine.ts';
import { notifyArgv } from '../../../src/vrrp/notify.ts';
import { encodeAdvert } from '../../../src/vrrp/codec.ts';
import { mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';
import { masterDownMs, skewMs } from '../../../src/vrrp/timers.ts';
import type { InstanceOptions } from '../../../src/vrrp/instance.ts';

const pair = (a: Partial<InstanceOptions>, b: Partial<InstanceOptions>) => {
  const sim = new Sim();
  const A = sim.add('A', '192.0.2.1', { instances: [instanceConfig('vi', '192.0.2.1', a)] });
  const B = sim.add('B', '192.0.2.2', { instances: [instanceConfig('vi', '192.0.2.2', b)] });
  return { sim, A, B };
};
const transitions = (n: SimNode) => n.log.filter((a) => a.kind === 'transition').map((a) => a.kind === 'transition' ? `${a.to}:${a.reason}` : '');

test('election: the higher priority becomes MASTER, the other stays BACKUP; one master', () => {
  const { sim, A, B } = pair({ priority: 200 }, { priority: 100 });
  sim.start(A);
  sim.start(B);
  sim.runUntil(20_000);
  assert.equal(sim.masters(), ['A']);
  assert.is(sim.enteredAt(A, 'MASTER'), masterDownMs(3, 200, 1000));
  assert.equal(transitions(B), ['BACKUP:start']);
});

test('equal priorities started together: both time out at once, the higher address stays MASTER', () => {
  const { sim, A, B } = pair({ priority: 100 }, { priority: 100 });
  sim.start(A);
  sim.start(B);
  sim.runUntil(20_000);
  assert.equal(sim.masters(), ['B']);
  assert.ok(transitions(A).includes('MASTER:master-down'));
  assert.ok(transitions(A).includes('BACKUP:higher-priority'));
});

test('equal priorities: a BACKUP accepts an equal-priority MASTER even with a lower address (no preemption on ties)', () => {
  const { sim, A, B } = pair({ priority: 100 }, { priority: 100 });
  sim.start(A);
  sim.runUntil(5000);
  sim.start(B);
  sim.runUntil(20_000);
  assert.equal(sim.masters(), ['A']);
});

test('preempt: a higher-priority box that starts later takes over; nopreempt: it does not', () => {
  for (const preempt of [true, false]) {
    const { sim, A, B } = pair({ priority: 100 }, { priority: 200, preempt });
    sim.start(A);
    sim.runUntil(10_000);
    assert.equal(sim.masters(), ['A']);
    sim.start(B);
    sim.runUntil(30_000);
    assert.equal(sim.masters(), preempt ? ['B'] : ['A'], `preempt=${preempt}`);
    if (preempt) assert.is(sim.enteredAt(B, 'MASTER'), 10_000 + masterDownMs(3, 200, 1000));
  }
});

test('graceful handover: master shutdown (priority 0), the backup is MASTER after Skew_Time only', () => {
  const { sim, A, B } = pair({ priority: 200, advertIntervalMs: 100 }, { priority: 150, advertIntervalMs: 100 });
  sim.start(A);
  sim.start(B);
  sim.runUntil(5000);
  sim.handle(A, A.engine.shutdown(sim.now));
  sim.runUntil(6000);
  assert.equal(sim.masters(), ['B']);
  assert.is(sim.enteredAt(B, 'MASTER')! - 5000, skewMs(3, 150, 100));
  // RFC skew: under 50 ms at 100 ms adverts needs a backup priority above 128 (prio 100: 61 ms)
  assert.ok(skewMs(3, 150, 100) < 50);
  assert.ok(skewMs(3, 100, 100) > 50);
});

test('hard master failure: the backup takes over after Master_Down_Interval from the last advert', () => {
  const { sim, A, B } = pair({ priority: 200, version: 2 }, { priority: 100, version: 2 });
  sim.start(A);
  sim.start(B);
  sim.runUntil(10_000);
  const lastAdvert = A.log.filter((a) => a.kind === 'send-advert').at(-1)!.at;
  A.up = false;
  sim.runUntil(20_000);
  assert.is(sim.enteredAt(B, 'MASTER'), lastAdvert + masterDownMs(2, 100, 1000));
});

test('split brain and heal: the loser yields, the winner re-advertises and sends a fresh gARP burst', () => {
  const { sim, A, B } = pair({ priority: 200 }, { priority: 100 });
  sim.start(A);
  sim.start(B);
  sim.runUntil(10_000);
  A.up = false; // partition
  sim.runUntil(20_000);
  assert.equal(sim.masters(), ['A', 'B']);
  A.up = true; // healed
  const healAt = sim.now;
  sim.runUntil(25_000);
  assert.equal(sim.masters(), ['A']);
  const bSteppedDown = B.log.find((a) => a.kind === 'transition' && a.to === 'BACKUP' && a.at >= healAt);
  assert.ok(bSteppedDown && bSteppedDown.kind === 'transition' && bSteppedDown.reason === 'higher-priority');
  assert.ok(B.log.some((a) => a.kind === 'remove-vips' && a.at >= healAt));
  const heal = A.log.filter((a) => a.at >= healAt);
  assert.ok(heal.some((a) => a.kind === 'notice' && a.what === 'master-rx-lower-priority'));
  assert.ok(heal.some((a) => a.kind === 'send-garp' && a.why === 'lower-priority'));
});

test('tracking: interface weight 0 faults the instance; the backup takes over after priority 0', () => {
  const sim = new Sim();
  const A = sim.add('A', '192.0.2.1', { instances: [{ ...instanceConfig('vi', '192.0.2.1', { priority: 200 }), tracks: [{ kind: 'interface', name: 'eth1', weight: 0 }] }] });
  const B = sim.add('B', '192.0.2.2', { instances: [instanceConfig('vi', '192.0.2.2', { priority: 100 })] });
  sim.start(A);
  sim.start(B);
  sim.runUntil(10_000);
  sim.handle(A, A.engine.link(sim.now, 'eth1', false));
  assert.is(sim.state(A), 'FAULT');
  assert.ok(A.log.some((a) => a.kind === 'send-advert' && a.priority === 0));
  sim.runUntil(11_000);
  assert.equal(sim.masters(), ['B']);
  assert.is(sim.enteredAt(B, 'MASTER')! - 10_000, skewMs(3, 100, 1000));
  sim.handle(A, A.engine.link(sim.now, 'eth1', true));
  sim.runUntil(20_000);
  assert.equal(sim.masters(), ['A'], 'back, and preempts');
});

test('tracking: weights add and subtract, clamped to 1..254; an owner stays 255', () => {
  const e = new VrrpEngine({
    scripts: [{ name: 'chk', rise: 2, fall: 3 }],
    instances: [
      { ...instanceConfig('vi', '192.0.2.1', { priority: 200 }), tracks: [{ kind: 'interface', name: 'eth1', weight: -50 }, { kind: 'script', name: 'chk', weight: 100 }] },
      { ...instanceConfig('low', '192.0.2.1', { priority: 10, vrid: 8 }), tracks: [{ kind: 'interface', name: 'eth1', weight: -50 }] },
      { ...instanceConfig('own', '192.0.2.1', { priority: 255, vrid: 9 }), tracks: [{ kind: 'interface', name: 'eth1', weight: -50 }] },
    ],
  });
  e.start(0);
  const prio = (n: string) => e.instance(n)!.effectivePriority;
  assert.is(prio('vi'), 200, 'script not run yet: no bonus');
  e.scriptResult(1, 'chk', true);
  assert.is(prio('vi'), 254, '200 + 100 clamped');
  e.link(2, 'eth1', false);
  assert.is(prio('vi'), 250);
  assert.is(prio('low'), 1, '10 - 50 clamped to 1');
  assert.is(prio('own'), 255);
  // fall 3: two failures change nothing, the third does
  e.scriptResult(3, 'chk', false);
  e.scriptResult(4, 'chk', false);
  assert.is(prio('vi'), 250);
  e.scriptResult(5, 'chk', false);
  assert.is(prio('vi'), 150);
  // rise 2
  e.scriptResult(6, 'chk', true);
  assert.is(prio('vi'), 150);
  e.scriptResult(7, 'chk', true);
  assert.is(prio('vi'), 250);
});

test('tracking: a weight-0 check command holds FAULT until its first success; reverse; other instances', () => {
  const e = new VrrpEngine({
    scripts: [{ name: 'up', rise: 1, fall: 1 }, { name: 'maint', rise: 1, fall: 1 }],
    instances: [
      { ...instanceConfig('a', '192.0.2.1', { vrid: 1 }), tracks: [{ kind: 'script', name: 'up', weight: 0 }] },
      { ...instanceConfig('b', '192.0.2.1', { vrid: 2 }), tracks: [{ kind: 'instance', name: 'a', weight: 0 }] },
      { ...instanceConfig('c', '192.0.2.1', { vrid: 3 }), tracks: [{ kind: 'script', name: 'maint', weight: 0, reverse: true }] },
    ],
  });
  e.start(0);
  assert.is(e.instance('a')!.state, 'FAULT');
  assert.is(e.instance('b')!.state, 'FAULT', 'tracks a, which is in FAULT');
  e.scriptResult(1, 'up', true);
  assert.is(e.instance('a')!.state, 'BACKUP');
  assert.is(e.instance('b')!.state, 'BACKUP');
  e.scriptResult(2, 'maint', false);
  assert.is(e.instance('c')!.state, 'BACKUP', 'reverse: failing means OK');
  e.scriptResult(3, 'maint', true);
  assert.is(e.instance('c')!.state, 'FAULT');
});

const groupNode = (sim: Sim, name: string, addr: string, prio: number, extra: Partial<InstanceOptions> = {}) => sim.add(name, addr, {
  instances: [
    instanceConfig('vi', addr, { priority: prio, vrid: 7, ...extra }),
    { ...instanceConfig('vi2', addr, { priority: prio, vrid: 8, ...extra }), interface: 'eth0', tracks: [{ kind: 'interface', name: 'eth1', weight: 0 }] },
  ],
  syncGroups: [{ name: 'g', instances: ['vi', 'vi2'] }],
});

test('sync group: members go MASTER together; a fault in one takes the whole group to FAULT', () => {
  const sim = new Sim();
  const A = groupNode(sim, 'A', '192.0.2.1', 200);
  const B = groupNode(sim, 'B', '192.0.2.2', 100);
  sim.start(A);
  sim.start(B);
  sim.runUntil(10_000);
  assert.equal([sim.state(A, 'vi'), sim.state(A, 'vi2')], ['MASTER', 'MASTER']);
  assert.equal([sim.state(B, 'vi'), sim.state(B, 'vi2')], ['BACKUP', 'BACKUP']);
  sim.handle(A, A.engine.link(sim.now, 'eth1', false));
  assert.equal([sim.state(A, 'vi'), sim.state(A, 'vi2')], ['FAULT', 'FAULT']);
  sim.runUntil(12_000);
  assert.equal([sim.state(B, 'vi'), sim.state(B, 'vi2')], ['MASTER', 'MASTER']);
  sim.handle(A, A.engine.link(sim.now, 'eth1', true));
  sim.runUntil(20_000);
  assert.equal([sim.state(A, 'vi'), sim.state(A, 'vi2')], ['MASTER', 'MASTER']);
  assert.equal([sim.state(B, 'vi'), sim.state(B, 'vi2')], ['BACKUP', 'BACKUP']);
});

test('sync group: group transitions (keepalived GROUP notify) and notify argv', () => {
  const sim = new Sim();
  const A = groupNode(sim, 'A', '192.0.2.1', 200);
  sim.start(A);
  sim.runUntil(10_000);
  sim.handle(A, A.engine.link(sim.now, 'eth1', false));
  sim.handle(A, A.engine.shutdown(sim.now));
  const g = A.log.filter((a) => a.kind === 'group-transition').map((a) => (a.kind === 'group-transition' ? `${a.instance}:${a.from}->${a.to}` : ''));
  assert.equal(g, ['g:INIT->BACKUP', 'g:BACKUP->MASTER', 'g:MASTER->FAULT', 'g:FAULT->INIT']);
  const n = { master: ['/bin/up'], any: ['/bin/notify'] };
  assert.equal(notifyArgv(n, 'GROUP', 'g', 'MASTER', 200), [['/bin/up'], ['/bin/notify', 'GROUP', 'g', 'MASTER', '200']]);
  assert.equal(notifyArgv(n, 'INSTANCE', 'vi', 'INIT', 0), [['/bin/notify', 'INSTANCE', 'vi', 'STOP', '0']]);
});

test('sync group: not at all — one member still hearing its master keeps the other from MASTER', () => {
  const e = new VrrpEngine({
    instances: [instanceConfig('vi', '192.0.2.2', { vrid: 7 }), instanceConfig('vi2', '192.0.2.2', { vrid: 8, priority: 90 })],
    syncGroups: [{ name: 'g', instances: ['vi', 'vi2'] }],
  });
  e.start(0);
  const master = ip('192.0.2.9');
  const feed = (t: number, vrid: number) => e.receive(t, t, 'eth0', {
    payload: encodeAdvert({ version: 3, vrid, priority: 200, intervalCs: 100, addresses: [ip('192.0.2.100')] }, { source: master, destination: GROUP }),
    source: master, destination: GROUP, ttl: 255,
  });
  // vrid 7's adverts are lost; vrid 8 still hears its master
  for (let t = 0; t < 20_000; t += 100) {
    if (t % 1000 === 0) feed(t, 8);
    e.timer(t);
  }
  assert.is(e.instance('vi')!.state, 'BACKUP');
  assert.is(e.instance('vi')!.wantMaster, true);
  assert.is(e.instance('vi2')!.state, 'BACKUP');
  // now vrid 8's master goes too: both go MASTER together, at vi2's own expiry
  let t = 20_000;
  const out = [];
  for (; t < 30_000 && e.instance('vi')!.state !== 'MASTER'; t += 10) out.push(...e.timer(t));
  assert.is(e.instance('vi')!.state, 'MASTER');
  assert.is(e.instance('vi2')!.state, 'MASTER');
  const masters = out.filter((a) => a.kind === 'transition' && a.to === 'MASTER');
  assert.is(masters.length, 2);
  assert.is(masters.map((a) => (a.kind === 'transition' ? a.reason : '')).sort().join(), 'master-down,sync-group');
});

test('sync group: a weighted tracker of one member lowers every member, so the peer takes the whole group', () => {
  const sim = new Sim();
  const node = (name: string, addr: string, prio: number, track: boolean) => sim.add(name, addr, {
    instances: [
      { ...instanceConfig('vi', addr, { priority: prio, vrid: 7 }), tracks: track ? [{ kind: 'interface', name: 'eth1', weight: -60 }] : [] },
      instanceConfig('vi2', addr, { priority: prio, vrid: 8 }),
    ],
    syncGroups: [{ name: 'g', instances: ['vi', 'vi2'] }],
  });
  const A = node('A', '192.0.2.1', 200, true);
  const B = node('B', '192.0.2.2', 150, false);
  sim.start(A);
  sim.start(B);
  sim.runUntil(10_000);
  assert.equal([sim.state(A, 'vi'), sim.state(A, 'vi2')], ['MASTER', 'MASTER']);
  sim.handle(A, A.engine.link(sim.now, 'eth1', false));
  assert.equal([A.engine.instance('vi')!.effectivePriority, A.engine.instance('vi2')!.effectivePriority], [140, 140]);
  sim.runUntil(20_000);
  assert.equal([sim.state(B, 'vi'), sim.state(B, 'vi2')], ['MASTER', 'MASTER']);
  assert.equal([sim.state(A, 'vi'), sim.state(A, 'vi2')], ['BACKUP', 'BACKUP']);
});

test('sync group: a member stepping down for a higher priority takes the other to BACKUP', () => {
  const sim = new Sim();
  const A = groupNode(sim, 'A', '192.0.2.1', 100);
  sim.start(A);
  sim.runUntil(10_000);
  assert.equal([sim.state(A, 'vi'), sim.state(A, 'vi2')], ['MASTER', 'MASTER']);
  const src = ip('192.0.2.9');
  sim.handle(A, A.engine.receive(sim.now, sim.now, 'eth0', {
    payload: encodeAdvert({ version: 3, vrid: 7, priority: 250, intervalCs: 100, addresses: [ip('192.0.2.100')] }, { source: src, destination: GROUP }),
    source: src, destination: GROUP, ttl: 255,
  }));
  assert.equal([sim.state(A, 'vi'), sim.state(A, 'vi2')], ['BACKUP', 'BACKUP']);
});

// Accelerated failover: see accelerated.test.ts.

test('engine counts drops by reason: per interface before the VRID is known, per instance after', () => {
  const e = new VrrpEngine({ instances: [instanceConfig('vi', '192.0.2.2')] });
  e.start(0);
  const src = ip('192.0.2.1');
  const good = encodeAdvert({ version: 3, vrid: 7, priority: 100, intervalCs: 100, addresses: [ip('192.0.2.100')] }, { source: src, destination: GROUP });
  const other = encodeAdvert({ version: 3, vrid: 9, priority: 100, intervalCs: 100, addresses: [ip('192.0.2.100')] }, { source: src, destination: GROUP });
  const rx = (payload: Uint8Array, ttl = 255, ifname = 'eth0') => e.receive(1, 1, ifname, { payload, source: src, destination: GROUP, ttl });
  rx(good.subarray(0, 5));
  rx(good, 64);
  rx(other);
  rx(good, 255, 'eth1');
  const bad = Uint8Array.from(good); bad[7]! ^= 1;
  rx(bad);
  rx(good);
  const s = e.status();
  assert.is(s.interfaceDrops['eth0']!.too_short, 1);
  assert.is(s.interfaceDrops['eth0']!.ttl, 1);
  assert.is(s.interfaceDrops['eth0']!.unknown_vrid, 1);
  assert.is(s.interfaceDrops['eth1']!.unknown_vrid, 1);
  assert.is(s.instances[0]!.drops.checksum, 1);
  assert.is(s.instances[0]!.counters.advertsIn, 1);
});

test.run();
