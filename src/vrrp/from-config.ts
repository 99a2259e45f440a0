// The validated config's `vrrp` section -> the engine's configuration. Pure: what only the running
// box knows (each interface's primary and other addresses, key material read from secret_file)
// comes in as `facts` from the shell.
import type { Vrrp, VrrpNotify } from '../config/index.ts';
import type { AuthKeys } from './auth.ts';
import { simplePasswordBytes } from './codec.ts';
import { VRRP_MULTICAST_GROUP } from './constants.ts';
import type { EngineConfig, EngineInstanceConfig } from './engine.ts';
import type { HeartbeatKey } from './heartbeat.ts';
import { virtualMac } from './garp.ts';
import { mustParseIpv4 } from './ipv4.ts';
import type { TrackSpec } from './tracking.ts';

export interface RuntimeFacts {
  /** The address adverts go out from (the interface's first static address). */
  primaryAddress(ifname: string): string;
  /** Every address of the box on that interface (adverts from them are our own, looped back). */
  ownAddresses(ifname: string): string[];
  /** Key material for an authentication key (secret in hex, or read from secret_file by the shell). */
  keySecret(instance: string, key: { id: number; secret?: string; secret_file?: string }): Uint8Array;
}

export interface AcceleratedSettings {
  interface: string;
  peer: string;
  port: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /**
   * The key heartbeats are signed with: the active key of the first instance with authentication
   * (the peer has the same config). Absent: unsigned, so they may only delay a takeover.
   */
  key?: HeartbeatKey;
}

export interface VrrpPlan {
  engine: EngineConfig;
  /** Heartbeats for accelerated failover, when configured and enabled. */
  accelerated: AcceleratedSettings | undefined;
  /** Notify commands by instance or sync-group name. */
  notify: Map<string, VrrpNotify>;
  /** Check commands by script name. */
  scripts: Map<string, { command: string[]; intervalMs: number; timeoutMs: number }>;
  /** Virtual MAC interfaces (use_vmac) by instance name. */
  vmacs: Map<string, VmacPlan>;
}

export interface VmacPlan {
  /** The macvlan's name (vrrp.<VRID> unless vmac_interface names it). */
  name: string;
  parent: string;
  mac: string;
}

const addressOf = (vip: string): number => mustParseIpv4(vip.split('/')[0]!);

export function planFromConfig(v: Vrrp, facts: RuntimeFacts): VrrpPlan {
  const acc = v.accelerated_failover?.enabled ? v.accelerated_failover : undefined;
  const instances: EngineInstanceConfig[] = v.instances.map((inst) => {
    const tracks: TrackSpec[] = [
      ...inst.track_interfaces.map((t): TrackSpec => ({ kind: 'interface', name: t.interface, weight: t.weight })),
      ...inst.track_scripts.map((t): TrackSpec => ({ kind: 'script', name: t.script, weight: t.weight, reverse: t.reverse })),
      ...inst.track_instances.map((t): TrackSpec => ({ kind: 'instance', name: t.instance, weight: t.weight })),
    ];
    let auth: AuthKeys | undefined;
    if (inst.authentication) {
      const a = inst.authentication;
      auth = {
        keys: new Map(a.keys.map((k) => [k.id, facts.keySecret(inst.name, k)])),
        activeKeyId: a.active_key ?? a.keys[0]!.id,
        ...(a.max_clock_skew_ms !== undefined ? { maxClockSkewMs: a.max_clock_skew_ms } : {}),
      };
    }
    return {
      name: inst.name,
      interface: inst.interface,
      vrid: inst.vrid,
      version: inst.version,
      priority: inst.priority,
      advertIntervalMs: inst.advert_interval_ms,
      preempt: inst.preempt,
      preemptDelayMs: inst.preempt_delay_s * 1000,
      primaryAddress: mustParseIpv4(facts.primaryAddress(inst.interface)),
      garp: {
        repeat: inst.garp.repeat,
        delayMs: inst.garp.delay_s * 1000,
        refreshMs: inst.garp.refresh_s * 1000,
        refreshRepeat: 1,
        lowerPriorityRepeat: inst.garp.lower_priority_repeat ?? inst.garp.repeat,
      },
      pairOnly: inst.pair || inst.unicast_peers.length === 1 || acc !== undefined,
      ...(acc ? { accelerated: { heartbeatTimeoutMs: acc.heartbeat_timeout_ms, heartbeatIntervalMs: acc.heartbeat_interval_ms } } : {}),
      receive: {
        checksum: inst.checksum,
        addresses: inst.vips.map(addressOf),
        ...(inst.password !== undefined ? { v2Password: simplePasswordBytes(inst.password) } : {}),
        multicastGroup: mustParseIpv4(VRRP_MULTICAST_GROUP),
        unicastPeers: inst.unicast_peers.map(mustParseIpv4),
        ownAddresses: facts.ownAddresses(inst.interface).map(mustParseIpv4),
      },
      ...(auth ? { auth } : {}),
      tracks,
    };
  });
  let heartbeatKey: HeartbeatKey | undefined;
  const keyed = instances.find((i) => i.auth !== undefined)?.auth;
  if (acc && keyed) heartbeatKey = { id: keyed.activeKeyId, secret: keyed.keys.get(keyed.activeKeyId)! };
  const notify = new Map<string, VrrpNotify>();
  for (const x of [...v.instances, ...v.sync_groups]) if (x.notify) notify.set(x.name, x.notify);
  return {
    engine: {
      instances,
      syncGroups: v.sync_groups.map((g) => ({ name: g.name, instances: [...g.instances] })),
      scripts: (v.scripts ?? []).map((s) => ({ name: s.name, rise: s.rise, fall: s.fall, initFail: s.init_fail })),
      ...(acc ? {
        heartbeat: {
          local: mustParseIpv4(facts.primaryAddress(acc.interface)), peer: mustParseIpv4(acc.peer), ...(heartbeatKey ? { key: heartbeatKey } : {}),
        },
      } : {}),
    },
    accelerated: acc && {
      interface: acc.interface, peer: acc.peer, port: acc.port, heartbeatIntervalMs: acc.heartbeat_interval_ms, heartbeatTimeoutMs: acc.heartbeat_timeout_ms,
      ...(heartbeatKey ? { key: heartbeatKey } : {}),
    },
    notify,
    vmacs: new Map(v.instances.filter((i) => i.use_vmac).map((i) => [i.name, { name: i.vmac_interface ?? `vrrp.${i.vrid}`, parent: i.interface, mac: virtualMac(i.vrid) }])),
    scripts: new Map((v.scripts ?? []).map((s) => [s.name, { command: [...s.command], intervalMs: s.interval_ms, timeoutMs: s.timeout_ms ?? s.interval_ms }])),
  };
}
