// The LVS checkers' TCP connect probe under event-loop lag: a connect the kernel finished within
// the timeout is a live server, even when the loop was busy past the timeout before it could read
// the socket (libuv runs expired timers before it polls). Loopback only.
import { createServer, type Server } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectOnly, probeError } from '../../../src/kernel/probes/index.ts';

const test = suite('kernel probes: TCP connect');
let server: Server;
let port = 0;

test.before(async () => {
  server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) { /* the loop is busy: nothing is read, timers come due */ }
}

test('a connect done in time counts though the loop was busy past the timeout', async () => {
  for (let i = 0; i < 5; i++) {
    // From the check phase the loop goes next to its timers, then polls: the order a busy
    // checker sees when its timeouts came due during the stretch.
    await new Promise((r) => setImmediate(r));
    const probe = connectOnly({ address: '127.0.0.1', port }, 20, new AbortController().signal);
    process.nextTick(() => busy(150)); // after net.connect's own nextTick has issued the connect
    await probe;
  }
});

test('a port nobody listens on is refused, and a cancelled probe says so', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const gone = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const why = (p: Promise<void>): Promise<string> => p.then(() => 'connected', (e: Error) => e.message);
  assert.is(await why(connectOnly({ address: '127.0.0.1', port: gone }, 1000, new AbortController().signal)), 'connection refused');
  const abort = new AbortController();
  abort.abort();
  assert.is(await why(connectOnly({ address: '127.0.0.1', port }, 1000, abort.signal)), 'cancelled');
});

test('a failure outside the usual ones says what the system says, with its code (once "[object Object]")', () => {
  assert.is(probeError({ code: 'EPERM' }).message, 'operation not permitted (EPERM)');
  assert.is(probeError({ code: 'EADDRNOTAVAIL' }).message, 'address not available (EADDRNOTAVAIL)');
  assert.is(probeError({ code: 'ECONNREFUSED' }).message, 'connection refused');
  assert.is(probeError({ code: 'E999' }).message, 'E999');
  assert.is(probeError(Object.assign(new Error('connect EPERM 192.0.2.1:80'), { code: 'EPERM' })).message, 'connect EPERM 192.0.2.1:80');
});

test.run();
