// The LVS checkers' UDP/DNS wait under event-loop lag: a reply that reached the socket within
// the wait is taken, even when the loop was busy past the wait before it could read it (libuv
// runs expired timers before it polls). Loopback only.
import { createSocket, type Socket } from 'node:dgram';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { datagramExchange } from '../../../src/kernel/probes/index.ts';

const test = suite('kernel probes: datagram');
let server: Socket;
let port = 0;
/** What the server does with a request: answer it at once and busy the loop, or stay silent. */
let mode: 'answer-then-busy' | 'silent' = 'answer-then-busy';

function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) { /* the loop is busy: nothing is read, timers come due */ }
}

test.before(async () => {
  server = createSocket('udp4');
  server.on('message', (m, from) => {
    if (mode === 'silent') return;
    // From the check phase: the send leaves at once (not deferred as a send from the socket's own
    // read callback is), then the loop is busy past the client's wait; on its next turn it runs
    // the expired wait timer before it polls the reply.
    setImmediate(() => {
      server.send(m, from.port, from.address);
      busy(150);
    });
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  port = server.address().port;
});
test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a reply that came within the wait counts though the loop was busy past it', async () => {
  mode = 'answer-then-busy';
  for (let i = 0; i < 3; i++) {
    const reply = await datagramExchange('127.0.0.1', port, Buffer.from(`ping ${i}`), 50, new AbortController().signal);
    assert.is(reply?.toString(), `ping ${i}`);
  }
});

test('no reply within the wait: undefined; an abort: cancelled', async () => {
  mode = 'silent';
  assert.is(await datagramExchange('127.0.0.1', port, Buffer.from('x'), 30, new AbortController().signal), undefined);
  const abort = new AbortController();
  const p = datagramExchange('127.0.0.1', port, Buffer.from('x'), 5000, abort.signal);
  abort.abort();
  assert.is(await p.then(() => 'resolved', (e: Error) => e.message), 'cancelled');
});

test.run();
