// The checker shell on real (short) timers with a fake world: a hung probe is aborted at its
// deadline, a refused quorum command is never spawned (and counted), an allowed one is; an answer
// that came in time is taken though the loop was busy past the deadline.
import { MessageChannel } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { CheckerShell } from '../../../../src/lvs/checkers/index.ts';
import type { CheckerEvent, ShellWorld } from '../../../../src/lvs/checkers/index.ts';
import { service } from './helpers.ts';

async function until(what: string, cond: () => boolean): Promise<void> {
  // A bound on a hang, not a measure.
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`never: ${what}`);
}

test('a hung probe is aborted at its deadline; quorum commands pass script security or are not run', async () => {
  let hang = true;
  let aborted = 0;
  const spawned: string[] = [];
  const no = () => Promise.reject(new Error('not used'));
  const world: ShellWorld = {
    now: () => performance.now(),
    connect: (_a, _p, _t, _ms, signal) => (hang
      ? new Promise((_resolve, reject) => signal.addEventListener('abort', () => { aborted++; reject(new Error('cancelled')); }))
      : Promise.resolve()),
    exchange: no, datagram: no, ping: no, program: no,
    commandProblem: (argv) => (argv[0] === '/unsafe/down' ? '/unsafe: writable by everyone' : undefined),
    spawn: (argv) => void spawned.push(argv.join(' ')),
  };
  const spec = service('web', [1], { quorumDown: ['/unsafe/down'], quorumUp: ['/usr/bin/up'] }, { intervalMs: 40, deadlineMs: 25, connectTimeoutMs: 25, fall: 1, rise: 1 });
  const shell = new CheckerShell([spec], world, { warmup: () => 0 });
  const events: CheckerEvent[] = [];
  const logs: string[] = [];
  shell.on('event', (e) => events.push(e));
  shell.on('log', (_l, m) => logs.push(m));
  shell.start();
  try {
    assert.ok(logs.some((m) => /will never be run \(script security\): \/unsafe: writable by everyone/.test(m)));
    await until('the server down', () => events.some((e) => e.kind === 'quorum' && !e.up));
    const down = events.find((e) => e.kind === 'server')!;
    assert.match(down.kind === 'server' ? down.reason : '', /no answer within the 25 ms deadline/);
    assert.ok(aborted >= 1, 'the hung connect was aborted');
    assert.equal(spawned, [], 'the refused quorum-down command did not run');
    assert.is(shell.status().counters.commandsRefused, 1);
    hang = false;
    await until('the quorum back', () => events.some((e) => e.kind === 'quorum' && e.up));
    assert.equal(spawned, ['/usr/bin/up']);
    assert.ok(shell.events.recent().length >= 4);
  } finally {
    shell.stop();
  }
});

function busy(until: number): void {
  while (performance.now() < until) { /* the loop is busy: nothing is read, timers come due */ }
}

test('an answer that came before the hard deadline counts though the loop read it after the deadline timer fired', async () => {
  // The answer travels through a message port: delivered in the loop's poll phase, as a socket's
  // is. It is sent within the deadline, then the loop is busy past it; on the next turn the
  // loop runs its expired timers (the deadline) before it polls (the answer).
  const { port1, port2 } = new MessageChannel();
  let deadlineMs = 0;
  const no = () => Promise.reject(new Error('not used'));
  const world: ShellWorld = {
    now: () => performance.now(),
    connect: (_a, _p, _t, _ms, signal) => new Promise<void>((resolve, reject) => {
      const at = performance.now();
      port1.once('message', () => resolve());
      signal.addEventListener('abort', () => reject(new Error('cancelled')));
      setImmediate(() => {
        port2.postMessage('answer');
        busy(at + deadlineMs + 30);
      });
    }),
    exchange: no, datagram: no, ping: no, program: no,
    commandProblem: () => undefined,
    spawn: () => undefined,
  };
  const spec = service('web', [1], {}, { intervalMs: 60_000, deadlineMs: 250, connectTimeoutMs: 250, fall: 1, rise: 1 });
  deadlineMs = spec.servers[0]!.checks[0]!.timing.deadlineMs;
  const shell = new CheckerShell([spec], world, { warmup: () => 0 });
  const events: CheckerEvent[] = [];
  shell.on('event', (e) => events.push(e));
  shell.start();
  try {
    await until('the check done', () => shell.status().counters.probes === 1 && shell.status().counters.inFlight === 0);
    // A turn more for a deadline that would fire late.
    await new Promise((r) => setTimeout(r, 20));
    const [c] = shell.status().services[0]!.checks;
    assert.equal(events, [], 'the server stayed up');
    assert.is(c!.lastResult, 'connected');
    assert.is(c!.deadlineMisses, 0);
    assert.is(shell.status().counters.cancelled, 0);
  } finally {
    shell.stop();
    port1.close();
    port2.close();
  }
});

test('a timer that fires before our clock reaches its deadline (the loop armed it from a stale time) takes it at once: one wake-up per check', async () => {
  // Our clock runs at half speed: every timer fires early by it, as Node's do after a long turn.
  const t0 = performance.now();
  const no = () => Promise.reject(new Error('not used'));
  const world: ShellWorld = {
    now: () => t0 + (performance.now() - t0) / 2,
    connect: no,
    connectQuick: (_a, _p, _ms, done) => {
      setImmediate(() => done(undefined));
      return () => undefined;
    },
    exchange: no, datagram: no, ping: no, program: no,
    commandProblem: () => undefined,
    spawn: () => undefined,
  };
  const shell = new CheckerShell([service('web', [1], {}, { intervalMs: 40, deadlineMs: 30, connectTimeoutMs: 30 })], world, { warmup: () => 0 });
  shell.start();
  try {
    await new Promise((r) => setTimeout(r, 600));
    const { probes, timerWakeups } = shell.status().counters;
    assert.ok(probes >= 4, `${probes} checks`);
    // Before, each check took a wake-up for each halving of the distance to its deadline.
    assert.ok(timerWakeups <= probes + 1, `${timerWakeups} wake-ups for ${probes} checks`);
  } finally {
    shell.stop();
  }
});

test.run();
