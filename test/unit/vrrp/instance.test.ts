// Every state transition of one instance, driven by hand with a fake clock (no timers anywhere).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VrrpInstance } from '../../../src/vrrp/instance.ts';
import type { Action, InstanceOptions } from '../../../src/vrrp/instance.ts';
import type { Advert } from '../../../src/vrrp/codec.ts';
import { mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';
import { masterDownMs, skewMs } from '../../../src/vrrp/timers.ts';

const ME = ip('192.0.2.2');
const LOWER_ADDR = ip('192.0.2.1');
const HIGHER_ADDR = ip('192.0.2.3');

const mk = (o: Partial<InstanceOptions> = {}) => new VrrpInstance({
  name: 'vi', vrid: 7, version: 3, priority: 100, advertIntervalMs: 1000, preempt: true, preemptDelayMs: 0, primaryAddress: ME, ...o,
});
const adv = (priority: number, intervalCs = 100, version: 2 | 3 = 3): Advert => ({
  version, type: 1, vrid: 7, priority, intervalCs, addresses: [ip('192.0.2.100')], authType: 0, authData: new Uint8Array(0), checksum: 0, length: 12,
});
const kinds = (as: Action[]) => as.map((a) => (a.kind === 'transition' ? `${a.from}->${a.to}:${a.reason}` : a.kind === 'send-advert' ? `advert(${a.priority})` : a.kind === 'send-garp' ? `garp(${a.repeat},${a.why})` : a.kind === 'notice' ? `notice(${a.what})` : a.kind));

test('timer formulas: v2 skew ignores the interval, v3 scales with it (RFC 3768 / 5798)', () => {
  assert.is(skewMs(2, 100, 1000), 609.375);
  assert.is(masterDownMs(2, 100, 1000), 3609.375);
  assert.is(masterDownMs(2, 128, 1000), 3500); // keepalived man page example
  assert.is(masterDownMs(2, 100, 2000), 6609.375); // skew still < 1 s
  assert.is(skewMs(3, 100, 100), 60.9375);
  assert.is(masterDownMs(3, 100, 100), 360.9375); // reference: about 0.36 s
  assert.is(skewMs(3, 255, 1000), 1000 / 256);
});

test('start: BACKUP with a full Master_Down_Interval; nothing before it', () => {
  const i = mk();
  assert.equal(kinds(i.start(0)), ['INIT->BACKUP:start']);
  assert.is(i.deadline(), 3000 + 609.375);
  assert.equal(i.timer(3609), []);
  assert.is(i.state, 'BACKUP');
});

test('BACKUP -> MASTER on master-down: hooks, advert, VIPs, gARP in that order; then adverts at a fixed cadence', () => {
  const i = mk({ garp: { repeat: 5, delayMs: 5000, refreshMs: 0 } });
  i.start(0);
  assert.equal(kinds(i.timer(3609.375)), ['BACKUP->MASTER:master-down', 'master-hooks', 'advert(100)', 'add-vips', 'garp(5,become-master)']);
  assert.is(i.deadline(), 4609.375);
  assert.equal(kinds(i.timer(4609.375)), ['advert(100)']);
  // late by 300 ms: the next one is still on the original cadence
  assert.equal(kinds(i.timer(5909.375)), ['advert(100)']);
  assert.is(i.deadline(), 6609.375);
  // the second gARP burst after garp delay (5 s after becoming master)
  assert.equal(kinds(i.timer(8609.375)), ['advert(100)', 'garp(5,second-burst)']);
  // a stall longer than an interval restarts the cadence from now
  assert.equal(kinds(i.timer(20000)), ['advert(100)']);
  assert.is(i.deadline(), 21000);
});

test('gARP refresh while MASTER', () => {
  const i = mk({ priority: 255, garp: { repeat: 2, delayMs: 0, refreshMs: 10_000, refreshRepeat: 1 } });
  i.start(0);
  let garps = 0;
  for (let t = 0; t <= 30_000; t += 1000) garps += i.timer(t).filter((a) => a.kind === 'send-garp').length;
  assert.is(garps, 3);
});

test('priority 255 (owner): MASTER at start, without waiting', () => {
  const i = mk({ priority: 255 });
  assert.equal(kinds(i.start(0)), ['INIT->BACKUP:start', 'BACKUP->MASTER:owner', 'master-hooks', 'advert(255)', 'add-vips', 'garp(5,become-master)']);
});

test('BACKUP accepts higher or equal priority: the down timer restarts from each advert', () => {
  const i = mk();
  i.start(0);
  i.advert(3000, HIGHER_ADDR, adv(150));
  assert.is(i.deadline(), 3000 + 3609.375 - 3000 + 3000);
  i.advert(6000, LOWER_ADDR, adv(100)); // equal priority, lower address: still accepted by a backup
  assert.is(i.deadline(), 6000 + masterDownMs(3, 100, 1000));
  assert.is(i.status().masterAddress, LOWER_ADDR);
  assert.is(i.status().masterPriority, 100);
});

test('v3 BACKUP adopts the master interval; on becoming MASTER it uses its own again', () => {
  const i = mk({ advertIntervalMs: 1000 });
  i.start(0);
  i.advert(100, HIGHER_ADDR, adv(200, 10)); // master sends every 100 ms
  assert.is(i.status().masterAdverIntervalMs, 100);
  assert.is(i.deadline(), 100 + masterDownMs(3, 100, 100));
  const acts = i.timer(100 + masterDownMs(3, 100, 100));
  assert.is(i.state, 'MASTER');
  assert.ok(kinds(acts).includes('advert(100)'));
  assert.is(i.status().masterAdverIntervalMs, 1000);
  assert.is(i.deadline(), 100 + masterDownMs(3, 100, 100) + 1000);
});

test('v2 BACKUP keeps its own interval (equal by validation)', () => {
  const i = mk({ version: 2 });
  i.start(0);
  i.advert(500, HIGHER_ADDR, adv(200, 100, 2));
  assert.is(i.deadline(), 500 + 3609.375);
});

test('priority 0 from the master: the backup takes over after Skew_Time only', () => {
  const i = mk();
  i.start(0);
  i.advert(1000, HIGHER_ADDR, adv(200));
  i.advert(1500, HIGHER_ADDR, adv(0));
  assert.is(i.deadline(), 1500 + 609.375);
  assert.equal(kinds(i.timer(1500 + 609.375)).slice(0, 1), ['BACKUP->MASTER:master-down']);
  assert.is(i.counters.priorityZeroIn, 1);
  // v3 at 100 ms adverts: skew is a fraction of the interval
  const j = mk({ advertIntervalMs: 100 });
  j.start(0);
  j.advert(10, HIGHER_ADDR, adv(200, 10));
  j.advert(20, HIGHER_ADDR, adv(0, 10));
  assert.is(j.deadline(), 20 + 60.9375);
});

test('priority 0 in a pair (pairOnly): no other backup to order against, MASTER at once', () => {
  const i = mk({ pairOnly: true });
  i.start(0);
  i.advert(1000, HIGHER_ADDR, adv(200));
  i.advert(1500, HIGHER_ADDR, adv(0));
  assert.is(i.deadline(), 1500);
  assert.equal(kinds(i.timer(1500)).slice(0, 1), ['BACKUP->MASTER:master-down']);
});

test('preempt: a BACKUP ignores a lower-priority master and takes over when its timer runs out', () => {
  const i = mk({ priority: 150 });
  i.start(0);
  for (let t = 500; t < 3500; t += 1000) i.advert(t, HIGHER_ADDR, adv(100));
  assert.is(i.counters.preempting, 3);
  assert.is(i.deadline(), masterDownMs(3, 150, 1000));
  i.timer(masterDownMs(3, 150, 1000));
  assert.is(i.state, 'MASTER');
});

test('nopreempt: a BACKUP accepts a lower-priority master for ever', () => {
  const i = mk({ priority: 150, preempt: false });
  i.start(0);
  for (let t = 500; t < 20_000; t += 1000) {
    i.advert(t, HIGHER_ADDR, adv(100));
    i.timer(t);
  }
  assert.is(i.state, 'BACKUP');
});

test('preempt_delay: lower priority accepted until the delay after start has passed (additive to master-down)', () => {
  const i = mk({ priority: 150, preemptDelayMs: 2000 });
  i.start(0);
  let t = 500;
  for (; t < 2000; t += 1000) i.advert(t, HIGHER_ADDR, adv(100));
  assert.is(i.counters.preempting, 0);
  for (; t < 10_000 && i.state === 'BACKUP'; t += 1000) {
    i.advert(t, HIGHER_ADDR, adv(100));
    i.timer(t);
  }
  assert.is(i.state, 'MASTER');
  // last accepted advert at 1500 -> master at 1500 + Master_Down_Interval
  assert.is(i.status().counters.becameMaster, 1);
  assert.ok(t - 1000 >= 1500 + masterDownMs(3, 150, 1000));
});

test('MASTER hearing a higher priority steps down: one advert with its own priority (not 0), VIPs removed; adopts the interval', () => {
  const i = mk({ priority: 255 });
  i.start(0);
  const acts = i.advert(100, HIGHER_ADDR, adv(255, 50));
  assert.equal(kinds(acts), ['MASTER->BACKUP:higher-priority', 'advert(255)', 'remove-vips']);
  assert.is(i.status().masterAdverIntervalMs, 500);
  assert.is(i.deadline(), 100 + masterDownMs(3, 255, 500));
});

test('MASTER tie-break: equal priority, the higher primary address wins', () => {
  const i = mk();
  i.start(0);
  i.timer(3609.375);
  assert.equal(kinds(i.advert(4000, HIGHER_ADDR, adv(100))), ['MASTER->BACKUP:higher-priority', 'advert(100)', 'remove-vips']);
  const k = mk({ higherPrioritySendAdvert: false });
  k.start(0);
  k.timer(3609.375);
  assert.equal(kinds(k.advert(4000, HIGHER_ADDR, adv(101))), ['MASTER->BACKUP:higher-priority', 'remove-vips']);
  const j = mk();
  j.start(0);
  j.timer(3609.375);
  assert.equal(kinds(j.advert(4000, LOWER_ADDR, adv(100))), ['notice(master-rx-lower-priority)', 'advert(100)', 'garp(5,lower-priority)']);
  assert.is(j.state, 'MASTER');
});

test('MASTER hearing a lower priority re-advertises at once and re-gARPs (rate-limited): split-brain heal', () => {
  const i = mk({ priority: 200, garp: { lowerPriorityRepeat: 3 } });
  i.start(0);
  i.timer(masterDownMs(3, 200, 1000));
  const t0 = 4000;
  assert.equal(kinds(i.advert(t0, LOWER_ADDR, adv(100))), ['notice(master-rx-lower-priority)', 'advert(200)', 'garp(3,lower-priority)']);
  assert.is(i.deadline(), t0 + 1000, 'advert timer restarted');
  assert.equal(kinds(i.advert(t0 + 200, LOWER_ADDR, adv(100))), ['notice(master-rx-lower-priority)', 'advert(200)']);
  assert.equal(kinds(i.advert(t0 + 1200, LOWER_ADDR, adv(100))), ['notice(master-rx-lower-priority)', 'advert(200)', 'garp(3,lower-priority)']);
});

test('MASTER hearing priority 0 answers with an advert at once', () => {
  const i = mk({ priority: 255 });
  i.start(0);
  assert.equal(kinds(i.advert(300, LOWER_ADDR, adv(0))), ['advert(255)']);
  assert.is(i.deadline(), 1300);
  assert.is(i.state, 'MASTER');
});

test('FAULT: from MASTER sends priority 0 and removes VIPs; from BACKUP stops the timer; clearing goes BACKUP', () => {
  const i = mk({ priority: 255 });
  i.start(0);
  assert.equal(kinds(i.setFault(100, true)), ['MASTER->FAULT:fault', 'advert(0)', 'remove-vips']);
  assert.is(i.deadline(), undefined);
  assert.equal(i.advert(200, HIGHER_ADDR, adv(100)), [], 'adverts ignored in FAULT');
  // owner: straight back to MASTER
  assert.equal(kinds(i.setFault(300, false)).slice(0, 2), ['FAULT->BACKUP:fault-cleared', 'BACKUP->MASTER:owner']);
  const j = mk();
  j.start(0);
  assert.equal(kinds(j.setFault(100, true)), ['BACKUP->FAULT:fault']);
  assert.equal(kinds(j.setFault(200, false)), ['FAULT->BACKUP:fault-cleared']);
  assert.is(j.deadline(), 200 + 3609.375 - 609.375 + skewMs(3, 100, 1000));
  // a fault before start: starts in FAULT
  const k = mk();
  k.setFault(0, true);
  assert.equal(kinds(k.start(0)), ['INIT->FAULT:fault']);
});

test('shutdown: a MASTER sends priority 0 and removes VIPs; a BACKUP just stops; nothing after', () => {
  const i = mk({ priority: 255 });
  i.start(0);
  assert.equal(kinds(i.shutdown(50)), ['MASTER->INIT:shutdown', 'advert(0)', 'remove-vips']);
  assert.is(i.counters.priorityZeroOut, 1);
  assert.is(i.deadline(), undefined);
  assert.equal(i.shutdown(60), []);
  const j = mk();
  j.start(0);
  assert.equal(kinds(j.shutdown(50)), ['BACKUP->INIT:shutdown']);
});

test('priority change in BACKUP shifts the pending expiry by the change in skew (keepalived)', () => {
  const i = mk();
  i.start(0);
  i.advert(1000, HIGHER_ADDR, adv(200));
  const before = i.deadline()!;
  i.setPriority(1100, 50);
  assert.is(i.deadline(), before + skewMs(3, 50, 1000) - skewMs(3, 100, 1000));
  assert.is(i.effectivePriority, 50);
});

test('MASTER adverts carry the effective priority', () => {
  const i = mk({ priority: 255 });
  i.start(0);
  const j = mk({ priority: 200 });
  j.start(0);
  j.timer(masterDownMs(3, 200, 1000));
  j.setPriority(4000, 90);
  assert.equal(kinds(j.timer(masterDownMs(3, 200, 1000) + 1000)), ['advert(90)']);
});


test('a takeover found due only after an event-loop stall waits one turn for what was queued meanwhile: no second master', () => {
  // B at 100 ms adverts with accelerated failover (heartbeats every 20 ms, 60 ms timeout): the
  // master's adverts and heartbeats keep coming, but B's loop stalls 150 ms after the last one it
  // read. Its timer then runs first, past the accelerated deadline (last heartbeat + T + 2 I).
  const live = () => {
    const i = mk({ advertIntervalMs: 100, accelerated: { heartbeatTimeoutMs: 60, heartbeatIntervalMs: 20 } });
    i.start(0);
    for (let t = 0; t <= 1000; t += 20) {
      if (t % 100 === 0) i.advert(t, HIGHER_ADDR, adv(200, 10));
      i.heartbeat(t, true, true);
    }
    assert.is(i.deadline(), 1100, 'the accelerated deadline');
    return i;
  };
  const i = live();
  assert.equal(kinds(i.timer(1150)), [], 'stale: not decided before reading the sockets');
  assert.is(i.deadline(), 1151);
  // What the shell reads first on the next turn: the heartbeats and the advert that arrived.
  for (let t = 1020; t <= 1140; t += 20) i.heartbeat(1150.5, true, true);
  i.advert(1150.5, HIGHER_ADDR, adv(200, 10));
  assert.equal(kinds(i.timer(1151)), []);
  assert.is(i.state, 'BACKUP');
  assert.is(i.counters.staleRechecks, 1);
  // The master really gone: the look again, one turn later, takes over.
  const j = live();
  assert.equal(kinds(j.timer(1150)), []);
  assert.equal(kinds(j.timer(1151)).slice(0, 1), ['BACKUP->MASTER:accelerated']);
  // The same for the Master_Down_Interval without heartbeats, and on time nothing waits.
  const k = mk({ advertIntervalMs: 100 });
  k.start(0);
  k.advert(0, HIGHER_ADDR, adv(200, 10));
  const down = masterDownMs(3, 100, 100);
  assert.equal(kinds(k.timer(down + 200)), []);
  k.advert(down + 200.5, HIGHER_ADDR, adv(200, 10));
  assert.equal(kinds(k.timer(down + 201)), []);
  const l = mk({ advertIntervalMs: 100 });
  l.start(0);
  l.advert(0, HIGHER_ADDR, adv(200, 10));
  assert.equal(kinds(l.timer(down + 1)).slice(0, 1), ['BACKUP->MASTER:master-down']);
});

test.run();
