// Lab helper: the built `stockade daemon` in a lab host with its own config file and control
// socket (in a temp dir the caller removes, or withDaemonLab), and what the tests ask of it.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLab } from '../harness.ts';
import type { Lab, LabProcess, Topology } from '../harness.ts';
import { ROOT } from '../native/addon.ts';

export const STOCKADE_BIN = join(ROOT, 'dist', 'x64', 'stockade');

/** The VRRP key (hex) of lab pairs with accelerated failover. */
export const LAB_VRRP_KEY = '00112233445566778899aabbccddeeff';

/** vi1's VIP unless a spec says otherwise. */
export const VIP = '192.0.2.100';

/** Two boxes (192.0.2.1, .2) and a client `c` (192.0.2.10) on the bridge br0 in `sw`. */
export function pairTopology(x = 'a', y = 'b'): Topology {
  return {
    hosts: [x, y, 'c', 'sw'],
    links: [[`${x}:eth0`, `sw:p${x}`], [`${y}:eth0`, `sw:p${y}`], ['c:eth0', 'sw:pc']],
    bridges: [{ at: 'sw', name: 'br0', ports: [`p${x}`, `p${y}`, 'pc'] }],
    addresses: { [`${x}:eth0`]: ['192.0.2.1/24'], [`${y}:eth0`]: ['192.0.2.2/24'], 'c:eth0': ['192.0.2.10/24'] },
  };
}

/** The boxes of pairTopology: a the higher priority. */
export const NODE_A: NodeSpec = { host: 'a', address: '192.0.2.1', priority: 200 };
export const NODE_B: NodeSpec = { host: 'b', address: '192.0.2.2', priority: 100 };

/** withLab with a temp dir (configs, sockets) that is removed on every exit path. */
export async function withDaemonLab<T>(topo: Topology, prefix: string, fn: (lab: Lab, dir: string) => Promise<T>): Promise<T> {
  return withLab(topo, async (lab) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    try {
      return await fn(lab, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

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
  /**
   * Accelerated failover with heartbeats on eth1 to this peer (add eth1 to ports). vi1 then gets
   * authentication (LAB_VRRP_KEY), which signs the heartbeats: unsigned ones only delay a takeover.
   */
  acceleratedPeer?: string;
  /** false: accelerated failover without authentication (unsigned heartbeats). */
  acceleratedSigned?: boolean;
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
        advert_interval_ms: n.intervalMs ?? 100, vips: n.vips ?? [`${VIP}/24`],
        ...(n.preempt !== undefined ? { preempt: n.preempt } : {}),
        ...(n.unicastPeers ? { unicast_peers: n.unicastPeers } : {}),
        ...(n.checksum ? { checksum: n.checksum } : {}),
        ...(n.garp ? { garp: n.garp } : {}),
        ...(n.acceleratedPeer && n.acceleratedSigned !== false ? { authentication: { keys: [{ id: 1, secret: LAB_VRRP_KEY }] } } : {}),
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

/** Starts a and waits for it to be MASTER, then b and waits for it to be BACKUP. */
export async function startPair(lab: Lab, dir: string, a: NodeSpec, b: NodeSpec, timeoutMs = 10_000): Promise<[DaemonNode, DaemonNode]> {
  const da = startDaemon(lab, dir, a);
  await waitState(lab, da, 'MASTER', timeoutMs);
  const db = startDaemon(lab, dir, b);
  await waitState(lab, db, 'BACKUP', timeoutMs);
  return [da, db];
}

/** SIGTERM to each; their exit codes. */
export async function stopDaemons(...ds: DaemonNode[]): Promise<Array<number | null>> {
  for (const d of ds) d.proc.kill('SIGTERM');
  return Promise.all(ds.map((d) => d.proc.exited));
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

/** Whether `address` is on the host's `dev`. */
export async function hasAddress(lab: Lab, host: string, address: string, dev = 'eth0'): Promise<boolean> {
  const r = await lab.exec(host, ['ip', '-4', '-o', 'addr', 'show', 'dev', dev]);
  return r.stdout.includes(` ${address}/`);
}

/** Waits until the VIP is on (or off) the host's `dev`. */
export const vipOn = (lab: Lab, host: string, on: boolean, dev = 'eth0'): Promise<true> => lab.waitFor(`VIP ${on ? 'on' : 'off'} ${host}${dev === 'eth0' ? '' : `'s ${dev}`}`, async () => (await hasAddress(lab, host, VIP, dev)) === on || undefined, { timeoutMs: 10_000, intervalMs: 50 });

/** Waits until the client c's ARP entry for the VIP is `mac`. */
export const clientSees = (lab: Lab, mac: string): Promise<true> => lab.waitFor(`client's ARP entry for the VIP to be ${mac}`, async () => (await neighbourMac(lab, 'c', VIP)) === mac || undefined, { timeoutMs: 10_000, intervalMs: 50 });

/** The election as `d` sees it: its state, the master it hears, what it drops. */
export async function electionOf(lab: Lab, d: DaemonNode): Promise<Pick<InstanceView, 'state' | 'masterAddress' | 'drops'>> {
  const i = await instanceOf(lab, d);
  if (!i) throw new Error(`${d.host}'s daemon does not answer`);
  return { state: i.state, masterAddress: i.masterAddress, drops: i.drops };
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
