// VRRP failover, Stockade against keepalived side by side in one run, in lab namespaces: the same
// topology for both (master a, backup b, client c on a bridge). Every figure is taken at the
// client and every trial is a fresh lab; the sides alternate which goes first, round by round.
// - Hard failover: the master killed (kill -9) and its link cut; from the kill to the first reply
//   the client gets from the VIP (a ping every 10 ms with -D timestamps; with a's link cut, any
//   reply is the new master's, so the time includes the backup's VIPs and its gARP reaching the
//   client). --trials (at least 20) each, at 1 s VRRPv2 adverts and at 100 ms VRRPv3 adverts
//   (pseudo-header checksum, as keepalived 2.2.7 sends v3).
// - Accelerated: Stockade at 1 s v2 adverts with heartbeats on the sync link (eth1, 20 ms), the
//   master killed and both its links cut, in the same rounds as the 1 s trials: its ratio is
//   against keepalived's hard failover at the same adverts (keepalived has no such path).
// - Graceful handover: SIGTERM to the master (both send priority 0) at 100 ms adverts; from the
//   signal to the first reply the client gets from the backup, told apart by its TTL (b's
//   namespace answers with ip_default_ttl 63, a's with 64). Stockade also as a multicast pair told
//   it is a pair (`pair: true`: no Skew_Time) and as a unicast pair, on a line before BENCH.
// - CPU per instance: a pair at 100 ms v3 adverts left alone for a fixed window; utime + stime of
//   each daemon's process tree (keepalived's parent and VRRP child) from /proc/PID/stat at both
//   ends of it, as a percentage of one core, master and backup, --cpu-runs windows each.
//   npm run bench -- vrrp-failover [--trials N] [--cpu-runs N] [--cpu-window-s S]
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labAvailable } from '../lab/harness.ts';
import type { Lab, LabProcess, Topology } from '../lab/harness.ts';
import { VIP, hasAddress, pairTopology, pings, startPair as startDaemons, withDaemonLab } from '../lab/helpers/stockade-daemon.ts';
import { kaEntered, keepalivedConf, startKeepalived } from '../lab/helpers/keepalived.ts';
import { MIN_FAILOVER_TRIALS, MIN_RUNS, alternate, describe, median, ratio, runsOption } from './stats.ts';

const { values } = parseArgs({ options: { trials: { type: 'string', default: String(MIN_FAILOVER_TRIALS) }, 'cpu-runs': { type: 'string', default: String(MIN_RUNS) }, 'cpu-window-s': { type: 'string', default: '10' } } });
const TRIALS = runsOption(values.trials, MIN_FAILOVER_TRIALS, '--trials');
const CPU_RUNS = runsOption(values['cpu-runs'], MIN_RUNS, '--cpu-runs');
/** b's replies carry this TTL, a's the default 64: the client tells the new master's replies apart. */
const B_TTL = 63;
const lan = pairTopology();
const topo: Topology = {
  ...lan,
  // eth1: the dedicated sync link (heartbeats for Stockade's accelerated failover).
  links: [...lan.links!, ['a:eth1', 'b:eth1']],
  addresses: { ...lan.addresses, 'a:eth1': ['198.51.100.1/30'], 'b:eth1': ['198.51.100.2/30'] },
  sysctls: { b: [`net.ipv4.ip_default_ttl=${B_TTL}`] },
};
interface Mode { version: 2 | 3; intervalMs: number }
const ADV1S: Mode = { version: 2, intervalMs: 1000 };
const ADV100MS: Mode = { version: 3, intervalMs: 100 };

const kaConf = (m: Mode, priority: number) => keepalivedConf({
  routerId: 'bench',
  instance: { state: 'BACKUP', interface: 'eth0', vrid: 51, priority, advertInt: m.intervalMs / 1000, version: m.version, vips: [`${VIP}/24`] },
});

type Impl = 'stockade' | 'keepalived';

/** Starts a pair of `impl` (a 200, b 100) in `dir`; resolves once a holds the VIP and b is up. */
async function startPair(lab: Lab, dir: string, impl: Impl, m: Mode, unicast = false, accelerated = false, pair = false): Promise<{ a: LabProcess; b: LabProcess }> {
  if (impl === 'stockade') {
    const spec = (host: string, address: string, priority: number, peer: string, sync: [string, string]) => ({
      host, address, priority, version: m.version, intervalMs: m.intervalMs, checksum: 'pseudo-header' as const, ...(unicast ? { unicastPeers: [peer] } : {}),
      ...(pair ? { vi1: { pair: true } } : {}),
      ...(accelerated ? { ports: { eth1: `${sync[0]}/30` }, acceleratedPeer: sync[1] } : {}),
    });
    const [a, b] = await startDaemons(lab, dir, spec('a', '192.0.2.1', 200, '192.0.2.2', ['198.51.100.1', '198.51.100.2']), spec('b', '192.0.2.2', 100, '192.0.2.1', ['198.51.100.2', '198.51.100.1']), 15_000);
    return { a: a.proc, b: b.proc };
  }
  const start = (host: string, priority: number) => startKeepalived(lab, host, mkdtempSync(join(dir, `${host}-`)), kaConf(m, priority));
  const a = start('a', 200);
  await lab.waitFor('keepalived a MASTER', () => kaEntered(a, 'MASTER') || undefined, { timeoutMs: 15_000 });
  const b = start('b', 100);
  await lab.waitFor('keepalived b BACKUP', () => kaEntered(b, 'BACKUP') || undefined, { timeoutMs: 15_000 });
  return { a, b };
}

/** One hard failover: kill -9 a and cut its links; ms until the client's first reply after that. */
async function hardTrial(impl: Impl, m: Mode, accelerated = false): Promise<number> {
  return withDaemonLab(topo, 'stk-bench-vrrp-', async (lab, dir) => {
    const { a, b } = await startPair(lab, dir, impl, m, false, accelerated);
    await lab.waitFor('VIP answers', () => pings(lab, 'c', VIP), { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 3 * m.intervalMs));
    const ping = lab.spawn('c', ['ping', '-D', '-n', '-i', '0.01', '-W', '1', VIP]);
    // A random phase in the advert cycle, so trials do not all kill at the same point of it.
    await new Promise((r) => setTimeout(r, 300 + Math.random() * m.intervalMs));
    const t0 = Date.now();
    a.kill('SIGKILL');
    await lab.exec('a', ['ip', 'link', 'set', 'eth0', 'down']);
    await lab.exec('a', ['ip', 'link', 'set', 'eth1', 'down']);
    // a's kernel still holds the VIP (kill -9 leaves it) and answers until the cut: only
    // replies after the cut can come from the new master.
    const tCut = Date.now();
    const first = await lab.waitFor('a reply from the new master', () => {
      for (const line of ping.stdout().split('\n')) {
        const x = /^\[(\d+\.\d+)\] \d+ bytes from/.exec(line);
        if (x && Number(x[1]) * 1000 > tCut) return Number(x[1]) * 1000;
      }
      return undefined;
    }, { timeoutMs: 15_000, intervalMs: 20 });
    // Both daemons must end the same way: the VIP on b.
    if (!(await hasAddress(lab, 'b', VIP))) throw new Error(`${impl}: a reply came, but the VIP is not on b`);
    ping.kill('SIGKILL');
    b.kill('SIGKILL');
    await Promise.all([a.exited, b.exited, ping.exited]);
    return Math.round(first - t0);
  });
}

type Graceful = 'stockade' | 'keepalived' | 'stockade_pair' | 'stockade_unicast';

/** Graceful handover: SIGTERM on the master; ms until the client's first reply from b (its TTL). */
async function gracefulTrial(how: Graceful): Promise<number> {
  return withDaemonLab(topo, 'stk-bench-vrrp-', async (lab, dir) => {
    const impl: Impl = how === 'keepalived' ? 'keepalived' : 'stockade';
    const { a, b } = await startPair(lab, dir, impl, ADV100MS, how === 'stockade_unicast', false, how === 'stockade_pair');
    await lab.waitFor('VIP answers', () => pings(lab, 'c', VIP), { timeoutMs: 10_000 });
    const ping = lab.spawn('c', ['ping', '-D', '-n', '-i', '0.01', '-W', '1', VIP]);
    await new Promise((r) => setTimeout(r, 300 + Math.random() * ADV100MS.intervalMs));
    const t0 = Date.now();
    a.kill('SIGTERM');
    const first = await lab.waitFor('a reply from b', () => {
      for (const line of ping.stdout().split('\n')) {
        const x = /^\[(\d+\.\d+)\] \d+ bytes from .* ttl=(\d+)/.exec(line);
        if (x && Number(x[2]) === B_TTL) return Number(x[1]) * 1000;
      }
      return undefined;
    }, { timeoutMs: 10_000, intervalMs: 10 });
    if (!(await hasAddress(lab, 'b', VIP))) throw new Error('VIP not on b');
    ping.kill('SIGKILL');
    a.kill('SIGKILL');
    b.kill('SIGKILL');
    await Promise.all([a.exited, b.exited, ping.exited]);
    return Math.max(0, Math.round(first - t0));
  });
}

const CLK_TCK = 100; // USER_HZ: what /proc/PID/stat counts in on Linux

/** utime + stime (ticks) of `pid` and every process below it. */
function treeTicks(pid: number): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the ")" that ends comm: state(3) ppid(4) ... utime(14) stime(15).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(f[1]));
      ticks.set(Number(name), Number(f[11]) + Number(f[12]));
    } catch {
      // gone meanwhile
    }
  }
  let sum = 0;
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    sum += ticks.get(p) ?? 0;
    for (const [c, pp] of parent) if (pp === p) todo.push(c);
  }
  return sum;
}

/** CPU of the master and the backup at 100 ms adverts over the window, % of one core. */
async function cpuTrial(impl: Impl, windowS: number): Promise<{ master: number; backup: number }> {
  return withDaemonLab(topo, 'stk-bench-vrrp-', async (lab, dir) => {
    const { a, b } = await startPair(lab, dir, impl, ADV100MS);
    await new Promise((r) => setTimeout(r, 2000)); // past start-up and the second gARP burst
    const t0 = performance.now();
    const a0 = treeTicks(a.pid);
    const b0 = treeTicks(b.pid);
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const a1 = treeTicks(a.pid);
    const b1 = treeTicks(b.pid);
    const seconds = (performance.now() - t0) / 1000;
    a.kill('SIGKILL');
    b.kill('SIGKILL');
    await Promise.all([a.exited, b.exited]);
    const pct = (d: number) => Math.round((d / CLK_TCK / seconds) * 1000) / 10;
    return { master: pct(a1 - a0), backup: pct(b1 - b0) };
  });
}

async function main(): Promise<void> {
  const avail = labAvailable({ tools: ['keepalived', 'ping'] });
  if (!avail.ok) throw new Error(`vrrp-failover: cannot run: ${avail.reason}`);
  const log = (what: string) => (side: string, round: number, ms: number) => console.log(`${what} ${side} trial ${round + 1}: ${ms} ms`);
  // 1 s adverts: both daemons' hard failover and Stockade's accelerated one, in the same rounds.
  const adv1s = await alternate(TRIALS, {
    stockade: () => hardTrial('stockade', ADV1S),
    keepalived: () => hardTrial('keepalived', ADV1S),
    accelerated: () => hardTrial('stockade', ADV1S, true),
  }, log('adv1s'));
  const adv100ms = await alternate(TRIALS, {
    stockade: () => hardTrial('stockade', ADV100MS),
    keepalived: () => hardTrial('keepalived', ADV100MS),
  }, log('adv100ms'));
  // Multicast: the backup waits Skew_Time (61 ms at priority 100, 100 ms) after priority 0, as
  // keepalived does, since other backups may exist. A Stockade pair told so (`pair: true`) or with
  // one unicast peer takes over at once; both are printed on an earlier line, the BENCH line keeps
  // the multicast (RFC) figures of both daemons.
  const graceful = await alternate(TRIALS, {
    stockade: () => gracefulTrial('stockade'),
    keepalived: () => gracefulTrial('keepalived'),
    stockade_pair: () => gracefulTrial('stockade_pair'),
    stockade_unicast: () => gracefulTrial('stockade_unicast'),
  }, log('graceful'));
  const windowS = Number(values['cpu-window-s']);
  const cpu = await alternate(CPU_RUNS, { stockade: () => cpuTrial('stockade', windowS), keepalived: () => cpuTrial('keepalived', windowS) });

  for (const [what, r] of [['hard failover, 1 s v2 adverts', adv1s], ['hard failover, 100 ms v3 adverts', adv100ms], ['graceful handover, 100 ms v3 adverts', graceful]] as const) {
    for (const [side, xs] of Object.entries(r)) console.log(`${what}, ${side}: ${describe(xs as number[], 'ms', 0)}`);
  }
  for (const impl of ['stockade', 'keepalived'] as const) {
    console.log(`cpu at 100 ms adverts over ${windowS} s windows, ${impl}: master ${describe(cpu[impl].map((c) => c.master), '%', 1)}, backup ${describe(cpu[impl].map((c) => c.backup), '%', 1)} of one core`);
  }
  const m = (xs: number[]): number => median(xs);
  console.log([
    'vrrp-failover',
    `graceful_pair_ms=${m(graceful.stockade_pair)}`, `graceful_unicast_ms=${m(graceful.stockade_unicast)}`,
    `cpu100ms_stockade_master_pct=${m(cpu.stockade.map((c) => c.master))}`, `cpu100ms_keepalived_master_pct=${m(cpu.keepalived.map((c) => c.master))}`,
    `cpu100ms_stockade_backup_pct=${m(cpu.stockade.map((c) => c.backup))}`, `cpu100ms_keepalived_backup_pct=${m(cpu.keepalived.map((c) => c.backup))}`,
  ].join(' '));
  console.log([
    'BENCH vrrp-failover', `trials=${TRIALS}`,
    `adv1s_stockade_ms=${m(adv1s.stockade)}`, `adv1s_keepalived_ms=${m(adv1s.keepalived)}`, `adv1s_ratio=${ratio(m(adv1s.stockade), m(adv1s.keepalived))}`,
    `adv100ms_stockade_ms=${m(adv100ms.stockade)}`, `adv100ms_keepalived_ms=${m(adv100ms.keepalived)}`, `adv100ms_ratio=${ratio(m(adv100ms.stockade), m(adv100ms.keepalived))}`,
    `accel_adv1s_ms=${m(adv1s.accelerated)}`, `accel_ratio=${ratio(m(adv1s.accelerated), m(adv1s.keepalived))}`,
    `graceful_stockade_ms=${m(graceful.stockade)}`, `graceful_keepalived_ms=${m(graceful.keepalived)}`, `graceful_ratio=${ratio(m(graceful.stockade), m(graceful.keepalived))}`,
  ].join(' '));
}

await main();
