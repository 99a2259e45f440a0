// The netsetup benchmark's shape on the host kernel, in a lab namespace, for quick iterations
// (the real one, test/bench/netsetup.ts, boots the appliance VM). The host kernel has no bonding
// or 802.1Q, so bridges stand in: 4 bridges over one port each (the bonds) and 64 member-less
// bridges (the VLANs) with 256 addresses and 64 routes; made by the reconcile (in-process, as
// `stockade net apply` runs it) and, interleaved, by `ip -batch`; then a re-apply with no change.
// Prints where the apply's time goes (each rtnetlink call: count and summed ms) and, last, a line
// like the VM benchmark's.
//   scripts/node-run test/bench/netsetup-lab.ts [--runs N] [--exe 'COMMAND']
// (STOCKADE_NET_TRACE=1: each in-process apply's steps on stderr; node flags such as
// --no-sparkplug --no-maglev --no-turbofan, as `net apply` runs, are passed to the child.)
// --exe: run `COMMAND net apply FILE --json` per apply, a new process each (cold code, as in the
// VM), e.g. --exe dist/x64/stockade, or --exe 'node dist/bundle/stockade.cjs'; its `ms` is timed.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { labAvailable, withLab } from '../lab/harness.ts';
import { addonPath } from '../lab/native/addon.ts';
import { median } from './stats.ts';

const PORTS = ['p0', 'p1', 'p2', 'p3'];

function objects(): { config: unknown; empty: unknown; batch: string; teardown: string } {
  const ports = PORTS.map((name) => ({ name }));
  const config = { version: 1, interfaces: { ports, bridges: [] as unknown[] }, addresses: [] as unknown[], routes: [] as unknown[] };
  const batch: string[] = [];
  const teardown: string[] = [];
  PORTS.forEach((port, b) => {
    const br = `br${b + 1}`;
    config.interfaces.bridges.push({ name: br, members: [port] });
    batch.push(`link add ${br} type bridge stp_state 0`, `link set ${port} master ${br}`, `link set ${br} up`);
    teardown.push(`link del ${br}`);
  });
  for (let k = 0; k < 64; k++) {
    const v = `v${100 + k}`;
    const net = k < 32 ? '192.0.2' : '198.51.100';
    const base = (k % 32) * 8;
    config.interfaces.bridges.push({ name: v, members: [] });
    config.addresses.push({ interface: v, static: [1, 2, 3, 4].map((i) => `${net}.${base + i}/29`) });
    config.routes.push({ destination: `203.0.113.${k * 4}/30`, gateway: `${net}.${base + 5}` });
    batch.push(`link add ${v} type bridge stp_state 0`, `link set ${v} up`);
    for (const i of [1, 2, 3, 4]) batch.push(`addr add ${net}.${base + i}/29 brd + dev ${v}`);
    teardown.push(`link del ${v}`);
  }
  for (let k = 0; k < 64; k++) batch.push(`route add 203.0.113.${k * 4}/30 via ${k < 32 ? '192.0.2' : '198.51.100'}.${(k % 32) * 8 + 5}`);
  return { config, empty: { version: 1, interfaces: { ports } }, batch: batch.join('\n') + '\n', teardown: teardown.join('\n') + '\n' };
}

/** In the lab namespace: the runs, printed as one JSON line. */
async function child(runs: number, exe: string[] | undefined): Promise<void> {
  const { execFileSync } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const { loadConfigText } = await import('../../src/config/load.ts');
  const { Rtnl } = await import('../../src/kernel/rtnetlink/client.ts');
  const { applyNetwork } = await import('../../src/net/apply.ts');
  const { desiredFromConfig } = await import('../../src/net/desired.ts');
  const { procSysctl } = await import('../../src/net/index.ts');
  const { config, empty, batch, teardown } = objects();
  writeFileSync('/tmp/stk-netsetup-lab.batch', batch);
  writeFileSync('/tmp/stk-netsetup-lab.teardown', teardown);
  const desired = (c: unknown) => {
    const r = loadConfigText(JSON.stringify(c));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return desiredFromConfig(r.config);
  };
  const full = desired(config);
  const none = desired(empty);
  /** Every call to the kernel: count and summed ms (concurrent calls overlap). */
  const profile = new Map<string, { n: number; ms: number }>();
  const trace = process.env['STOCKADE_NET_TRACE'] ? { trace: (step: string, ms: number) => process.stderr.write(`net apply: ${ms.toFixed(1)} ms ${step}\n`) } : {};
  const apply = async (d: typeof full): Promise<{ ms: number; writes: number; datagrams: number }> => {
    const rtnl = Rtnl.open();
    const timed = new Proxy(rtnl, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          const r = (v as (...a: unknown[]) => unknown).apply(target, args);
          if (!(r instanceof Promise)) return r;
          const t = performance.now();
          return r.finally(() => {
            const p = profile.get(String(prop)) ?? { n: 0, ms: 0 };
            p.n++;
            p.ms += performance.now() - t;
            profile.set(String(prop), p);
          });
        };
      },
    });
    try {
      const r = await applyNetwork(d, { kernel: timed, sysctl: procSysctl }, trace);
      return { ms: r.ms, writes: r.writes, datagrams: rtnl.sock.datagramsSent };
    } finally {
      rtnl.close();
    }
  };
  const time = (argv: string[]): number => {
    const t = performance.now();
    execFileSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    return performance.now() - t;
  };
  const out = { firstWrites: 0, firstDatagrams: 0, stockade: [] as number[], noop: [] as number[], noopWrites: 0, ipbatch: [] as number[], profiles: [] as unknown[], wall: [] as number[], noopWall: [] as number[] };
  if (exe !== undefined) {
    // Each apply in a new process, as the VM benchmark runs it: cold code, nothing cached.
    writeFileSync('/tmp/stk-netsetup-lab.json', JSON.stringify(config));
    writeFileSync('/tmp/stk-netsetup-lab-empty.json', JSON.stringify(empty));
    const cli = (file: string): { ms: number; writes: number; wall: number } => {
      const t = performance.now();
      const text = execFileSync(exe[0]!, [...exe.slice(1), 'net', 'apply', file, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      const wall = performance.now() - t;
      const r = JSON.parse(text.trim().split('\n').at(-1)!) as { ms: number; writes: number; error?: string };
      if (r.error !== undefined) throw new Error(r.error);
      return { ms: r.ms, writes: r.writes, wall };
    };
    for (let i = 0; i < runs; i++) {
      const first = cli('/tmp/stk-netsetup-lab.json');
      out.stockade.push(first.ms);
      out.wall.push(first.wall);
      const again = cli('/tmp/stk-netsetup-lab.json');
      out.noop.push(again.ms);
      out.noopWall.push(again.wall);
      out.noopWrites = Math.max(out.noopWrites, again.writes);
      cli('/tmp/stk-netsetup-lab-empty.json');
      out.ipbatch.push(time(['ip', '-batch', '/tmp/stk-netsetup-lab.batch']));
      time(['ip', '-batch', '/tmp/stk-netsetup-lab.teardown']);
    }
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  for (let i = 0; i < runs; i++) {
    profile.clear();
    const first = await apply(full);
    out.stockade.push(first.ms);
    [out.firstWrites, out.firstDatagrams] = [first.writes, first.datagrams];
    out.profiles.push(Object.fromEntries([...profile].map(([k, v]) => [k, `${v.n}x ${v.ms.toFixed(1)}ms`])));
    profile.clear();
    const again = await apply(full);
    out.noop.push(again.ms);
    out.noopWrites = Math.max(out.noopWrites, again.writes);
    out.profiles.push(Object.fromEntries([...profile].map(([k, v]) => [k, `${v.n}x ${v.ms.toFixed(1)}ms`])));
    await apply(none);
    out.ipbatch.push(time(['ip', '-batch', '/tmp/stk-netsetup-lab.batch']));
    time(['ip', '-batch', '/tmp/stk-netsetup-lab.teardown']);
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '5' }, exe: { type: 'string' } }, allowPositionals: true });
const runs = Number(values.runs);
const exe = values.exe?.split(' ');
if (positionals[0] === 'child') {
  await child(runs, exe);
} else {
  const avail = labAvailable();
  if (!avail.ok) throw new Error(`lab not available: ${avail.reason}`);
  await withLab({ hosts: ['a', 'b'], links: PORTS.map((p) => [`a:${p}`, `b:${p}`] as [string, string]) }, async (lab) => {
    const r = await lab.exec('a', ['env', `STOCKADE_NATIVE=${addonPath()}`, ...(process.env['STOCKADE_NET_TRACE'] ? ['STOCKADE_NET_TRACE=1'] : []), process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), 'child', '--runs', String(runs), ...(values.exe !== undefined ? ['--exe', values.exe] : [])], { timeoutMs: 600_000 });
    const o = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { firstWrites: number; firstDatagrams: number; stockade: number[]; noop: number[]; noopWrites: number; ipbatch: number[]; profiles: unknown[]; wall: number[]; noopWall: number[] };
    if (r.stderr.trim() !== '') console.log(r.stderr.trimEnd());
    for (const p of o.profiles) console.log(JSON.stringify(p));
    if (o.wall.length > 0) console.log(`whole command: apply ${o.wall.map((x) => x.toFixed(0)).join(' ')} ms; no-change ${o.noopWall.map((x) => x.toFixed(0)).join(' ')} ms`);
    if (o.firstWrites > 0) console.log(`first apply: ${o.firstWrites} netlink writes in ${o.firstDatagrams} datagrams sent (reads included)`);
    console.log(`stockade ${o.stockade.map((x) => x.toFixed(1)).join(' ')} ms; no-change ${o.noop.map((x) => x.toFixed(1)).join(' ')} ms (${o.noopWrites} writes); ip -batch ${o.ipbatch.map((x) => x.toFixed(1)).join(' ')} ms`);
    const s = median(o.stockade);
    const b = median(o.ipbatch);
    console.log(`min: stockade ${Math.min(...o.stockade).toFixed(1)} ms, no-change ${Math.min(...o.noop).toFixed(1)} ms, ip -batch ${Math.min(...o.ipbatch).toFixed(1)} ms`);
    console.log(`BENCH netsetup-lab stockade_ms=${s.toFixed(1)} ipbatch_ms=${b.toFixed(1)} ratio=${(s / b).toFixed(2)} noop_ms=${median(o.noop).toFixed(1)}`);
  });
}
