// IPVS connection sync following VRRP (keepalived's lvs_sync_daemon with an instance): the
// kernel's sync daemon runs as master while the followed unit is MASTER and as backup in every
// other state, on lvs.sync.interface, so a new master's IPVS already knows the connections.
// Pure: the unit's state and the kernel's daemons in, the daemon commands out.
import { lvsSyncUnit, type Config } from '../config/index.ts';
import type { IpvsDaemonSpec } from '../kernel/ipvs/index.ts';

export interface LvsSyncSettings {
  /** The VRRP sync group or instance followed. */
  unit: string;
  group: boolean;
  members: string[];
  interface: string;
  syncId: number;
}

/** The settings, or undefined when lvs.sync is not configured (or names nothing usable). */
export function lvsSyncSettings(config: Config): LvsSyncSettings | undefined {
  const sync = config.lvs.sync;
  if (sync === undefined) return undefined;
  const unit = lvsSyncUnit(config);
  if (!unit.ok) return undefined;
  const group = config.vrrp.sync_groups.find((g) => g.name === unit.name);
  const members = group ? group.instances : [unit.name];
  const first = config.vrrp.instances.find((i) => i.name === members[0]);
  return { unit: unit.name, group: group !== undefined, members, interface: sync.interface, syncId: sync.sync_id ?? first?.vrid ?? 0 };
}

export type SyncCommand = { op: 'start'; daemon: IpvsDaemonSpec } | { op: 'stop'; state: 'master' | 'backup' };

/** The role for a VRRP state: master only while MASTER. */
export function syncRole(vrrpState: string): 'master' | 'backup' {
  return vrrpState === 'MASTER' ? 'master' : 'backup';
}

/** What makes the kernel run exactly the wanted daemon (undefined role: none at all). */
export function planSync(s: LvsSyncSettings | undefined, role: 'master' | 'backup' | undefined, running: readonly IpvsDaemonSpec[]): SyncCommand[] {
  const out: SyncCommand[] = [];
  const want: IpvsDaemonSpec | undefined = s !== undefined && role !== undefined ? { state: role, interface: s.interface, syncId: s.syncId } : undefined;
  let have = false;
  for (const d of running) {
    const same = want !== undefined && d.state === want.state && d.interface === want.interface && d.syncId === want.syncId;
    if (same) have = true;
    else out.push({ op: 'stop', state: d.state });
  }
  if (want !== undefined && !have) out.push({ op: 'start', daemon: want });
  return out;
}

/** Whether a VRRP transition event is about the followed unit. */
export function isSyncUnitEvent(s: LvsSyncSettings, e: { instance: string; group: boolean }): boolean {
  return s.group ? e.group && e.instance === s.unit : !e.group && e.instance === s.unit;
}
