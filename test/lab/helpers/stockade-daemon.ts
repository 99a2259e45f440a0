// Lab helper: the built `stockade daemon` in a lab host with its own config file and control
// socket (in a temp dir the caller removes), and what the tests ask of it.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabProcess } from '../harness.ts';
import { ROOT } from '../native/addon.ts';

export const STOCKADE_BIN = join(ROOT, 'dist', 'x64', 'stockade');

export interface NodeSpec {
  host: string;
  address: string;
  priority: number;
  vrid?: number;
  version?: 2 | 3;
  intervalMs?: number;
  vips?: string[];
  preempt?: boolean;
  unicastPeers?: string[];
  checksum?: 'pseudo-header' | 'message';
  garp?: { repeat?: number; delay_s?: number; refresh_s?: number; lower_priority_repeat?: number };
  /** A second instance (vi2) in a sync group with vi1, tracking `vi2Track` (weight 0) when given. */
  syncGroup?: { vi2Vip: string; vi2Track?: string };
  /** Accelerated failover with heartbeats on eth1 to this peer (add eth1 to ports). */
  acceleratedPeer?: string;
  /** More ports with addresses, e.g. { eth1: '198.51.100.1/24' }. */
  ports?: Record<string, string>;
  /** More fields of instance vi1 (track_scripts, preempt_delay_s, use_vmac, ...). */
  vi1?: Record<string, unknown>;
  /** More fields of the vrrp section (scripts, ...). */
  vrrp?: Record<string, unknown>;
  /** Interfaces to declare without an address (e.g. a dummy to track). */
  bare?: string[];
  /** The VRRP interface is this bridge over eth0 (it carries the address instead of eth0). */
  bridge?: string;
}

export function nodeConfig(n: NodeSpec): unknown {
  const extra = Object.entries(n.ports ?? {});
  const lan = n.bridge ?? 'eth0';
  const common = { interface: lan, priority: n.priority, version: n.version ?? 3, advert_interval_ms: n.intervalMs ?? 100 };
  return {
    version: 1,
    interfaces: {
      ports: [{ name: 'eth0' }, ...extra.map(([name]) => ({ name })), ...(n.bare ?? []).map((name) => ({ name }))],
      ...(n.bridge ? { bridges: [{ name: n.bridge, members: ['eth0'] }] } : {}),
    },
    addresses: [{ interface: lan, static: [`${n.address}/24`] }, ...extra.map(([name, a]) => ({ interface: name, static: [a] }))],
    vrrp: {
      instances: [...(n.syncGroup ? [{
        ...common, name: 'vi2', vrid: 52, vips: [n.syncGroup.vi2Vip], ...(n.syncGroup.vi2Track ? { track_interfaces: [{ interface: n.syncGroup.vi2Track, weight: 0 }] } : {}),
      }] : []), {
        name: 'vi1', interface: lan, vrid: n.vrid ?? 51, priority: n.priority, version: n.version ?? 3,
        advert_interval_ms: n.intervalMs ?? 100, vips: n.vips ?? ['192.0.2.100/24'],
        ...(n.preempt !== undefined ? { preempt: n.preempt } : {}),
        ...(n.unicastPeers ? { unicast_peers: n.unicastPeers } : {}),
        ...(n.checksum ? { checksum: n.checksum } : {}),
        ...(n.garp ? { garp: n.garp } : {}),
        ...n.vi1,
      }].reverse(),
      sync_groups: n.syncGroup ? [{ name: 'g', instances: ['vi1', 'vi2'] }] : [],
      ...(n.acceleratedPeer ? { accelerated_failover: { interface: 'eth1', peer: n.acceleratedPeer } } : {}),
      ...n.vrrp,
    },
  };
}

export interface DaemonNode {
  proc: LabProcess;
  socket: string;
  host: string;
}

export function startDaemon(lab: Lab, dir: string, n: NodeSpec): DaemonNode {
  if (!existsSync(STOCKADE_BIN)) throw new Error(`${STOCKADE_BIN} is built by npm run build`);
  const config = join(dir, `${n.host}.json`);
  const socket = join(dir, `${n.host}.sock`);
  writeFileSync(config, JSON.stringify(nodeConfig(n), null, 2));
  const proc = lab.spawn(n.host, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'daemon', '--config', config, '--default-config', 'none', '--socket', socket]);
  return { proc, socket, host: n.host };
}

export interface InstanceView {
  state: string;
  masterAddress: string | null;
  effectivePriority: number;
  vipsPresent: boolean;
  counters: Record<string, number>;
  drops: Record<string, number>;
}

/** `stockade ctl vrrp --json` for one instance, vi1 by default (undefined while it does not answer). */
export async function instanceOf(lab: Lab, d: DaemonNode, name = 'vi1'): Promise<InstanceView | undefined> {
  const r = await lab.exec(d.host, [STOCKADE_BIN, 'ctl', 'vrrp', '--json', '--socket', d.socket], { check: false, timeoutMs: 5000 });
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as { instances: Array<InstanceView & { name: string }> }).instances.find((i) => i.name === name);
}

export async function waitState(lab: Lab, d: DaemonNode, state: string, timeoutMs = 10_000, name = 'vi1'): Promise<InstanceView> {
  return lab.waitFor(`${d.host} ${name} ${state}`, async () => {
    const i = await instanceOf(lab, d, name);
    return i?.state === state ? i : undefined;
  }, { timeoutMs, intervalMs: 50 });
}

/** Whether `address` is on the host's eth0. */
export async function hasAddress(lab: Lab, host: string, address: string): Promise<boolean> {
  const r = await lab.exec(host, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
  return r.stdout.includes(` ${address}/`);
}

/** The MAC the host has for `address` in its neighbour table (undefined if none). */
export async function neighbourMac(lab: Lab, host: string, address: string): Promise<string | undefined> {
  const r = await lab.exec(host, ['ip', '-j', 'neigh', 'show', address, 'dev', 'eth0']);
  const [n] = JSON.parse(r.stdout || '[]') as Array<{ lladdr?: string }>;
  return n?.lladdr;
}

export async function pings(lab: Lab, host: string, address: string): Promise<boolean> {
  const r = await lab.exec(host, ['ping', '-c', '1', '-W', '1', address], { check: false });
  return r.code === 0;
}
