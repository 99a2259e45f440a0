// Network setup in the appliance VM (Debian's kernel: bonding, 8021q): 4 bonds + 64 VLANs + 256
// addresses + 64 routes, made by the whole `stockade net apply FILE --json` command and by the
// whole `/usr/bin/ip -batch FILE` command making the same objects, both started the same way
// (`sh -c` under busybox `time`, 10 ms resolution, one clock) in alternating order, --runs rounds
// (at least 7), each from the same state. After each apply the VM's `ip -d link`, `ip addr` and
// `ip route` (normalized: test/bench/net-state.ts) must be the same for both sides and every run,
// and after each teardown as before. The ratio is whole command over whole command; the apply's
// own in-process figure (`--json`'s ms: first dump to last ack) and the no-change re-apply (a whole
// command too, which must write nothing) are printed beside it. qemu TCG makes both sides many
// times slower than on hardware. (`--trace` prints where the first apply's time goes, from
// STOCKADE_NET_TRACE=1; test/bench/netsetup-lab.ts is the same shape on the host.)
import { parseArgs } from 'node:util';
import { ensureImages } from '../image/images.ts';
import { startVms } from '../image/vm.ts';
import type { Vm } from '../image/vm.ts';
import { RTPROT_STOCKADE } from '../../src/kernel/rtnetlink/constants.ts';
import { netStateCommand } from './net-state.ts';
import { putFile } from './vm-file.ts';
import { MIN_RUNS, alternate, describe, median, ratio, runsOption } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, trace: { type: 'boolean', default: false } } });
const runs = runsOption(values.runs, MIN_RUNS);
const PORTS = ['wan', 'lan', 'sync', 'mgmt'];

/** One bond per port, 16 VLANs per bond, 4 addresses per VLAN (a /29 each), one route per VLAN. */
function objects(): { config: unknown; batch: string; teardown: string } {
  const config = { version: 1, interfaces: { ports: PORTS.map((name) => ({ name })), bonds: [] as unknown[], vlans: [] as unknown[] }, addresses: [] as unknown[], routes: [] as unknown[] };
  const batch: string[] = [];
  const teardown: string[] = [];
  PORTS.forEach((port, b) => {
    const bond = `bond${b + 1}`;
    config.interfaces.bonds.push({ name: bond, mode: 'active-backup', members: [port], miimon_ms: 100 });
    // As `stockade net apply` makes them: created up, its ownership mark (alias "stockade", which
    // `ip link add` does not pass on: a `link set` after it), routes with its protocol number.
    batch.push(`link add ${bond} up type bond mode active-backup miimon 100`, `link set ${bond} alias stockade`, `link set ${port} down`, `link set ${port} master ${bond}`);
    // Deleting the bond leaves its member down; stockade's teardown (the empty config) brings the port back up.
    teardown.push(`link del ${bond}`, `link set ${port} up`);
    for (let v = 0; v < 16; v++) {
      const k = b * 16 + v;
      const vlan = `v${100 + k}`;
      const net = k < 32 ? '192.0.2' : '198.51.100';
      const base = (k % 32) * 8;
      config.interfaces.vlans.push({ name: vlan, parent: bond, id: 100 + k });
      config.addresses.push({ interface: vlan, static: [1, 2, 3, 4].map((i) => `${net}.${base + i}/29`) });
      config.routes.push({ destination: `203.0.113.${k * 4}/30`, gateway: `${net}.${base + 5}` });
      batch.push(`link add link ${bond} name ${vlan} up type vlan id ${100 + k}`, `link set ${vlan} alias stockade`);
      for (const i of [1, 2, 3, 4]) batch.push(`addr add ${net}.${base + i}/29 brd + dev ${vlan}`);
    }
  });
  PORTS.forEach((_, b) => {
    for (let v = 0; v < 16; v++) {
      const k = b * 16 + v;
      batch.push(`route add 203.0.113.${k * 4}/30 via ${k < 32 ? '192.0.2' : '198.51.100'}.${(k % 32) * 8 + 5} proto ${RTPROT_STOCKADE}`);
    }
  });
  return { config, batch: batch.join('\n') + '\n', teardown: teardown.join('\n') + '\n' };
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
  // A bound, not a figure: under TCG on a loaded machine a boot took over 4 minutes.
  await vm.waitFor(/stockade: boot complete/, 1_200_000);
  await vm.login(300_000);
  const { config, batch, teardown } = objects();
  await putFile(vm, '/tmp/net.json', JSON.stringify(config));
  await putFile(vm, '/tmp/empty.json', JSON.stringify({ version: 1, interfaces: { ports: PORTS.map((name) => ({ name })) } }));
  await putFile(vm, '/tmp/net.batch', batch);
  await putFile(vm, '/tmp/teardown.batch', teardown);
  // By its path: busybox's ash runs its own applets before PATH (standalone shell), so a bare
  // `ip` in a script is busybox's even with iproute2 installed.
  if (!/iproute2/.test((await vm.run('/usr/bin/ip -V 2>&1')).output)) throw new Error('no iproute2 `ip` in the image: nothing to compare with (busybox ip has no -batch)');

  const mismatches: string[] = [];
  /** The state into FILE; when REF is given, the differences from it recorded. */
  const state = async (file: string, what: string, ref?: string): Promise<void> => {
    // Read until two reads a second apart agree: the kernel's link watch moves a new VLAN's
    // operstate (UNKNOWN -> UP) a moment after the command returns, outside the timed part.
    const r = await vm.run(`${netStateCommand()} > ${file}; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1; ${netStateCommand()} > ${file}.again; cmp -s ${file} ${file}.again && break; mv ${file}.again ${file}; done`, 120_000);
    if (r.code !== 0) throw new Error(`reading the state: ${r.output}`);
    if (ref === undefined) return;
    const d = await vm.run(`cmp -s ${ref} ${file} || diff ${ref} ${file} | head -20`, 60_000);
    if (d.output.trim() !== '') mismatches.push(`${what}:\n${d.output.trim()}`);
  };
  // The starting state is the empty config's: the boot's own config gave mgmt an address that the
  // first `net apply` (of a config without it) removes, and the teardowns must end where both began.
  const reset = await vm.run('stockade net apply /tmp/empty.json >/dev/null 2>&1', 300_000);
  if (reset.code !== 0) throw new Error('stockade net apply of the empty config failed');
  await state('/tmp/state.before', 'before');
  let made = false;
  const afterApply = async (side: string, round: number): Promise<void> => {
    if (!made) {
      await state('/tmp/state.made', 'first apply');
      made = true;
    } else {
      await state('/tmp/state.now', `after ${side}'s apply, round ${round + 1} (against the first)`, '/tmp/state.made');
    }
  };
  let noopWrites = 0;
  const inproc: number[] = [];
  const noop: number[] = [];
  const noopInproc: number[] = [];
  /** `stockade net apply FILE --json` under `time`: the command's wall time and the apply's own report. */
  const apply = async (file: string, trace = false): Promise<{ wall: number; ms: number; writes: number }> => {
    const t = await timed(vm, `${trace ? 'STOCKADE_NET_TRACE=1 ' : ''}stockade net apply ${file} --json >/tmp/apply.out 2>/tmp/apply.err`);
    if (trace) console.log((await vm.run('cat /tmp/apply.err')).output.trim());
    const out = (await vm.run('cat /tmp/apply.out')).output;
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number; writes: number };
    return { wall: t.ms, ms: r.ms, writes: r.writes };
  };
  const r = await alternate(runs, {
    stockade: async (round) => {
      const first = await apply('/tmp/net.json', values.trace && round === 0);
      inproc.push(first.ms);
      await afterApply('stockade', round);
      const again = await apply('/tmp/net.json');
      noopWrites = Math.max(noopWrites, again.writes);
      noop.push(again.wall);
      noopInproc.push(again.ms);
      // Back to no bonds or VLANs: Stockade deletes what it made.
      await apply('/tmp/empty.json');
      await state('/tmp/state.now', `after stockade's teardown, round ${round + 1}`, '/tmp/state.before');
      return first.wall;
    },
    ipbatch: async (round) => {
      const t = await timed(vm, '/usr/bin/ip -batch /tmp/net.batch');
      await afterApply('ip -batch', round);
      await timed(vm, '/usr/bin/ip -batch /tmp/teardown.batch');
      await state('/tmp/state.now', `after ip -batch's teardown, round ${round + 1}`, '/tmp/state.before');
      return t.ms;
    },
  }, (side, round, ms) => console.log(`round ${round + 1} ${side}: ${ms.toFixed(0)} ms`));
  console.log(`objects: 4 bonds, 64 VLANs, 256 addresses, 64 routes; ${runs} rounds, alternating order`);
  console.log(`stockade net apply (whole command): ${describe(r.stockade, 'ms', 0)}; in-process apply ${describe(inproc, 'ms', 0)}`);
  console.log(`ip -batch (whole command):          ${describe(r.ipbatch, 'ms', 0)}`);
  console.log(`no-change re-apply (whole command): ${describe(noop, 'ms', 0)}; in-process ${describe(noopInproc, 'ms', 1)}; ${noopWrites} netlink writes at most`);
  const same = mismatches.length === 0 && noopWrites === 0;
  if (!same) {
    console.log(`STATES DIFFER (the ratio compares different work):\n${mismatches.slice(0, 5).join('\n')}${noopWrites > 0 ? `\nthe no-change apply wrote ${noopWrites} times` : ''}`);
    process.exitCode = 1;
  } else {
    console.log('state: ip -d link/addr/route the same after every apply of both sides, and as before after every teardown');
  }
  const s = median(r.stockade);
  const b = median(r.ipbatch);
  console.log(`BENCH netsetup runs=${runs} stockade_ms=${s.toFixed(0)} ipbatch_ms=${b.toFixed(0)} ratio=${ratio(s, b)} inproc_ms=${median(inproc).toFixed(0)} noop_ms=${median(noop).toFixed(0)} same_state=${same ? 'yes' : 'no'}`);
} finally {
  await vms.destroy();
}
