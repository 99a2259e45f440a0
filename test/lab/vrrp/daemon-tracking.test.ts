// Two `stockade daemon`s and a client (as daemon-pair.test.ts), VRRPv3 at 100 ms: preempt_delay,
// check commands (track_scripts) with rise/fall, weight 0 (FAULT) and weights (negative and
// positive), and a tracked interface other than the instance's own with a weight. The check
// command logs each of its results (S/F) to a file, so rise/fall are asserted on counts, not
// timings: whenever the instance is seen in FAULT, at least `fall` failures in a row had already
// been logged; whenever it is seen out of FAULT again, at least `rise` successes in a row had.
// Also script security: a world-writable check command is never run.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lab } from '../harness.ts';
import { NODE_A as A, NODE_B as B, instanceOf, pairTopology, startDaemon, startPair, stopDaemons, vipOn, waitState, withDaemonLab } from '../helpers/stockade-daemon.ts';
import type { DaemonNode, InstanceView, NodeSpec } from '../helpers/stockade-daemon.ts';
import { requireLab } from '../require.ts';

const test = suite('vrrp: preempt_delay and tracking between two stockade daemons');
const ready = requireLab(test, 'lab/vrrp/daemon-tracking', { tools: ['ping'] });

const topo = pairTopology();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const withDir = (fn: (lab: Lab, dir: string) => Promise<void>) => withDaemonLab(topo, 'stk-vrrp-track-', fn);

/** A check command that succeeds while `<dir>/<name>.ok` exists and logs S or F per run. */
function checkScript(dir: string, name: string, opts: { rise: number; fall: number; intervalMs: number }) {
  const ok = join(dir, `${name}.ok`);
  const log = join(dir, `${name}.log`);
  return {
    ok, log,
    spec: {
      name, rise: opts.rise, fall: opts.fall, interval_ms: opts.intervalMs,
      command: ['/bin/sh', '-c', `if [ -e '${ok}' ]; then echo S >> '${log}'; exit 0; else echo F >> '${log}'; exit 1; fi`],
    },
  };
}

/** `n` tracking the check `chk` with `weight`. */
const tracking = (n: NodeSpec, chk: ReturnType<typeof checkScript>, weight: number): NodeSpec => ({ ...n, vrrp: { scripts: [chk.spec] }, vi1: { track_scripts: [{ script: chk.spec.name, weight }] } });

/** Results logged so far, e.g. "SSSFF". */
const results = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').replace(/\s/g, '') : '');
/** How many of the last results in a row are `c`. */
const trailing = (s: string, c: 'S' | 'F') => s.length - s.replace(new RegExp(`${c}+$`), '').length;

const stop = async (...ds: DaemonNode[]) => assert.equal(await stopDaemons(...ds), ds.map(() => 0));

/**
 * Polls the instance until `until` holds, checking on every sample the rise/fall rule against the
 * log read after the state (so the log holds at least what the daemon had seen): in FAULT, the
 * last `fall` results were failures; `leaving` (the check succeeds again), out of FAULT, the last
 * `rise` were successes.
 */
async function watchRiseFall(lab: Lab, d: DaemonNode, log: string, rule: { rise: number; fall: number }, leaving: boolean, until: (v: InstanceView) => boolean, what: string): Promise<InstanceView> {
  // Recorded, not thrown: a probe that throws only counts as "not yet" for waitFor.
  const violations: string[] = [];
  const v = await lab.waitFor(what, async () => {
    const i = await instanceOf(lab, d);
    if (!i) return undefined;
    const r = results(log);
    if (!leaving && i.state === 'FAULT' && trailing(r, 'F') < rule.fall) violations.push(`FAULT after only ${trailing(r, 'F')} failure(s) in a row (fall ${rule.fall}): ${r}`);
    if (i.state !== 'FAULT' && leaving && trailing(r, 'S') < rule.rise) violations.push(`${i.state} after only ${trailing(r, 'S')} success(es) in a row (rise ${rule.rise}): ${r}`);
    return until(i) ? i : undefined;
  }, { timeoutMs: 15_000, intervalMs: 30 });
  assert.equal(violations, []);
  return v;
}

if (ready) {
  test('preempt_delay: a higher priority started later stays BACKUP for the delay, then takes over', async () => {
    await withDir(async (lab, dir) => {
      const b = startDaemon(lab, dir, B);
      await waitState(lab, b, 'MASTER');
      const t0 = Date.now();
      const a = startDaemon(lab, dir, { ...A, vi1: { preempt_delay_s: 2 } });
      await waitState(lab, a, 'MASTER', 10_000);
      const took = Date.now() - t0;
      await waitState(lab, b, 'BACKUP');
      await vipOn(lab, 'a', true);
      await vipOn(lab, 'b', false);
      // Counted, not timed: without the delay a takes over at Master_Down_Interval (3 x 100 ms +
      // skew) having heard 3 or 4 of b's adverts; with it, it first listens to b for 2 s (about 20;
      // b stops advertising when it yields). It went BACKUP first, then MASTER when, the delay over,
      // it stopped taking b's lower priority and its down timer ran out.
      const heard = (await instanceOf(lab, a))!.counters['advertsIn']!;
      assert.ok(heard >= 10, `a heard only ${heard} of b's adverts before taking over`);
      assert.match(a.proc.stdout(), /vi1: BACKUP -> MASTER \(master-down/);
      assert.not.match(a.proc.stdout(), /vi1: INIT -> MASTER/);
      console.log(`  note: preempted ${took} ms after start (preempt_delay 2 s), having heard ${heard} adverts`);
      await stop(a, b);
    });
  });

  test('track script, weight 0: fall failures in a row put the master in FAULT (the backup takes over), rise successes bring it back', async () => {
    await withDir(async (lab, dir) => {
      const rule = { rise: 3, fall: 2 };
      const chk = checkScript(dir, 'chk', { ...rule, intervalMs: 200 });
      writeFileSync(chk.ok, '');
      const [a, b] = await startPair(lab, dir, tracking(A, chk, 0), B);
      await vipOn(lab, 'a', true);

      rmSync(chk.ok);
      await watchRiseFall(lab, a, chk.log, rule, false, (i) => i.state === 'FAULT', 'a FAULT after the check fails');
      await waitState(lab, b, 'MASTER');
      await vipOn(lab, 'b', true);
      await vipOn(lab, 'a', false);

      writeFileSync(chk.ok, '');
      await watchRiseFall(lab, a, chk.log, rule, true, (i) => i.state !== 'FAULT', 'a out of FAULT after rise successes');
      await waitState(lab, a, 'MASTER'); // preempts back
      await waitState(lab, b, 'BACKUP');
      await vipOn(lab, 'a', true);
      await stop(a, b);
    });
  });

  test('track script, weight 0, fall 3: one or two failures in a row do not fault the master', async () => {
    await withDir(async (lab, dir) => {
      const rule = { rise: 1, fall: 3 };
      const chk = checkScript(dir, 'chk', { ...rule, intervalMs: 300 });
      writeFileSync(chk.ok, '');
      const a = startDaemon(lab, dir, tracking(A, chk, 0));
      await waitState(lab, a, 'MASTER');
      // One failure, then success again: wait for the first F, restore at once.
      const before = results(chk.log).length;
      rmSync(chk.ok);
      await lab.waitFor('one failure logged', async () => results(chk.log).slice(before).includes('F') || undefined, { timeoutMs: 5000, intervalMs: 10 });
      writeFileSync(chk.ok, '');
      const seen = new Set<string>();
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        seen.add((await instanceOf(lab, a))!.state);
        await sleep(50);
      }
      const r = results(chk.log).slice(before);
      assert.ok(/F/.test(r) && !/FFF/.test(r), `the window logged ${r}`);
      assert.equal([...seen], ['MASTER'], 'never left MASTER');
      await stop(a);
    });
  });

  test('track script with weights: a failing check (-150) hands the VIP to the backup without FAULT; a succeeding one (+150) raises the peer over the master', async () => {
    await withDir(async (lab, dir) => {
      const ca = checkScript(dir, 'ca', { rise: 1, fall: 1, intervalMs: 100 });
      const cb = checkScript(dir, 'cb', { rise: 1, fall: 1, intervalMs: 100 });
      writeFileSync(ca.ok, '');
      const [a, b] = await startPair(lab, dir, tracking(A, ca, -150), tracking(B, cb, 150));
      assert.is((await instanceOf(lab, b))!.effectivePriority, 100, 'a failing +150 check adds nothing');

      rmSync(ca.ok);
      const ia = await lab.waitFor('a at 50', async () => {
        const i = await instanceOf(lab, a);
        return i?.effectivePriority === 50 ? i : undefined;
      }, { timeoutMs: 10_000, intervalMs: 50 });
      assert.is.not(ia.state, 'FAULT');
      await waitState(lab, b, 'MASTER');
      await waitState(lab, a, 'BACKUP');
      await vipOn(lab, 'b', true);
      await vipOn(lab, 'a', false);

      writeFileSync(ca.ok, '');
      await waitState(lab, a, 'MASTER');
      await waitState(lab, b, 'BACKUP');
      assert.is((await instanceOf(lab, a))!.effectivePriority, 200);

      writeFileSync(cb.ok, '');
      await lab.waitFor('b at 250', async () => (await instanceOf(lab, b))?.effectivePriority === 250 || undefined, { timeoutMs: 10_000, intervalMs: 50 });
      await waitState(lab, b, 'MASTER');
      await waitState(lab, a, 'BACKUP');
      await vipOn(lab, 'b', true);
      await stop(a, b);
    });
  });

  test('tracked interface with a weight: its link down lowers the master below the backup (BACKUP, not FAULT); up again: it preempts back', async () => {
    await withDir(async (lab, dir) => {
      // A veth pair inside a (no dummy module everywhere): d0 is up while both ends are.
      await lab.exec('a', ['ip', 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1']);
      for (const d of ['d0', 'd1']) await lab.exec('a', ['ip', 'link', 'set', d, 'up']);
      const [a, b] = await startPair(lab, dir, { ...A, bare: ['d0'], vi1: { track_interfaces: [{ interface: 'd0', weight: -150 }] } }, B);
      await lab.exec('a', ['ip', 'link', 'set', 'd0', 'down']);
      await waitState(lab, b, 'MASTER');
      const ia = await waitState(lab, a, 'BACKUP');
      assert.is(ia.effectivePriority, 50);
      await vipOn(lab, 'b', true);
      await vipOn(lab, 'a', false);
      await lab.exec('a', ['ip', 'link', 'set', 'd0', 'up']);
      await waitState(lab, a, 'MASTER');
      await waitState(lab, b, 'BACKUP');
      assert.is((await instanceOf(lab, a))!.effectivePriority, 200);
      await vipOn(lab, 'a', true);
      await stop(a, b);
    });
  });

  test('script security: a check command anyone may rewrite is never run (weight 0 keeps FAULT); made root-only, it runs', async () => {
    await withDir(async (lab, dir) => {
      const exe = join(dir, 'chk.sh');
      writeFileSync(exe, '#!/bin/sh\nexit 0\n');
      chmodSync(exe, 0o777);
      const spec: NodeSpec = { ...A, vrrp: { scripts: [{ name: 'chk', command: [exe], interval_ms: 100 }] }, vi1: { track_scripts: [{ script: 'chk', weight: 0 }] } };
      const a = startDaemon(lab, dir, spec);
      await waitState(lab, a, 'FAULT');
      await sleep(1000);
      assert.is((await instanceOf(lab, a))!.state, 'FAULT', 'the refused check counts as failing');
      assert.match(a.proc.stdout() + a.proc.stderr(), /will never be run \(script security\): .*chk\.sh: writable by everyone/);
      await stop(a);
      chmodSync(exe, 0o755);
      const a2 = startDaemon(lab, dir, spec);
      await waitState(lab, a2, 'MASTER');
      assert.not.match(a2.proc.stdout() + a2.proc.stderr(), /script security/);
      await stop(a2);
    });
  });
}

test.run();
