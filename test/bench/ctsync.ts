// Conntrack state sync: the built product, `stockade daemon` (dist/x64/stockade, with a config
// whose sync section matches conntrackd's settings), against Debian's conntrackd (FTFW over UDP),
// in the same run and the same topology: two namespaces A and B joined by a dedicated sync veth
// link. For each daemon, in a fresh lab:
//   - A's load of N entries with `conntrack -R` with no daemon (reference), then flushed;
//   - both daemons started, A's load again (with the daemons listening), timed;
//   - time from the load's start until B's external cache holds all N (polled: conntrackd -s,
//     the daemon's control socket's sync.status, which `stockade ctl sync -s` prints);
//   - RSS (VmRSS of the daemon process) of B's and A's daemon holding N entries, and B's split
//     into RssAnon (heap, caches) and RssFile (mapped executable and libraries);
//   - B's commit of the external cache into its kernel (`conntrackd -c` / `stockade ctl sync -c`),
//     timed until the command is done and B's kernel holds N entries; --commits times (B's
//     table flushed in between), the median.
// Ratios are stockade / conntrackd (lower is better). npm run bench builds the executable first.
// Failover survival (Stockade pair only): the NAT-gateway pair of the lab failover test
// (test/lab/ctsync/gateway.ts) with --flows real TCP connections, each writing 32 bytes every
// --flow-interval-ms; the master is killed (kill -9, links cut); survived = flows that echo again
// through the new master without a reset, within 60 s.
//   npm run bench -- ctsync [--entries N] [--commits K] [--timeout-s S] [--flows F] [--flow-interval-ms M]
import { mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labAvailable, withLab } from '../lab/harness.ts';
import type { Lab, Topology } from '../lab/harness.ts';
import { PORT, startConntrackd, startSyncDaemon, tempDir } from '../lab/ctsync/peers.ts';
import type { Conntrackd } from '../lab/ctsync/peers.ts';
import { gatewayTopology, measureSurvival } from '../lab/ctsync/gateway.ts';
import { STOCKADE_BIN } from '../lab/helpers/stockade-daemon.ts';
import { controlRequest } from '../../src/daemon/control.ts';
import type { SyncCommitView, SyncStatusView } from '../../src/daemon/sync-view.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' }, commits: { type: 'string', default: '3' }, 'timeout-s': { type: 'string', default: '120' },
    flows: { type: 'string', default: '10000' }, 'flow-interval-ms': { type: 'string', default: '2000' },
  },
});
const FLOWS = Number(values.flows);
const FLOW_INTERVAL_MS = Number(values['flow-interval-ms']);
if (!Number.isInteger(FLOWS) || FLOWS < 1 || FLOWS > 20_000) throw new Error(`--flows: 1..20000, got ${values.flows}`);
if (!Number.isInteger(FLOW_INTERVAL_MS) || FLOW_INTERVAL_MS < 10) throw new Error(`--flow-interval-ms: at least 10, got ${values['flow-interval-ms']}`);
const N = Number(values.entries);
const COMMITS = Number(values.commits);
if (!Number.isInteger(COMMITS) || COMMITS < 1 || COMMITS > 9) throw new Error(`--commits: 1..9, got ${values.commits}`);
const TIMEOUT_MS = Number(values['timeout-s']) * 1000;
if (!Number.isInteger(N) || N < 1 || N > 200_000) throw new Error(`--entries: 1..200000, got ${values.entries}`);
if (!(TIMEOUT_MS > 0)) throw new Error(`--timeout-s: a positive number, got ${values['timeout-s']}`);

const A = '192.0.2.1';
const B = '192.0.2.2';
// The sync link is the only link: eth0 on both (the name peers.ts's conntrackd config binds to).
const topo: Topology = { hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': [`${A}/24`], 'b:eth0': [`${B}/24`] } };

const avail = labAvailable({ tools: ['conntrack', 'conntrackd', 'iptables'] });
if (!avail.ok) {
  console.log(`ctsync bench needs the lab: ${avail.reason}`);
  console.log('BENCH ctsync sync_ratio=NA load_ratio=NA commit_ratio=NA rss_ratio=NA survived=NA');
  process.exit(0);
}

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

interface Rss { vm: number; anon: number; file: number }

/** VmRSS, RssAnon, RssFile of a process, KiB. */
function rssKiB(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (m === null) throw new Error(`no ${name} for pid ${pid}`);
    return Number(m[1]);
  };
  return { vm: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile') };
}

interface Result {
  refLoadMs: number;
  loadMs: number;
  syncMs: number;
  rssB: Rss;
  rssA: Rss;
  commitMs: number;
}

interface Daemon {
  pid: number;
  external(): Promise<number>;
  /** Resolves with a note for the report, if any. */
  commit(): Promise<string | void>;
  stop(): Promise<void>;
}

/**
 * startConntrackd's settings, written out although they are the daemon's defaults: FTFW, UDP,
 * port, checksums, HashLimit. (Its NetlinkBufferSize 2 MiB growing to 8 MiB has a counterpart,
 * event_buffer_bytes, left at the product's default: 64 MiB growing to 256 MiB.)
 */
const SYNC_AS_CONNTRACKD = { mode: 'ftfw', transport: 'udp', port: PORT, checksum: true, hash_limit: 262144 };

async function stockadeDaemon(lab: Lab, dir: string, host: string, local: string, peer: string): Promise<Daemon> {
  const d = startSyncDaemon(lab, dir, host, local, peer, SYNC_AS_CONNTRACKD);
  const status = async (): Promise<SyncStatusView> => (await controlRequest(d.socket, 'sync.status')) as SyncStatusView;
  await lab.waitFor(`stockade daemon on ${host}: sync running`, async () => (await status().catch(() => undefined))?.running === true || undefined, { timeoutMs: 15_000, intervalMs: 100 });
  // The RSS read must be the daemon's, not a wrapper's (ip netns exec and env exec in place).
  // (A rebuild while it runs renames a new file over it: " (deleted)".)
  const exe = readlinkSync(`/proc/${d.proc.pid}/exe`).replace(/ \(deleted\)$/, '');
  if (exe !== realpathSync(STOCKADE_BIN)) throw new Error(`pid ${d.proc.pid} on ${host} is ${exe}, not the daemon`);
  return {
    pid: d.proc.pid,
    external: async () => (await status()).external?.active ?? 0,
    commit: async () => {
      const r = await lab.exec(host, [STOCKADE_BIN, 'ctl', 'sync', '-c', '--json', '--socket', d.socket], { timeoutMs: TIMEOUT_MS });
      const c = JSON.parse(r.stdout) as SyncCommitView;
      if (c.failed !== 0) throw new Error(`stockade ctl sync -c: ${c.failed} refused (${c.errors.join(', ')})`);
      return `daemon's own timing ${(c.ms / 1000).toFixed(2)} s`;
    },
    stop: async () => { d.proc.kill('SIGTERM'); await d.proc.exited; },
  };
}

function conntrackdDaemon(lab: Lab, c: Conntrackd): Daemon {
  return {
    pid: c.proc.pid,
    external: async () => {
      // `-s` is cheap; its "cache external" section has "current active connections: N".
      const r = await lab.exec(c.host, ['conntrackd', '-C', c.conf, '-s'], { check: false });
      const m = /cache external:\s*\n\s*current active connections:\s*(\d+)/.exec(r.stdout);
      return m === null ? 0 : Number(m[1]);
    },
    commit: async () => { await lab.exec(c.host, ['conntrackd', '-C', c.conf, '-c'], { timeoutMs: TIMEOUT_MS }); },
    stop: () => c.stop(),
  };
}

async function measure(name: string, start: (lab: Lab, host: 'a' | 'b', local: string, peer: string) => Promise<Daemon>): Promise<Result> {
  return withLab(topo, async (lab) => {
    // The commit may carry NAT bits: the nat table makes it possible (as in the interop tests).
    await lab.exec('b', ['iptables', '-t', 'nat', '-L', '-n']);
    const refLoadMs = await load(lab);
    await flush(lab, 'a');
    const db = await start(lab, 'b', B, A);
    const da = await start(lab, 'a', A, B);
    try {
      const t0 = now();
      const loadMs = await load(lab);
      let seen = 0;
      await lab.waitFor(`${name}: ${N} entries in B's external cache (last seen ${seen})`, async () => {
        seen = await db.external();
        return seen >= N;
      }, { timeoutMs: TIMEOUT_MS, intervalMs: 25 }).catch((e: Error) => { throw new Error(`${e.message}; last count ${seen}`); });
      const syncMs = now() - t0;
      // Let the daemons settle (acks, resend queues) before reading their memory.
      await new Promise((r) => setTimeout(r, 1000));
      const rssB = rssKiB(db.pid);
      const rssA = rssKiB(da.pid);
      // The commit, COMMITS times (B's table flushed in between), median: this machine's noise
      // is of the order of the difference.
      const commits: number[] = [];
      let commitNote: string | void = undefined;
      for (let round = 0; round < COMMITS; round++) {
        if (round > 0) {
          await flush(lab, 'b');
          await new Promise((r) => setTimeout(r, 1000)); // let the daemons digest the flush's events
        }
        const c0 = now();
        commitNote = await db.commit();
        let k = 0;
        await lab.waitFor(`${name}: ${N} entries in B's kernel after the commit`, async () => {
          k = await kernelCount(lab, 'b');
          return k >= N;
        }, { timeoutMs: TIMEOUT_MS, intervalMs: 10 }).catch((e: Error) => { throw new Error(`${e.message}; last count ${k}`); });
        commits.push(now() - c0);
      }
      const commitMs = median(commits);
      const r = { refLoadMs, loadMs, syncMs, rssB, rssA, commitMs };
      const mib = (kib: number): string => (kib / 1024).toFixed(1);
      console.log(`${name.padEnd(10)} load A ${(loadMs / 1000).toFixed(2)} s (no daemon ${(refLoadMs / 1000).toFixed(2)} s); B external complete ${(syncMs / 1000).toFixed(2)} s; commit on B ${(commitMs / 1000).toFixed(2)} s (median of ${commits.map((c) => (c / 1000).toFixed(2)).join(' ')}${commitNote ? `; last, ${commitNote}` : ''}); RSS B ${mib(rssB.vm)} MiB, A ${mib(rssA.vm)} MiB`);
      // What the runtime's mapped executable costs (RssFile) vs the entries (RssAnon), as read before the commits.
      console.log(`${name.padEnd(10)} RSS B ${mib(rssB.vm)} MiB = anon ${mib(rssB.anon)} + file ${mib(rssB.file)} (+ shmem); A ${mib(rssA.vm)} MiB = anon ${mib(rssA.anon)} + file ${mib(rssA.file)}`);
      return r;
    } finally {
      await Promise.allSettled([da.stop(), db.stop()]);
    }
  });
}

console.log(`ctsync bench: ${N} entries, sync link veth a:eth0 <-> b:eth0 (${A} <-> ${B}), FTFW over UDP`);
const st = await measure('stockade', (lab, host, local, peer) => stockadeDaemon(lab, tempDir(), host, local, peer));
const cd = await measure('conntrackd', async (lab, host, local, peer) => conntrackdDaemon(lab, await startConntrackd(lab, host, local, peer)));

const ratio = (x: number, y: number): string => (x / y).toFixed(2);
console.log(`reference load (no daemon): ${(st.refLoadMs / 1000).toFixed(2)} s, ${(cd.refLoadMs / 1000).toFixed(2)} s`);
const sv = await withLab(gatewayTopology, async (lab) => {
  const dir = mkdtempSync(join(tmpdir(), 'stk-bench-failover-'));
  try {
    return await measureSurvival(lab, dir, FLOWS, { intervalMs: FLOW_INTERVAL_MS, recoverTimeoutMs: 60_000, setupTimeoutMs: Math.max(60_000, FLOWS * 20) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
const resets = Object.entries(sv.serverErrors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
console.log(`failover survival (stockade pair, NAT gateway, kill -9 + links cut): ${sv.survived}/${sv.flows} flows; B MASTER after ${Math.round(sv.takeoverMs)} ms having committed ${sv.committed} entries; ${Number.isNaN(sv.recoveredMs) ? 'not all flows back within 60 s' : `every flow echoing again ${(sv.recoveredMs / 1000).toFixed(2)} s after the kill`}; client errors ${sv.clientErrors}, server errors: ${resets}`);
console.log(`BENCH ctsync sync_ratio=${ratio(st.syncMs, cd.syncMs)} load_ratio=${ratio(st.loadMs, cd.loadMs)} commit_ratio=${ratio(st.commitMs, cd.commitMs)} rss_ratio=${ratio(st.rssB.vm, cd.rssB.vm)} survived=${sv.survived}/${sv.flows}`);
