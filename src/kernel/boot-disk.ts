// The disk this system booted from, and its partitions by GPT name. A box can hold more than one
// Stockade disk (a USB stick flashed from the same image, a disk just laid down by `stockade
// install`), each with partitions named esp, root-a, root-b, data: a lookup by name alone takes
// whichever the kernel lists first. The boot disk is the one holding the partition mounted at /
// (the slot the initramfs mounted): the device number in /proc/self/mountinfo is the kernel's own
// word for it, whereas PARTUUIDs and GRUB's variables are copied with the image and so are the same
// on every disk flashed from it.
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findPartitionByLabel, parseUevent } from './mount.ts';

export interface DiskLookup {
  readonly mountinfo?: string;
  readonly sysDevBlock?: string;
  readonly sysBlockDir?: string;
  readonly devDir?: string;
}

export interface DiskPartition {
  /** Kernel name (vda2) and device node (/dev/vda2). */
  readonly name: string;
  readonly device: string;
  readonly label: string;
  readonly number: number;
}

export interface BootDisk {
  /** Kernel name of the whole disk (vda) and its device node. */
  readonly disk: string;
  readonly device: string;
  /** The partition mounted at / (the running slot). */
  readonly root: string;
}

/** The major:minor of the filesystem mounted at / (the last mount there hides earlier ones). */
export function rootDeviceNumber(mountinfoText: string): string | undefined {
  let found: string | undefined;
  for (const line of mountinfoText.split('\n')) {
    const f = line.split(' ');
    if (f.length >= 5 && f[4] === '/') found = f[2];
  }
  return found;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The boot disk: the whole disk whose partition is mounted at /. Throws, saying why, when / is not
 * on a disk partition (a build host's overlay, an NFS root): then nothing can say which disk is ours.
 */
export function bootDisk(where: DiskLookup = {}): BootDisk {
  const mountinfo = where.mountinfo ?? '/proc/self/mountinfo';
  const text = readText(mountinfo);
  if (text === undefined) throw new Error(`cannot read ${mountinfo}: cannot tell the boot disk`);
  const majmin = rootDeviceNumber(text);
  if (majmin === undefined) throw new Error(`nothing is mounted at / in ${mountinfo}: cannot tell the boot disk`);
  let dir: string;
  try {
    dir = realpathSync(join(where.sysDevBlock ?? '/sys/dev/block', majmin));
  } catch {
    throw new Error(`/ is not on a disk (mounted from device ${majmin}, which is no block device): cannot tell the boot disk`);
  }
  const uevent = parseUevent(readText(join(dir, 'uevent')) ?? '');
  if (uevent.get('DEVTYPE') !== 'partition') {
    throw new Error(`/ is mounted from ${basename(dir)}, which is not a partition of a disk: cannot tell the boot disk`);
  }
  const disk = basename(join(dir, '..'));
  const devDir = where.devDir ?? '/dev';
  return { disk, device: join(devDir, disk), root: uevent.get('DEVNAME') ?? basename(dir) };
}

/** The partitions of a whole disk, by number, from sysfs. */
export function diskPartitions(disk: string, where: DiskLookup = {}): DiskPartition[] {
  const sysBlockDir = where.sysBlockDir ?? '/sys/class/block';
  const devDir = where.devDir ?? '/dev';
  const out: DiskPartition[] = [];
  let names: string[];
  try {
    names = readdirSync(sysBlockDir);
  } catch {
    return out;
  }
  for (const name of names) {
    let dir: string;
    try {
      dir = realpathSync(join(sysBlockDir, name));
    } catch {
      continue;
    }
    if (basename(join(dir, '..')) !== disk) continue;
    const uevent = parseUevent(readText(join(dir, 'uevent')) ?? '');
    if (uevent.get('DEVTYPE') !== 'partition') continue;
    out.push({ name, device: join(devDir, uevent.get('DEVNAME') ?? name), label: uevent.get('PARTNAME') ?? '', number: Number(uevent.get('PARTN') ?? 0) });
  }
  return out.sort((a, b) => a.number - b.number);
}

/**
 * The device node of the partition named `label` on the boot disk. Throws naming the disk when it
 * has none, or more than one (then no choice would be safe).
 */
export function bootDiskPartition(label: string, where: DiskLookup = {}): string {
  const boot = bootDisk(where);
  const parts = diskPartitions(boot.disk, where).filter((p) => p.label === label);
  if (parts.length === 0) throw new Error(`no partition named ${label} (GPT PARTLABEL) on the boot disk ${boot.device} (the disk / is mounted from)`);
  if (parts.length > 1) {
    throw new Error(`the boot disk ${boot.device} has ${parts.length} partitions named ${label} (${parts.map((p) => p.device).join(', ')}): refusing to guess which one`);
  }
  return parts[0]!.device;
}

/**
 * For boot's mounts (the data partition): the partition named `label` on the boot disk, undefined
 * when it has none or several; only where / is on no disk at all (a host running boot in a lab
 * namespace) the first partition of that name anywhere.
 */
export function findBootPartition(label: string, where: DiskLookup = {}): string | undefined {
  let boot: BootDisk;
  try {
    boot = bootDisk(where);
  } catch {
    return findPartitionByLabel(label, where);
  }
  const parts = diskPartitions(boot.disk, where).filter((p) => p.label === label);
  return parts.length === 1 ? parts[0]!.device : undefined;
}
