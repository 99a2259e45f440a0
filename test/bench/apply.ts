// The config transaction benchmark (issue 13), in host lab namespaces: the VM fixture (4 bonds, 64
// VLANs) needs bonding and 802.1Q, which the host kernel lacks, so 64 member-less bridges stand in
// for the VLANs, with 256 addresses and 200 firewall rules, on a VRRP pair (100 ms adverts) that
// also syncs conntrack (A's external cache holds 50 of B's connections).
//
//   (a) no-change apply: the control request alone (in the daemon: noop_ms) and the whole
//       `stockade config apply FILE` command;
//   (b) one address changed, applied live, whole command (change_ms);
//   (c) the same change the way keepalived/conntrackd users do it: `stockade net apply FILE`, then
//       the daemon restarted with the new file, until it is MASTER again (restart_ms).
// (b) and (c) alternate, each at least 7 times, each toggling the same address; for both the wire
// is watched: tcpdump on the client's port (longest gap between adverts from a MASTER) and
// `ip -ts monitor address` on A (how long the VIP was off A: vip_gap_ms), and A's external sync
// cache is counted before and right after (entries lost: a restarted daemon starts with none; it
// asks B for them, and once MASTER again commits them to the kernel and flushes the cache). Both sides end in the same state: A
// MASTER with the VIP, the address as the file says.
//   npm run bench -- apply [--runs N]
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labAvailable, type Lab, type LabProcess } from '../lab/harness.ts';
import { NODE_A, NODE_B, STOCKADE_BIN, VIP, hasAddress, nodeConfig, pairTopology, waitState, withDaemonLab } from '../lab/helpers/stockade-daemon.ts';
import type { DaemonNode, NodeSpec } from '../lab/helpers/stockade-daemon.ts';
import { syncStatus } from '../lab/ctsync/peers.ts';
import { controlRequest } from '../../src/control/index.ts';
import { MIN_RUNS, alternate, describe, median, runsOption } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: String(MIN_RUNS) } } });
const runs = runsOption(values.runs, MIN_RUNS);
const INTERVAL_MS = 100;
const EXTRA = '192.0.2.250/24';
const ENTRIES = 50;

function configText(n: NodeSpec, peer: string, extra: boolean): string {
  const c = nodeConfig({ ...n, intervalMs: INTERVAL_MS }) as Record<string, any>;
  for (let k = 0; k < 64; k++) {
    c.interfaces.bridges ??= [];
    c.interfaces.bridges.push({ name: `v${100 + k}`, members: [] });
    const base = (k % 32) * 8;
    const net = k < 32 ? '203.0.113' : '198.51.100';
    c.addresses.push({ interface: `v${100 + k}`, static: [1, 2, 3, 4].map((i) => `${net}.${base + i}/29`) });
  }
  if (extra) c.addresses[0].static.push(EXTRA);
  c.firewall = { rules: Array.from({ length: 200 }, (_, i) => ({ chain: 'input', action: 'accept', protocol: 'tcp', destination_ports: [10000 + i] })) };
  c.sync = { interface: 'eth0', peer, vrrp_group: 'vi1' };
  c.management = { commit_confirm_s: 0 };
  return JSON.stringify(c, null, 2);
}

function spawn(lab: Lab, dir: string, host: string): DaemonNode {
  const socket = join(dir, `${host}.sock`);
  const proc = lab.spawn(host, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'daemon', '--config', join(dir, `${host}.json`), '--default-config', 'none', '--socket', socket]);
  return { host, socket, proc };
}

interface Advert { at: number; source: string; prio: number }
const advertsOf = (td: LabProcess): Advert[] => td.stdout().split('\n').flatMap((line) => {
  const m = /^(\d+\.\d+) IP (\S+) > 224\.0\.0\.18: VRRPv3, Advertisement, vrid \d+, prio (\d+)/.exec(line);
  return m ? [{ at: Number(m[1]) * 1000, source: m[2]!, prio: Number(m[3]) }] : [];
});

/** Longest time in [from, to] between two adverts of a MASTER (priority > 0, any box). */
function advertGap(adverts: Advert[], from: number, to: number): number {
  const t = adverts.filter((a) => a.prio > 0 && a.at >= from && a.at <= to).map((a) => a.at);
  let gap = 0;
  for (let i = 1; i < t.length; i++) gap = Math.max(gap, t[i]! - t[i - 1]!);
  return gap;
}

/** How long in [from, to] the VIP was off A, from `ip -ts monitor address` (present at `from`). */
function vipAbsent(monitor: LabProcess, from: number, to: number): number {
  const events = monitor.stdout().split('\n').flatMap((line) => {
    const m = /^\[(\S+)\] (Deleted )?.*inet (\S+)\//.exec(line);
    return m && m[3] === VIP ? [{ at: Date.parse(m[1]!.slice(0, 23)), present: m[2] === undefined }] : [];
  }).filter((e) => e.at >= from && e.at <= to);
  let absent = 0;
  let offSince: number | undefined;
  for (const e of events) {
    if (!e.present && offSince === undefined) offSince = e.at;
    if (e.present && offSince !== undefined) { absent += e.at - offSince; offSince = undefined; }
  }
  return absent + (offSince !== undefined ? to - offSince : 0);
}

async function main(): Promise<void> {
  const avail = labAvailable({ tools: ['tcpdump', 'conntrack'] });
  if (!avail.ok) throw new Error(`apply bench: ${avail.reason}`);
  await withDaemonLab(pairTopology(), 'stk-bench-apply-', async (lab, dir) => {
    const files = { a: (extra: boolean) => configText(NODE_A, '192.0.2.2', extra), b: configText(NODE_B, '192.0.2.1', false) };
    writeFileSync(join(dir, 'a.json'), files.a(false));
    writeFileSync(join(dir, 'b.json'), files.b);
    // As `stockade boot` leaves a box: its network and firewall, before the daemon.
    for (const h of ['a', 'b']) {
      await lab.exec(h, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'net', 'apply', join(dir, `${h}.json`)]);
      await lab.exec(h, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'firewall', 'apply', join(dir, `${h}.json`)]);
    }
    let a = spawn(lab, dir, 'a');
    await waitState(lab, a, 'MASTER', 30_000);
    const b = spawn(lab, dir, 'b');
    await waitState(lab, b, 'BACKUP', 30_000);
    for (let i = 0; i < ENTRIES; i++) {
      await lab.exec('b', ['conntrack', '-I', '-p', 'tcp', '-s', '192.0.2.50', '-d', '192.0.2.60', '--sport', String(40000 + i), '--dport', '80', '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED']);
    }
    const externalOfA = async (): Promise<number> => (await syncStatus(lab, a))?.external?.active ?? 0;
    await lab.waitFor(`A's external cache holding B's ${ENTRIES}`, async () => (await externalOfA()) >= ENTRIES || undefined, { timeoutMs: 30_000, intervalMs: 200 });
    const td = lab.spawn('c', ['tcpdump', '-n', '-l', '--immediate-mode', '-tt', '-i', 'eth0', 'ip proto 112']);
    await lab.waitFor('tcpdump listening', () => /listening on/.test(td.stderr()) || undefined, { timeoutMs: 30_000, intervalMs: 50 });
    const monitor = lab.spawn('a', ['ip', '-ts', '-4', 'monitor', 'address']);
    await new Promise((r) => setTimeout(r, 500));

    // (a) no change.
    const noopDaemon: number[] = [];
    const noopCmd: number[] = [];
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      const r = await controlRequest(a.socket, 'config.apply', { text: files.a(false), who: 'bench' }) as { changed: boolean };
      noopDaemon.push(performance.now() - t);
      if (r.changed) throw new Error('a no-change apply changed something');
      t = performance.now();
      await lab.exec('a', ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'config', 'apply', join(dir, 'a.json'), '--socket', a.socket]);
      noopCmd.push(performance.now() - t);
    }

    // (b) live against (c) restart, each toggling EXTRA.
    let extra = false;
    const stats = { live: { gap: [] as number[], vip: [] as number[], lost: [] as number[] }, restart: { gap: [] as number[], vip: [] as number[], lost: [] as number[] } };
    const settle = async (): Promise<void> => {
      await waitState(lab, a, 'MASTER', 60_000);
      await lab.waitFor('the VIP on A', async () => (await hasAddress(lab, 'a', VIP)) || undefined, { timeoutMs: 30_000, intervalMs: 50 });
      if ((await hasAddress(lab, 'a', EXTRA.split('/')[0]!)) !== extra) throw new Error(`A's address ${EXTRA} is not as the file says (${extra})`);
      // A restarted box that became MASTER again committed its external cache to the kernel and
      // flushed it (failover.ts): B's bulk send fills it again for the next round.
      if ((await externalOfA()) < ENTRIES) await lab.exec('b', [STOCKADE_BIN, 'ctl', 'sync', '-B', '--socket', b.socket]);
      await lab.waitFor('A\'s external cache full again', async () => (await externalOfA()) >= ENTRIES || undefined, { timeoutMs: 60_000, intervalMs: 200 });
    };
    const measured = async (side: 'live' | 'restart', fn: () => Promise<void>): Promise<number> => {
      const before = await externalOfA();
      extra = !extra;
      writeFileSync(join(dir, 'a.json'), files.a(extra));
      const from = Date.now();
      const t = performance.now();
      await fn();
      const ms = performance.now() - t;
      const lost = before - (await externalOfA());
      await new Promise((r) => setTimeout(r, 500));
      const to = Date.now();
      stats[side].gap.push(advertGap(advertsOf(td), from - 2 * INTERVAL_MS, to));
      stats[side].vip.push(vipAbsent(monitor, from - 2 * INTERVAL_MS, to));
      stats[side].lost.push(lost);
      await settle();
      return ms;
    };
    const times = await alternate(runs, {
      live: () => measured('live', async () => {
        await lab.exec('a', ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'config', 'apply', join(dir, 'a.json'), '--socket', a.socket]);
      }),
      restart: () => measured('restart', async () => {
        // The daemon does not set up the network at start: the one-shot command does, as today.
        await lab.exec('a', ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'net', 'apply', join(dir, 'a.json')]);
        a.proc.kill('SIGTERM');
        await a.proc.exited;
        a = spawn(lab, dir, 'a');
        await waitState(lab, a, 'MASTER', 60_000);
      }),
    });
    console.log(`no change, in the daemon (control request): ${describe(noopDaemon)}`);
    console.log(`no change, whole command:                   ${describe(noopCmd)}`);
    console.log(`one address, live apply (whole command):    ${describe(times.live)}`);
    console.log(`one address, daemon restart (to MASTER):    ${describe(times.restart)}`);
    for (const side of ['live', 'restart'] as const) {
      console.log(`${side}: longest advert gap ${describe(stats[side].gap)}; VIP off A ${describe(stats[side].vip)}; sync entries lost ${describe(stats[side].lost, 'entries', 0)}`);
    }
    console.log([
      'BENCH apply', `runs=${runs}`, 'where=lab-namespaces',
      `noop_ms=${median(noopDaemon).toFixed(1)}`, `noop_cmd_ms=${median(noopCmd).toFixed(1)}`,
      `change_ms=${median(times.live).toFixed(1)}`, `vip_gap_ms=${median(stats.live.vip).toFixed(1)}`,
      `advert_gap_ms=${median(stats.live.gap).toFixed(1)}`, `cache_lost=${median(stats.live.lost)}`,
      `restart_ms=${median(times.restart).toFixed(1)}`, `restart_vip_gap_ms=${median(stats.restart.vip).toFixed(1)}`,
      `restart_advert_gap_ms=${median(stats.restart.gap).toFixed(1)}`, `restart_cache_lost=${median(stats.restart.lost)}`,
    ].join(' '));
  });
}

await main();
