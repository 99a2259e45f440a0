// The failover sequence (src/daemon/failover.ts) with a fake sync service and fake timers: the
// master hook commits first and returns (the VIPs wait for it only that long), then flush external,
// resync, bulk send; a stuck commit is cut off by the timeout; BACKUP asks for a resync; FAULT
// schedules one purge, which MASTER cancels; the start-up bulk sync watch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BulkSyncWatch, Failover } from '../../../src/daemon/failover.ts';
import type { FailoverOptions, FailoverSync, FailoverTimers } from '../../../src/daemon/failover.ts';
import type { SyncCommitView } from '../../../src/control/index.ts';

class FakeTimers implements FailoverTimers {
  t = 0;
  timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void { this.timers.delete(h as number); }
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const due = [...this.timers].filter(([, x]) => x.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = until;
  }
}

class FakeSync implements FailoverSync {
  calls: string[] = [];
  /** Resolves the pending commit. */
  finishCommit: ((v: SyncCommitView) => void) | undefined;
  autoCommit: SyncCommitView | undefined = { committed: 3, failed: 0, errors: [], ms: 1 };
  commit(): Promise<SyncCommitView> {
    this.calls.push('commit');
    if (this.autoCommit) return Promise.resolve(this.autoCommit);
    return new Promise((r) => (this.finishCommit = (v) => { this.calls.push('commit-done'); r(v); }));
  }
  flush(cache: 'internal' | 'external') { this.calls.push(`flush-${cache}`); return { flushed: { [cache]: 3 } }; }
  async resyncFromKernel() { this.calls.push('resync-kernel'); return { internal: 5 }; }
  bulkSend() { this.calls.push('bulk-send'); return { queued: 5 }; }
  requestResync() { this.calls.push('request-resync'); }
}

const OPTS: FailoverOptions = { members: ['vi1', 'vi2'], unit: 'g', group: true, commitTimeoutMs: 1000, purgeTimeoutMs: 60_000 };

function setup(o: Partial<FailoverOptions> = {}) {
  const sync = new FakeSync();
  const timers = new FakeTimers();
  const logs: string[] = [];
  const f = new Failover(sync, { ...OPTS, ...o }, timers, (level, m) => logs.push(`${level}: ${m}`));
  return { sync, timers, logs, f };
}
const tick = () => new Promise((r) => setImmediate(r));

test('MASTER: the hook commits and returns; then flush external, resync from the kernel, bulk send (primary-backup.sh order)', async () => {
  const { sync, logs, f } = setup();
  await f.masterHook('vi1');
  assert.equal(sync.calls.slice(0, 1), ['commit']);
  await f.settled();
  assert.equal(sync.calls, ['commit', 'flush-external', 'resync-kernel', 'bulk-send']);
  assert.is(f.stats.masterCommits, 1);
  assert.equal(f.stats.lastCommit, { committed: 3, failed: 0, errors: [], ms: 1, timedOut: false });
  assert.match(logs.join('\n'), /info: sync: vi1 is MASTER: committed 3 peer entries to the kernel in \d+ ms, before the VIPs/);
  assert.match(logs.join('\n'), /external cache flushed \(3\), internal resynced from the kernel \(5\), bulk send of 5/);
});

test('the hook returns before the commit only when the commit times out; the rest follows the late commit', async () => {
  const { sync, timers, logs, f } = setup();
  sync.autoCommit = undefined;
  let returned = false;
  const hook = f.masterHook('vi1').then(() => (returned = true));
  await tick();
  assert.not.ok(returned, 'waits for the commit');
  timers.advance(999);
  await tick();
  assert.not.ok(returned);
  timers.advance(1);
  await hook;
  assert.equal(sync.calls, ['commit'], 'nothing else before the commit ends');
  assert.is(f.stats.commitTimeouts, 1);
  assert.match(logs.join('\n'), /warn: sync: vi1 is MASTER: commit still running after 1000 ms; VIPs go ahead/);
  sync.finishCommit!({ committed: 100, failed: 2, errors: ['errno 17'], ms: 2500 });
  await f.settled();
  assert.equal(sync.calls, ['commit', 'commit-done', 'flush-external', 'resync-kernel', 'bulk-send']);
  await tick();
  assert.equal(f.stats.lastCommit?.timedOut, true);
  assert.match(logs.join('\n'), /late commit done: 100 entries, 2 refused in 2500 ms/);
  assert.is(timers.timers.size, 0, 'no timer left behind');
});

test('a commit that fails lets the VIPs go ahead; the flush/resync/bulk send still run', async () => {
  const { sync, logs, f } = setup();
  sync.commit = () => { sync.calls.push('commit'); return Promise.reject(new Error('EPERM')); };
  await f.masterHook('vi1');
  await f.settled();
  assert.is(f.stats.commitErrors, 1);
  assert.match(logs.join('\n'), /error: sync: vi1 is MASTER: commit failed: EPERM; VIPs go ahead/);
  assert.equal(sync.calls, ['commit', 'flush-external', 'resync-kernel', 'bulk-send']);
});

test('sync group: the members\' hooks share one commit per mastership; instances outside the unit do nothing', async () => {
  const { sync, f } = setup();
  await Promise.all([f.masterHook('vi1'), f.masterHook('vi2'), f.masterHook('other')]);
  await f.settled();
  assert.equal(sync.calls.filter((c) => c === 'commit').length, 1);
  await f.masterHook('vi2');
  assert.equal(sync.calls.filter((c) => c === 'commit').length, 1, 'still the same mastership');
  // The group leaves MASTER and comes back: a new commit.
  f.onTransition({ instance: 'g', group: true, from: 'MASTER', to: 'BACKUP' });
  await f.masterHook('vi1');
  assert.equal(sync.calls.filter((c) => c === 'commit').length, 2);
  // A member leaving MASTER (before the group event) ends it as well.
  f.onTransition({ instance: 'vi2', group: false, from: 'MASTER', to: 'FAULT' });
  await f.masterHook('vi1');
  assert.equal(sync.calls.filter((c) => c === 'commit').length, 3);
});

test('BACKUP: asks the peer for a resync, except on the first INIT -> BACKUP (the startup resync does)', () => {
  const { sync, f } = setup();
  f.onTransition({ instance: 'g', group: true, from: 'INIT', to: 'BACKUP' });
  assert.equal(sync.calls, []);
  f.onTransition({ instance: 'g', group: true, from: 'MASTER', to: 'BACKUP' });
  f.onTransition({ instance: 'vi1', group: false, from: 'MASTER', to: 'BACKUP' }); // a member, not the unit
  f.onTransition({ instance: 'g', group: true, from: 'FAULT', to: 'BACKUP' });
  assert.equal(sync.calls, ['request-resync', 'request-resync']);
  assert.is(f.stats.resyncRequests, 2);
});

test('an instance as the unit: its own (non-group) events count', () => {
  const { sync, f } = setup({ members: ['vi1'], unit: 'vi1', group: false });
  f.onTransition({ instance: 'vi1', group: false, from: 'MASTER', to: 'BACKUP' });
  f.onTransition({ instance: 'vi1', group: true, from: 'MASTER', to: 'BACKUP' });
  assert.equal(sync.calls, ['request-resync']);
});

test('FAULT: one purge of the internal cache after PurgeTimeout; MASTER before it cancels it', async () => {
  const { sync, timers, logs, f } = setup();
  f.onTransition({ instance: 'g', group: true, from: 'BACKUP', to: 'FAULT' });
  f.onTransition({ instance: 'g', group: true, from: 'FAULT', to: 'FAULT' });
  assert.is(f.stats.purgesScheduled, 1);
  timers.advance(59_999);
  assert.equal(sync.calls, []);
  timers.advance(1);
  assert.equal(sync.calls, ['flush-internal']);
  assert.is(f.stats.purges, 1);
  assert.match(logs.join('\n'), /FAULT: internal cache purge in 60 s[\s\S]*internal cache purged \(3 entries\)/);

  const s2 = setup();
  s2.f.onTransition({ instance: 'g', group: true, from: 'MASTER', to: 'FAULT' });
  s2.timers.advance(10_000);
  await s2.f.masterHook('vi1');
  s2.timers.advance(100_000);
  assert.not.ok(s2.sync.calls.includes('flush-internal'));
  assert.is(s2.f.stats.purges, 0);
  assert.match(s2.logs.join('\n'), /scheduled internal cache purge cancelled/);
});

test('stop() cancels a scheduled purge', () => {
  const { sync, timers, f } = setup();
  f.onTransition({ instance: 'g', group: true, from: 'BACKUP', to: 'FAULT' });
  f.stop();
  timers.advance(120_000);
  assert.equal(sync.calls, []);
});

test('bulk sync watch: synced once the peer was heard and its data went quiet; timeout otherwise', () => {
  const p = (received: number, applied: number, external = applied) => ({ received, applied, external });
  // Counters already non-zero at start are the baseline.
  const w = new BulkSyncWatch(0, 30_000, 750, p(4, 0));
  assert.equal(w.check(100, p(4, 0)), { state: 'waiting' });
  assert.equal(w.check(200, p(6, 100)), { state: 'waiting' }); // heard: quiet counts from here
  assert.equal(w.check(900, p(9, 100)), { state: 'waiting' });
  assert.equal(w.check(950, p(12, 180)), { state: 'waiting' }); // more data
  assert.equal(w.check(1650, p(13, 180)), { state: 'waiting' });
  assert.equal(w.check(1700, p(13, 180)), { state: 'synced', afterMs: 1700, entries: 180 });
  // A peer with an empty table: heard, nothing applied, synced after the quiet period.
  const e = new BulkSyncWatch(0, 30_000, 750, p(0, 0));
  assert.equal(e.check(300, p(1, 0)), { state: 'waiting' });
  assert.equal(e.check(1050, p(2, 0)), { state: 'synced', afterMs: 1050, entries: 0 });
  // Nobody there: the wait runs out.
  const n = new BulkSyncWatch(1000, 30_000, 750, p(0, 0));
  assert.equal(n.check(30_999, p(0, 0)), { state: 'waiting' });
  assert.equal(n.check(31_000, p(0, 0)), { state: 'timeout', afterMs: 30_000, entries: 0 });
  // A bulk still streaming when the wait runs out: timeout.
  const s = new BulkSyncWatch(0, 2000, 750, p(0, 0));
  for (let t = 100; t < 2000; t += 100) assert.equal(s.check(t, p(t, t)), { state: 'waiting' });
  assert.is(s.check(2000, p(2000, 2000)).state, 'timeout');
});

test.run();
