// Conntrack state sync: the built product, `stockade daemon` (dist/x64/stockade), against Debian's
// conntrackd (FTFW over UDP), with the same settings where both have them: the kernel event
// buffer (64 MiB, growing to 256 MiB: Stockade's defaults, conntrackd's NetlinkBufferSize and
// NetlinkBufferSizeMaxGrowth), the cache limit (HashLimit / hash_limit, at least twice the load)
// and conntrackd's hash buckets sized for the load (HashSize; Stockade's maps grow). Two
// namespaces A and B joined by a dedicated sync veth link. --runs rounds (at least 7), the two
// daemons alternating which goes first; each run in a fresh lab:
//   - A's load of N entries with `conntrack -R` with no daemon (the reference), then flushed;
//   - both daemons started, A's load again, timed: load_ratio compares each daemon's slowdown
//     over its own reference (loaded / reference), so lab-to-lab drift cancels;
//   - from the load's start until B's external cache holds N, polled the same way for both: a
//     request on the daemon's UNIX control socket from this process every 25 ms (conntrackd's
//     STATS, the daemon's sync.status);
//   - memory of B's and A's daemon holding N entries: RSS, PSS and anonymous memory
//     (/proc/PID/smaps_rollup);
//   - B's commit into its kernel, the whole CLI command (`conntrackd -c` / `stockade ctl sync -c`),
//     timed until it is done and B's kernel holds N entries;
//   - B's kernel table after the commit, normalized (timeouts and ids out), must be the same for
//     both daemons in every run.
// Ratios are stockade / conntrackd (lower is better), of the medians.
// Failover survival: the NAT-gateway pair of the lab failover test (test/lab/ctsync/gateway.ts)
// with --flows real TCP connections, each writing 32 bytes every --flow-interval-ms, the master
// killed (kill -9, links cut); survived = flows that echo again through the new master without a
// reset, within 60 s. Once with a Stockade pair and once with keepalived + conntrackd (the notify
// script conntrackd's package documents), alternating which goes first (--survival-runs each).
//   npm run bench -- ctsync [--entries N] [--runs R] [--timeout-s S] [--flows F] [--flow-interval-ms M] [--survival-runs K] [--part all|sync|survival]
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labAvailable, withLab } from '../lab/harness.ts';
import type { Lab, Topology } from '../lab/harness.ts';
import { CTD_STATS, PORT, conntrackdRequest, ctdExternalActive, startConntrackd, startSyncDaemon, tempDir } from '../lab/ctsync/peers.ts';
import { PRIMARY_BACKUP_SH, gatewayTopology, measureSurvival } from '../lab/ctsync/gateway.ts';
import type { PairKind, SurvivalResult } from '../lab/ctsync/gateway.ts';
import { STOCKADE_BIN } from '../lab/helpers/stockade-daemon.ts';
import { controlRequest, type SyncCommitView, type SyncStatusView } from '../../src/control/index.ts';
import { MIN_RUNS, alternate, describe, median, ratio, runsOption } from './stats.ts';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' }, runs: { type: 'string', default: String(MIN_RUNS) }, 'timeout-s': { type: 'string', default: '120' },
    flows: { type: 'string', default: '10000' }, 'flow-interval-ms': { type: 'string', default: '2000' }, 'survival-runs': { type: 'string', default: '1' },
    part: { type: 'string', default: 'all' }, 'survival-pairs': { type: 'string', default: 'stockade,keepalived+conntrackd' },
  },
});
const FLOWS = Number(values.flows);
const FLOW_INTERVAL_MS = Number(values['flow-interval-ms']);
if (!Number.isInteger(FLOWS) || FLOWS < 1 || FLOWS > 20_000) throw new Error(`--flows: 1..20000, got ${values.flows}`);
if (!Number.isInteger(FLOW_INTERVAL_MS) || FLOW_INTERVAL_MS < 10) throw new Error(`--flow-interval-ms: at least 10, got ${values['flow-interval-ms']}`);
const N = Number(values.entries);
const RUNS = runsOption(values.runs, MIN_RUNS);
const SURVIVAL_RUNS = runsOption(values['survival-runs'], 1, '--survival-runs');
const TIMEOUT_MS = Number(values['timeout-s']) * 1000;
const PART = values.part;
if (!['all', 'sync', 'survival'].includes(PART)) throw new Error(`--part: all, sync or survival, got ${PART}`);
if (!Number.isInteger(N) || N < 1 || N > 200_000) throw new Error(`--entries: 1..200000, got ${values.entries}`);
if (!(TIMEOUT_MS > 0)) throw new Error(`--timeout-s: a positive number, got ${values['timeout-s']}`);

/** The settings both daemons get. */
const EVENT_BUFFER = 64 << 20;
const EVENT_BUFFER_MAX = 256 << 20;
const HASH_LIMIT = Math.max(262_144, 2 * N);
/** conntrackd's buckets: a power of two at least N (its docs: about the table's size). */
const HASH_SIZE = 2 ** Math.ceil(Math.log2(Math.max(N, 8192)));

const A = '192.0.2.1';
const B = '192.0.2.2';
// The sync link is the only link: eth0 on both.
const topo: Topology = { hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': [`${A}/24`], 'b:eth0': [`${B}/24`] } };

const avail = labAvailable({ tools: ['conntrack', 'conntrackd', 'iptables', 'keepalived'] });
if (!avail.ok) throw new Error(`ctsync bench needs the lab: ${avail.reason}`);

/** N established TCP entries in `conntrack -R` format (one conntrack command per line). */
function loadFile(): string {
  const f = join(tempDir(), `bench-${N}.ct`);
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    const src = `198.51.100.${1 + (i % 250)}`;
    const sport = 1024 + Math.floor(i / 250);
    lines.push(`-I -p tcp -s ${src} -d 203.0.113.80 --sport ${sport} --dport 80 --state ESTABLISHED -t 3600 -u SEEN_REPLY,ASSURED -m ${i % 7}`);
  }
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}

const file = loadFile();
const now = (): number => performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function kernelCount(lab: Lab, host: string): Promise<number> {
  const r = await lab.exec(host, ['conntrack', '-C']);
  return Number(r.stdout.trim());
}

async function load(lab: Lab): Promise<number> {
  const t0 = now();
  await lab.exec('a', ['conntrack', '-R', file], { timeoutMs: TIMEOUT_MS });
  const ms = now() - t0;
  const n = await kernelCount(lab, 'a');
  if (n !== N) throw new Error(`conntrack -R loaded ${n} of ${N} entries on A`);
  return ms;
}

async function flush(lab: Lab, host: string): Promise<void> {
  await lab.exec(host, ['conntrack', '-F'], { check: false, timeoutMs: TIMEOUT_MS });
  await lab.waitFor(`empty table on ${host}`, async () => (await kernelCount(lab, host)) === 0, { timeoutMs: TIMEOUT_MS, intervalMs: 50 });
}

/** B's kernel table as a digest: each entry without its timeout and id, sorted. */
async function tableDigest(lab: Lab, host: string): Promise<{ digest: string; sample: string }> {
  const r = await lab.exec(host, ['conntrack', '-L', '-p', 'tcp'], { timeoutMs: TIMEOUT_MS });
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('tcp')).map((l) => l.replace(/^(tcp\s+\d+\s+)\d+\s+/, '$1').replace(/ (use|id)=\d+/g, '').replace(/\s+/g, ' ').trim()).sort();
  return { digest: createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16), sample: lines[0] ?? '' };
}

interface Mem { rss: number; pss: number; anon: number }

/** Rss, Pss and Anonymous of a process, KiB (/proc/PID/smaps_rollup). */
function memKiB(pid: number): Mem {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (m === null) throw new Error(`no ${name} in /proc/${pid}/smaps_rollup`);
    return Number(m[1]);
  };
  return { rss: field('Rss'), pss: field('Pss'), anon: field('Anonymous') };
}

interface Result {
  refLoadMs: number;
  loadMs: number;
  syncMs: number;
  memB: Mem;
  memA: Mem;
  commitMs: number;
  table: { digest: string; sample: string };
}

interface Daemon {
  pid: number;
  /** Entries in the external cache, by one request on the daemon's control socket. */
  external(): Promise<number>;
  /** The commit as its CLI runs it. */
  commit(): Promise<void>;
  stop(): Promise<void>;
}

type Side = 'stockade' | 'conntrackd';

async function stockadeDaemon(lab: Lab, dir: string, host: string, local: string, peer: string): Promise<Daemon> {
  const d = startSyncDaemon(lab, dir, host, local, peer, {
    mode: 'ftfw', transport: 'udp', port: PORT, checksum: true, hash_limit: HASH_LIMIT, event_buffer_bytes: EVENT_BUFFER, event_buffer_max_bytes: EVENT_BUFFER_MAX,
  });
  const status = async (): Promise<SyncStatusView> => (await controlRequest(d.socket, 'sync.status')) as SyncStatusView;
  await lab.waitFor(`stockade daemon on ${host}: sync running`, async () => (await status().catch(() => undefined))?.running === true || undefined, { timeoutMs: 15_000, intervalMs: 100 });
  // The memory read must be the daemon's, not a wrapper's (ip netns exec and env exec in place).
  const exe = readlinkSync(`/proc/${d.proc.pid}/exe`).replace(/ \(deleted\)$/, '');
  if (exe !== realpathSync(STOCKADE_BIN)) throw new Error(`pid ${d.proc.pid} on ${host} is ${exe}, not the daemon`);
  return {
    pid: d.proc.pid,
    external: async () => (await status()).external?.active ?? 0,
    commit: async () => {
      const r = await lab.exec(host, [STOCKADE_BIN, 'ctl', 'sync', '-c', '--json', '--socket', d.socket], { timeoutMs: TIMEOUT_MS });
      const c = JSON.parse(r.stdout) as SyncCommitView;
      if (c.failed !== 0) throw new Error(`stockade ctl sync -c: ${c.failed} refused (${c.errors.join(', ')})`);
    },
    stop: async () => { d.proc.kill('SIGTERM'); await d.proc.exited; },
  };
}

async function conntrackdDaemon(lab: Lab, host: string, local: string, peer: string): Promise<Daemon> {
  const c = await startConntrackd(lab, host, local, peer, '', 'FTFW { }', { hashSize: HASH_SIZE, hashLimit: HASH_LIMIT, netlinkBufferSize: EVENT_BUFFER, netlinkBufferSizeMaxGrowth: EVENT_BUFFER_MAX });
  const exe = readlinkSync(`/proc/${c.proc.pid}/exe`);
  if (!exe.endsWith('/conntrackd')) throw new Error(`pid ${c.proc.pid} on ${host} is ${exe}, not conntrackd`);
  return {
    pid: c.proc.pid,
    external: async () => ctdExternalActive(await conntrackdRequest(c.socket, CTD_STATS)),
    commit: async () => { await lab.exec(c.host, ['conntrackd', '-C', c.conf, '-c'], { timeoutMs: TIMEOUT_MS }); },
    stop: () => c.stop(),
  };
}

const starters: Record<Side, (lab: Lab, host: string, local: string, peer: string) => Promise<Daemon>> = {
  stockade: (lab, host, local, peer) => stockadeDaemon(lab, tempDir(), host, local, peer),
  conntrackd: conntrackdDaemon,
};

async function measure(side: Side): Promise<Result> {
  return withLab(topo, async (lab) => {
    // The commit may carry NAT bits: the nat table makes it possible (as in the interop tests).
    await lab.exec('b', ['iptables', '-t', 'nat', '-L', '-n']);
    const refLoadMs = await load(lab);
    await flush(lab, 'a');
    const db = await starters[side](lab, 'b', B, A);
    const da = await starters[side](lab, 'a', A, B);
    try {
      const t0 = now();
      const loadMs = await load(lab);
      let seen = 0;
      await lab.waitFor(`${side}: ${N} entries in B's external cache`, async () => {
        seen = await db.external();
        return seen >= N;
      }, { timeoutMs: TIMEOUT_MS, intervalMs: 25 }).catch((e: Error) => { throw new Error(`${e.message}; last count ${seen}`); });
      const syncMs = now() - t0;
      // Let the daemons settle (acks, resend queues) before reading their memory.
      await sleep(1000);
      const memB = memKiB(db.pid);
      const memA = memKiB(da.pid);
      const c0 = now();
      await db.commit();
      let k = 0;
      await lab.waitFor(`${side}: ${N} entries in B's kernel after the commit`, async () => {
        k = await kernelCount(lab, 'b');
        return k >= N;
      }, { timeoutMs: TIMEOUT_MS, intervalMs: 10 }).catch((e: Error) => { throw new Error(`${e.message}; last count ${k}`); });
      const commitMs = now() - c0;
      const table = await tableDigest(lab, 'b');
      return { refLoadMs, loadMs, syncMs, memB, memA, commitMs, table };
    } finally {
      await Promise.allSettled([da.stop(), db.stop()]);
    }
  });
}

/** The sync part: its figures as BENCH fields. */
async function syncPart(): Promise<string[]> {
  console.log(`ctsync bench: ${N} entries, sync link veth a:eth0 <-> b:eth0 (${A} <-> ${B}), FTFW over UDP; both daemons: event buffer ${EVENT_BUFFER >> 20} MiB growing to ${EVENT_BUFFER_MAX >> 20} MiB, cache limit ${HASH_LIMIT}; conntrackd HashSize ${HASH_SIZE}; ${RUNS} runs each, alternating`);
  const mib = (kib: number): string => (kib / 1024).toFixed(1);
  const r = await alternate(RUNS, { stockade: () => measure('stockade'), conntrackd: () => measure('conntrackd') }, (side, round, x) => {
    console.log(`run ${round + 1} ${side.padEnd(10)} load ${(x.loadMs / 1000).toFixed(2)} s (no daemon ${(x.refLoadMs / 1000).toFixed(2)} s); B external complete ${(x.syncMs / 1000).toFixed(2)} s; commit ${(x.commitMs / 1000).toFixed(2)} s; B RSS ${mib(x.memB.rss)} PSS ${mib(x.memB.pss)} anon ${mib(x.memB.anon)} MiB; table ${x.table.digest}`);
  });

  const slowdown = (x: Result): number => x.loadMs / x.refLoadMs;
  const ms = (xs: Result[], f: (x: Result) => number): number[] => xs.map(f);
  for (const side of ['stockade', 'conntrackd'] as const) {
    const xs = r[side];
    console.log(`${side}:`);
    console.log(`  B external cache complete: ${describe(ms(xs, (x) => x.syncMs), 'ms', 0)}`);
    console.log(`  A's load with the daemons:  ${describe(ms(xs, (x) => x.loadMs), 'ms', 0)}; without: ${describe(ms(xs, (x) => x.refLoadMs), 'ms', 0)}; slowdown ${describe(ms(xs, slowdown), 'x', 2)}`);
    console.log(`  B's commit (whole command): ${describe(ms(xs, (x) => x.commitMs), 'ms', 0)}`);
    for (const [box, f] of [['B', (x: Result) => x.memB], ['A', (x: Result) => x.memA]] as const) {
      console.log(`  ${box}'s daemon holding ${N}: RSS ${describe(ms(xs, (x) => f(x).rss / 1024), 'MiB', 1)}; PSS ${describe(ms(xs, (x) => f(x).pss / 1024), 'MiB', 1)}; anon ${describe(ms(xs, (x) => f(x).anon / 1024), 'MiB', 1)}`);
    }
  }
  const digests = new Set([...r.stockade, ...r.conntrackd].map((x) => x.table.digest));
  const sameState = digests.size === 1;
  if (!sameState) {
    console.log(`B's kernel table after the commit DIFFERS between runs or daemons (ratios compare different work): ${[...digests].join(' ')}`);
    console.log(`  stockade sample:   ${r.stockade[0]!.table.sample}\n  conntrackd sample: ${r.conntrackd[0]!.table.sample}`);
    process.exitCode = 1;
  } else {
    console.log(`B's kernel table after the commit: the same ${N} entries for both daemons in every run (timeouts aside)`);
  }
  const med = (side: Side, f: (x: Result) => number): number => median(r[side].map(f));
  return [
    `entries=${N}`, `runs=${RUNS}`,
    `sync_ratio=${ratio(med('stockade', (x) => x.syncMs), med('conntrackd', (x) => x.syncMs))}`,
    `load_ratio=${ratio(med('stockade', slowdown), med('conntrackd', slowdown))}`,
    `load_slowdown_stockade=${med('stockade', slowdown).toFixed(2)} load_slowdown_conntrackd=${med('conntrackd', slowdown).toFixed(2)}`,
    `commit_ratio=${ratio(med('stockade', (x) => x.commitMs), med('conntrackd', (x) => x.commitMs))}`,
    `rss_ratio=${ratio(med('stockade', (x) => x.memB.rss), med('conntrackd', (x) => x.memB.rss))}`,
    `pss_ratio=${ratio(med('stockade', (x) => x.memB.pss), med('conntrackd', (x) => x.memB.pss))}`,
    `anon_ratio=${ratio(med('stockade', (x) => x.memB.anon), med('conntrackd', (x) => x.memB.anon))}`,
    `same_state=${sameState ? 'yes' : 'no'}`,
  ];
}

// Survival, both pairs, alternating which goes first.
async function survivalPart(): Promise<string[]> {
  const kinds = values['survival-pairs'].split(',') as PairKind[];
  const survival = await alternate(SURVIVAL_RUNS, Object.fromEntries(kinds.map((k) => [k, () => survive(k)])) as Record<PairKind, () => Promise<SurvivalResult | string>>, (kind, round, sv) => {
    if (typeof sv === 'string') {
      console.log(`failover survival run ${round + 1}, ${kind} pair: no figure: ${sv}`);
      return;
    }
    const resets = Object.entries(sv.serverErrors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    console.log(`failover survival run ${round + 1}, ${kind} pair (NAT gateway, kill -9 + links cut): ${sv.survived}/${sv.flows} flows; B MASTER after ${Math.round(sv.takeoverMs)} ms having committed ${Number.isNaN(sv.committed) ? '?' : sv.committed} entries; ${Number.isNaN(sv.recoveredMs) ? 'not all flows back within 60 s' : `every flow echoing again ${(sv.recoveredMs / 1000).toFixed(2)} s after the kill`}; client errors ${sv.clientErrors}, server errors: ${resets}`);
  });
  const survived = (kind: PairKind): string => {
    const xs = (survival[kind] ?? []).filter((s): s is SurvivalResult => typeof s !== 'string');
    return xs.length === 0 ? 'NA' : `${median(xs.map((s) => s.survived))}/${FLOWS}`;
  };
  console.log(`peer pair: keepalived + conntrackd with ${PRIMARY_BACKUP_SH}`);
  return [`flows=${FLOWS}`, `survived=${survived('stockade')}`, `survived_conntrackd=${survived('keepalived+conntrackd')}`];
}

/** One survival run; a run that cannot finish (its setup, on a loaded machine) is no figure, said why. */
async function survive(kind: PairKind): Promise<SurvivalResult | string> {
  return withLab(gatewayTopology, async (lab) => {
    const dir = mkdtempSync(join(tmpdir(), 'stk-bench-failover-'));
    try {
      // Setup bounds, not figures: 10,000 flows took over 200 s to all echo on a loaded machine.
      return await measureSurvival(lab, dir, FLOWS, { kind, intervalMs: FLOW_INTERVAL_MS, recoverTimeoutMs: 60_000, setupTimeoutMs: Math.max(60_000, FLOWS * 60) });
    } catch (e) {
      return (e as Error).message.split('\n')[0]!;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const fields = [...(PART === 'survival' ? [] : await syncPart()), ...(PART === 'sync' ? [] : await survivalPart())];
console.log(['BENCH ctsync', `part=${PART}`, ...fields].join(' '));
