// The appliance image: sizes (the disk image as built, its allocated blocks, the root slot's
// squashfs, and the image compressed with gzip and zstd as one would ship it; xz with --xz, slower),
// the time from qemu start to the boot-complete line (TCG; one VM at a time, so the boots do not
// share the CPUs; --runs boots per board, the boards alternating, median and spread), and the
// idle memory of `stockade daemon` inside the VM running the HA fixture
// (test/fixtures/config/ha-node-a.json, its ports renamed to the board's: bond, VLANs, VRRP,
// conntrack sync, LVS): written to /data/config.json, applied with `stockade net apply`, the
// daemon restarted by init (it respawns it), checked to run the fixture's VRRP instances, left
// idle, then RSS, PSS and anonymous memory from /proc/PID/smaps_rollup. Not pass/fail. Last line:
//   BENCH image x86_64_mb=<image MB> arm64_mb=<image MB> boot_s=<x86_64 s> idle_rss_mb=<MB> ...
// Sizes in MiB. Options: --runs N (boots per board, default 7), --xz, --idle-s S (default 10).
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readGpt } from '../../scripts/image/bootenv.ts';
import { BOARDS, ensureImages } from '../image/images.ts';
import { boardFile, imageFor, root, startVms } from '../image/vm.ts';
import type { Vm } from '../image/vm.ts';
import { MIN_RUNS, alternate, describe, median, runsOption } from './stats.ts';
import { putFile } from './vm-file.ts';

const MB = 1024 * 1024;
const { values } = parseArgs({ options: { runs: { type: 'string', default: String(MIN_RUNS) }, xz: { type: 'boolean', default: false }, 'idle-s': { type: 'string', default: '10' } } });
const runs = runsOption(values.runs, MIN_RUNS);
const IDLE_S = Number(values['idle-s']);

function mb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}

/** Bytes a compressor makes of the image (streamed through, nothing written). */
function compressed(tool: string[], image: string): { bytes: number; seconds: number } {
  const t0 = Date.now();
  const r = spawnSync('sh', ['-c', `${tool.join(' ')} < "$1" | wc -c`, 'sh', image], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${tool[0]} failed: ${r.stderr}`);
  return { bytes: Number(r.stdout.trim()), seconds: (Date.now() - t0) / 1000 };
}

/** The squashfs in root-a: its superblock says how many bytes it uses (bytes_used at offset 40). */
function squashfsBytes(image: string): number {
  const slot = readGpt(image).find((p) => p.name === 'root-a');
  if (!slot) throw new Error(`${image}: no root-a`);
  const fd = openSync(image, 'r');
  try {
    const sb = Buffer.alloc(96);
    readSync(fd, sb, 0, sb.length, slot.firstLba * 512);
    if (sb.readUInt32LE(0) !== 0x73717368) throw new Error(`${image}: root-a is not squashfs`);
    return Number(sb.readBigUInt64LE(40));
  } finally {
    closeSync(fd);
  }
}

/** The HA fixture with its ports (eth0..eth3) renamed to the board's port labels, in order. */
function haConfigFor(board: string): { text: string; instances: string[] } {
  const labels = boardFile(board).ports.map((p) => p.label);
  let text = readFileSync(join(root, 'test', 'fixtures', 'config', 'ha-node-a.json'), 'utf8').replace(/^\s*"\$schema".*\n/m, '');
  for (let i = 0; i < 4; i++) {
    if (labels[i] === undefined) throw new Error(`board ${board} has fewer than 4 ports`);
    text = text.replace(new RegExp(`"eth${i}"`, 'g'), JSON.stringify(labels[i]));
  }
  const config = JSON.parse(text) as { vrrp?: { instances?: Array<{ name: string }> } };
  return { text, instances: (config.vrrp?.instances ?? []).map((x) => x.name) };
}

interface Mem { rss: number; pss: number; anon: number }

interface BootResult {
  seconds: number;
  /** The daemon running the HA fixture, idle; MiB. */
  mem: Mem;
}

async function daemonPid(vm: Vm): Promise<number | undefined> {
  // The daemon, not the console or a CLI: the process whose command line has "daemon".
  const r = await vm.run('for p in $(pidof stockade); do tr "\\0" " " < /proc/$p/cmdline | grep -q " daemon" && echo $p; done');
  const pid = Number(r.output.trim().split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function bootOnce(board: string): Promise<BootResult> {
  const vms = await startVms({ vms: { a: { board } } });
  const vm = vms.vm('a');
  try {
    // A bound, not a figure: under TCG on a loaded machine a boot took over 4 minutes.
    await vm.waitFor(/stockade: boot complete \([^)]*\)/, 1_200_000);
    const seconds = vm.uptime();
    await vm.login(300_000);
    const ha = haConfigFor(board);
    await putFile(vm, '/data/config.json', ha.text);
    const check = await vm.run('stockade config validate /data/config.json 2>&1', 120_000);
    if (check.code !== 0) throw new Error(`the HA fixture does not validate on ${board}:\n${check.output}`);
    const applied = await vm.run('stockade net apply /data/config.json 2>&1', 300_000);
    if (applied.code !== 0) throw new Error(`stockade net apply of the HA fixture failed on ${board}:\n${applied.output}`);
    // init starts the daemon after the boot; under TCG it may not be up yet.
    let old: number | undefined;
    for (const until = Date.now() + 300_000; (old = await daemonPid(vm)) === undefined;) {
      if (Date.now() > until) throw new Error(`no stockade daemon running on ${board} after boot:\n${(await vm.run('tail -20 /run/stockade.log')).output}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    // init respawns it, now on /data/config.json.
    await vm.run(`kill ${old}`);
    let pid: number | undefined;
    const deadline = Date.now() + 120_000;
    for (;;) {
      pid = await daemonPid(vm);
      if (pid !== undefined && pid !== old) {
        const v = await vm.run('stockade ctl vrrp --json 2>/dev/null', 30_000);
        const names = v.code === 0 ? (JSON.parse(v.output.trim()) as { instances: Array<{ name: string }> }).instances.map((x) => x.name) : [];
        if (ha.instances.every((n) => names.includes(n))) break;
      }
      if (Date.now() > deadline) throw new Error(`the daemon did not come up with the HA fixture's VRRP instances (${ha.instances.join(', ')}) on ${board}:\n${(await vm.run('tail -20 /run/stockade.log')).output}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const smaps = (await vm.run(`cat /proc/${pid}/smaps_rollup`)).output;
    const field = (name: string): number => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(smaps);
      if (m === null) throw new Error(`no ${name} in the daemon's smaps_rollup:\n${smaps}`);
      return Number(m[1]) / 1024;
    };
    return { seconds, mem: { rss: field('Rss'), pss: field('Pss'), anon: field('Anonymous') } };
  } finally {
    await vms.destroy();
  }
}

await ensureImages();
const sizes = new Map<string, number>();
for (const board of BOARDS) {
  const image = imageFor(board);
  const st = statSync(image);
  sizes.set(board, st.size);
  const packed = [['gzip', '-6'], ['zstd', '-3', '-T0'], ...(values.xz ? [['xz', '-6', '-T0']] : [])].map((tool) => {
    const c = compressed([...tool, '-c'], image);
    return `${tool.filter((t) => t !== '-T0').join(' ')} ${mb(c.bytes)} MiB (${c.seconds.toFixed(0)} s)`;
  });
  console.log(`${board}: image ${mb(st.size)} MiB (allocated ${mb(st.blocks * 512)} MiB), root squashfs ${mb(squashfsBytes(image))} MiB (each slot); ${packed.join(', ')}`);
}

// The boards alternate which boots first, round by round (one VM at a time).
const boots = await alternate(runs, Object.fromEntries(BOARDS.map((b) => [b, () => bootOnce(b)])) as Record<(typeof BOARDS)[number], () => Promise<BootResult>>, (board, round, b) => {
  console.log(`boot ${round + 1} ${board}: ${b.seconds.toFixed(1)} s to boot complete; daemon with the HA fixture, idle ${IDLE_S} s: RSS ${b.mem.rss.toFixed(1)} PSS ${b.mem.pss.toFixed(1)} anon ${b.mem.anon.toFixed(1)} MiB`);
});
for (const board of BOARDS) {
  const list = boots[board];
  console.log(`${board}: qemu start -> boot complete ${describe(list.map((b) => b.seconds), 's', 1)} (TCG); daemon with the HA fixture, idle: RSS ${describe(list.map((b) => b.mem.rss), 'MiB', 1)}, PSS ${describe(list.map((b) => b.mem.pss), 'MiB', 1)}, anon ${describe(list.map((b) => b.mem.anon), 'MiB', 1)}`);
}

const x86 = boots['x86_64-generic'];
const arm = boots['arm64-generic'];
console.log(`BENCH image runs=${runs} x86_64_mb=${mb(sizes.get('x86_64-generic')!)} arm64_mb=${mb(sizes.get('arm64-generic')!)} ` +
  `boot_s=${median(x86.map((b) => b.seconds)).toFixed(1)} arm64_boot_s=${median(arm.map((b) => b.seconds)).toFixed(1)} ` +
  `idle_rss_mb=${median(x86.map((b) => b.mem.rss)).toFixed(1)} idle_pss_mb=${median(x86.map((b) => b.mem.pss)).toFixed(1)} idle_anon_mb=${median(x86.map((b) => b.mem.anon)).toFixed(1)}`);
