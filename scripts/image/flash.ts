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
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readSync, realpathSync, statSync, writeSync, constants, ftruncateSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkWholeDisk, loopBackingFiles } from '../../src/kernel/index.ts';
import { confirmDiskName, mib, progressPrinter } from '../../src/upgrade/index.ts';

const root = join(import.meta.dirname, '..', '..');
const CHUNK = 4 << 20;
class Refused extends Error {}

function usage(why: string): never {
  throw new Refused(`${why} (usage: scripts/flash --board NAME DEVICE [--image FILE] [--yes])`);
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
    // The same checks as `stockade install` (src/kernel/disk-use.ts).
    const check = checkWholeDisk(target);
    if (!check.ok) throw new Refused(check.reason.replace('the disk this system runs from', "this machine's system disk"));
    capacity = check.bytes;
    if (capacity < imageSize) throw new Refused(`${target} holds ${mib(capacity)}; the image needs ${mib(imageSize)}`);
  } else if (exists) {
    const real = realpathSync(target);
    if (real === realpathSync(image)) throw new Refused(`${target} is the image itself`);
    const loop = loopBackingFiles().get(real);
    if (loop) throw new Refused(`${target} backs loop device /dev/${loop}: detach it first`);
  }
  if (block && !values.yes && !(await confirmDiskName('flash', target, capacity))) throw new Refused(`${target}: not confirmed (type its name, or --yes); nothing written`);

  process.stderr.write(`flash: ${image} (${mib(imageSize)}) -> ${target}${block ? ` (disk, ${mib(capacity)})` : ' (file)'}\n`);
  const src = openSync(image, 'r');
  let dst = openSync(target, block ? constants.O_WRONLY : constants.O_WRONLY | constants.O_CREAT, 0o644);
  const want = createHash('sha256');
  const buf = Buffer.alloc(CHUNK);
  const report = progressPrinter((t) => process.stderr.write(t), process.stderr.isTTY === true);
  try {
    const show = (at: number) => report({ phase: 'write', done: at, total: imageSize });
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
    const show = (at: number) => report({ phase: 'read-back', done: at, total: imageSize });
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
