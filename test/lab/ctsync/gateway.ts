// The NAT-gateway pair of the failover test and the ctsync bench's survival figure: a client (c)
// and a server (s) with two `stockade daemon`s (a, b) between them, on two bridges (LAN, WAN) in
// sw, and a sync link a:eth2 <-> b:eth2. VRRP sync group `g`: VIP 192.0.2.1 on the LAN (the
// client's gateway) and 198.51.100.1 on the WAN, which every connection is SNATed to, so the
// server's replies go to whichever box holds it. The gateways drop TCP packets that would start a
// connection without a SYN (a stateful firewall's usual rule), so a box without a connection's
// conntrack entry cannot pick it up mid-stream: connections survive a failover only if the new
// master has their entries, with the right NAT mapping, before the VIPs move.
// The peer pair for the same scenario (the bench's baseline): keepalived with the same two
// instances in a sync group and conntrackd on the sync link, glued by the notify script the
// conntrackd package documents (primary-backup.sh: commit, flush, resync, bulk send on master).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabProcess, Topology } from '../harness.ts';
import { ROOT } from '../native/addon.ts';
import { STOCKADE_BIN } from '../helpers/stockade-daemon.ts';
import type { DaemonNode } from '../helpers/stockade-daemon.ts';
import { kaLog, startKeepalived } from '../helpers/keepalived.ts';
import { CTD_STATS, conntrackdRequest, ctdExternalActive, startConntrackd, syncStatus } from './peers.ts';
import type { Conntrackd } from './peers.ts';

export const PORT = 8080;
export const SERVER = '198.51.100.10';
export const LAN_VIP = '192.0.2.1';
export const WAN_VIP = '198.51.100.1';

export const gatewayTopology: Topology = {
  hosts: ['c', 'a', 'b', 's', 'sw'],
  links: [['c:eth0', 'sw:lc'], ['a:eth0', 'sw:la'], ['b:eth0', 'sw:lb'], ['a:eth1', 'sw:wa'], ['b:eth1', 'sw:wb'], ['s:eth0', 'sw:ws'], ['a:eth2', 'b:eth2']],
  bridges: [{ at: 'sw', name: 'lan', ports: ['lc', 'la', 'lb'] }, { at: 'sw', name: 'wan', ports: ['wa', 'wb', 'ws'] }],
  addresses: {
    'c:eth0': ['192.0.2.10/24'], 'a:eth0': ['192.0.2.2/24'], 'b:eth0': ['192.0.2.3/24'],
    'a:eth1': ['198.51.100.2/24'], 'b:eth1': ['198.51.100.3/24'], 's:eth0': [`${SERVER}/24`],
    'a:eth2': ['203.0.113.1/24'], 'b:eth2': ['203.0.113.2/24'],
  },
  routes: { c: [`default via ${LAN_VIP}`] },
  sysctls: { a: ['net.ipv4.ip_forward=1'], b: ['net.ipv4.ip_forward=1'] },
};

export interface GatewaySpec { host: 'a' | 'b'; priority: number; sync: boolean }

export function gatewayConfig(g: GatewaySpec, extraSync: Record<string, unknown> = {}): unknown {
  const n = g.host === 'a' ? 2 : 3;
  const common = { priority: g.priority, version: 3, advert_interval_ms: 100 };
  return {
    version: 1,
    interfaces: { ports: [{ name: 'eth0' }, { name: 'eth1' }, { name: 'eth2' }] },
    addresses: [
      { interface: 'eth0', static: [`192.0.2.${n}/24`] },
      { interface: 'eth1', static: [`198.51.100.${n}/24`] },
      { interface: 'eth2', static: [`203.0.113.${n - 1}/24`] },
    ],
    vrrp: {
      instances: [
        { ...common, name: 'lan', interface: 'eth0', vrid: 51, vips: [`${LAN_VIP}/24`] },
        { ...common, name: 'wan', interface: 'eth1', vrid: 52, vips: [`${WAN_VIP}/24`] },
      ],
      sync_groups: [{ name: 'g', instances: ['lan', 'wan'] }],
    },
    ...(g.sync ? { sync: { interface: 'eth2', peer: `203.0.113.${g.host === 'a' ? 2 : 1}`, vrrp_group: 'g', ...extraSync } } : {}),
  };
}

/** NAT and the no-SYN-no-new-connection rule, in a gateway's own namespace. */
export async function gatewayRules(lab: Lab, host: string): Promise<void> {
  for (const rule of [
    ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth1', '-s', '192.0.2.0/24', '-j', 'SNAT', '--to-source', WAN_VIP],
    ['-A', 'FORWARD', '-p', 'tcp', '!', '--syn', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP'],
  ]) await lab.exec(host, ['iptables', '-w', ...rule]);
  // No global nf_conntrack_tcp_be_liberal: window tracking is not synced, so a committed entry
  // survives only if the per-entry liberal flag the sync sets works (as conntrackd's does).
  const liberal = (await lab.exec(host, ['sysctl', '-n', 'net.netfilter.nf_conntrack_tcp_be_liberal'])).stdout.trim();
  if (liberal !== '0') throw new Error(`${host}: nf_conntrack_tcp_be_liberal is ${liberal}, want the kernel's default 0`);
}

export function startGateway(lab: Lab, dir: string, g: GatewaySpec, extraSync: Record<string, unknown> = {}): DaemonNode {
  const config = join(dir, `${g.host}.json`);
  const socket = join(dir, `${g.host}.sock`);
  writeFileSync(config, JSON.stringify(gatewayConfig(g, extraSync), null, 2));
  const proc = lab.spawn(g.host, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'daemon', '--config', config, '--default-config', 'none', '--socket', socket]);
  return { proc, socket, host: g.host };
}

export const flowsHelper = (lab: Lab, host: string, args: string[]): LabProcess =>
  lab.spawn(host, [process.execPath, join(ROOT, 'test/lab/ctsync/flows.ts'), ...args], { cwd: ROOT });

/** Connections to the server's port in a host's kernel table. */
export async function kernelFlows(lab: Lab, host: string): Promise<number> {
  const r = await lab.exec(host, ['conntrack', '-L', '-p', 'tcp', '--dport', String(PORT)], { check: false, timeoutMs: 30_000 });
  return r.stdout.split('\n').filter((l) => l.includes(`dport=${PORT}`) && l.includes('ESTABLISHED')).length;
}

/** The box dies: its daemon killed, its links cut (the kernel of a killed daemon would forward on). */
export async function killBox(lab: Lab, d: DaemonNode): Promise<void> {
  d.proc.kill('SIGKILL');
  await d.proc.exited;
  for (const ifname of ['eth0', 'eth1', 'eth2']) await lab.exec(d.host, ['ip', 'link', 'set', ifname, 'down']);
}

export interface FlowSummary { echoed: number; afterMark: number; error: string | null; closed: boolean }

/** conntrackd's documented keepalived notify script, from Debian's conntrackd package. */
export const PRIMARY_BACKUP_SH = '/usr/share/doc/conntrackd/examples/sync/primary-backup.sh';

export interface PeerGateway { host: string; keepalived: LabProcess; conntrackd: Conntrackd }

/** keepalived.conf of a peer gateway: gatewayConfig's instances, sync group and notify script. */
export function peerKeepalivedConf(g: GatewaySpec, script: string): string {
  const instance = (name: string, ifname: string, vrid: number, vip: string): string => `vrrp_instance ${name} {
    state BACKUP
    interface ${ifname}
    virtual_router_id ${vrid}
    priority ${g.priority}
    advert_int 0.1
    version 3
    virtual_ipaddress {
        ${vip}/24
    }
}
`;
  return `global_defs {
    router_id gw-${g.host}
    script_user root
}
vrrp_sync_group g {
    group {
        lan
        wan
    }
    notify_master "${script} primary"
    notify_backup "${script} backup"
    notify_fault "${script} fault"
}
${instance('lan', 'eth0', 51, LAN_VIP)}${instance('wan', 'eth1', 52, WAN_VIP)}`;
}

/**
 * A keepalived + conntrackd gateway: conntrackd (FTFW over UDP on eth2) first, then keepalived
 * calling primary-backup.sh, copied with only its CONNTRACKD_CONFIG and CONNTRACKD_LOCK pointed
 * at this instance's.
 */
export async function startPeerGateway(lab: Lab, dir: string, g: GatewaySpec): Promise<PeerGateway> {
  if (!existsSync(PRIMARY_BACKUP_SH)) throw new Error(`${PRIMARY_BACKUP_SH} missing (Debian's conntrackd package documents it)`);
  const [local, peer] = g.host === 'a' ? ['203.0.113.1', '203.0.113.2'] : ['203.0.113.2', '203.0.113.1'];
  const conntrackd = await startConntrackd(lab, g.host, local!, peer!, '', 'FTFW { }', { interface: 'eth2' });
  const hdir = mkdtempSync(join(dir, `${g.host}-`));
  const script = join(hdir, 'primary-backup.sh');
  let text = readFileSync(PRIMARY_BACKUP_SH, 'utf8');
  for (const [name, value] of [['CONNTRACKD_CONFIG', conntrackd.conf], ['CONNTRACKD_LOCK', conntrackd.conf.replace(/\.conf$/, '.lock')]] as const) {
    const re = new RegExp(`^${name}=.*$`, 'm');
    if (!re.test(text)) throw new Error(`${PRIMARY_BACKUP_SH}: no ${name}= line to point at this instance`);
    text = text.replace(re, `${name}=${value}`);
  }
  writeFileSync(script, text, { mode: 0o755 });
  const keepalived = startKeepalived(lab, g.host, hdir, peerKeepalivedConf(g, script));
  return { host: g.host, keepalived, conntrackd };
}

export interface SurvivalResult {
  flows: number;
  /** Flows that echoed again through the new master, without a reset or close on either side. */
  survived: number;
  clientErrors: number;
  serverErrors: Record<string, number>;
  /** Entries B committed when it became master (NaN when the pair does not say). */
  committed: number;
  /** From kill -9 until B was MASTER, and until the last surviving flow echoed again. */
  takeoverMs: number;
  recoveredMs: number;
}

const lastLine = (p: LabProcess, pred: (l: Record<string, unknown>) => boolean): Record<string, unknown> | undefined => {
  const lines = p.stdout().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i]!.startsWith('{')) continue;
    let l: Record<string, unknown>;
    try {
      l = JSON.parse(lines[i]!) as Record<string, unknown>;
    } catch {
      continue; // the line being written
    }
    if (pred(l)) return l;
  }
  return undefined;
};

export type PairKind = 'stockade' | 'keepalived+conntrackd';

/** One gateway box of either pair, as the survival scenario drives it. */
interface Box {
  procs: LabProcess[];
  /** Whether the box is MASTER of both instances. */
  master(): Promise<boolean>;
  backup(): Promise<boolean>;
  /** Entries in its external cache. */
  external(): Promise<number>;
  /** Entries committed on its last becoming master, if it says. */
  committed(): Promise<number>;
  /** The box dies: its processes killed (-9, every process of the group), its links cut. */
  kill(): Promise<void>;
}

const cutLinks = async (lab: Lab, host: string): Promise<void> => {
  for (const ifname of ['eth0', 'eth1', 'eth2']) await lab.exec(host, ['ip', 'link', 'set', ifname, 'down']);
};

async function startBox(lab: Lab, dir: string, kind: PairKind, g: GatewaySpec): Promise<Box> {
  if (kind === 'stockade') {
    const d = startGateway(lab, dir, g);
    const state = async (name: string): Promise<string | undefined> => {
      const r = await lab.exec(d.host, [STOCKADE_BIN, 'ctl', 'vrrp', '--json', '--socket', d.socket], { check: false, timeoutMs: 10_000 });
      return r.code === 0 ? (JSON.parse(r.stdout) as { instances: Array<{ name: string; state: string }> }).instances.find((i) => i.name === name)?.state : undefined;
    };
    // MASTER read from its log, as keepalived's is: a `ctl` per poll would start a process.
    const entered = (name: string, st: string): boolean => [...d.proc.stdout().matchAll(new RegExp(`vrrp: ${name}: \\w+ -> (\\w+)`, 'g'))].at(-1)?.[1] === st;
    return {
      procs: [d.proc],
      master: async () => entered('lan', 'MASTER') && entered('wan', 'MASTER'),
      backup: async () => (await state('lan')) === 'BACKUP',
      external: async () => (await syncStatus(lab, d))?.external?.active ?? 0,
      committed: async () => (await syncStatus(lab, d))?.failover?.lastCommit?.committed ?? NaN,
      kill: () => killBox(lab, d),
    };
  }
  const p = await startPeerGateway(lab, dir, g);
  const entered = (name: string, state: string): boolean => {
    const all = [...kaLog(p.keepalived).matchAll(new RegExp(`\\(${name}\\) Entering (\\w+) STATE`, 'g'))];
    return all.at(-1)?.[1] === state;
  };
  return {
    procs: [p.keepalived, p.conntrackd.proc],
    master: async () => entered('lan', 'MASTER') && entered('wan', 'MASTER'),
    backup: async () => entered('lan', 'BACKUP'),
    external: async () => ctdExternalActive(await conntrackdRequest(p.conntrackd.socket, CTD_STATS)),
    committed: async () => {
      // primary-backup.sh's `conntrackd -c` logs "Committed N new entries" in its log file.
      const log = readFileSync(p.conntrackd.conf.replace(/\.conf$/, '.log'), 'utf8');
      return Number([...log.matchAll(/Committed (\d+) new entr/g)].at(-1)?.[1] ?? NaN);
    },
    kill: async () => {
      p.keepalived.kill('SIGKILL');
      p.conntrackd.proc.kill('SIGKILL');
      await Promise.all([p.keepalived.exited, p.conntrackd.proc.exited]);
      await cutLinks(lab, p.host);
    },
  };
}

/**
 * The failover scenario as a measurement (the bench's survived=<n>/<N>), for either pair:
 * `flows` TCP flows through A, B's external cache complete, A killed and cut off, then flows are
 * counted as they echo again through B, until all have or `recoverTimeoutMs` has passed.
 */
export async function measureSurvival(lab: Lab, dir: string, flows: number, opts: { intervalMs: number; recoverTimeoutMs: number; setupTimeoutMs: number; kind?: PairKind }): Promise<SurvivalResult> {
  const kind = opts.kind ?? 'stockade';
  const procs: LabProcess[] = [];
  const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number) => lab.waitFor(what, probe, { timeoutMs, intervalMs: 250 });
  try {
    for (const h of ['a', 'b']) await gatewayRules(lab, h);
    const a = await startBox(lab, dir, kind, { host: 'a', priority: 200, sync: true });
    procs.push(...a.procs);
    await waitFor(`${kind}: A MASTER`, async () => (await a.master()) || undefined, 20_000);
    const b = await startBox(lab, dir, kind, { host: 'b', priority: 100, sync: true });
    procs.push(...b.procs);
    await waitFor(`${kind}: B BACKUP`, async () => (await b.backup()) || undefined, 20_000);
    const server = flowsHelper(lab, 's', ['server', String(PORT)]);
    procs.push(server);
    await waitFor('server listening', () => lastLine(server, (l) => l['event'] === 'listening'), 10_000);
    const client = flowsHelper(lab, 'c', ['client', SERVER, String(PORT), String(flows), String(opts.intervalMs)]);
    procs.push(client);
    await waitFor(`${flows} flows echoing`, () => lastLine(client, (l) => l['event'] === 'ready'), opts.setupTimeoutMs).catch((e: Error) => {
      throw new Error(`${e.message} (client's last status: ${JSON.stringify(lastLine(client, (l) => l['event'] === 'status'))})`);
    });
    await waitFor(`${kind}: B's external cache holding ${flows} flows`, async () => (await b.external()) >= flows || undefined, opts.setupTimeoutMs);

    const t0 = performance.now();
    await a.kill();
    await waitFor(`${kind}: B MASTER`, async () => (await b.master()) || undefined, 30_000);
    const takeoverMs = performance.now() - t0;
    client.kill('SIGUSR1');
    await waitFor('mark', () => lastLine(client, (l) => l['event'] === 'mark'), 10_000);
    let recoveredMs = NaN;
    const deadline = performance.now() + opts.recoverTimeoutMs;
    while (performance.now() < deadline) {
      const s = lastLine(client, (l) => l['event'] === 'status') as { progressed: number } | undefined;
      if ((s?.progressed ?? 0) >= flows) {
        recoveredMs = performance.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const before = server.stdout().length;
    server.kill('SIGUSR2');
    await waitFor('server summary', () => server.stdout().length > before && lastLine(server, (l) => l['summary'] === true), 10_000);
    const srv = lastLine(server, (l) => l['summary'] === true)!;
    client.kill('SIGUSR2');
    await waitFor('client summary', () => lastLine(client, (l) => l['summary'] === true), 10_000);
    const summary = lastLine(client, (l) => l['summary'] === true)!['flows'] as FlowSummary[];
    return {
      flows,
      survived: summary.filter((f) => f.afterMark > 0 && f.error === null && !f.closed).length,
      clientErrors: summary.filter((f) => f.error !== null).length,
      serverErrors: srv['errors'] as Record<string, number>,
      committed: await b.committed(),
      takeoverMs,
      recoveredMs,
    };
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
  }
}
