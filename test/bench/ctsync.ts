// Conntrack state sync: Stockade's SyncDriver (one child process per node, as the lab helper runs
// it) against Debian's conntrackd (FTFW over UDP), in the same run and the same topology: two
// namespaces A and B joined by a dedicated sync veth link. For each daemon, in a fresh lab:
//   - A's load of N entries with `conntrack -R` with no daemon (reference), then flushed;
//   - both daemons started, A's load again (with the daemons listening), timed;
//   - time from the load's start until B's external cache holds all N;
//   - RSS (VmRSS of the daemon process) of B's and A's daemon holding N entries;
//   - B's commit of the external cache into its kernel (`conntrackd -c` / the driver's commit),
//     timed until the command is done and B's kernel holds N entries; --commits times (B's
//     table flushed in between), the median.
// The Stockade node runs bundled (one JS file, as the executable ships it), on the pinned Node.
// Ratios are stockade / conntrackd (lower is better). The failover survival scenario is not run
// here yet (survived=NA).
//   npm run bench -- ctsync [--entries N] [--commits K] [--timeout-s S]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import esbuild from 'rollup-plugin-esbuild';
import { labAvailable, withLab } from '../lab/harness.ts';
import type { Lab, Topology } from '../lab/harness.ts';
import { startConntrackd, startNode, tempDir } from '../lab/ctsync/peers.ts';
import type { Conntrackd, StockadeNode } from '../lab/ctsync/peers.ts';
import { median } from './stats.ts';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '100000' }, commits: { type: 'string', default: '3' }, 'timeout-s': { type: 'string', default: '120' } } });
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

/**
 * The Stockade node as the product runs code: one bundled JS file (rollup + esbuild, as
 * rollup.config.js builds the executable), not .ts files type-stripped at load, which costs the
 * test runtime some 30 MB of RSS that the shipped executable does not have.
 */
async function bundleNode(): Promise<string> {
  const root = join(import.meta.dirname, '..', '..');
  const out = join(tempDir(), 'ctsync-node.mjs');
  const b = await rollup({
    input: join(root, 'test', 'lab', 'helpers', 'ctsync-node.ts'),
    external: (id) => id.startsWith('node:'),
    plugins: [nodeResolve({ preferBuiltins: true, extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] }), esbuild({ target: 'node24', tsconfig: join(root, 'tsconfig.json') })],
    onwarn: (w) => { throw new Error(`rollup: ${w.message}`); },
  });
  try {
    await b.write({ file: out, format: 'es', inlineDynamicImports: true });
  } finally {
    await b.close();
  }
  return out;
}

const file = loadFile();
const program = await bundleNode();
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

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

interface Result {
  refLoadMs: number;
  loadMs: number;
  syncMs: number;
  rssB: number;
  rssA: number;
  commitMs: number;
}

interface Daemon {
  pid: number;
  external(): Promise<number>;
  /** Resolves with a note for the report, if any. */
  commit(): Promise<string | void>;
  stop(): Promise<void>;
}

function stockadeDaemon(node: StockadeNode): Daemon {
  return {
    pid: node.proc.pid,
    external: async () => ((await node.state()) as unknown as { externalCount: number }).externalCount,
    commit: async () => {
      const r = await node.commit() as { committed: number; failed: number[]; ms: number };
      if (r.failed.length !== 0) throw new Error(`stockade commit: ${r.failed.length} failed`);
      return `driver's own timing ${(r.ms / 1000).toFixed(2)} s`;
    },
    stop: async () => { node.proc.kill('SIGTERM'); await node.proc.exited; },
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
      console.log(`${name.padEnd(10)} load A ${(loadMs / 1000).toFixed(2)} s (no daemon ${(refLoadMs / 1000).toFixed(2)} s); B external complete ${(syncMs / 1000).toFixed(2)} s; commit on B ${(commitMs / 1000).toFixed(2)} s (median of ${commits.map((c) => (c / 1000).toFixed(2)).join(' ')}${commitNote ? `; last, ${commitNote}` : ''}); RSS B ${(rssB / 1024).toFixed(1)} MiB, A ${(rssA / 1024).toFixed(1)} MiB`);
      return r;
    } finally {
      await Promise.allSettled([da.stop(), db.stop()]);
    }
  });
}

console.log(`ctsync bench: ${N} entries, sync link veth a:eth0 <-> b:eth0 (${A} <-> ${B}), FTFW over UDP`);
const st = await measure('stockade', async (lab, host, local, peer) => stockadeDaemon(await startNode(lab, host, local, peer, ['brief'], program)));
const cd = await measure('conntrackd', async (lab, host, local, peer) => conntrackdDaemon(lab, await startConntrackd(lab, host, local, peer)));

const ratio = (x: number, y: number): string => (x / y).toFixed(2);
console.log(`reference load (no daemon): ${(st.refLoadMs / 1000).toFixed(2)} s, ${(cd.refLoadMs / 1000).toFixed(2)} s`);
console.log('failover survival: not measured (needs the VRRP daemon and the NAT-gateway failover scenario; not run by this bench yet)');
console.log(`BENCH ctsync sync_ratio=${ratio(st.syncMs, cd.syncMs)} load_ratio=${ratio(st.loadMs, cd.loadMs)} commit_ratio=${ratio(st.commitMs, cd.commitMs)} rss_ratio=${ratio(st.rssB, cd.rssB)} survived=NA`);
