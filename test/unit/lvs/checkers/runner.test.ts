// Thousands of checks on one fake clock: every check starts on its own interval grid, however
// many share the loop and however late the loop wakes; the heap holds each check once at most.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CheckerRunner, TimerHeap } from '../../../../src/lvs/checkers/index.ts';
import type { RunnerAction, ServiceSpec } from '../../../../src/lvs/checkers/index.ts';
import { check } from './helpers.ts';

function farm(n: number, intervalMs: number): ServiceSpec[] {
  const services: ServiceSpec[] = [];
  for (let s = 0; s < n / 10; s++) {
    services.push({
      name: `svc${s}`, haSuspend: false, quorum: 1, hysteresis: 0, onFailure: 'remove', omega: false,
      servers: Array.from({ length: 10 }, (_, i) => {
        const key = `198.51.100.${i + 1}:${1000 + s}`;
        return { key, address: `198.51.100.${i + 1}`, port: 1000 + s, weight: 1, checks: [check(`svc${s}/${key}`, { intervalMs, warmupMs: intervalMs, deadlineMs: 800 }, { kind: 'tcp' }, `198.51.100.${i + 1}`, 1000 + s)] };
      }),
    });
  }
  return services;
}

interface Item { at: number; heapIndex: number; id: number }
const item = (id: number): Item => ({ at: 0, heapIndex: -1, id });

test('heap: pops in deadline order', () => {
  const h = new TimerHeap<Item>();
  const at = [5, 3, 9, 1, 7, 3, 8, 2];
  at.forEach((t, i) => h.set(item(i), t));
  const out: number[] = [];
  while (h.size > 0) out.push(h.pop()!.at);
  assert.equal(out, [...at].sort((a, b) => a - b));
});

test('heap: items set, moved, removed and popped at random always yield the smallest deadline (seeded random)', () => {
  const h = new TimerHeap<Item>();
  const items = Array.from({ length: 200 }, (_, i) => item(i));
  const ref = new Map<Item, number>(); // what is in the heap, at what time
  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 20000; i++) {
    const x = items[Math.floor(rand() * items.length)]!;
    const r = rand();
    if (r < 0.5) {
      // In or moved (earlier or later): each item is in once at most.
      const at = Math.floor(rand() * 1000);
      h.set(x, at);
      ref.set(x, at);
    } else if (r < 0.7) {
      h.remove(x);
      ref.delete(x);
    } else if (ref.size > 0) {
      const min = Math.min(...ref.values());
      const top = h.pop()!;
      assert.is(top.at, min);
      assert.is(ref.get(top), min, 'the popped item is in at that time');
      assert.is(top.heapIndex, -1);
      ref.delete(top);
    }
    assert.is(h.size, ref.size);
  }
  for (const x of items) assert.is(x.heapIndex >= 0, ref.has(x), `item ${x.id}: in the heap as the reference says`);
});

test('5,000 checks at 1 s: each starts exactly on its grid for a simulated minute, also when the loop wakes late', () => {
  const N = 5000;
  let k = 0;
  // Deterministic warm-ups spread over the interval.
  const r = new CheckerRunner(farm(N, 1000), { warmup: (max) => ((k++ * 7919) % N) * (max / N) });
  const starts = new Map<string, number[]>();
  // Answers in flight, in a heap of their own (id = index into `answers`).
  const pending = new TimerHeap<Item>();
  const answers: Array<{ id: string; attempt: number }> = [];
  const take = (as: RunnerAction[], now: number) => {
    for (const a of as) {
      if (a.kind !== 'probe') continue;
      const list = starts.get(a.check.id) ?? [];
      list.push(now);
      starts.set(a.check.id, list);
      // Answers come 1..50 ms later.
      answers.push({ id: a.check.id, attempt: a.attempt });
      pending.set(item(answers.length - 1), now + 1 + (a.attempt * 13) % 50);
    }
  };
  take(r.start(0), 0);
  let now = 0;
  let wakeups = 0;
  while (now < 60_000) {
    const d = r.deadline() ?? Infinity;
    const p = pending.peek()?.at ?? Infinity;
    if (p <= d) {
      const e = pending.pop()!;
      const x = answers[e.id]!;
      now = e.at;
      take(r.result(now, x.id, x.attempt, { ok: true }), now);
      continue;
    }
    // Every 97th wake-up is 300 ms late (a busy loop).
    now = ++wakeups % 97 === 0 ? d + 300 : d;
    take(r.timer(now), now);
  }
  assert.is(starts.size, N);
  let late = 0;
  const grids: number[] = [];
  for (const [id, list] of starts) {
    // The grid: the earliest start less its index (the first check itself may have been late).
    const f = Math.min(...list.map((t, i) => t - i * 1000));
    grids.push(f);
    list.forEach((t, i) => {
      assert.ok(t >= f + i * 1000 - 0.001, `${id} check ${i} early`);
      assert.ok(t <= f + i * 1000 + 300.001, `${id} check ${i} drifted: ${t - (f + i * 1000)} ms late`);
      if (t > f + i * 1000 + 1) late++;
    });
    assert.ok(list.length >= 59, `${id} ran ${list.length} checks in a minute`);
  }
  assert.ok(late > 0, 'the late wake-ups did make some checks late');
  // Spread: warm-up puts the checks' grids all over the interval, a handful per millisecond.
  const perMs = new Map<number, number>();
  for (const t of grids) perMs.set(Math.floor(t), (perMs.get(Math.floor(t)) ?? 0) + 1);
  assert.ok(Math.max(...perMs.values()) <= 10, 'each check keeps its own grid: spread by warm-up, not bunched together by late wake-ups');
  assert.is(r.checkCount, N);
});

test('a stall longer than the interval: every check keeps its own phase (they do not gather at the instant the loop came back)', () => {
  const N = 1000;
  let k = 0;
  const r = new CheckerRunner(farm(N, 1000), { warmup: (max) => ((k++ * 7919) % N) * (max / N) });
  const pending = new TimerHeap<Item>();
  const answers: Array<{ id: string; attempt: number }> = [];
  const starts: number[] = [];
  const take = (as: RunnerAction[], now: number) => {
    for (const a of as) {
      if (a.kind !== 'probe') continue;
      starts.push(now);
      answers.push({ id: a.check.id, attempt: a.attempt });
      pending.set(item(answers.length - 1), now + 1 + (a.attempt * 13) % 50);
    }
  };
  take(r.start(0), 0);
  let now = 0;
  let stalled = false;
  while (now < 20_000) {
    const d = r.deadline() ?? Infinity;
    const p = pending.peek()?.at ?? Infinity;
    // One stall of 2.5 s at 5 s: timers and answers wait for it (time never goes back).
    const stall = !stalled && Math.min(d, p) >= 5000 ? ((stalled = true), 2500) : 0;
    if (p <= d) {
      const e = pending.pop()!;
      now = Math.max(now, e.at + stall);
      const x = answers[e.id]!;
      take(r.result(now, x.id, x.attempt, { ok: true }), now);
    } else {
      now = Math.max(now, d + stall);
      take(r.timer(now), now);
    }
  }
  // The last 5 s: starts per 10 ms of the interval's phase, spread as the warm-up made them.
  const buckets = new Map<number, number>();
  for (const t of starts) if (t >= 15_000) buckets.set(Math.floor((t % 1000) / 10), (buckets.get(Math.floor((t % 1000) / 10)) ?? 0) + 1);
  const most = Math.max(...buckets.values());
  assert.ok(buckets.size >= 95, `phases used: ${buckets.size} of 100`);
  assert.ok(most <= 5 * 15, `${most} starts in one 10 ms slot over 5 s (even: 50)`);
});

test.run();
