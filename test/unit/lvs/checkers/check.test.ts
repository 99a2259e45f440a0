// One check's state machine with a fake clock: attempts, retries, rise/fall, the hard deadline,
// alpha, suspend, dynamic weights and late results.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Check } from '../../../../src/lvs/checkers/index.ts';
import type { CheckAction } from '../../../../src/lvs/checkers/index.ts';
import { check } from './helpers.ts';

const OK = { ok: true as const };
const BAD = { ok: false as const, reason: 'connection refused' };
const probeOf = (as: CheckAction[]) => as.find((a) => a.kind === 'probe') as Extract<CheckAction, { kind: 'probe' }> | undefined;
const changes = (as: CheckAction[]) => as.filter((a) => a.kind === 'changed').map((a) => (a.kind === 'changed' ? `${a.up ? 'up' : 'down'}: ${a.reason}` : ''));

/** Runs one attempt at `now` with `outcome` after `tookMs`; returns the actions of the result. */
function attempt(c: Check, now: number, outcome: { ok: true } | { ok: false; reason: string }, tookMs = 10): CheckAction[] {
  assert.is(c.deadline(), now, 'an attempt is due');
  const p = probeOf(c.timer(now));
  assert.ok(p, 'a probe is asked for');
  return c.result(now + tookMs, p.attempt, outcome);
}

test('starts up (no alpha); down after fall failed checks in a row, with the reason; the first checks come interval apart', () => {
  const c = new Check(check('s/a', { fall: 3 }));
  c.start(0, 0);
  assert.ok(c.up);
  assert.equal(changes(attempt(c, 0, BAD)), []);
  assert.equal(changes(attempt(c, 1000, BAD)), []);
  assert.equal(changes(attempt(c, 2000, BAD)), ['down: 3 failed checks in a row (connection refused)']);
  assert.not.ok(c.up);
  assert.is(c.deadline(), 3000);
});

test('a success between failures resets the count (fall counts failures in a row)', () => {
  const c = new Check(check('s/a', { fall: 2 }));
  c.start(0, 0);
  attempt(c, 0, BAD);
  attempt(c, 1000, OK);
  assert.equal(changes(attempt(c, 2000, BAD)), []);
  assert.equal(changes(attempt(c, 3000, BAD)), ['down: 2 failed checks in a row (connection refused)']);
});

test('rise: a down server needs rise successes in a row to come back (keepalived needs only one)', () => {
  const c = new Check(check('s/a', { fall: 1, rise: 3 }));
  c.start(0, 0);
  attempt(c, 0, BAD);
  assert.not.ok(c.up);
  assert.equal(changes(attempt(c, 1000, OK)), []);
  attempt(c, 2000, BAD);
  assert.equal(changes(attempt(c, 3000, OK)), []);
  assert.equal(changes(attempt(c, 4000, OK)), []);
  assert.equal(changes(attempt(c, 5000, { ok: true, detail: 'status 200' } as { ok: true })), ['up: 3 successes in a row (status 200)']);
});

test('alpha: starts down and serves only after rise successes', () => {
  const c = new Check(check('s/a', { alpha: true, rise: 2 }));
  c.start(0, 0);
  assert.not.ok(c.up);
  assert.equal(changes(attempt(c, 0, OK)), []);
  assert.equal(changes(attempt(c, 1000, OK)), ['up: 2 successes in a row (ok)']);
});

test('retries: a failed attempt is retried retryDelay later; the check fails only when every attempt did', () => {
  const c = new Check(check('s/a', { fall: 1, retries: 2, retryDelayMs: 100 }));
  c.start(0, 0);
  assert.equal(changes(attempt(c, 0, BAD)), []);
  assert.is(c.deadline(), 110, 'retry 100 ms after the failed attempt ended');
  assert.equal(changes(attempt(c, 110, BAD)), []);
  assert.is(c.deadline(), 220);
  assert.equal(changes(attempt(c, 220, BAD)), ['down: 1 failed check in a row (connection refused)']);
  assert.is(c.deadline(), 1000, 'the next check is an interval after the first attempt started');
});

test('retries: a retry that succeeds makes the check pass', () => {
  const c = new Check(check('s/a', { fall: 1, retries: 1 }));
  c.start(0, 0);
  attempt(c, 0, BAD);
  assert.equal(changes(attempt(c, 110, OK)), []);
  assert.ok(c.up);
  assert.is(c.status().failures, 0);
});

test('hard deadline: an attempt that never answers fails at its deadline and its I/O is cancelled (keepalived #1817)', () => {
  const c = new Check(check('s/a', { fall: 1, deadlineMs: 800, connectTimeoutMs: 500 }));
  c.start(0, 0);
  const p = probeOf(c.timer(0))!;
  assert.is(p.connectTimeoutMs, 500);
  assert.is(p.deadlineAt, 800);
  assert.is(c.deadline(), 800);
  assert.equal(c.timer(799), []);
  const out = c.timer(800);
  assert.equal(out[0], { kind: 'cancel', check: 's/a', attempt: p.attempt });
  assert.equal(changes(out), ['down: 1 failed check in a row (no answer within the 800 ms deadline)']);
  assert.is(c.status().deadlineMisses, 1);
  // The hung probe's late answer changes nothing.
  assert.equal(c.result(900, p.attempt, OK), []);
  assert.not.ok(c.up);
});

test('connect timeout never exceeds the deadline', () => {
  const c = new Check(check('s/a', { deadlineMs: 300, connectTimeoutMs: 500 }));
  c.start(0, 0);
  assert.is(probeOf(c.timer(0))!.connectTimeoutMs, 300);
});

test('no drift: a check that takes most of its interval still starts on the interval grid; one slower than it skips the start it missed and stays on its grid', () => {
  const c = new Check(check('s/a', { deadlineMs: 5000 }));
  c.start(0, 0);
  attempt(c, 0, OK, 900);
  assert.is(c.deadline(), 1000);
  attempt(c, 1000, OK, 1500);
  // Not 2000 (in the past), nor 2500 (at once: every late check would gather at that instant).
  assert.is(c.deadline(), 3000, 'late: the next start on its own grid');
  attempt(c, 3000, OK, 100);
  assert.is(c.deadline(), 4000);
});

test('warm-up delays the first check only', () => {
  const c = new Check(check('s/a'));
  c.start(100, 350);
  assert.is(c.deadline(), 450);
  attempt(c, 450, OK);
  assert.is(c.deadline(), 1450);
});

test('dynamic weight: each report replaces the last (never accumulates, keepalived #2720); exit 0 goes back to the configured weight', () => {
  const c = new Check(check('s/a', {}, { kind: 'misc', command: ['/bin/true'], dynamic: true }));
  c.start(0, 0);
  const w = (as: CheckAction[]) => as.filter((a) => a.kind === 'weight').map((a) => (a.kind === 'weight' ? a.weight : -1));
  assert.equal(w(attempt(c, 0, { ok: true, weight: 5 } as { ok: true })), [5]);
  assert.equal(w(attempt(c, 1000, { ok: true, weight: 5 } as { ok: true })), [], 'same weight: no change');
  assert.equal(w(attempt(c, 2000, { ok: true, weight: 3 } as { ok: true })), [3]);
  assert.equal(w(attempt(c, 3000, { ok: true, weight: undefined } as { ok: true })), [undefined]);
  assert.is(c.weight, undefined);
});

test('suspend cancels the attempt in flight and stops checking; resume checks at once; a result from before is ignored', () => {
  const c = new Check(check('s/a', { fall: 1 }));
  c.start(0, 0);
  const p = probeOf(c.timer(0))!;
  assert.equal(c.suspend(), [{ kind: 'cancel', check: 's/a', attempt: p.attempt }]);
  assert.is(c.deadline(), undefined);
  assert.equal(c.result(50, p.attempt, BAD), []);
  assert.ok(c.up);
  c.resume(5000);
  assert.is(c.deadline(), 5000);
  assert.equal(changes(attempt(c, 5000, BAD)), ['down: 1 failed check in a row (connection refused)']);
});

test.run();
