// Network setup in the appliance VM (Debian's kernel: bonding, 8021q): 4 bonds + 64 VLANs + 256
// addresses + 64 routes made by `stockade net apply` and, in the same run, the same objects by
// `ip -batch`, several times each, interleaved; then a re-apply with no change (which must send
// no netlink writes).
//
// What is timed: stockade_ms and noop_ms are the apply itself as `stockade net apply --json`
// measures it in-process (its `ms`: first dump to last ack); ipbatch_ms is the whole `ip -batch`
// command under busybox `time` (10 ms resolution), its process start included (a few ms for a C
// program). The whole `stockade net apply` command, Node's start under TCG included, is printed
// too (wall_*), as is the ratio of those. qemu TCG makes both sides many times slower than on
// hardware. (`--trace` prints where each apply's time goes, from STOCKADE_NET_TRACE=1;
// test/bench/netsetup-lab.ts is the same shape on the host, for quick iterations.)
//
// `ip -batch` needs iproute2 in the image (busybox's ip has no -batch). Without it the line says
// ipbatch_ms=NA ratio=NA.
import { parseArgs } from 'node:util';
import { ensureImages } from '../image/images.ts';
import { startVms } from '../image/vm.ts';
import type { Vm } from '../image/vm.ts';
import { median } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, trace: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const PORTS = ['wan', 'lan', 'sync', 'mgmt'];

/** One bond per port, 16 VLANs per bond, 4 addresses per VLAN (a /29 each), one route per VLAN. */
function objects(): { config: unknown; batch: string; teardown: string } {
  const config = { version: 1, interfaces: { ports: PORTS.map((name) => ({ name })), bonds: [] as unknown[], vlans: [] as unknown[] }, addresses: [] as unknown[], routes: [] as unknown[] };
  const batch: string[] = [];
  const teardown: string[] = [];
  PORTS.forEach((port, b) => {
    const bond = `bond${b + 1}`;
    config.interfaces.bonds.push({ name: bond, mode: 'active-backup', members: [port], miimon_ms: 100 });
    batch.push(`link add ${bond} type bond mode active-backup miimon 100`, `link set ${port} down`, `link set ${port} master ${bond}`, `link set ${bond} up`);
    teardown.push(`link del ${bond}`);
    for (let v = 0; v < 16; v++) {
      const k = b * 16 + v;
      const vlan = `v${100 + k}`;
      const net = k < 32 ? '192.0.2' : '198.51.100';
      const base = (k % 32) * 8;
      config.interfaces.vlans.push({ name: vlan, parent: bond, id: 100 + k });
      config.addresses.push({ interface: vlan, static: [1, 2, 3, 4].map((i) => `${net}.${base + i}/29`) });
      config.routes.push({ destination: `203.0.113.${k * 4}/30`, gateway: `${net}.${base + 5}` });
      batch.push(`link add link ${bond} name ${vlan} type vlan id ${100 + k}`, `link set ${vlan} up`);
      for (const i of [1, 2, 3, 4]) batch.push(`addr add ${net}.${base + i}/29 brd + dev ${vlan}`);
    }
  });
  PORTS.forEach((_, b) => {
    for (let v = 0; v < 16; v++) {
      const k = b * 16 + v;
      batch.push(`route add 203.0.113.${k * 4}/30 via ${k < 32 ? '192.0.2' : '198.51.100'}.${(k % 32) * 8 + 5}`);
    }
  });
  return { config, batch: batch.join('\n') + '\n', teardown: teardown.join('\n') + '\n' };
}

async function put(vm: Vm, path: string, text: string): Promise<void> {
  const b64 = Buffer.from(text).toString('base64');
  await vm.run(`rm -f ${path}.b64`);
  // The console takes lines of up to 4095 characters.
  for (let i = 0; i < b64.length; i += 2000) await vm.run(`printf '%s' '${b64.slice(i, i + 2000)}' >> ${path}.b64`);
  const r = await vm.run(`base64 -d ${path}.b64 > ${path}`);
  if (r.code !== 0) throw new Error(`writing ${path} failed: ${r.output}`);
}

/** Runs a command under busybox `time`; returns its wall time in ms. */
async function timed(vm: Vm, command: string): Promise<{ ms: number; output: string }> {
  const r = await vm.run(`time sh -c '${command}' 2>/tmp/time.txt; cat /tmp/time.txt`, 300_000);
  const m = /real\s+(\d+)m\s*([\d.]+)s/.exec(r.output);
  if (r.code !== 0 || !m) throw new Error(`\`${command}\` failed:\n${r.output}`);
  return { ms: (Number(m[1]) * 60 + Number(m[2])) * 1000, output: r.output };
}

await ensureImages(['x86_64-generic']);
const vms = await startVms({ vms: { a: { board: 'x86_64-generic', memoryMb: 1024 } } });
try {
  const vm = vms.vm('a');
  await vm.waitFor(/stockade: boot complete/, 240_000);
  await vm.login();
  const { config, batch, teardown } = objects();
  await put(vm, '/tmp/net.json', JSON.stringify(config));
  await put(vm, '/tmp/empty.json', JSON.stringify({ version: 1, interfaces: { ports: PORTS.map((name) => ({ name })) } }));
  await put(vm, '/tmp/net.batch', batch);
  await put(vm, '/tmp/teardown.batch', teardown);
  // By its path: busybox's ash runs its own applets before PATH (standalone shell), so a bare
  // `ip` in a script is busybox's even with iproute2 installed.
  const hasBatch = /iproute2/.test((await vm.run('/usr/bin/ip -V 2>&1')).output);

  const stockade: number[] = [];
  const ipbatch: number[] = [];
  const noop: number[] = [];
  const wall: number[] = [];
  const noopWall: number[] = [];
  let noopWrites = -1;
  /** `stockade net apply --json` under `time`: the command's wall time and the apply's own report. */
  const applyTimed = async (): Promise<{ wall: number; ms: number; writes: number }> => {
    // --trace: where each apply's time goes (STOCKADE_NET_TRACE, on stderr), printed here.
    const t = await timed(vm, `${values.trace ? 'STOCKADE_NET_TRACE=1 ' : ''}stockade net apply /tmp/net.json --json >/tmp/apply.out 2>/tmp/apply.err`);
    if (values.trace) console.log((await vm.run('cat /tmp/apply.err')).output.trim());
    const out = (await vm.run('cat /tmp/apply.out')).output;
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number; writes: number };
    return { wall: t.ms, ms: r.ms, writes: r.writes };
  };
  for (let i = 0; i < runs; i++) {
    const first = await applyTimed();
    stockade.push(first.ms);
    wall.push(first.wall);
    const again = await applyTimed();
    noopWrites = Math.max(noopWrites, again.writes);
    noop.push(again.ms);
    noopWall.push(again.wall);
    // Back to no bonds or VLANs: Stockade deletes what it made.
    await timed(vm, 'stockade net apply /tmp/empty.json >/dev/null');
    if (hasBatch) {
      ipbatch.push((await timed(vm, '/usr/bin/ip -batch /tmp/net.batch')).ms);
      await timed(vm, '/usr/bin/ip -batch /tmp/teardown.batch');
    }
  }
  const s = median(stockade);
  const n = median(noop);
  const b = hasBatch ? median(ipbatch) : undefined;
  const w = median(wall);
  console.log(`runs=${runs} objects: 4 bonds, 64 VLANs, 256 addresses, 64 routes; stockade apply ${stockade.map((x) => x.toFixed(0)).join(' ')} ms ` +
    `(whole command ${wall.map((x) => x.toFixed(0)).join(' ')} ms); no-change apply ${noop.map((x) => x.toFixed(1)).join(' ')} ms ` +
    `(whole command ${noopWall.map((x) => x.toFixed(0)).join(' ')} ms; ${noopWrites} netlink writes); ` +
    `ip -batch ${hasBatch ? `${ipbatch.map((x) => x.toFixed(0)).join(' ')} ms` : 'not in the image (busybox ip has no -batch)'}`);
  console.log(`wall_stockade_ms=${w.toFixed(0)} wall_noop_ms=${median(noopWall).toFixed(0)} wall_ratio=${b === undefined ? 'NA' : (w / b).toFixed(2)}`);
  console.log(`BENCH netsetup stockade_ms=${s.toFixed(0)} ipbatch_ms=${b === undefined ? 'NA' : b.toFixed(0)} ratio=${b === undefined ? 'NA' : (s / b).toFixed(2)} noop_ms=${n.toFixed(0)}`);
} finally {
  await vms.destroy();
}
