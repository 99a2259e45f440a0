// The checker shell on real (short) timers with a fake world: a hung probe is aborted at its
// deadline, a refused quorum command is never spawned (and counted), an allowed one is.
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

test.run();
