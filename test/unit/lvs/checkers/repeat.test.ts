// A steady TCP check handed to the shell's repeat (check.ts's header), with a fake clock: when it
// is handed over and when not, the repeat's end counted as if each success had come, the grid
// kept, fall, retries and rise after it, suspend, and the shell's part with a fake repeat.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Check, CheckerShell } from '../../../../src/lvs/checkers/index.ts';
import type { CheckAction, ShellWorld } from '../../../../src/lvs/checkers/index.ts';
import { check, service } from './helpers.ts';

const OK = { ok: true as const, detail: 'connected' };
const BAD = { ok: false as const, reason: 'connection refused' };
type Repeat = Extract<CheckAction, { kind: 'repeat' }>;
const repeatOf = (as: CheckAction[]): Repeat | undefined => as.find((a): a is Repeat => a.kind === 'repeat');
const changes = (as: CheckAction[]) => as.filter((a) => a.kind === 'changed').map((a) => (a.kind === 'changed' ? `${a.up ? 'up' : 'down'}: ${a.reason}` : ''));

/** One attempt through timer() at `now`, its outcome after 10 ms. */
function attempt(c: Check, now: number, outcome: typeof OK | typeof BAD): CheckAction[] {
  const p = c.timer(now).find((a) => a.kind === 'probe');
  assert.ok(p && p.kind === 'probe', `a probe at ${now}`);
  return c.result(now + 10, p.attempt, outcome);
}

test('an up TCP check is repeated from its next grid start after a success; nothing of ours is due meanwhile', () => {
  const c = new Check(check('s/a', { fall: 1 }), true, true);
  c.start(0, 0);
  const r = repeatOf(attempt(c, 0, OK));
  assert.equal(r, { kind: 'repeat', check: 's/a', attempt: 2, firstAt: 1000, intervalMs: 1000, connectTimeoutMs: 500 });
  assert.is(c.deadline(), undefined, 'no deadline while repeating');
  assert.equal(c.timer(5000), [], 'the timer does nothing for it');
  assert.is(c.status().repeating, true);
});

test('not repeated: not repeatable, down, non-TCP, or after a failure until a success', () => {
  const plain = new Check(check('s/a'), true, false);
  plain.start(0, 0);
  assert.is(repeatOf(attempt(plain, 0, OK)), undefined);
  const http = new Check(check('s/h', {}, { kind: 'http', path: '/', status: [[200, 299]], httpVersion: '1.0' }), true, true);
  http.start(0, 0);
  assert.is(repeatOf(attempt(http, 0, OK)), undefined);
  // rise 2: a down check's first success changes nothing, the second brings it up and hands it over.
  const down = new Check(check('s/d', { alpha: true, rise: 2 }), false, true);
  down.start(0, 0);
  assert.is(repeatOf(attempt(down, 0, OK)), undefined);
  const up = attempt(down, 1000, OK);
  assert.equal(changes(up), ['up: 2 successes in a row (connected)']);
  assert.ok(repeatOf(up), 'repeated once up');
  // An up check with a failure counted (fall 3) stays ours until a success clears it.
  const fall3 = new Check(check('s/f', { fall: 3 }), true, true);
  fall3.start(0, 0);
  assert.is(repeatOf(attempt(fall3, 0, BAD)), undefined);
  assert.ok(repeatOf(attempt(fall3, 1000, OK)));
});

test("the repeat's end: its successes counted, the failure at its grid place, fall takes it down; the next check an interval after that attempt", () => {
  const c = new Check(check('s/a', { fall: 1, rise: 1 }), true, true);
  c.start(0, 0);
  const r = repeatOf(attempt(c, 0, OK))!;
  // Due at 1000 .. 7000 it succeeded 7 times; the attempt due at 8000 was refused, told at 8003.
  const out = c.result(8003, r.attempt, BAD, { dueAt: 8000, successes: 7 });
  assert.equal(changes(out), ['down: 1 failed check in a row (connection refused)']);
  const s = c.status();
  assert.equal([s.up, s.successes, s.failures, s.attempts, s.lastResult, s.lastAt, s.repeating], [false, 0, 1, 9, 'connection refused', 8003, false]);
  assert.is(c.deadline(), 9000);
  // Back with the next success (rise 1), and handed over again from its grid.
  const back = attempt(c, 9000, OK);
  assert.equal(changes(back), ['up: 1 success in a row (connected)']);
  assert.is(repeatOf(back)?.firstAt, 10000);
});

test("fall 2 with a retry: the repeat's failure is retried by us; a retry that succeeds hands it back, the check never down", () => {
  const c = new Check(check('s/a', { fall: 2, retries: 1, retryDelayMs: 100 }), true, true);
  c.start(0, 0);
  const r = repeatOf(attempt(c, 0, OK))!;
  assert.equal(c.result(3005, r.attempt, BAD, { dueAt: 3000, successes: 2 }), []);
  assert.is(c.deadline(), 3105, 'the retry after its delay');
  const again = attempt(c, 3105, OK);
  assert.equal(changes(again), []);
  assert.is(repeatOf(again)?.firstAt, 4000, 'from the grid of the attempt due at 3000');
  assert.ok(c.up);
});

test('status while repeating counts the repeat\'s successes so far; a suspend cancels the repeat, a late end is ignored', () => {
  const c = new Check(check('s/a'), true, true);
  c.start(0, 0);
  const r = repeatOf(attempt(c, 0, OK))!;
  const s = c.status({ successes: 5, lastOkAt: 5020 });
  assert.equal([s.successes, s.attempts, s.lastAt, s.lastResult, s.repeating], [6, 6, 5020, 'connected', true]);
  assert.equal(c.suspend(), [{ kind: 'cancel', check: 's/a', attempt: r.attempt }]);
  assert.equal(c.result(6000, r.attempt, BAD, { dueAt: 6000, successes: 5 }), [], 'ignored after the cancel');
  assert.ok(c.up);
});

test('the shell: a steady TCP check goes to the repeat, its failure comes back as the server going down; stop cancels', async () => {
  let now = 0;
  const started: Array<{ address: string; firstAt: number; intervalMs: number; timeoutMs: number }> = [];
  let end: ((err: Error, dueAt: number, successes: number) => void) | undefined;
  let cancelled = 0;
  const io: ShellWorld = {
    now: () => now,
    connect: () => Promise.resolve(),
    connectQuick: (_a, _p, _t, done) => {
      queueMicrotask(() => done(undefined));
      return () => undefined;
    },
    exchange: () => Promise.reject(new Error('no')),
    datagram: () => Promise.resolve(undefined),
    ping: () => Promise.resolve(),
    program: () => Promise.resolve({ code: 0, signal: null, timedOut: false }),
    commandProblem: () => undefined,
    spawn: () => undefined,
    repeat: {
      can: (address) => !address.includes(':'),
      start: (address, _port, firstAt, intervalMs, timeoutMs, done) => {
        started.push({ address, firstAt, intervalMs, timeoutMs });
        end = done;
        return { cancel: () => void cancelled++, stats: () => ({ successes: 3, lastOkAt: 4000 }) };
      },
    },
  };
  const shell = new CheckerShell([service('web', [1], {}, { fall: 1 })], io, { warmup: () => 0 });
  const events: string[] = [];
  shell.on('event', (e) => events.push(e.kind === 'server' ? `${e.server} ${e.up ? 'up' : 'down'}: ${e.reason}` : e.kind === 'quorum' ? `quorum ${e.up ? 'up' : 'down'}` : e.kind));
  shell.start();
  await new Promise((r) => setTimeout(r, 50)); // the first check's timer (the 20 ms grid), then its answer
  assert.equal(started, [{ address: '198.51.100.11', firstAt: 1000, intervalMs: 1000, timeoutMs: 500 }]);
  const st = shell.status();
  assert.equal([st.counters.repeating, st.counters.probes, st.services[0]!.checks[0]!.successes], [1, 1, 4]);
  now = 5010;
  end!(new Error('connection refused'), 5000, 3);
  assert.equal(events, ['198.51.100.11:80 down: 1 failed check in a row (connection refused)', 'quorum down']);
  assert.is(shell.status().counters.repeating, 0);
  shell.stop();
  assert.is(cancelled, 0, 'nothing to cancel: the repeat had ended');
});

test.run();
