// The crash guard with a stand-in process: a fault is logged with its stack, the orderly stop
// runs, the process exits EXIT_CRASH; a second fault while stopping exits at once; a stop that
// hangs or fails still exits. The real thing (a daemon pair in the lab) is test/lab/daemon/crash.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import { EXIT_CRASH, installCrashGuard } from '../../../src/daemon/crash-guard.ts';
import type { GuardedProcess } from '../../../src/daemon/crash-guard.ts';
import type { Level } from '../../../src/daemon/log.ts';

function fakeProcess(): GuardedProcess & { emitter: EventEmitter; exits: number[]; exited: Promise<number> } {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  let resolveExit!: (c: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  return {
    emitter, exits, exited,
    on: (e, fn) => emitter.on(e, fn),
    off: (e, fn) => emitter.off(e, fn),
    exit: (code) => { exits.push(code); resolveExit(code); },
  };
}

/** The guard's timers are unref'd (they never keep a daemon alive): hold the loop while waiting. */
async function exitOf(p: { exited: Promise<number> }): Promise<number> {
  const keep = setInterval(() => undefined, 1000);
  try {
    return await p.exited;
  } finally {
    clearInterval(keep);
  }
}

const capture = () => {
  const lines: Array<[Level, string]> = [];
  return { lines, log: (l: Level, m: string) => void lines.push([l, m]) };
};

test('uncaught exception: stack logged line by line, orderly stop, exit 70', async () => {
  const p = fakeProcess();
  const { lines, log } = capture();
  const stops: string[] = [];
  const guard = installCrashGuard(p, log, async (reason) => { stops.push(reason); }, { exitGraceMs: 10 });
  const err = new Error('boom in a handler');
  p.emitter.emit('uncaughtException', err);
  assert.equal(stops, ['uncaught exception']);
  assert.equal(lines[0], ['error', 'crash: uncaught exception: Error: boom in a handler']);
  assert.ok(lines.some(([, m]) => /^\s+at /.test(m)), 'stack frames are logged');
  assert.ok(lines.every(([, m]) => !m.includes('\n')), 'one line each');
  assert.match(guard.fault!, /^uncaught exception: Error: boom in a handler$/);
  assert.is(await exitOf(p), EXIT_CRASH);
  guard.uninstall();
  assert.is(p.emitter.listenerCount('uncaughtException') + p.emitter.listenerCount('unhandledRejection'), 0);
});

test('unhandled rejection of a non-Error; a second fault while stopping exits at once', async () => {
  const p = fakeProcess();
  const { lines, log } = capture();
  let stopCalls = 0;
  installCrashGuard(p, log, () => { stopCalls++; return new Promise(() => undefined); }, { stopTimeoutMs: 60_000 });
  p.emitter.emit('unhandledRejection', { code: 42 });
  assert.equal(lines[0], ['error', 'crash: unhandled rejection: a non-Error value: {"code":42}']);
  assert.equal(p.exits, []);
  p.emitter.emit('uncaughtException', new Error('again'));
  assert.equal(p.exits, [EXIT_CRASH]);
  assert.is(stopCalls, 1, 'the stop is not run twice');
  assert.ok(lines.some(([, m]) => m === 'crash: another uncaught exception while stopping: Error: again'));
});

test('a stop that hangs is cut by the timeout; a stop that fails exits too', async () => {
  const p = fakeProcess();
  const { lines, log } = capture();
  installCrashGuard(p, log, () => new Promise(() => undefined), { stopTimeoutMs: 30 });
  p.emitter.emit('uncaughtException', new Error('x'));
  assert.is(await exitOf(p), EXIT_CRASH);
  assert.ok(lines.some(([, m]) => m === `crash: the orderly stop did not finish within 30 ms; exiting ${EXIT_CRASH}`));
  const q = fakeProcess();
  const c = capture();
  installCrashGuard(q, c.log, () => Promise.reject(new Error('vrrp stop broke')));
  q.emitter.emit('uncaughtException', new Error('y'));
  assert.is(await exitOf(q), EXIT_CRASH);
  assert.ok(c.lines.some(([, m]) => m === 'crash: the orderly stop failed: Error: vrrp stop broke'));
});

test.run();
