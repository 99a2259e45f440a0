// Conntrack sync and VRRP together: what conntrackd's primary-backup.sh does from keepalived's
// notify scripts, but in order and inside the daemon.
//
//   MASTER  the VRRP shell awaits our master hook before it adds the VIPs and sends gARPs: the hook
//           commits the external cache (the peer's connections) into the kernel, so the first
//           packet that reaches this box through the VIPs finds its connection. The hook waits at
//           most `commitTimeoutMs`: a stuck commit must never keep the box from taking over (it
//           then completes in the background). After the commit, not holding the VIPs back: flush
//           the external cache, resync the internal cache from the kernel (which now holds the
//           committed connections) and bulk-send it to the peer (-c, -f external, -R, -B).
//   BACKUP  ask the peer for a resync (-n), so our external cache is complete for the next
//           failover. Not on the first INIT -> BACKUP: the driver's startup resync asks already.
//   FAULT   schedule, once, a purge of the internal cache after `purgeTimeoutMs` (conntrackd's -t,
//           PurgeTimeout). Becoming MASTER cancels it, as a conntrackd commit cancels -t.
//           Unlike conntrackd, the kernel table is not flushed: its entries expire by their own
//           timeouts, and a flush would cut connections this box may serve again if the fault
//           clears before they expire.
//
// `members`: the VRRP instances of `sync.vrrp_group` (a sync group's members, or the one instance);
// their master hooks trigger the sequence, once per mastership (the members of a sync group become
// MASTER together, each runs the hook; the later ones wait for the same commit).
//
// At start, BulkSyncWatch tells when the peer's first bulk sync (the answer to our startup
// RESYNC) has arrived: the peer was heard and then no data message came for `quietMs`. Until then,
// or until the wait runs out, the daemon holds VRRP preempting (engine.holdPreempt): a restarted
// higher-priority box must not take over a live master before it has the connections to commit.
// conntrackd's protocol has no end-of-bulk marker (pfsync has one), hence the quiet period.
import type { FailoverStats, SyncCommitView } from '../control/index.ts';
import type { Log } from './log.ts';

/** What the sequence needs from the sync service (SyncService implements it). */
export interface FailoverSync {
  commit(): Promise<SyncCommitView>;
  flush(cache: 'internal' | 'external'): { flushed: Record<string, number> };
  resyncFromKernel(): Promise<{ internal: number }>;
  bulkSend(): { queued: number };
  requestResync(): void;
}

export interface FailoverTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface FailoverOptions {
  /** The VRRP instances whose mastership commits (see the header). */
  members: readonly string[];
  /** The name transition events carry for the unit: the sync group's, or the instance's. */
  unit: string;
  /** Whether `unit` is a sync group (its events have group: true). */
  group: boolean;
  commitTimeoutMs: number;
  purgeTimeoutMs: number;
}

/** The part of the VRRP shell's transition event used here. */
export interface FailoverTransition {
  instance: string;
  group: boolean;
  from: string;
  to: string;
}

export type { FailoverStats };

const TIMED_OUT = Symbol('timed out');

export class Failover {
  readonly stats: FailoverStats = {
    masterCommits: 0, commitTimeouts: 0, commitErrors: 0, lastCommit: null, resyncRequests: 0, purgesScheduled: 0, purges: 0,
  };
  readonly #sync: FailoverSync;
  readonly #opts: FailoverOptions;
  readonly #timers: FailoverTimers;
  readonly #log: Log;
  /** This mastership's hook run (its bounded part); reset when the unit leaves MASTER. */
  #mastership: Promise<void> | undefined;
  /** The background part of the last mastership (flush, resync, bulk send); for tests and stop. */
  #after: Promise<void> = Promise.resolve();
  #purgeTimer: unknown;

  constructor(sync: FailoverSync, opts: FailoverOptions, timers: FailoverTimers, log: Log) {
    this.#sync = sync;
    this.#opts = opts;
    this.#timers = timers;
    this.#log = log;
  }

  /** For VrrpShell.addMasterHook; never throws. */
  readonly masterHook = (instance: string): Promise<void> => {
    if (!this.#opts.members.includes(instance)) return Promise.resolve();
    this.#mastership ??= this.#becomeMaster(instance);
    return this.#mastership;
  };

  /** For the shell's `transition` events. */
  onTransition(e: FailoverTransition): void {
    const mine = this.#opts.group ? e.group && e.instance === this.#opts.unit : !e.group && e.instance === this.#opts.unit;
    // A member of the group leaving MASTER ends the mastership too (the group follows it).
    if (e.from === 'MASTER' && e.to !== 'MASTER' && (mine || (!e.group && this.#opts.members.includes(e.instance)))) this.#mastership = undefined;
    if (!mine || e.from === e.to) return;
    if (e.to === 'BACKUP' && e.from !== 'INIT') {
      this.stats.resyncRequests++;
      this.#log('info', `sync: ${this.#opts.unit} is BACKUP: asking the peer for a resync`);
      this.#sync.requestResync();
    } else if (e.to === 'FAULT') {
      this.#schedulePurge();
    }
  }

  /** Resolves when the background part of the last mastership is done. */
  settled(): Promise<void> {
    return this.#after;
  }

  /** Cancels a scheduled purge (daemon stop). */
  stop(): void {
    this.#cancelPurge();
  }

  async #becomeMaster(instance: string): Promise<void> {
    this.#cancelPurge();
    const t0 = this.#timers.now();
    const commit = this.#sync.commit();
    let timer: unknown;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = this.#timers.setTimeout(() => resolve(TIMED_OUT), this.#opts.commitTimeoutMs);
    });
    this.#after = commit.then(() => undefined, () => undefined).then(() => this.#afterCommit());
    try {
      const r = await Promise.race([commit, timeout]);
      if (r === TIMED_OUT) {
        this.stats.commitTimeouts++;
        this.#log('warn', `sync: ${instance} is MASTER: commit still running after ${this.#opts.commitTimeoutMs} ms; VIPs go ahead, the commit completes in the background`);
        void commit.then((v) => {
          this.stats.lastCommit = { ...v, timedOut: true };
          this.#log('info', `sync: late commit done: ${v.committed} entries${v.failed ? `, ${v.failed} refused` : ''} in ${v.ms} ms`);
        }, () => undefined);
        return;
      }
      this.stats.masterCommits++;
      this.stats.lastCommit = { ...r, timedOut: false };
      this.#log('info', `sync: ${instance} is MASTER: committed ${r.committed} peer entries to the kernel${r.failed ? ` (${r.failed} refused: ${r.errors.join(', ')})` : ''} in ${Math.round(this.#timers.now() - t0)} ms, before the VIPs`);
    } catch (e) {
      this.stats.commitErrors++;
      this.#log('error', `sync: ${instance} is MASTER: commit failed: ${(e as Error).message}; VIPs go ahead`);
    } finally {
      this.#timers.clearTimeout(timer);
    }
  }

  async #afterCommit(): Promise<void> {
    try {
      const flushed = this.#sync.flush('external').flushed['external'] ?? 0;
      const { internal } = await this.#sync.resyncFromKernel();
      const { queued } = this.#sync.bulkSend();
      this.#log('info', `sync: master: external cache flushed (${flushed}), internal resynced from the kernel (${internal}), bulk send of ${queued} to the peer`);
    } catch (e) {
      this.#log('error', `sync: master: after the commit: ${(e as Error).message}`);
    }
  }

  #schedulePurge(): void {
    if (this.#purgeTimer !== undefined) return;
    this.stats.purgesScheduled++;
    this.#log('info', `sync: ${this.#opts.unit} is FAULT: internal cache purge in ${Math.round(this.#opts.purgeTimeoutMs / 1000)} s`);
    this.#purgeTimer = this.#timers.setTimeout(() => {
      this.#purgeTimer = undefined;
      this.stats.purges++;
      const n = this.#sync.flush('internal').flushed['internal'] ?? 0;
      this.#log('info', `sync: internal cache purged (${n} entries)`);
    }, this.#opts.purgeTimeoutMs);
  }

  #cancelPurge(): void {
    if (this.#purgeTimer === undefined) return;
    this.#timers.clearTimeout(this.#purgeTimer);
    this.#purgeTimer = undefined;
    this.#log('info', 'sync: scheduled internal cache purge cancelled');
  }
}

/** Peer traffic as the sync protocol counts it. */
export interface SyncProgress {
  /** Datagrams accepted from the peer (authenticated, from its address). */
  received: number;
  /** Data messages applied to the external cache. */
  applied: number;
  /** Entries in the external cache. */
  external: number;
}

export type BulkSyncState = { state: 'waiting' } | { state: 'synced' | 'timeout'; afterMs: number; entries: number };

/** Whether the peer's first bulk sync has arrived (see the header). Pure: fed time and counters. */
export class BulkSyncWatch {
  readonly #startedAt: number;
  readonly #waitMs: number;
  readonly #quietMs: number;
  readonly #baseReceived: number;
  #lastApplied: number | undefined;
  #changedAt = 0;

  constructor(startedAt: number, waitMs: number, quietMs: number, progress: SyncProgress) {
    this.#startedAt = startedAt;
    this.#waitMs = waitMs;
    this.#quietMs = quietMs;
    this.#baseReceived = progress.received;
  }

  check(now: number, p: SyncProgress): BulkSyncState {
    if (this.#lastApplied === undefined && p.received > this.#baseReceived) {
      this.#lastApplied = p.applied;
      this.#changedAt = now;
    } else if (this.#lastApplied !== undefined && p.applied !== this.#lastApplied) {
      this.#lastApplied = p.applied;
      this.#changedAt = now;
    }
    const afterMs = now - this.#startedAt;
    if (this.#lastApplied !== undefined && now - this.#changedAt >= this.#quietMs) return { state: 'synced', afterMs, entries: p.external };
    if (afterMs >= this.#waitMs) return { state: 'timeout', afterMs, entries: p.external };
    return { state: 'waiting' };
  }
}
