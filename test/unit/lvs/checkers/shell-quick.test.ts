// The checker shell's quick TCP path (ProbeIo.connectQuick: a callback, no promise or
// AbortSignal): used for every plain TCP check when the world has it; a hung connect is
// cancelled at the check's deadline and its late answer ignored; a refused one is down with the
// reason; a connect that answers brings the server back.
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

test('TCP checks go through connectQuick: hung ones cancelled at the deadline, late answers ignored', async () => {
  let mode: 'hang' | 'refuse' | 'ok' = 'hang';
  let promiseConnects = 0;
  let cancels = 0;
  const late: Array<(err: Error | undefined) => void> = [];
  const no = () => Promise.reject(new Error('not used'));
  const world: ShellWorld = {
    now: () => performance.now(),
    connect: () => {
      promiseConnects++;
      return Promise.resolve();
    },
    connectQuick: (_a, _p, _ms, done) => {
      if (mode === 'hang') late.push(done);
      else setTimeout(() => done(mode === 'ok' ? undefined : new Error('connection refused')), 1);
      return () => void cancels++;
    },
    exchange: no, datagram: no, ping: no, program: no,
    commandProblem: () => undefined,
    spawn: () => {},
  };
  const spec = service('web', [1], {}, { intervalMs: 40, deadlineMs: 25, connectTimeoutMs: 25, fall: 1, rise: 1 });
  const shell = new CheckerShell([spec], world, { warmup: () => 0 });
  const events: CheckerEvent[] = [];
  shell.on('event', (e) => events.push(e));
  shell.start();
  try {
    await until('the server down', () => events.some((e) => e.kind === 'server' && !e.up));
    const down = events.find((e) => e.kind === 'server')!;
    assert.match(down.kind === 'server' ? down.reason : '', /no answer within the 25 ms deadline/);
    assert.ok(cancels >= 1, 'the hung connect was cancelled');
    // The cancelled connects answer after all: nothing changes.
    for (const done of late.splice(0)) done(undefined);
    await new Promise((r) => setTimeout(r, 10));
    assert.not.ok(events.some((e) => e.kind === 'server' && e.up), 'a cancelled probe\'s answer was taken');
    mode = 'ok';
    await until('the server back', () => events.some((e) => e.kind === 'server' && e.up));
    assert.match(shell.status().services[0]!.checks[0]!.lastResult ?? '', /connected/);
    mode = 'refuse';
    await until('the server down again', () => events.filter((e) => e.kind === 'server' && !e.up).length === 2);
    const again = events.filter((e) => e.kind === 'server' && !e.up)[1]!;
    assert.match(again.kind === 'server' ? again.reason : '', /connection refused/);
    assert.is(promiseConnects, 0, 'a TCP check took the promise path');
    assert.is(shell.status().counters.inFlight <= 1, true);
  } finally {
    shell.stop();
  }
});

test.run();
