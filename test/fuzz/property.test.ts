// The fuzz budget itself: a property the time limit stops before its minimum number of runs fails,
// naming the count (fast-check alone, with markInterruptAsFailure: false, passes it); one that
// finishes, or is stopped after enough runs, passes; a counterexample fails with the seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { Test } from 'uvu';
import { property, seed } from './property.ts';

/** Registers a property on a stand-in for uvu's test and returns its body, to run here. */
function registered(register: (t: Test) => void): () => unknown {
  let body: (() => unknown) | undefined;
  register(((_name: string, fn: () => unknown) => { body = fn; }) as unknown as Test);
  return body!;
}

/** Busy for `ms` of wall time: each case costs at least that, however idle the machine. */
const busy = (ms: number) => { const end = Date.now() + ms; while (Date.now() < end); };

test('stopped by the time limit before the minimum: fails, saying how many runs it got', () => {
  const run = registered((t) => property(t, 'slow', fc.nat(), { runs: 1000, minRuns: 100, timeLimitMs: 50 }, () => busy(20)));
  assert.throws(run, (e: Error) => /^slow: only [0-3] of at least 100 runs before the 50 ms time limit \(FUZZ_SEED=\d+\)/.test(e.message));
});

test('stopped by the time limit after the minimum: passes', () => {
  const run = registered((t) => property(t, 'enough', fc.nat(), { runs: 1_000_000_000, minRuns: 1, timeLimitMs: 50 }, () => undefined));
  run();
});

test('all runs done: passes; a counterexample fails with the seed that repeats it', () => {
  let cases = 0;
  registered((t) => property(t, 'fine', fc.nat(), { runs: 50 }, () => void cases++))();
  assert.ok(cases >= 50, `${cases} cases`);
  const failing = registered((t) => property(t, 'odd', fc.nat(), { runs: 50 }, (n) => assert.ok(n < 10)));
  assert.throws(failing, (e: Error) => e.message.startsWith(`odd: failed with FUZZ_SEED=${seed}\n`));
});

test.run();
