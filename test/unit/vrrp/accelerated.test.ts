// Accelerated failover with signed sync-link heartbeats (instance.ts, heartbeat-link.ts), on the
// simulated segment and a fake clock: A (200) is MASTER, B (100) BACKUP, VRRPv3 at 1 s adverts,
// heartbeats every 20 ms each way (60 ms timeout) through the engines' real encode/check path,
// with each direction of each path cut on its own. What a user would notice: how soon B takes
// over when A dies, and that one broken path (either direction) never makes two masters; forged,
// replayed and pre-restart heartbeats change nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sim, instanceConfig } from './sim.ts';
import type { SimNode } from './sim.ts';
import { mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';
import { masterDownMs } from '../../../src/vrrp/timers.ts';
import type { HeartbeatKey } from '../../../src/vrrp/heartbeat.ts';
import { encodeHeartbeat } from '../../../src/vrrp/heartbeat.ts';
import { VrrpEngine } from '../../../src/vrrp/engine.ts';
import type { EngineConfig } from '../../../src/vrrp/engine.ts';

const I = 20;
const T = 60;
const WALL0 = 1_800_000_000_000;
const SYNC = { A: ip('198.51.100.1'), B: ip('198.51.100.2') };
const KEY: HeartbeatKey = { id: 1, secret: new TextEncoder().encode('0123456789abcdef0123456789abcdef') };

interface Net {
  sim: Sim;
  A: SimNode;
  B: SimNode;
  /** Heartbeat paths, per direction; a box that is not `alive` sends nothing. */
  hb: { AB: boolean; BA: boolean };
  alive: { A: boolean; B: boolean };
  /** Every heartbeat A sent, as bytes (for replays). */
  sentByA: Uint8Array[];
  phase: { A: number; B: number };
}

const cfg = (name: 'A' | 'B', priority: number, key: HeartbeatKey | undefined): EngineConfig => ({
  instances: [instanceConfig('vi', name === 'A' ? '192.0.2.1' : '192.0.2.2', { priority, pairOnly: true, accelerated: { heartbeatTimeoutMs: T, heartbeatIntervalMs: I } })],
  heartbeat: { local: SYNC[name], peer: name === 'A' ? SYNC.B : SYNC.A, ...(key ? { key } : {}) },
});

/** `key` null: unsigned heartbeats. */
function setup(key: HeartbeatKey | null = KEY, phaseB = 7): Net {
  const sim = new Sim();
  const A = sim.add('A', '192.0.2.1', cfg('A', 200, key ?? undefined));
  const B = sim.add('B', '192.0.2.2', cfg('B', 100, key ?? undefined));
  const net: Net = { sim, A, B, hb: { AB: true, BA: true }, alive: { A: true, B: true }, sentByA: [], phase: { A: 0, B: phaseB } };
  sim.start(A);
  run(net, 3500);
  sim.start(B);
  run(net, 10_000);
  assert.equal(sim.masters(), ['A']);
  assert.is(sim.state(B), 'BACKUP');
  return net;
}

/** Advances to `until` in 1 ms steps, with each live box sending a heartbeat every I ms (at its phase). */
function run(net: Net, until: number): void {
  const { sim } = net;
  const tick = (from: 'A' | 'B', after: number) => after + I - ((((after - net.phase[from]) % I) + I) % I);
  for (;;) {
    const t = Math.min(tick('A', Math.floor(sim.now)), tick('B', Math.floor(sim.now)));
    if (t > until) break;
    sim.runUntil(t);
    for (const [from, to, path] of [['A', 'B', 'AB'], ['B', 'A', 'BA']] as const) {
      if (!net.alive[from] || (t - net.phase[from]) % I !== 0) continue;
      const bytes = net[from].engine.heartbeatOut(t, WALL0 + t);
      if (from === 'A') net.sentByA.push(bytes);
      if (net.hb[path] && net.alive[to]) sim.handle(net[to], net[to].engine.heartbeatIn(t, WALL0 + t, SYNC[from], bytes));
    }
  }
  sim.runUntil(until);
}

const kill = (net: Net) => {
  net.A.up = false;
  net.alive.A = false;
};
const lastHeartbeatOfA = (net: Net) => {
  const t = net.sim.now;
  return t - ((t - net.phase.A) % I);
};

test('A dies (both paths lost): B takes over T + 2 I after A\'s last heartbeat, reason accelerated, well under 150 ms', () => {
  for (const at of [10_003, 10_511, 10_990]) {
    const net = setup();
    run(net, at);
    const last = lastHeartbeatOfA(net);
    kill(net);
    run(net, at + 5000);
    assert.is(net.sim.enteredAt(net.B, 'MASTER'), last + T + 2 * I, `killed at ${at}`);
    assert.ok(net.sim.enteredAt(net.B, 'MASTER')! - at <= 100);
    const reason = net.B.log.find((a) => a.kind === 'transition' && a.to === 'MASTER');
    assert.ok(reason?.kind === 'transition' && reason.reason === 'accelerated');
  }
});

test('only the advert path lost: fresh heartbeats say A is MASTER, so B never becomes a second master', () => {
  const net = setup();
  net.A.up = false; // A's adverts no longer arrive; it lives and beats
  run(net, 40_000);
  assert.is(net.sim.state(net.B), 'BACKUP');
  assert.is(net.B.engine.instance('vi')!.counters.vetoes, 1);
  // A stall of A (its heartbeats late by less than an interval) does not end the veto ...
  net.alive.A = false;
  run(net, 40_900);
  assert.is(net.sim.state(net.B), 'BACKUP');
  net.alive.A = true;
  run(net, 45_000);
  assert.is(net.sim.state(net.B), 'BACKUP');
  // ... but when the heartbeats stop for an advert interval, B takes over.
  net.alive.A = false;
  const last = lastHeartbeatOfA(net);
  run(net, 47_000);
  assert.is(net.sim.state(net.B), 'MASTER');
  assert.is(net.sim.enteredAt(net.B, 'MASTER'), last + 1000);
});

for (const [name, cut] of [['both directions', { AB: false, BA: false }], ['A to B only', { AB: false, BA: true }], ['B to A only', { AB: true, BA: false }]] as const) {
  test(`only the sync link lost (${name}): A proves it lives with an advert, B stays BACKUP, at any phase`, () => {
    for (let k = 0; k < 20; k += 3) {
      const net = setup(KEY, k);
      run(net, 10_000 + k * 37);
      Object.assign(net.hb, cut);
      run(net, 16_000);
      assert.equal(net.sim.masters(), ['A'], `phase ${k}, cut at ${10_000 + k * 37}`);
      assert.is(net.sim.state(net.B), 'BACKUP');
      if (cut.AB === false) assert.ok(net.A.engine.instance('vi')!.counters.proofAdverts >= 1);
    }
  });
}

test('a forged "MASTER of vi" (wrong key) does not hold B back when A is dead; counted as mac', () => {
  const net = setup();
  const forger = { id: 1, secret: new TextEncoder().encode('not-the-key-not-the-key-not-the!') };
  kill(net);
  const from = net.sim.now;
  for (let t = from + 1; t < from + 10_000; t += 10) {
    net.sim.runUntil(t);
    const forged = encodeHeartbeat({ counter: BigInt(WALL0 + t) * 1000n, echo: 0n, masters: ['vi'] }, { key: forger, source: SYNC.A });
    net.sim.handle(net.B, net.B.engine.heartbeatIn(t, WALL0 + t, SYNC.A, forged));
    // unsigned ones too
    const unsigned = encodeHeartbeat({ counter: BigInt(WALL0 + t) * 1000n + 1n, echo: 0n, masters: ['vi'] });
    net.sim.handle(net.B, net.B.engine.heartbeatIn(t, WALL0 + t, SYNC.A, unsigned));
  }
  assert.is(net.sim.state(net.B), 'MASTER');
  assert.is(net.B.engine.instance('vi')!.counters.vetoes, 0);
  const drops = net.B.engine.status().heartbeat!.drops;
  assert.ok(drops.mac > 900 && drops.key_id > 900, JSON.stringify(drops));
});

test('a forged empty list (wrong key) does not make B take over while A lives and only the advert path is lost', () => {
  const net = setup();
  net.A.up = false;
  const forger = { id: 1, secret: new TextEncoder().encode('not-the-key-not-the-key-not-the!') };
  for (let t = net.sim.now + 5; t < 30_000; t += 5) {
    run(net, t);
    {
      const forged = encodeHeartbeat({ counter: BigInt(WALL0 + t) * 1000n + 7n, echo: 0n, masters: [] }, { key: forger, source: SYNC.A });
      net.sim.handle(net.B, net.B.engine.heartbeatIn(t, WALL0 + t, SYNC.A, forged));
    }
  }
  assert.is(net.sim.state(net.B), 'BACKUP');
  assert.equal(net.sim.masters(), ['A']);
});

test('replayed heartbeats of A (captured while it was MASTER) are refused after A dies: B takes over on time', () => {
  const net = setup();
  const captured = net.sentByA.slice(-200);
  const last = lastHeartbeatOfA(net);
  kill(net);
  let i = 0;
  const from = net.sim.now;
  for (let t = from + 1; t < from + 2000; t += 5) {
    net.sim.runUntil(t);
    net.sim.handle(net.B, net.B.engine.heartbeatIn(t, WALL0 + t, SYNC.A, captured[i++ % captured.length]!));
  }
  assert.is(net.sim.enteredAt(net.B, 'MASTER'), last + T + 2 * I);
  assert.ok(net.B.engine.status().heartbeat!.drops.replay >= 200);
});

test('a restarted B: heartbeats captured before the restart never start a takeover (clock, then no echo of ours)', () => {
  const net = setup();
  const old = net.sentByA.slice(-100);
  // B restarts: a new engine, nothing remembered.
  const B2 = new VrrpEngine(cfg('B', 100, KEY));
  const t0 = net.sim.now;
  B2.start(t0);
  // A capture older than a minute is refused by the clock check ...
  const ancient = encodeHeartbeat({ counter: BigInt(WALL0 + t0 - 120_000) * 1000n, echo: 0n, masters: ['vi'] }, { key: KEY, source: SYNC.A });
  B2.heartbeatIn(t0, WALL0 + t0, SYNC.A, ancient);
  assert.is(B2.status().heartbeat!.drops.clock, 1);
  // ... a recent one is taken (its counter is new to B2) but untrusted: it echoes no counter B2 sent.
  B2.heartbeatOut(t0 + 1, WALL0 + t0 + 1);
  B2.heartbeatIn(t0 + 2, WALL0 + t0 + 2, SYNC.A, old[0]!);
  assert.is(B2.status().heartbeat!.trusted, false);
  // So with A silent afterwards, no accelerated takeover: B2 waits for the normal timers.
  let t = t0 + 2;
  for (; t < t0 + 10_000 && B2.instance('vi')!.state !== 'MASTER'; t++) {
    const d = B2.deadline();
    if (d !== undefined && d <= t) B2.timer(t);
  }
  assert.ok(t - t0 >= masterDownMs(3, 100, 1000) - 5, `took ${t - t0} ms`);
});

test('restarts of either side: trust comes back with the first echo, counters keep growing', () => {
  const net = setup();
  assert.is(net.B.engine.status().heartbeat!.trusted, true);
  assert.is(net.A.engine.status().heartbeat!.trusted, true);
  // A restarts (a new engine with a new counter clock): B takes its counters (the clock moved on).
  const dropsBefore = { ...net.B.engine.status().heartbeat!.drops };
  const A2 = new VrrpEngine(cfg('A', 200, KEY));
  A2.start(net.sim.now);
  const t = net.sim.now + 1;
  net.B.engine.heartbeatIn(t, WALL0 + t, SYNC.A, A2.heartbeatOut(t, WALL0 + t));
  assert.equal(net.B.engine.status().heartbeat!.drops, dropsBefore);
  assert.is(net.B.engine.status().heartbeat!.received > 0, true);
});

test('without a key: heartbeats may veto (delay) but never speed up a takeover', () => {
  const net = setup(null);
  assert.is(net.B.engine.status().heartbeat!.signed, false);
  run(net, 10_500);
  kill(net);
  const killedAt = net.sim.now;
  run(net, 20_000);
  const took = net.sim.enteredAt(net.B, 'MASTER')! - killedAt;
  assert.ok(took > 2000, `took ${took} ms: no acceleration without a key`);
  const reason = net.B.log.find((a) => a.kind === 'transition' && a.to === 'MASTER');
  assert.ok(reason?.kind === 'transition' && reason.reason === 'master-down');
});

test('graceful handover in a pair with a sync link: priority 0 beats the fresh heartbeat, MASTER at once', () => {
  const net = setup();
  net.sim.handle(net.A, net.A.engine.shutdown(net.sim.now));
  const at = net.sim.now;
  net.sim.runUntil(at + 1);
  assert.equal(net.sim.masters(), ['B']);
  assert.is(net.sim.enteredAt(net.B, 'MASTER'), at);
  assert.is(net.B.engine.instance('vi')!.counters.vetoes, 0);
});

test.run();
