// Preempt hold (instance.ts, engine.ts): a BACKUP that would preempt a live lower-priority master
// waits while the hold lasts (the daemon holds until the first conntrack bulk sync), yet still
// becomes MASTER when no master is heard. Fake clock, no timers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VrrpInstance } from '../../../src/vrrp/instance.ts';
import type { InstanceOptions } from '../../../src/vrrp/instance.ts';
import type { Advert } from '../../../src/vrrp/codec.ts';
import { mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';
import { masterDownMs } from '../../../src/vrrp/timers.ts';
import { Sim, instanceConfig } from './sim.ts';

const ME = ip('192.0.2.2');
const PEER = ip('192.0.2.3');
const mk = (o: Partial<InstanceOptions> = {}) => new VrrpInstance({
  name: 'vi', vrid: 7, version: 3, priority: 150, advertIntervalMs: 1000, preempt: true, preemptDelayMs: 0, primaryAddress: ME, ...o,
});
const adv = (priority: number): Advert => ({
  version: 3, type: 1, vrid: 7, priority, intervalCs: 100, addresses: [ip('192.0.2.100')], authType: 0, authData: new Uint8Array(0), checksum: 0, length: 12,
});
const DOWN = masterDownMs(3, 150, 1000);

/** Adverts from a priority-100 master every second from 500 until `until`, timers run each ms step. */
function feed(i: VrrpInstance, from: number, until: number): number {
  let t = from;
  for (; t < until && i.state === 'BACKUP'; t += 1000) {
    i.timer(t);
    if (i.state !== 'BACKUP') break;
    i.advert(t, PEER, adv(100));
  }
  return t;
}

test('held: a lower-priority live master is accepted until the hold ends, then preempted', () => {
  const i = mk();
  i.start(0);
  i.holdPreempt(5000);
  assert.ok(i.preemptHeld(0));
  feed(i, 500, 5000);
  assert.is(i.state, 'BACKUP');
  assert.is(i.counters.preempting, 0);
  assert.is(i.status().masterPriority, 100);
  // The hold ended at 5000: later adverts are not accepted; the last accepted one (4500) times out.
  assert.not.ok(i.preemptHeld(5000));
  feed(i, 5500, 20_000);
  assert.is(i.state, 'MASTER');
  assert.ok(i.counters.preempting >= 1);
});

test('released early: preempting resumes one Master_Down_Interval after the last accepted advert', () => {
  const i = mk();
  i.start(0);
  i.holdPreempt(60_000);
  feed(i, 500, 3000); // accepted at 500, 1500, 2500
  i.releasePreempt();
  assert.not.ok(i.preemptHeld(3000));
  feed(i, 3500, 20_000);
  assert.is(i.state, 'MASTER');
  assert.is(i.counters.becameMaster, 1);
});

test('held, but nobody is master: the BACKUP still takes over after Master_Down_Interval', () => {
  const i = mk();
  i.start(0);
  i.holdPreempt(60_000);
  assert.is(i.deadline(), DOWN);
  i.timer(DOWN);
  assert.is(i.state, 'MASTER');
});

test('held: a higher-priority master is accepted as always; nopreempt is unchanged after the hold', () => {
  const i = mk({ preempt: false });
  i.start(0);
  i.holdPreempt(2000);
  feed(i, 500, 20_000);
  assert.is(i.state, 'BACKUP');
});

test('engine: holdPreempt on named instances only; a later higher-priority box waits, then preempts', () => {
  const sim = new Sim();
  const A = sim.add('A', '192.0.2.1', { instances: [instanceConfig('vi', '192.0.2.1', { priority: 100 })] });
  const B = sim.add('B', '192.0.2.2', { instances: [instanceConfig('vi', '192.0.2.2', { priority: 200 })] });
  sim.start(A);
  sim.runUntil(10_000);
  assert.equal(sim.masters(), ['A']);
  sim.start(B);
  B.engine.holdPreempt(sim.now, 20_000, ['vi']);
  assert.throws(() => B.engine.holdPreempt(sim.now, 1, ['nope']), /no VRRP instance nope/);
  sim.runUntil(29_000);
  assert.equal(sim.masters(), ['A'], 'held for 20 s');
  sim.runUntil(40_000);
  assert.equal(sim.masters(), ['B'], 'preempted once the hold ran out');
  // Released at once: preempts one Master_Down_Interval after the release.
  const sim2 = new Sim();
  const A2 = sim2.add('A', '192.0.2.1', { instances: [instanceConfig('vi', '192.0.2.1', { priority: 100 })] });
  const B2 = sim2.add('B', '192.0.2.2', { instances: [instanceConfig('vi', '192.0.2.2', { priority: 200 })] });
  sim2.start(A2);
  sim2.runUntil(10_000);
  sim2.start(B2);
  B2.engine.holdPreempt(sim2.now, 600_000);
  sim2.runUntil(15_000);
  assert.equal(sim2.masters(), ['A']);
  B2.engine.releasePreempt();
  sim2.runUntil(15_000 + 1000 + masterDownMs(3, 200, 1000) + 1);
  assert.equal(sim2.masters(), ['B']);
});

test.run();
