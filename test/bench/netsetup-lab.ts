// The netsetup benchmark's shape on the host kernel, in a lab namespace, for quick iterations
// (the real one, test/bench/netsetup.ts, boots the appliance VM). The host kernel has no bonding
// or 802.1Q, so bridges stand in: 4 bridges over one port each (the bonds) and 64 member-less
// bridges (the VLANs) with 256 addresses and 64 routes.
//
// Whole command against whole command: `stockade net apply FILE --json` (dist/x64/stockade, a new
// process each time) against `ip -batch FILE` making the same objects, both spawned the same way
// by one process inside the lab namespace and timed on its monotonic clock, in alternating order
// (--runs rounds, at least 7), each from the same empty state. After each apply the namespace's
// `ip -d link`, `ip addr` and `ip route` (normalized: test/bench/net-state.ts) must be the same for
// both sides and every run; after each teardown, the same as before. The apply's own in-process
// figure (`--json`'s ms: first dump to last ack) and the no-change re-apply (a whole command too,
// which must write nothing) are printed beside the ratio, never as it.
//   scripts/node-run test/bench/netsetup-lab.ts [--runs N] [--exe 'COMMAND']
// (--exe: another way to run stockade, e.g. 'node dist/bundle/stockade.cjs'; STOCKADE_NET_TRACE=1
// is passed on: each apply's steps, printed for the first run.)
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { labAvailable, withLab } from '../lab/harness.ts';
import { STOCKADE_BIN } from '../lab/helpers/stockade-daemon.ts';
import { RTPROT_STOCKADE } from '../../src/kernel/rtnetlink/constants.ts';
import { netStateCommand, stateDiff } from './net-state.ts';
import { MIN_RUNS, alternate, describe, median, ratio, runsOption } from './stats.ts';

const PORTS = ['p0', 'p1', 'p2', 'p3'];
// What `stockade net apply` asks of the kernel for each bridge in one request: up, the bridge
// options of the config's defaults and its ownership mark (alias "stockade", which `ip link add`
// does not pass on: a `link set` after it). Set up after creation, a member-less bridge would keep
// its carrier; created up, it has none: the states would differ.
const BRIDGE = 'up type bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768';

function objects(): { config: unknown; empty: unknown; batch: string; teardown: string } {
  const ports = PORTS.map((name) => ({ name }));
  const config = { version: 1, interfaces: { ports, bridges: [] as unknown[] }, addresses: [] as unknown[], routes: [] as unknown[] };
  const batch: string[] = [];
  const teardown: string[] = [];
  PORTS.forEach((port, b) => {
    const br = `br${b + 1}`;
    config.interfaces.bridges.push({ name: br, members: [port] });
    batch.push(`link add ${br} ${BRIDGE}`, `link set ${br} alias stockade`, `link set ${port} master ${br}`);
    teardown.push(`link del ${br}`);
  });
  for (let k = 0; k < 64; k++) {
    const v = `v${100 + k}`;
    const net = k < 32 ? '192.0.2' : '198.51.100';
    const base = (k % 32) * 8;
    config.interfaces.bridges.push({ name: v, members: [] });
    config.addresses.push({ interface: v, static: [1, 2, 3, 4].map((i) => `${net}.${base + i}/29`) });
    config.routes.push({ destination: `203.0.113.${k * 4}/30`, gateway: `${net}.${base + 5}` });
    batch.push(`link add ${v} ${BRIDGE}`, `link set ${v} alias stockade`);
    for (const i of [1, 2, 3, 4]) batch.push(`addr add ${net}.${base + i}/29 brd + dev ${v}`);
    teardown.push(`link del ${v}`);
  }
  // proto 83: the routing protocol number Stockade marks its routes with.
  for (let k = 0; k < 64; k++) batch.push(`route add 203.0.113.${k * 4}/30 via ${k < 32 ? '192.0.2' : '198.51.100'}.${(k % 32) * 8 + 5} proto ${RTPROT_STOCKADE}`);
  return { config, empty: { version: 1, interfaces: { ports } }, batch: batch.join('\n') + '\n', teardown: teardown.join('\n') + '\n' };
}

interface ChildOut {
  stockade: number[];
  inproc: number[];
  ipbatch: number[];
  noop: number[];
  noopInproc: number[];
  noopWrites: number;
  trace: string;
  mismatches: string[];
}

/** In the lab namespace: the runs, printed as one JSON line. */
async function child(runs: number, exe: string[]): Promise<void> {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'stk-netsetup-lab-'));
  try {
    const { config, empty, batch, teardown } = objects();
    const f = { config: join(dir, 'net.json'), empty: join(dir, 'empty.json'), batch: join(dir, 'net.batch'), teardown: join(dir, 'teardown.batch') };
    writeFileSync(f.config, JSON.stringify(config));
    writeFileSync(f.empty, JSON.stringify(empty));
    writeFileSync(f.batch, batch);
    writeFileSync(f.teardown, teardown);
    /** One whole command, timed from spawn to exit on this process's monotonic clock. */
    const run = (argv: string[]): { ms: number; stdout: string; stderr: string } => {
      const t = performance.now();
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
      const ms = performance.now() - t;
      if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
      return { ms, stdout: r.stdout, stderr: r.stderr };
    };
    const state = (): string => run(['sh', '-c', netStateCommand()]).stdout;
    const apply = (file: string): { ms: number; inproc: number; writes: number; stderr: string } => {
      const r = run([...exe, 'net', 'apply', file, '--json']);
      const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ms: number; writes: number; error?: string };
      if (j.error !== undefined) throw new Error(j.error);
      return { ms: r.ms, inproc: j.ms, writes: j.writes, stderr: r.stderr };
    };
    const out: ChildOut = { stockade: [], inproc: [], ipbatch: [], noop: [], noopInproc: [], noopWrites: 0, trace: '', mismatches: [] };
    const before = state();
    let made: string | undefined;
    const check = (what: string, want: string, got: string): void => {
      if (got !== want) out.mismatches.push(`${what}:\n${stateDiff(want, got)}`);
    };
    const made1 = (side: string, round: number): void => {
      const s = state();
      if (made === undefined) made = s;
      else check(`after ${side}'s apply, round ${round + 1} (against the first)`, made, s);
    };
    await alternate(runs, {
      stockade: (round) => {
        const first = apply(f.config);
        out.stockade.push(first.ms);
        out.inproc.push(first.inproc);
        if (round === 0) out.trace = first.stderr.trim();
        made1('stockade', round);
        const again = apply(f.config);
        out.noop.push(again.ms);
        out.noopInproc.push(again.inproc);
        out.noopWrites = Math.max(out.noopWrites, again.writes);
        apply(f.empty); // Stockade deletes what it made.
        check(`after stockade's teardown, round ${round + 1}`, before, state());
      },
      ipbatch: (round) => {
        out.ipbatch.push(run(['/usr/bin/ip', '-batch', f.batch]).ms);
        made1('ip -batch', round);
        run(['/usr/bin/ip', '-batch', f.teardown]);
        check(`after ip -batch's teardown, round ${round + 1}`, before, state());
      },
    });
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '9' }, exe: { type: 'string', default: STOCKADE_BIN } }, allowPositionals: true });
const runs = runsOption(values.runs, MIN_RUNS);
if (positionals[0] === 'child') {
  await child(runs, values.exe.split(' '));
} else {
  const avail = labAvailable();
  if (!avail.ok) throw new Error(`lab not available: ${avail.reason}`);
  await withLab({ hosts: ['a', 'b'], links: PORTS.map((p) => [`a:${p}`, `b:${p}`] as [string, string]) }, async (lab) => {
    const env = ['env', '-u', 'STOCKADE_NATIVE', ...(process.env['STOCKADE_NET_TRACE'] ? ['STOCKADE_NET_TRACE=1'] : [])];
    const r = await lab.exec('a', [...env, process.execPath, fileURLToPath(import.meta.url), 'child', '--runs', String(runs), '--exe', values.exe], { timeoutMs: 1_800_000 });
    const o = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildOut;
    if (o.trace !== '') console.log(o.trace);
    console.log(`objects: 4 bridges over a port each, 64 bridges, 256 addresses, 64 routes; ${runs} rounds, alternating order`);
    console.log(`stockade net apply (whole command): ${describe(o.stockade)}; in-process apply ${describe(o.inproc)}`);
    console.log(`ip -batch (whole command):          ${describe(o.ipbatch)}`);
    console.log(`no-change re-apply (whole command): ${describe(o.noop)}; in-process ${describe(o.noopInproc)}; ${o.noopWrites} netlink writes at most`);
    const same = o.mismatches.length === 0 && o.noopWrites === 0;
    if (!same) {
      console.log(`STATES DIFFER (the ratio compares different work):\n${o.mismatches.slice(0, 5).join('\n')}${o.noopWrites > 0 ? `\nthe no-change apply wrote ${o.noopWrites} times` : ''}`);
      process.exitCode = 1;
    } else {
      console.log('state: ip -d link/addr/route the same after every apply of both sides, and as before after every teardown');
    }
    const s = median(o.stockade);
    const b = median(o.ipbatch);
    console.log(`BENCH netsetup-lab runs=${runs} stockade_ms=${s.toFixed(1)} ipbatch_ms=${b.toFixed(1)} ratio=${ratio(s, b)} inproc_ms=${median(o.inproc).toFixed(1)} noop_ms=${median(o.noop).toFixed(1)} same_state=${same ? 'yes' : 'no'}`);
  });
}
