// The log's rate limit (a flood of rejects must not fill the disk): per key a few lines a second,
// an overall ceiling for every line, what was held back counted and announced by the next line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RateLimiter } from '../../../src/common/rate-limit.ts';
import { lineLog } from '../../../src/daemon/log.ts';

test('RateLimiter: perSecond per key per one-second window; held back counted and reported once', () => {
  const r = new RateLimiter(2);
  assert.equal([r.take('a', 0), r.take('a', 10), r.take('a', 20), r.take('a', 999)], [
    { ok: true, suppressedBefore: 0 }, { ok: true, suppressedBefore: 0 }, { ok: false }, { ok: false },
  ]);
  assert.equal(r.take('b', 30), { ok: true, suppressedBefore: 0 }, 'keys are apart');
  assert.equal(r.take('a', 1000), { ok: true, suppressedBefore: 2 });
  assert.equal(r.take('a', 1001), { ok: true, suppressedBefore: 0 });
  assert.equal(r.suppressed, { a: 2 });
  assert.equal(r.take('a', 500), { ok: true, suppressedBefore: 0 }, 'a clock going back opens a new window');
  assert.throws(() => new RateLimiter(0), /at least 1/);
});

test('RateLimiter: the key map is bounded (keys past the limit share one bucket)', () => {
  const r = new RateLimiter(1);
  for (let i = 0; i < 1000; i++) r.take(`k${i}`, 0);
  assert.is(r.suppressed['(other)'], 1000 - 256 - 1);
});

test('lineLog: keyed lines at most 5 a second per key, then a note; unkeyed lines pass; overall ceiling', () => {
  const lines: string[] = [];
  let now = 0;
  const log = lineLog((l) => lines.push(l), { pid: 9, now: () => now, totalPerSecond: 20 });
  for (let i = 0; i < 100; i++) log('warn', `dropped ${i}`, 'vrrp:drop:auth');
  log('info', 'state change');
  assert.is(lines.length, 6);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z stockade\[9\]: warn: dropped 0\n$/);
  assert.match(lines[5]!, /: info: state change\n$/);
  now = 1000;
  log('warn', 'dropped again', 'vrrp:drop:auth');
  assert.match(lines[6]!, /: warn: dropped again \(95 more like it held back\)\n$/);
  assert.equal(log.stats().suppressed, { 'vrrp:drop:auth': 95 });
  // The ceiling: 20 lines a second whatever their keys.
  now = 5000;
  lines.length = 0;
  for (let i = 0; i < 50; i++) log('info', `line ${i}`);
  assert.is(lines.length, 20);
  now = 6000;
  log('info', 'after');
  // The count and the line that carries it: one write.
  assert.match(lines[20]!, /^[^\n]*: warn: log: 30 lines held back \(more than 20 a second\)\n[^\n]*: info: after\n$/);
  assert.is(lines.length, 21);
  assert.is(log.stats().suppressed['all lines'], 30);
});

test.run();
