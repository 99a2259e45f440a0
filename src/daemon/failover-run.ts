// Wires conntrack sync to VRRP in the daemon (the sequence itself is failover.ts): the master hook,
// the transition events, and the start-up preempt hold released by the peer's first bulk sync.
// Runs only when both are running and sync.vrrp_group names the unit (the config checker
// requires vrrp_group whenever VRRP instances exist).
import type { Config } from '../config/index.ts';
import type { VrrpShell } from '../vrrp/index.ts';
import { BulkSyncWatch, Failover } from './failover.ts';
import type { FailoverTimers } from './failover.ts';
import type { Log } from './log.ts';
import type { SyncService } from './sync.ts';
import type { SyncFailoverView } from '../control/index.ts';

/** How often the start-up watch looks at the peer's traffic. */
const BULK_WATCH_INTERVAL_MS = 100;
/** No data from the peer for this long after it was heard: its bulk sync is complete. */
const BULK_QUIET_MS = 750;

export interface FailoverHandle {
  failover: Failover;
  stop(): void;
}

const realTimers: FailoverTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout | undefined),
};

/** `atStart` false: wired again by a config apply, with no start-up preempt hold (the box is long up). */
export function startFailover(config: Config, service: SyncService | undefined, shell: VrrpShell, log: Log, atStart = true): FailoverHandle | undefined {
  const sync = config.sync;
  if (service === undefined || sync?.vrrp_group === undefined || sync.stats_only) return undefined;
  const unit = sync.vrrp_group;
  const group = config.vrrp.sync_groups.find((g) => g.name === unit);
  const members = group ? group.instances : [unit];
  const failover = new Failover(service, {
    members, unit, group: group !== undefined,
    commitTimeoutMs: sync.master_commit_timeout_ms,
    purgeTimeoutMs: sync.purge_timeout_s * 1000,
  }, realTimers, log);
  shell.addMasterHook(failover.masterHook);
  const onTransition = (e: { instance: string; group: boolean; from: string; to: string }): void => failover.onTransition(e);
  shell.on('transition', onTransition);

  let startup: SyncFailoverView['startup'] = 'not held';
  let watchTimer: NodeJS.Timeout | undefined;
  // ALARM has no RESYNC: the peer's table arrives over its refresh time, there is no bulk to wait for.
  if (atStart && sync.startup_sync_wait_s > 0 && sync.mode !== 'alarm') {
    const waitMs = sync.startup_sync_wait_s * 1000;
    const t0 = performance.now();
    shell.holdPreempt(waitMs, members);
    if (!sync.startup_resync) service.requestResync();
    startup = 'held';
    log('info', `sync: preempting held for ${unit} until the peer's first bulk sync (at most ${sync.startup_sync_wait_s} s)`);
    const watch = new BulkSyncWatch(t0, waitMs, BULK_QUIET_MS, service.progress());
    const receivedAtStart = service.progress().received;
    let askedAgain = false;
    watchTimer = setInterval(() => {
      const p = service.progress();
      // The RESYNC asked at start may have gone out before the peer could answer (its link down,
      // or its answer dropped): ask once more when the peer is first heard, so that the quiet
      // period below is not taken for a bulk sync of nothing.
      if (!askedAgain && p.received > receivedAtStart && p.applied === 0) {
        askedAgain = true;
        service.requestResync();
      }
      const s = watch.check(performance.now(), p);
      if (s.state === 'waiting') return;
      clearInterval(watchTimer);
      watchTimer = undefined;
      shell.releasePreempt(members);
      startup = s.state;
      log('info', s.state === 'synced'
        ? `sync: peer's bulk sync in after ${Math.round(s.afterMs)} ms (${s.entries} entries); preempting allowed`
        : `sync: no bulk sync from the peer within ${sync.startup_sync_wait_s} s; preempting allowed`);
    }, BULK_WATCH_INTERVAL_MS);
  }
  service.setFailoverView(() => ({ vrrpGroup: unit, startup, ...failover.stats }));
  log('info', `sync: commits on ${unit}${group ? ` (sync group: ${members.join(', ')})` : ''} becoming MASTER, before its VIPs`);
  return {
    failover,
    stop() {
      if (watchTimer !== undefined) clearInterval(watchTimer);
      failover.stop();
      shell.removeMasterHook(failover.masterHook);
      shell.off('transition', onTransition);
    },
  };
}
