// A service's aggregation through the runner with a fake clock and fake probe results: servers
// up/down with inhibit or removal, quorum with hysteresis and its commands, the sorry server,
// dynamic weights, several checks per server, weight 0, ha_suspend and omega.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CheckerRunner } from '../../../../src/lvs/checkers/index.ts';
import type { RunnerAction, ServiceSpec } from '../../../../src/lvs/checkers/index.ts';
import { check, service } from './helpers.ts';

const FAIL = { ok: false as const, reason: 'connection refused' };
const OK = { ok: true as const };

/** Drives a runner: every due probe gets the outcome `verdict(checkId)` 10 ms later. */
class Sim {
  readonly r: CheckerRunner;
  now = 0;
  readonly log: RunnerAction[] = [];
  verdict: (id: string) => { ok: true; weight?: number } | { ok: false; reason: string } = () => OK;
  constructor(specs: ServiceSpec[]) {
    this.r = new CheckerRunner(specs, { warmup: () => 0 });
    this.#take(this.r.start(0));
  }
  #take(as: RunnerAction[]): void {
    for (const a of as) {
      this.log.push(a);
      if (a.kind === 'probe') this.#take(this.r.result(this.now, a.check.id, a.attempt, this.verdict(a.check.id)));
    }
  }
  /** Runs the clock to `until`. */
  run(until: number): void {
    for (;;) {
      const d = this.r.deadline();
      if (d === undefined || d > until) break;
      this.now = d;
      this.#take(this.r.timer(d));
    }
    this.now = until;
  }
  events(): string[] {
    return this.log.flatMap((a) => {
      if (a.kind === 'run') return [`run ${a.why} ${a.command.join(' ')}`];
      if (a.kind !== 'event') return [];
      const e = a.event;
      if (e.kind === 'server') return [`${e.server} ${e.up ? 'up' : 'down'} (${e.inTable})`];
      if (e.kind === 'weight') return [`${e.server} weight ${e.weight}`];
      return [`quorum ${e.up ? 'up' : 'down'}${e.sorryServer ? ' sorry' : ''} (${e.liveWeight})`];
    });
  }
  clear(): void {
    this.log.length = 0;
  }
}

const down = (s: Sim, ...ids: string[]) => (s.verdict = (id) => (ids.some((x) => id.includes(x)) ? FAIL : OK));

test('remove: a failed server leaves the table, and comes back after rise successes', () => {
  const s = new Sim([service('web', [1, 1], {}, { fall: 1, rise: 2 })]);
  assert.equal(s.r.table('web').map((d) => d.address), ['198.51.100.11', '198.51.100.12']);
  down(s, '.11');
  s.run(0);
  assert.equal(s.events(), ['198.51.100.11:80 down (no)']);
  assert.equal(s.r.table('web'), [{ address: '198.51.100.12', port: 80, weight: 1 }]);
  down(s);
  s.clear();
  s.run(1000);
  assert.equal(s.events(), []);
  s.run(2000);
  assert.equal(s.events(), ['198.51.100.11:80 up (yes)']);
  assert.is(s.r.table('web').length, 2);
});

test('inhibit: a failed server stays with weight 0 (its connections finish)', () => {
  const s = new Sim([service('web', [3, 1], { onFailure: 'inhibit' }, { fall: 1 })]);
  down(s, '.11');
  s.run(0);
  assert.equal(s.events(), ['198.51.100.11:80 down (weight-0)']);
  assert.equal(s.r.table('web'), [{ address: '198.51.100.11', port: 80, weight: 0 }, { address: '198.51.100.12', port: 80, weight: 1 }]);
});

test('quorum with hysteresis: lost below quorum - hysteresis, regained only at quorum + hysteresis; commands run on each change', () => {
  // Weights 1+1+1+1, quorum 3, hysteresis 1: lost below 2, regained at 4.
  const s = new Sim([service('web', [1, 1, 1, 1], { quorum: 3, hysteresis: 1, quorumUp: ['/usr/bin/up'], quorumDown: ['/usr/bin/down'] }, { fall: 1, rise: 1 })]);
  down(s, '.11', '.12');
  s.run(0);
  assert.equal(s.events(), ['198.51.100.11:80 down (no)', '198.51.100.12:80 down (no)'], 'live 2: still held');
  s.clear();
  down(s, '.11', '.12', '.13');
  s.run(1000);
  assert.equal(s.events(), ['198.51.100.13:80 down (no)', 'quorum down (1)', 'run quorum-down /usr/bin/down']);
  s.clear();
  down(s, '.11');
  s.run(2000);
  assert.equal(s.events(), ['198.51.100.12:80 up (yes)', '198.51.100.13:80 up (yes)'], 'live 3: not yet quorum + hysteresis');
  s.clear();
  down(s);
  s.run(3000);
  assert.equal(s.events(), ['198.51.100.11:80 up (yes)', 'quorum up (4)', 'run quorum-up /usr/bin/up']);
});

test('sorry server: alone in the table while the quorum is lost, gone when it returns', () => {
  const s = new Sim([service('web', [1, 1], { quorum: 2, sorryServer: { address: '198.51.100.99', port: 8080 } }, { fall: 1, rise: 1 })]);
  down(s, '.11');
  s.run(0);
  assert.equal(s.events(), ['198.51.100.11:80 down (no)', 'quorum down sorry (1)']);
  assert.equal(s.r.table('web'), [{ address: '198.51.100.99', port: 8080, weight: 1, sorry: true }]);
  s.clear();
  down(s);
  s.run(1000);
  assert.equal(s.events(), ['198.51.100.11:80 up (yes)', 'quorum up (2)']);
  assert.equal(s.r.table('web').map((d) => d.address), ['198.51.100.11', '198.51.100.12']);
});

test('alpha: every server starts down, so the quorum starts lost (sorry server in) until checks pass', () => {
  const s = new Sim([service('web', [1], { sorryServer: { address: '198.51.100.99', port: 80 } }, { alpha: true, rise: 1 })]);
  assert.equal(s.events(), ['quorum down sorry (0)']);
  assert.equal(s.r.table('web').map((d) => d.address), ['198.51.100.99']);
  s.run(0);
  assert.equal(s.events(), ['quorum down sorry (0)', '198.51.100.11:80 up (yes)', 'quorum up (1)']);
});

test('a server with several checks is up only while all are up', () => {
  const spec = service('web', [1]);
  spec.servers[0]!.checks.push(check('web/198.51.100.11:80/http', { fall: 1 }, { kind: 'http', path: '/', status: [[200, 299]], httpVersion: '1.0' }));
  spec.servers[0]!.checks[0]!.timing.fall = 1;
  const s = new Sim([spec]);
  down(s, '/http');
  s.run(0);
  assert.equal(s.events(), ['198.51.100.11:80 down (no)', 'quorum down (0)']);
  s.clear();
  down(s, '198.51.100.11:80');
  s.run(1000);
  assert.equal(s.events(), [], 'the other check going down changes nothing');
});

test('dynamic weights recomputed from scratch: the last report is the weight, and it counts for the quorum', () => {
  const spec = service('web', [10], { quorum: 5 });
  spec.servers[0]!.checks[0]!.probe = { kind: 'misc', command: ['/bin/check'], dynamic: true };
  const s = new Sim([spec]);
  s.verdict = () => ({ ok: true, weight: 4 });
  s.run(0);
  assert.equal(s.events(), ['198.51.100.11:80 weight 4', 'quorum down (4)']);
  s.clear();
  for (let t = 1000; t <= 5000; t += 1000) s.run(t);
  assert.equal(s.events(), [], 'the same report again and again: no growth, no change');
  s.verdict = () => ({ ok: true });
  s.run(6000);
  assert.equal(s.events(), ['198.51.100.11:80 weight 10', 'quorum up (10)']);
});

test('explicit weight 0 stays 0 (keepalived #1757): in the table, drained', () => {
  const s = new Sim([service('web', [0, 1])]);
  assert.equal(s.r.table('web').map((d) => d.weight), [0, 1]);
});

test('ha_suspend: no checks while the VIP is elsewhere; checks run once it is held, stop again when it leaves', () => {
  const s = new Sim([service('web', [1], { haSuspend: true, vip: '203.0.113.10' }, { fall: 1 })]);
  down(s, '.11');
  s.run(5000);
  assert.equal(s.log.filter((a) => a.kind === 'probe').length, 0);
  assert.ok(s.r.status()[0]!.suspended);
  s.r.vipHeld(5000, '203.0.113.10', true);
  s.run(5000);
  assert.equal(s.events(), ['198.51.100.11:80 down (no)', 'quorum down (0)']);
  s.r.vipHeld(5500, '203.0.113.10', false);
  s.clear();
  s.run(20000);
  assert.equal(s.log.filter((a) => a.kind === 'probe').length, 0);
});

test('omega: stopping a service whose quorum is held runs quorum_down', () => {
  const s = new Sim([service('web', [1], { omega: true, quorumDown: ['/usr/bin/down'] })]);
  const out = s.r.stop();
  assert.equal(out.filter((a) => a.kind === 'run').map((a) => (a.kind === 'run' ? a.why : '')), ['quorum-down']);
  const quiet = new Sim([service('web', [1], { quorumDown: ['/usr/bin/down'] })]);
  assert.equal(quiet.r.stop().filter((a) => a.kind === 'run'), []);
});

test.run();
