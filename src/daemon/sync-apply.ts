// Conntrack sync in a config transaction. What a change means is config plan's table
// (src/apply/parts.ts EFFECT_RULES.sync): a change to one of its restart keys, or to the address
// sync sends from (local_address, else the interface's first static address), restarts the sync
// part (caches dropped, the peer asked for its table again); anything else is applied in place
// with the caches kept: the filter (which also follows the box's own addresses and VIPs, so sync
// follows net and vrrp, and the LVS-NAT virtual services it keeps, so it follows lvs), the commit timeout, and the failover wiring (vrrp_group, commit and purge
// timeouts). The start-up keys (startup_resync, startup_sync_wait_s) are read at start only.
import type { Config } from '../config/index.ts';
import { equalJson, EFFECT_RULES, type PartApplier } from '../apply/index.ts';
import { syncLocalAddress } from '../ctsync/index.ts';

export type SyncChange = 'none' | 'in place' | 'restart';

const RESTART_KEYS = EFFECT_RULES.sync!.restartOn;

/** What applying `next` after `previous` does to the running sync part. Pure. */
export function syncChange(previous: Config, next: Config): SyncChange {
  const a = previous.sync;
  const b = next.sync;
  if (a === undefined || b === undefined) return a === b ? 'none' : 'restart';
  const before = a as unknown as Record<string, unknown>;
  const after = b as unknown as Record<string, unknown>;
  if (RESTART_KEYS.some((k) => !equalJson(before[k], after[k]))) return 'restart';
  if (syncLocalAddress(previous, a) !== syncLocalAddress(next, b)) return 'restart';
  return 'in place';
}

/** How the sync applier reaches the daemon's sync part. */
export interface SyncSlot {
  /** Stops the running sync (if any) and starts it for `config`; throws when it cannot start. */
  restart(config: Config): Promise<void>;
  /** The running sync takes `config`'s filter and commit timeout, caches kept. */
  retune(config: Config): void;
  /** The VRRP failover hooks wired again for `config` (no start-up hold). */
  rewire(config: Config): void;
}

/** What the failover wiring (failover-run.ts) is built from: when equal, it is left running. */
function failoverInputs(c: Config): unknown {
  const s = c.sync;
  const unit = s?.vrrp_group;
  return s && { unit, commit: s.master_commit_timeout_ms, purge: s.purge_timeout_s, statsOnly: s.stats_only, group: c.vrrp.sync_groups.find((g) => g.name === unit) ?? null };
}

export function syncApplier(slot: SyncSlot): PartApplier {
  return {
    part: 'sync',
    follows: ['net', 'vrrp', 'lvs'],
    followsWhen: (previous, next) => previous.sync?.enabled === true || next.sync?.enabled === true,
    async apply(previous, next) {
      const how = syncChange(previous, next);
      if (how === 'restart') {
        try {
          await slot.restart(next);
        } catch (e) {
          // This part is not undone by the transaction (it did not apply): put the old sync back here.
          const back = await slot.restart(previous).then(() => 'the previous sync runs again', (e2: Error) => `the previous sync did not start again either: ${e2.message}`);
          throw new Error(`/sync: not started: ${(e as Error).message}; ${back}`);
        }
        return () => slot.restart(previous);
      }
      if (how === 'none' && equalJson(failoverInputs(previous), failoverInputs(next))) {
        // Only what sync follows changed (addresses, VIPs, virtual services): the filter.
        slot.retune(next);
        return async () => slot.retune(previous);
      }
      const rewire = !equalJson(failoverInputs(previous), failoverInputs(next));
      slot.retune(next);
      if (rewire) slot.rewire(next);
      return async () => {
        slot.retune(previous);
        if (rewire) slot.rewire(previous);
      };
    },
  };
}
