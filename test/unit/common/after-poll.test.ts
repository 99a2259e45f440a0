// AfterPollTimer: the timeout that runs one poll after its timer, and can still be called off or
// renewed in between (what a reply read by that poll does).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSocket } from 'node:dgram';
import { AfterPollTimer } from '../../../src/common/index.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('runs once, after its time', async () => {
  let runs = 0;
  const started = performance.now();
  let at = 0;
  const t = new AfterPollTimer(20, () => { runs++; at = performance.now() - started; });
  assert.ok(t.armed);
  await sleep(60);
  assert.is(runs, 1);
  assert.ok(at >= 19, `ran after ${at} ms`);
  assert.not.ok(t.armed);
});

test('a reply that came in time, unread behind a busy loop, is read before the timeout runs', async () => {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  try {
    const order: string[] = [];
    sock.on('message', () => order.push('reply'));
    // From the loop's check phase, so the next turn runs timers first, then polls.
    await new Promise<void>((r) => setImmediate(() => {
      new AfterPollTimer(5, () => order.push('timeout'));
      sock.send('x', sock.address().port, '127.0.0.1');
      // Busy past the timeout: the datagram waits in the socket while the timer expires.
      const until = performance.now() + 30;
      while (performance.now() < until);
      r();
    }));
    await sleep(40);
    assert.equal(order, ['reply', 'timeout']);
  } finally {
    sock.close();
  }
});

test('cancelled between its timer and the poll (the reply came): it does not run', async () => {
  let runs = 0;
  const t = new AfterPollTimer(5, () => runs++);
  let seen = false;
  setTimeout(() => {
    seen = t.expiring;
    t.cancel();
  }, 5);
  await sleep(40);
  assert.ok(seen, 'the second timer ran while the first waited for the poll');
  assert.is(runs, 0);
  assert.not.ok(t.armed);
});

test('refreshed between its timer and the poll (a dump part came): it waits its time again', async () => {
  const runs: number[] = [];
  const started = performance.now();
  const t = new AfterPollTimer(20, () => runs.push(performance.now() - started));
  setTimeout(() => t.refresh(), 20);
  await sleep(30);
  assert.equal(runs, [], 'not run at its first time');
  await sleep(50);
  assert.is(runs.length, 1);
  assert.ok(runs[0]! >= 39, `ran after ${runs[0]} ms`);
});

test.run();
