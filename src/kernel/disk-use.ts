// Whether a whole disk may be overwritten: the checks scripts/flash (on a workstation) and
// `stockade install` (on a box) make before they write a byte. A disk is in use when one of its
// partitions, or something built on it (LVM, dm-crypt, RAID: followed through sysfs slaves), is
// mounted or is swap; the system disk is the one / is on.
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

const SYS_BLOCK = '/sys/class/block';

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

export interface DiskUse {
  readonly disk: string;
  readonly what: string;
}

/** Every whole disk in use here (mounted, with where; swap), and the ones / is on. */
export function disksInUse(): { uses: DiskUse[]; system: Set<string> } {
  const uses: DiskUse[] = [];
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
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    for (const disk of disksUnder(`${major}:${minor}`)) uses.push({ disk, what: 'used as swap' });
  }
  return { uses, system };
}

export type WholeDiskCheck =
  | { readonly ok: true; readonly name: string; readonly bytes: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Whether `device` is a whole disk that may be overwritten here: a block device, not a partition,
 * not the system disk, nothing on it mounted or swap. The reason names the device and what to do.
 */
export function checkWholeDisk(device: string): WholeDiskCheck {
  let st;
  try {
    st = statSync(device);
  } catch {
    return { ok: false, reason: `${device}: no such device` };
  }
  if (!st.isBlockDevice()) return { ok: false, reason: `${device}: not a disk (block device)` };
  const name = basename(realpathSync(device));
  const sys = join(SYS_BLOCK, name);
  if (existsSync(join(sys, 'partition'))) {
    return { ok: false, reason: `${device} is a partition of ${basename(realpathSync(join(sys, '..')))}: give the whole disk` };
  }
  const { uses, system } = disksInUse();
  if (system.has(name)) return { ok: false, reason: `${device} is the disk this system runs from (/ is on it): refused` };
  const used = uses.filter((u) => u.disk === name);
  if (used.length > 0) return { ok: false, reason: `${device} is in use: ${[...new Set(used.map((u) => u.what))].join(', ')}; unmount it first` };
  return { ok: true, name, bytes: Number(readFileSync(join(sys, 'size'), 'utf8').trim()) * 512 };
}

/** Loop devices' backing files (realpath -> loop name): a file that backs one is in use. */
export function loopBackingFiles(): Map<string, string> {
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
