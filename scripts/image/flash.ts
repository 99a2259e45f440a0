// scripts/flash --board NAME DEVICE [--image FILE] [--yes]: writes a built appliance image to a
// whole disk or USB stick from a workstation (or to a plain file, e.g. a VM's disk), then reads
// it back and compares its sha256 with the image's. Refuses, before writing anything:
//   - a partition (the image holds its own partition table: give the whole disk);
//   - a disk that is mounted, or one of its partitions (or something built on it: LVM, dm-crypt,
//     RAID) is mounted or used as swap: /proc/self/mountinfo and /proc/swaps by device number,
//     followed through /sys/class/block holders;
//   - the disk this workstation runs from (its / is on it), said as such;
//   - a file that is the image itself, or the backing file of a loop device;
//   - a disk smaller than the image.
// A block device is written only after its name is typed back (or --yes). Progress: a live line
// on a terminal, one line per 10 % otherwise. Exit 0 written and identical; 2 refused; 1 failed.
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, readdirSync, realpathSync, statSync, writeSync, constants, ftruncateSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const CHUNK = 4 << 20;
const SYS_BLOCK = '/sys/class/block';

class Refused extends Error {}

function usage(why: string): never {
  throw new Refused(`${why} (usage: scripts/flash --board NAME DEVICE [--image FILE] [--yes])`);
}

function devNumber(major: number, minor: number): string {
  return `${major}:${minor}`;
}

/** major:minor -> the whole disks under it (a partition's disk; a dm/md device's slaves' disks). */
function disksUnder(majmin: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  let dir: string;
  try {
    dir = realpathSync(`/sys/dev/block/${majmin}`);
  } catch {
    return out;
  }
  if (seen.has(dir)) return out;
  seen.add(dir);
  if (existsSync(join(dir, 'partition'))) {
    out.add(basename(join(dir, '..')));
    return out;
  }
  const slaves = existsSync(join(dir, 'slaves')) ? readdirSync(join(dir, 'slaves')) : [];
  if (slaves.length === 0) {
    out.add(basename(dir));
    return out;
  }
  for (const s of slaves) {
    const dev = readFileSync(join(SYS_BLOCK, s, 'dev'), 'utf8').trim();
    for (const d of disksUnder(dev, seen)) out.add(d);
  }
  return out;
}

interface Use {
  readonly disk: string;
  readonly what: string;
}

/** Every whole disk in use here: mounted (with where), swap; and which one holds /. */
function disksInUse(): { uses: Use[]; system: Set<string> } {
  const uses: Use[] = [];
  const system = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length < 5 || f[2]!.startsWith('0:')) continue;
    for (const disk of disksUnder(f[2]!)) {
      uses.push({ disk, what: `mounted at ${f[4]}` });
      if (f[4] === '/') system.add(disk);
    }
  }
  for (const line of readFileSync('/proc/swaps', 'utf8').split('\n').slice(1)) {
    const file = line.split(/\s+/)[0];
    if (!file || !file.startsWith('/dev/') || !existsSync(file)) continue;
    const st = statSync(file);
    if (!st.isBlockDevice()) continue;
    for (const disk of disksUnder(devNumber(Math.floor(st.rdev / 256) & 0xfff, (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)))) uses.push({ disk, what: 'used as swap' });
  }
  return { uses, system };
}

function loopBackingFiles(): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(SYS_BLOCK)) return out;
  for (const name of readdirSync(SYS_BLOCK)) {
    const f = join(SYS_BLOCK, name, 'loop', 'backing_file');
    if (!existsSync(f)) continue;
    try {
      out.set(realpathSync(readFileSync(f, 'utf8').trim()), name);
    } catch {
      // A deleted backing file is no target anyway.
    }
  }
  return out;
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

function progress(label: string, total: number, tty: boolean): (done: number) => void {
  const started = performance.now();
  let lastTenth = -1;
  let lastDraw = 0;
  return (done) => {
    const now = performance.now();
    const rate = done / Math.max((now - started) / 1000, 1e-3);
    if (tty) {
      if (now - lastDraw < 200 && done < total) return;
      lastDraw = now;
      process.stderr.write(`\r${label} ${mib(done)} of ${mib(total)} (${Math.floor((done / total) * 100)} %), ${mib(rate)}/s, ETA ${((total - done) / Math.max(rate, 1)).toFixed(0)} s   ${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    process.stderr.write(`${label} ${tenth * 10} % (${mib(done)} of ${mib(total)}, ${mib(rate)}/s)\n`);
  };
}

async function confirm(device: string, size: number): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`flash: everything on ${device} (${mib(size)}) will be overwritten. Type its name (${basename(device)}) to go on: `);
    return answer.trim() === basename(device);
  } finally {
    rl.close();
  }
}

async function main(): Promise<number> {
  const { values, positionals } = (() => {
    try {
      return parseArgs({ options: { board: { type: 'string' }, image: { type: 'string' }, yes: { type: 'boolean' } }, allowPositionals: true, strict: true });
    } catch (e) {
      return usage((e as Error).message.split('\n')[0]!);
    }
  })();
  if (!values.board) usage('which board? (--board NAME)');
  if (positionals.length !== 1) usage(positionals.length === 0 ? 'which disk? (DEVICE)' : `unexpected argument '${positionals[1]}'`);
  if (!existsSync(join(root, 'board', values.board, 'board.json'))) usage(`no board ${values.board} (board/<name>/board.json)`);
  const image = values.image ?? join(root, 'dist', 'images', values.board, `stockade-${values.board}.img`);
  if (!existsSync(image)) throw new Refused(`${image}: no such image (scripts/build-image --board ${values.board})`);
  const imageSize = statSync(image).size;
  const target = positionals[0]!;

  const exists = existsSync(target);
  const st = exists ? statSync(target) : undefined;
  const block = st?.isBlockDevice() === true;
  let capacity = Infinity;
  if (st && !block && !st.isFile()) throw new Refused(`${target}: neither a disk (block device) nor a plain file`);
  if (block) {
    const name = basename(realpathSync(target));
    const sys = join(SYS_BLOCK, name);
    if (existsSync(join(sys, 'partition'))) throw new Refused(`${target} is a partition of ${basename(realpathSync(join(sys, '..')))}: the image holds its own partition table, give the whole disk`);
    const { uses, system } = disksInUse();
    if (system.has(name)) throw new Refused(`${target} is this machine's system disk (/ is on it): refused`);
    const used = uses.filter((u) => u.disk === name);
    if (used.length > 0) throw new Refused(`${target} is in use: ${[...new Set(used.map((u) => u.what))].join(', ')}; unmount it first`);
    capacity = Number(readFileSync(join(sys, 'size'), 'utf8').trim()) * 512;
    if (capacity < imageSize) throw new Refused(`${target} holds ${mib(capacity)}; the image needs ${mib(imageSize)}`);
  } else if (exists) {
    const real = realpathSync(target);
    if (real === realpathSync(image)) throw new Refused(`${target} is the image itself`);
    const loop = loopBackingFiles().get(real);
    if (loop) throw new Refused(`${target} backs loop device /dev/${loop}: detach it first`);
  }
  if (block && !values.yes && !(await confirm(target, capacity))) throw new Refused(`${target}: not confirmed (type its name, or --yes); nothing written`);

  process.stderr.write(`flash: ${image} (${mib(imageSize)}) -> ${target}${block ? ` (disk, ${mib(capacity)})` : ' (file)'}\n`);
  const src = openSync(image, 'r');
  let dst = openSync(target, block ? constants.O_WRONLY : constants.O_WRONLY | constants.O_CREAT, 0o644);
  const want = createHash('sha256');
  const buf = Buffer.alloc(CHUNK);
  const tty = process.stderr.isTTY === true;
  try {
    const show = progress('written', imageSize, tty);
    for (let at = 0; at < imageSize;) {
      const n = readSync(src, buf, 0, Math.min(CHUNK, imageSize - at), at);
      if (n === 0) throw new Error(`${image}: ends at ${at} of ${imageSize} bytes`);
      want.update(buf.subarray(0, n));
      for (let done = 0; done < n;) done += writeSync(dst, buf, done, n - done, at + done);
      at += n;
      show(at);
    }
    if (!block && fstatSync(dst).size > imageSize) ftruncateSync(dst, imageSize);
    fsyncSync(dst);
  } finally {
    closeSync(src);
    // The last close of a disk drops its page cache: the read-back below comes from the disk.
    closeSync(dst);
    dst = -1;
  }
  const expected = want.digest('hex');
  const back = openSync(target, 'r');
  const got = createHash('sha256');
  try {
    const show = progress('read back', imageSize, tty);
    for (let at = 0; at < imageSize;) {
      const n = readSync(back, buf, 0, Math.min(CHUNK, imageSize - at), at);
      if (n === 0) throw new Error(`${target}: ends at ${at} of ${imageSize} bytes`);
      got.update(buf.subarray(0, n));
      at += n;
      show(at);
    }
  } finally {
    closeSync(back);
  }
  const actual = got.digest('hex');
  if (actual !== expected) {
    process.stderr.write(`flash: ${target} read back with sha256 ${actual}, the image has ${expected}: the disk did not keep what was written\n`);
    return 1;
  }
  process.stdout.write(`flash: ${target} holds ${basename(image)}, read back identical (sha256 ${expected})\n`);
  return 0;
}

main().then((code) => {
  process.exitCode = code;
}, (e: unknown) => {
  process.stderr.write(`flash: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = e instanceof Refused ? 2 : 1;
});
