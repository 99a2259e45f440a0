// The rolling pair upgrade's pure core (src/upgrade/pair-plan.ts) against a fake peer: what the
// peer answers over SSH (upgrade status, ctl vrrp, ctl sync) as it is switched, reboots, runs its
// trial and settles, with a fake clock. The preflight refuses a pair that is not settled or a box on
// trial; the wait goes on through the reboot, stops at a failed trial or the deadline, and a stop
// says which step, which box, how the pair stands and what to do.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  PairWait, judgeSettled, pairPlan, pairPreflight, pairStop, unsettled,
  type Answer, type PairObservation, type PairStatusView, type PairSyncView, type PairVrrpView,
} from '../../../src/upgrade/index.ts';

const ok = <T>(value: T): Answer<T> => ({ ok: true, value });
const down = (error: string): Answer<never> => ({ ok: false, error });
const vrrp = (lan: string, wan: string): PairVrrpView => ({ running: true, instances: [{ name: 'lan', state: lan }, { name: 'wan', state: wan }] });
const synced: PairSyncView = { running: true, failover: { startup: 'synced' } };

/** The peer's `upgrade status --json` as it goes: running A, B written; B on trial; B good; or back on A. */
function status(running: 'A' | 'B', trial: 'A' | 'B' | null, b: { condition: string; version?: string; failure?: string }, lastFailure?: string): PairStatusView {
  return {
    running,
    trial,
    slots: [{ slot: 'A', condition: 'good' }, { slot: 'B', condition: b.condition, ...(b.version ? { installed: { version: b.version, ...(b.failure ? { failure: b.failure } : {}) } } : {}) }],
    last_failure: lastFailure ? { slot: 'B', version: '0.2.0', reason: lastFailure, at: '2026-12-06T14:00:00Z' } : null,
  };
}

const settledPair = (here: [string, string], peer: [string, string], sync: Answer<PairSyncView> = ok(synced)): PairObservation => ({
  peerStatus: ok(status('B', null, { condition: 'good', version: '0.2.0' })),
  peerVrrp: ok(vrrp(...peer)),
  peerSync: sync,
  hereVrrp: ok(vrrp(...here)),
});

test('the plan: five steps; the MASTER hands over (priority 0) when it is switched', () => {
  const steps = pairPlan({ hereMasters: [], peerMasters: ['lan', 'wan'], peerRunning: 'A' }, '0.2.0');
  assert.equal(steps.map((s) => `${s.n} ${s.name} ${s.box}`), ['1 write both', '2 activate-peer peer', '3 peer-good peer', '4 peer-settled peer', '5 activate-here here']);
  assert.match(steps[0]!.title, /write 0\.2\.0 to the other slot of both boxes from one stream .*neither is switched/);
  assert.match(steps[1]!.title, /reboot it, handing lan, wan to this box \(priority 0\)$/);
  assert.not.match(steps[4]!.title, /handing/);
  const mine = pairPlan({ hereMasters: ['lan', 'wan'], peerMasters: [], peerRunning: 'B' }, '0.2.0');
  assert.not.match(mine[1]!.title, /handing/);
  assert.match(mine[4]!.title, /handing lan, wan to the peer \(priority 0\); its trial keeps it once healthy/);
});

test('preflight: the roles of a settled pair; refusals for a peer SSH cannot reach, a box on trial, an unsettled pair, a daemon down', () => {
  const base = { hereStatus: ok(status('A', null, { condition: 'good' })), peerStatus: ok(status('A', null, { condition: 'good' })), peerVrrp: ok(vrrp('BACKUP', 'BACKUP')), peerSync: down('not asked'), hereVrrp: ok(vrrp('MASTER', 'MASTER')) };
  assert.equal(pairPreflight(base), { roles: { hereMasters: ['lan', 'wan'], peerMasters: [], peerRunning: 'A' } });
  const refused = (o: Partial<typeof base>): string => {
    const r = pairPreflight({ ...base, ...o });
    if (!('refused' in r)) throw new Error(`not refused: ${JSON.stringify(r)}`);
    return r.refused;
  };
  assert.match(refused({ peerStatus: down('Host key mismatch for 192.0.2.131 ! (SSH)') }), /^the peer does not answer over SSH: Host key mismatch for 192\.0\.2\.131/);
  assert.match(refused({ peerStatus: ok(status('A', 'B', { condition: 'trial', version: '0.2.0' })) }), /^the peer has slot B on trial \(installed, not yet booted\): wait for its verdict/);
  assert.match(refused({ hereStatus: ok(status('B', 'B', { condition: 'trial' })) }), /^this box has slot B on trial \(running, not yet marked good\)/);
  assert.match(refused({ peerVrrp: ok(vrrp('MASTER', 'BACKUP')) }), /^the pair is not settled \(lan: this box MASTER, the peer MASTER\): a rolling upgrade starts from one MASTER and one BACKUP of every instance$/);
  assert.match(refused({ peerVrrp: ok({ running: true, instances: [{ name: 'lan', state: 'BACKUP' }] }) }), /wan: this box MASTER, the peer absent/);
  assert.match(refused({ hereVrrp: down('connect ENOENT /run/stockade.sock') }), /^this box's daemon does not answer: connect ENOENT/);
  assert.match(refused({ peerVrrp: down('stockade: the daemon is not running') }), /^the peer's daemon does not answer/);
  // Split roles are settled too: MASTER of lan here, of wan there.
  assert.is(unsettled(vrrp('MASTER', 'BACKUP'), vrrp('BACKUP', 'MASTER')), undefined);
  assert.match(unsettled(vrrp('MASTER', 'FAULT'), vrrp('BACKUP', 'BACKUP'))!, /^wan: this box FAULT, the peer BACKUP$/);
});

test('the fake peer reboots, runs its trial, is marked good, re-syncs and settles: the wait goes on until the states held', () => {
  let now = 0;
  const wait = new PairWait({ startMs: 0, timeoutMs: 600_000, holdMs: 5000 }, 'B', '0.2.0', true);
  const peerOnly = (s: Answer<PairStatusView>): PairObservation => ({ peerStatus: s, peerVrrp: down('not asked'), peerSync: down('not asked'), hereVrrp: down('not asked') });
  const seq: Array<[Answer<PairStatusView>, RegExp]> = [
    [ok(status('A', 'B', { condition: 'trial', version: '0.2.0' })), /the peer still runs slot A \(its reboot has not begun\)/],
    [down('Connection to root@192.0.2.131:22 exited: Connect failed: Connection refused (SSH)'), /the peer does not answer \(rebooting\): .*Connection refused/],
    [ok(status('B', 'B', { condition: 'trial', version: '0.2.0' })), /the peer runs slot B on its trial/],
  ];
  for (const [s, want] of seq) {
    const v = wait.judge(peerOnly(s), (now += 10_000));
    assert.is(v.action, 'wait');
    assert.match((v as { pending: string }).pending, want);
    assert.is(wait.step, 'peer-good');
  }
  // Marked good; this box took over while the peer was away; the peer still waits for the bulk sync.
  let v = wait.judge(settledPair(['MASTER', 'MASTER'], ['BACKUP', 'BACKUP'], ok({ running: true, failover: { startup: 'held' } })), (now += 2000));
  assert.is(wait.step, 'peer-settled');
  assert.equal(v, { action: 'wait', pending: 'the peer waits for this box\'s bulk sync' });
  v = wait.judge(settledPair(['MASTER', 'MASTER'], ['BACKUP', 'BACKUP']), (now += 2000));
  assert.is(v.action, 'wait', 'settled, not yet held');
  // The peer (higher priority) preempts: the states changed, the hold starts again.
  v = wait.judge(settledPair(['BACKUP', 'BACKUP'], ['MASTER', 'MASTER']), (now += 4000));
  assert.is(v.action, 'wait');
  v = wait.judge(settledPair(['BACKUP', 'BACKUP'], ['MASTER', 'MASTER']), (now += 3000));
  assert.is(v.action, 'wait');
  v = wait.judge(settledPair(['BACKUP', 'BACKUP'], ['MASTER', 'MASTER']), (now += 2000));
  assert.equal(v, { action: 'next' });
});

test('the peer\'s new slot fails its trial and it goes back: stop at step 3, naming its reason', () => {
  const wait = new PairWait({ startMs: 0, timeoutMs: 600_000, holdMs: 5000 }, 'B', '0.2.0', true);
  const back = status('A', null, { condition: 'bad', version: '0.2.0', failure: 'health did not hold within 600 s: vrrp: not settled' }, 'health did not hold within 600 s: vrrp: not settled');
  const v = wait.judge({ peerStatus: ok(back), peerVrrp: down('-'), peerSync: down('-'), hereVrrp: down('-') }, 100_000);
  assert.equal(v, { action: 'stop', reason: 'the peer\'s new slot B failed its trial (health did not hold within 600 s: vrrp: not settled); the peer went back to slot A by itself' });
  const steps = pairPlan({ hereMasters: ['lan'], peerMasters: [], peerRunning: 'A' }, '0.2.0');
  const text = pairStop(steps[2]!, (v as { reason: string }).reason, { old: '0.1.0', next: '0.2.0' });
  assert.match(text, /^upgrade pair: stopped at step 3 \(wait for the peer to boot the new slot and for its trial to mark it good\) on the peer: the peer's new slot B failed its trial/);
  assert.match(text, /\nNow: this box was not switched: it runs 0\.1\.0 and serves/);
  assert.match(text, /\nNext: See why on the peer \(`stockade upgrade status` there/);
});

test('the deadline: a peer that never comes back, or a pair that never settles, stops with what was seen last', () => {
  const gone = new PairWait({ startMs: 0, timeoutMs: 60_000, holdMs: 5000 }, 'B', '0.2.0', false);
  const none = { peerStatus: down('Connect failed: No route to host (SSH)'), peerVrrp: down('-'), peerSync: down('-'), hereVrrp: down('-') };
  assert.is(gone.judge(none, 30_000).action, 'wait');
  assert.equal(gone.judge(none, 60_000), { action: 'stop', reason: 'the peer was not back on its new slot, marked good, within 60 s (last seen: the peer does not answer (rebooting): Connect failed: No route to host (SSH))' });
  const split = new PairWait({ startMs: 0, timeoutMs: 60_000, holdMs: 5000 }, 'B', '0.2.0', false);
  const both = settledPair(['MASTER', 'MASTER'], ['MASTER', 'BACKUP']);
  assert.is(split.judge(both, 1000).action, 'wait');
  const v = split.judge(both, 61_000);
  assert.is(v.action, 'stop');
  assert.match((v as { reason: string }).reason, /^the pair did not settle within 60 s \(last seen: VRRP not settled: lan: this box MASTER, the peer MASTER\)$/);
  // Without sync in the config, the peer's sync is not waited for.
  assert.ok(judgeSettled(settledPair(['MASTER', 'MASTER'], ['BACKUP', 'BACKUP'], down('not running')), false).ok);
  assert.not.ok(judgeSettled(settledPair(['MASTER', 'MASTER'], ['BACKUP', 'BACKUP'], ok({ running: false, reason: 'sync is not configured' })), true).ok);
});

test('a peer that boots its new slot holding another version is a stop, not a success', () => {
  const wait = new PairWait({ startMs: 0, timeoutMs: 600_000, holdMs: 5000 }, 'B', '0.2.0', false);
  const v = wait.judge({ peerStatus: ok(status('B', null, { condition: 'good', version: '0.1.9' })), peerVrrp: down('-'), peerSync: down('-'), hereVrrp: down('-') }, 1000);
  assert.equal(v, { action: 'stop', reason: 'the peer runs slot B, which holds 0.1.9, not 0.2.0' });
});

test('every stop says where, how the pair stands and what to do', () => {
  const steps = pairPlan({ hereMasters: ['lan', 'wan'], peerMasters: [], peerRunning: 'A' }, '0.2.0');
  const v = { old: '0.1.0', next: '0.2.0' };
  const write = pairStop(steps[0]!, 'the peer 192.0.2.131 did not install it: stockade: stdin: signed by key 0123456789abcdef, which is not trusted', v);
  assert.match(write, /^upgrade pair: stopped at step 1 \(.*\) on both boxes: the peer 192\.0\.2\.131 did not install it: .*not trusted\nNow: neither box was switched: both run what they ran and serve as before\.\nNext: Fix what is named above and run `stockade upgrade pair` again\.$/);
  assert.match(pairStop(steps[1]!, 'x', v), /on the peer: x\nNow: neither box was switched: .*both hold 0\.2\.0 in their other slot, not booted/);
  assert.match(pairStop(steps[3]!, 'x', v), /Now: the peer runs 0\.2\.0, marked good; this box runs 0\.1\.0, not switched; the pair serves\.\nNext: When `stockade ctl vrrp` shows one MASTER and one BACKUP .* `stockade upgrade activate --handover` here finishes the upgrade\.$/);
  assert.match(pairStop(steps[4]!, 'upgrade activate: slot B reads back with sha256 00, not the 11 installed', v), /on this box: upgrade activate: .*\nNow: the peer runs 0\.2\.0, marked good; this box runs 0\.1\.0; the pair serves\.\nNext: Install it here: `stockade upgrade install FILE --handover`/);
});

test.run();
