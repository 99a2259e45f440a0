// The VRRP part of the control socket's answer (`vrrp.status`): plain JSON, addresses as text,
// deadlines as "in N ms", only the drop reasons that counted something. `stockade ctl vrrp` prints it.
import { formatIpv4, masterDownMs, type HeartbeatLinkStatus, type LagReport, type ShellStatus } from '../vrrp/index.ts';

export interface VrrpInstanceView {
  name: string;
  interface: string;
  vrid: number;
  version: number;
  state: string;
  fault: boolean;
  masterAddress: string | null;
  masterPriority: number | null;
  priority: number;
  effectivePriority: number;
  advertIntervalMs: number;
  masterAdverIntervalMs: number;
  masterDownIntervalMs: number;
  /** When the instance's next timer runs (advert or master-down), from now. */
  nextTimerInMs: number | null;
  vips: string[];
  vipsPresent: boolean;
  /** The virtual MAC interface carrying the VIPs (use_vmac), or null. */
  vmac: string | null;
  counters: {
    advertsIn: number; advertsOut: number; priorityZeroIn: number; priorityZeroOut: number; transitions: number; becameMaster: number;
    garpsSent: number; sendErrors: number; vipErrors: number;
    /** Takeovers held back by heartbeats saying the peer is MASTER; adverts sent because the peer stopped hearing us. */
    vetoes?: number; proofAdverts?: number;
  };
  drops: Record<string, number>;
}

export interface VrrpStatusView {
  running: boolean;
  uptimeMs: number;
  instances: VrrpInstanceView[];
  interfaceDrops: Record<string, Record<string, number>>;
  lag: LagReport | null;
  /** The sync-link heartbeats of accelerated failover (null: not configured); drops only the reasons that counted. */
  heartbeats?: HeartbeatLinkStatus | null;
}

const nonZero = (c: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(c).filter(([, n]) => n > 0));

export function vrrpStatusView(s: ShellStatus | undefined, uptimeMs: number): VrrpStatusView {
  if (!s) return { running: false, uptimeMs, instances: [], interfaceDrops: {}, lag: null, heartbeats: null };
  return {
    running: true,
    uptimeMs,
    instances: s.instances.map((i) => {
      const sh = s.shell[i.name]!;
      return {
        name: i.name,
        interface: i.interface,
        vrid: sh.vrid,
        version: sh.version,
        state: i.state,
        fault: i.fault,
        masterAddress: i.masterAddress === undefined ? null : formatIpv4(i.masterAddress),
        masterPriority: i.masterPriority ?? null,
        priority: i.priority,
        effectivePriority: i.effectivePriority,
        advertIntervalMs: sh.advertIntervalMs,
        masterAdverIntervalMs: i.masterAdverIntervalMs,
        masterDownIntervalMs: Math.round(masterDownMs(sh.version as 2 | 3, i.effectivePriority, i.masterAdverIntervalMs)),
        nextTimerInMs: i.deadline === undefined ? null : Math.max(0, Math.round(i.deadline - s.now)),
        vips: sh.vips,
        vipsPresent: sh.vipsPresent,
        vmac: sh.vmac ?? null,
        counters: {
          advertsIn: i.counters.advertsIn, advertsOut: i.counters.advertsOut, priorityZeroIn: i.counters.priorityZeroIn,
          priorityZeroOut: i.counters.priorityZeroOut, transitions: i.counters.transitions, becameMaster: i.counters.becameMaster,
          garpsSent: sh.garpsSent, sendErrors: sh.sendErrors, vipErrors: sh.vipErrors,
          vetoes: i.counters.vetoes, proofAdverts: i.counters.proofAdverts,
        },
        drops: nonZero(i.drops),
      };
    }),
    interfaceDrops: Object.fromEntries(Object.entries(s.interfaceDrops).map(([k, v]) => [k, nonZero(v)])),
    lag: s.lag,
    heartbeats: s.heartbeat ? { ...s.heartbeat, drops: nonZero(s.heartbeat.drops) as HeartbeatLinkStatus['drops'] } : null,
  };
}
