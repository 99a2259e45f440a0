// The appliance image: sizes (the disk image as built, its allocated blocks, the root slot's
// squashfs, and the image compressed with gzip and zstd as one would ship it; xz with --xz, slower), the time from qemu
// start to the boot-complete line (TCG; one VM at a time, so the boots do not share the CPUs), and
// stockade's RSS at idle inside the VM. Not pass/fail. Last line:
//   BENCH image x86_64_mb=<image MB> arm64_mb=<image MB> boot_s=<x86_64 s> idle_rss_mb=<MB>
// Sizes in MiB. Options: --runs N (boots per board, default 1; the median is reported), --xz.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readGpt } from '../../scripts/image/bootenv.ts';
import { BOARDS, ensureImages } from '../image/images.ts';
import { imageFor, startVms } from '../image/vm.ts';
import { median } from './stats.ts';

const MB = 1024 * 1024;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' }, xz: { type: 'boolean', default: false } } });
const runs = Math.max(1, Number(values.runs));

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

interface BootResult {
  seconds: number;
  rssMb: number;
  rssWhat: string;
}

async function bootOnce(board: string): Promise<BootResult> {
  const vms = await startVms({ vms: { a: { board } } });
  const vm = vms.vm('a');
  try {
    await vm.waitFor(/stockade: boot complete \([^)]*\)/, 300_000);
    const seconds = vm.uptime();
    await vm.login();
    // A stockade daemon, once it exists, is what idles on the box; until then, a stockade process
    // that has started its runtime and waits (on a FIFO it was asked to read) stands in for one.
    const pids = (await vm.run('pidof stockade')).output.trim();
    if (pids) {
      const rss = await vm.run(`for p in ${pids}; do grep VmRSS /proc/$p/status; done`);
      const kb = Math.max(...[...rss.output.matchAll(/VmRSS:\s+(\d+)/g)].map((m) => Number(m[1])));
      return { seconds, rssMb: kb / 1024, rssWhat: `largest running stockade process (PIDs ${pids})` };
    }
    const r = await vm.run('mkfifo /tmp/bench.fifo && (stockade config validate /tmp/bench.fifo >/dev/null 2>&1 &) && sleep 5 && grep VmRSS /proc/$(pidof stockade)/status; echo "{}" > /tmp/bench.fifo', 60_000);
    const kb = Number(/VmRSS:\s+(\d+)/.exec(r.output)?.[1] ?? NaN);
    return { seconds, rssMb: kb / 1024, rssWhat: 'no stockade daemon yet: `stockade config validate FIFO` idle after start, waiting on its input' };
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

const boots = new Map<string, BootResult[]>();
for (const board of BOARDS) {
  const list: BootResult[] = [];
  for (let i = 0; i < runs; i++) list.push(await bootOnce(board));
  boots.set(board, list);
  const s = list.map((b) => b.seconds);
  console.log(`${board}: qemu start -> boot complete ${median(s).toFixed(1)} s (TCG, ${runs} run${runs > 1 ? 's' : ''}: ${s.map((x) => x.toFixed(1)).join(', ')}); ` +
    `idle RSS ${median(list.map((b) => b.rssMb)).toFixed(1)} MiB (${list[0]!.rssWhat})`);
}

const x86 = boots.get('x86_64-generic')!;
console.log(`BENCH image x86_64_mb=${mb(sizes.get('x86_64-generic')!)} arm64_mb=${mb(sizes.get('arm64-generic')!)} ` +
  `boot_s=${median(x86.map((b) => b.seconds)).toFixed(1)} idle_rss_mb=${median(x86.map((b) => b.rssMb)).toFixed(1)}`);
