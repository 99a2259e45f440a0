// The connect prober's repeats (src/native/repeat.c): a TCP check repeated by the addon on its
// grid, JavaScript told only of the first failure (refused, or no connection within the
// timeout), with when that attempt was due and how many succeeded before it; cancel and close;
// the process kept alive by a repeat alone. Loopback only.
import { execFile } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConnectProber } from '../../../src/kernel/probes/index.ts';

const test = suite('kernel probes: repeated TCP connects');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function listen(onConnection: () => void): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    onConnection();
    s.on('error', () => undefined);
    s.end();
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  return { server, port: (server.address() as { port: number }).port };
}

interface Ended { message: string; dueAt: number; successes: number; at: number }

test('repeats on its grid with no word to JavaScript; the first failure ends it, with when it was due and the successes before it', async () => {
  let accepted = 0;
  const { server, port } = await listen(() => accepted++);
  const prober = new ConnectProber(undefined, { batchMs: 20 });
  try {
    const ended: Ended[] = [];
    const firstAt = performance.now() + 50;
    const r = prober.repeat('127.0.0.1', port, firstAt, 100, 1000, (err, dueAt, successes) => ended.push({ message: err.message, dueAt, successes, at: performance.now() }));
    assert.is(prober.repeating, 1);
    await sleep(1000);
    const mid = r.stats();
    assert.equal(ended, [], 'nothing reached JavaScript while the server answered');
    // Due at 50, 150 ... 950 ms: 10, give or take a busy machine's grid slot at either end.
    assert.ok(mid.successes >= 8 && mid.successes <= 11, `successes after 1 s: ${mid.successes}`);
    assert.ok(Math.abs(accepted - mid.successes) <= 1, `the server saw ${accepted}, the repeat counted ${mid.successes}`);
    assert.ok(mid.lastOkAt !== undefined && performance.now() - mid.lastOkAt < 200, `last success ${mid.lastOkAt}`);
    const closedAt = performance.now();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (let i = 0; i < 100 && ended.length === 0; i++) await sleep(10);
    assert.is(ended.length, 1);
    const e = ended[0]!;
    assert.is(e.message, 'connection refused');
    assert.ok(e.successes >= mid.successes, `successes before the failure: ${e.successes}`);
    // The failed attempt was the first due after the close, on the repeat's own grid.
    const k = (e.dueAt - firstAt) / 100;
    assert.ok(Math.abs(k - Math.round(k)) < 0.05, `due on the grid: ${(e.dueAt - firstAt).toFixed(1)} ms after the first`);
    assert.ok(e.dueAt > closedAt - 100 && e.dueAt <= e.at, `due ${(e.dueAt - closedAt).toFixed(1)} ms after the close, told ${(e.at - closedAt).toFixed(1)} ms after`);
    assert.is(Math.round(k), e.successes, 'every attempt due before it succeeded');
    assert.is(prober.repeating, 0);
    assert.equal(r.stats(), { successes: 0, lastOkAt: undefined }, 'an ended repeat has no stats');
  } finally {
    prober.close();
    server.close();
  }
});

test('a failure read together with other repeats\' successes: told first; the others go on on their grid, one cancelled from the failure\'s callback stops', async () => {
  // Three repeats on one grid (their connects start together, their answers come in one read):
  // a fails once its server closes; b goes on; c is cancelled by a's callback, while its
  // success of that read may still wait to be handled (repeat.c: after JavaScript has the failure).
  let accA = 0;
  let accB = 0;
  let accC = 0;
  const a = await listen(() => accA++);
  const b = await listen(() => accB++);
  const c = await listen(() => accC++);
  const prober = new ConnectProber(undefined, { batchMs: 20 });
  try {
    const told: string[] = [];
    const firstAt = performance.now() + 50;
    const rb = prober.repeat('127.0.0.1', b.port, firstAt, 50, 1000, (err) => told.push(`b: ${err.message}`));
    const rc = prober.repeat('127.0.0.1', c.port, firstAt, 50, 1000, (err) => told.push(`c: ${err.message}`));
    let cAtFailure = -1;
    prober.repeat('127.0.0.1', a.port, firstAt, 50, 1000, (err, _dueAt, successes) => {
      told.push(`a: ${err.message} after ${successes >= 3 ? '3 or more' : successes}`);
      rc.cancel();
      cAtFailure = accC;
    });
    await sleep(300);
    await new Promise<void>((resolve) => a.server.close(() => resolve()));
    for (let i = 0; i < 100 && told.length === 0; i++) await sleep(10);
    assert.equal(told, ['a: connection refused after 3 or more']);
    const bAt = rb.stats().successes;
    await sleep(400);
    // b: every 50 ms, 8 in 400 ms give or take a grid slot at either end; its count and its server's agree.
    const bNow = rb.stats().successes;
    assert.ok(bNow - bAt >= 6 && bNow - bAt <= 9, `b's successes in 400 ms after the failure: ${bNow - bAt}`);
    assert.ok(Math.abs(accB - bNow) <= 1, `b's server saw ${accB}, the repeat counted ${bNow}`);
    assert.ok(accC <= cAtFailure + 1, `c's server saw ${accC - cAtFailure} connects after the cancel`);
    assert.equal(told, ['a: connection refused after 3 or more'], 'nothing else ended');
    assert.is(prober.repeating, 1);
  } finally {
    prober.close();
    for (const x of [a, b, c]) x.server.close();
  }
});

test('a refused first connect ends it with no successes; it is told later, never inside the call', async () => {
  const { server, port } = await listen(() => undefined);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const prober = new ConnectProber(undefined, { batchMs: 20 });
  try {
    let told: Ended | undefined;
    const at = performance.now();
    prober.repeat('127.0.0.1', port, at, 100, 1000, (err, dueAt, successes) => (told = { message: err.message, dueAt, successes, at: performance.now() }));
    assert.is(told, undefined);
    for (let i = 0; i < 100 && told === undefined; i++) await sleep(10);
    assert.is(told?.message, 'connection refused');
    assert.is(told?.successes, 0);
    assert.ok(Math.abs(told!.dueAt - at) < 25, `due at the start: ${(told!.dueAt - at).toFixed(1)} ms`);
  } finally {
    prober.close();
  }
});

test('a connect that fails inside connect() (no route) ends it, though no other repeat wakes the prober', async () => {
  // Linux refuses a TCP connect to a multicast address in connect() itself (ENETUNREACH), as it
  // does with no route to the server: the failure is known before any packet, and no timer or
  // connect of another repeat is due to carry it to JavaScript.
  const prober = new ConnectProber(undefined, { batchMs: 20 });
  try {
    let told: Ended | undefined;
    const at = performance.now();
    prober.repeat('224.0.0.1', 80, at, 1000, 1000, (err, dueAt, successes) => (told = { message: err.message, dueAt, successes, at: performance.now() }));
    assert.is(told, undefined, 'told later, never inside the call');
    for (let i = 0; i < 200 && told === undefined; i++) await sleep(10);
    assert.is(told?.message, 'network unreachable');
    assert.is(told?.successes, 0);
    assert.ok(told!.at - at < 500, `told ${(told!.at - at).toFixed(0)} ms after the start`);
    assert.is(prober.repeating, 0);
  } finally {
    prober.close();
  }
});

test('a connect that hangs fails at its timeout', async () => {
  // A listener that never accepts (its process blocked) with a full accept queue: the kernel
  // drops further SYNs, so a connect neither completes nor is refused.
  const child = spawn(process.execPath, ['-e', `
    const s = require('node:net').createServer();
    s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      process.stdout.write(s.address().port + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000);
    });`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const prober = new ConnectProber(undefined, { batchMs: 20 });
  const fillers: ReturnType<typeof connect>[] = [];
  try {
    const port = await new Promise<number>((resolve, reject) => child.stdout.once('data', (d: Buffer) => (/^\d+$/.test(d.toString().trim()) ? resolve(Number(d.toString().trim())) : reject(new Error(`the listener said ${JSON.stringify(d.toString())}`)))));
    // Fill the accept queue (a backlog of 1 holds 2): the kernel completes these itself.
    for (let i = 0; i < 3; i++) {
      const c = connect(port, '127.0.0.1');
      c.on('error', () => undefined);
      fillers.push(c);
    }
    await sleep(200);
    let told: Ended | undefined;
    const at = performance.now();
    prober.repeat('127.0.0.1', port, at, 1000, 300, (err, dueAt, successes) => (told = { message: err.message, dueAt, successes, at: performance.now() }));
    for (let i = 0; i < 200 && told === undefined; i++) await sleep(10);
    assert.is(told?.message, 'no connection within 300 ms');
    assert.is(told?.successes, 0);
    // Timed out on the 20 ms grid: 300 ms after the start, a grid slot and a busy machine's lag later at most.
    assert.ok(told!.at - at >= 295 && told!.at - at < 600, `failed ${(told!.at - at).toFixed(0)} ms after the start`);
  } finally {
    prober.close();
    for (const c of fillers) c.destroy();
    child.kill('SIGKILL');
  }
});

test('cancel: no more connects and no word; close(): what repeats ends "checks stopped", new repeats too', async () => {
  let accepted = 0;
  const { server, port } = await listen(() => accepted++);
  const prober = new ConnectProber(undefined, { batchMs: 20 });
  try {
    const told: string[] = [];
    const r = prober.repeat('127.0.0.1', port, performance.now(), 50, 1000, (err) => told.push(`a: ${err.message}`));
    await sleep(300);
    r.cancel();
    assert.is(prober.repeating, 0);
    const seen = accepted;
    assert.ok(seen >= 3, `connects before the cancel: ${seen}`);
    await sleep(300);
    assert.ok(accepted <= seen + 1, `after the cancel the server saw ${accepted - seen} more`);
    prober.repeat('127.0.0.1', port, performance.now(), 50, 1000, (err) => told.push(`b: ${err.message}`));
    await sleep(100);
    prober.close();
    prober.repeat('127.0.0.1', port, performance.now(), 50, 1000, (err) => told.push(`c: ${err.message}`));
    await sleep(20);
    assert.equal(told, ['b: checks stopped', 'c: checks stopped']);
  } finally {
    prober.close();
    server.close();
  }
});

test('a repeat alone keeps the process alive until it ends', async () => {
  // Nothing else holds the loop: without the repeat's hold the child would exit at once, silent.
  const { server, port } = await listen(() => undefined);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const script = `
    import { ConnectProber } from ${JSON.stringify(new URL('../../../src/kernel/probes/index.ts', import.meta.url).href)};
    const p = new ConnectProber(undefined, { batchMs: 20 });
    p.repeat('127.0.0.1', ${port}, performance.now() + 300, 100, 1000, (err, dueAt, n) => { console.log('ended: ' + err.message + ', ' + n); p.close(); });`;
  const out = await new Promise<string>((resolve, reject) => execFile(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { env: process.env, timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))));
  assert.is(out.trim(), 'ended: connection refused, 0');
});

test.run();
