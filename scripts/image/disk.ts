// The disk image, made without loop devices, mounts or root: each partition's filesystem is built
// as a file (mkfs.vfat + mtools for the ESP, mksquashfs for the slots, mkfs.ext4 -d for data), the
// GPT is written with sgdisk into a sparse file, and the filesystems are copied in at their offsets
// (all-zero blocks skipped, so the image stays sparse).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, statSync, writeSync, ftruncateSync } from 'node:fs';
import { BuildError, run } from './run.ts';

const MiB = 1024 * 1024;
/** The first partition starts at 1 MiB (alignment); the backup GPT needs the last 33 sectors. */
const FIRST_LBA_BYTES = MiB;
const TAIL_BYTES = MiB;

export interface PartitionSpec {
  /** GPT partition name (PARTLABEL). */
  name: string;
  /** sgdisk type code. */
  type: string;
  sizeMiB: number;
  /** Filesystem image to copy in (may be smaller than the partition). */
  content: string;
}

/** A GUID that depends only on `seed`, so a rebuild of the same board gets the same GUIDs. */
export function stableGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`.toUpperCase();
}

export interface Layout {
  totalBytes: number;
  partitions: Array<PartitionSpec & { offset: number; number: number }>;
}

export function layout(parts: PartitionSpec[]): Layout {
  let offset = FIRST_LBA_BYTES;
  const placed = parts.map((p, i) => {
    const at = offset;
    offset += p.sizeMiB * MiB;
    return { ...p, offset: at, number: i + 1 };
  });
  return { totalBytes: offset + TAIL_BYTES, partitions: placed };
}

export async function writeDisk(out: string, parts: PartitionSpec[], seed: string): Promise<Layout> {
  const lay = layout(parts);
  for (const p of lay.partitions) {
    const size = statSync(p.content).size;
    if (size > p.sizeMiB * MiB) {
      throw new BuildError(`partition ${p.name}: its filesystem is ${(size / MiB).toFixed(1)} MiB, the board gives it ${p.sizeMiB} MiB (board.json /partitions)`);
    }
  }
  const fd = openSync(out, 'w');
  try {
    ftruncateSync(fd, lay.totalBytes);
  } finally {
    closeSync(fd);
  }
  const args = ['sgdisk', '--clear', `--disk-guid=${stableGuid(`${seed}/disk`)}`];
  for (const p of lay.partitions) {
    const first = p.offset / 512;
    const last = (p.offset + p.sizeMiB * MiB) / 512 - 1;
    args.push(`--new=${p.number}:${first}:${last}`, `--typecode=${p.number}:${p.type}`, `--change-name=${p.number}:${p.name}`, `--partition-guid=${p.number}:${stableGuid(`${seed}/${p.name}`)}`);
  }
  args.push(out);
  await run(args);
  for (const p of lay.partitions) copySparse(p.content, out, p.offset);
  return lay;
}

/** Copies `from` into `to` at `offset`, skipping blocks of zeros (the target is sparse, so zero). */
export function copySparse(from: string, to: string, offset: number): void {
  const src = openSync(from, 'r');
  const dst = openSync(to, 'r+');
  const buf = Buffer.alloc(MiB);
  try {
    let pos = 0;
    for (;;) {
      const n = readSync(src, buf, 0, buf.length, pos);
      if (n === 0) break;
      for (let b = 0; b < n; b += 4096) {
        const end = Math.min(b + 4096, n);
        let zero = true;
        for (let i = b; i < end; i++) {
          if (buf[i] !== 0) {
            zero = false;
            break;
          }
        }
        if (!zero) writeSync(dst, buf, b, end - b, offset + pos + b);
      }
      pos += n;
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}

/** A FAT ESP image of sizeMiB holding `files` ({ '/EFI/BOOT/BOOTX64.EFI': localPath, ... }). */
export async function makeEsp(out: string, sizeMiB: number, files: Record<string, string>, seed: string): Promise<void> {
  const volumeId = createHash('sha256').update(`${seed}/esp`).digest('hex').slice(0, 8);
  await run(['mkfs.vfat', '-C', '-n', 'STOCKADE', '-i', volumeId, out, String(sizeMiB * 1024)]);
  const dirs = new Set<string>();
  for (const path of Object.keys(files)) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add('/' + parts.slice(0, i).join('/'));
  }
  for (const d of [...dirs].sort()) await run(['mmd', '-i', out, `::${d}`]);
  for (const [path, local] of Object.entries(files)) await run(['mcopy', '-i', out, local, `::${path}`]);
}

/** The data partition: ext4 of sizeMiB, made from `skeleton`, every file owned by root. */
export async function makeData(out: string, sizeMiB: number, skeleton: string, seed: string): Promise<void> {
  await run(['mkfs.ext4', '-q', '-F', '-L', 'data', '-U', stableGuid(`${seed}/data-fs`).toLowerCase(), '-E', 'root_owner=0:0', '-d', skeleton, out, `${sizeMiB}M`]);
  // mkfs.ext4 -d copies the owners of the skeleton's files: a build by an ordinary user gives
  // them to root here (the skeleton holds only top-level entries).
  if (process.getuid?.() !== 0) {
    for (const name of readdirSync(skeleton)) {
      for (const field of ['uid', 'gid']) await run(['debugfs', '-w', '-R', `set_inode_field /${name} ${field} 0`, out]);
    }
  }
}

/** A slot's root filesystem: squashfs (read-only by nature, compressed; GRUB reads it). */
export async function makeSquashfs(stage: string, out: string, mtime: number): Promise<void> {
  await run(['mksquashfs', stage, out, '-noappend', '-quiet', '-no-progress', '-comp', 'gzip', '-all-root', '-no-xattrs', '-mkfs-time', String(mtime), '-all-time', String(mtime)]);
}
