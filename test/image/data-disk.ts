// A provisioned box's disk for image tests: a sparse copy of the built image with files put on its
// data partition (the ext4 mounted at /data), the way a box leaves the factory or an installer
// with its config.json. The VM then boots exactly as deployed: `stockade boot` and the daemon read
// /data/config.json at their first start, with no console session and no second boot.
//
// No root, loop device or mount: the partition is found by its GPT name and the files are written
// with debugfs at the partition's byte offset (e2fsprogs' "file?offset=N" I/O option).
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';

const SECTOR = 512;
/** GPT header fields (UEFI spec 5.3.2) and partition entry fields (5.3.3). */
const GPT_SIGNATURE = 'EFI PART';
const HDR_ENTRIES_LBA = 72;
const HDR_ENTRY_COUNT = 80;
const HDR_ENTRY_SIZE = 84;
const ENTRY_FIRST_LBA = 32;
const ENTRY_LAST_LBA = 40;
const ENTRY_NAME = 56;
const ENTRY_NAME_BYTES = 72;

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

/** Byte offset and size of the GPT partition named `label` (PARTLABEL) in a disk image. */
export function partitionByLabel(image: string, label: string): { offset: number; bytes: number } {
  const fd = openSync(image, 'r');
  try {
    const hdr = readAt(fd, SECTOR, SECTOR);
    if (hdr.length < 92 || hdr.toString('latin1', 0, 8) !== GPT_SIGNATURE) throw new Error(`${image}: no GPT header at LBA 1`);
    const entriesLba = Number(hdr.readBigUInt64LE(HDR_ENTRIES_LBA));
    const count = hdr.readUInt32LE(HDR_ENTRY_COUNT);
    const size = hdr.readUInt32LE(HDR_ENTRY_SIZE);
    const table = readAt(fd, entriesLba * SECTOR, count * size);
    const names: string[] = [];
    for (let i = 0; (i + 1) * size <= table.length; i++) {
      const e = table.subarray(i * size, (i + 1) * size);
      const first = Number(e.readBigUInt64LE(ENTRY_FIRST_LBA));
      if (first === 0) continue;
      const name = e.toString('utf16le', ENTRY_NAME, ENTRY_NAME + ENTRY_NAME_BYTES).replace(/\0.*$/s, '');
      names.push(name);
      if (name === label) return { offset: first * SECTOR, bytes: (Number(e.readBigUInt64LE(ENTRY_LAST_LBA)) - first + 1) * SECTOR };
    }
    throw new Error(`${image}: no partition named '${label}' (partitions: ${names.join(', ') || 'none'})`);
  } finally {
    closeSync(fd);
  }
}

/** debugfs on the ext4 at `offset` in `image`; returns its output (debugfs exits 0 on most errors). */
function debugfs(image: string, offset: number, args: string[]): string {
  return execFileSync('debugfs', [...args, `${image}?offset=${offset}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Copies `image` to `out` (sparse) and writes `files` onto its data partition: path relative to
 * /data -> content. Each file is owned by root with mode 0600 (a config can hold keys); missing
 * directories are made (0755). Each file is read back, so a failed write is an error here.
 */
export function provisionDisk(image: string, out: string, files: Record<string, string | Uint8Array>): void {
  execFileSync('cp', ['--sparse=always', image, out]);
  const { offset } = partitionByLabel(out, 'data');
  const tmp = mkdtempSync(join(tmpdir(), 'stockade-data-'));
  try {
    const commands: string[] = [];
    const dirs = new Set<string>();
    Object.keys(files).forEach((path, i) => {
      const clean = posix.normalize(path).replace(/^\/+/, '');
      if (clean === '' || clean.startsWith('..') || /\s/.test(clean)) throw new Error(`data file '${path}': expected a path inside /data without spaces`);
      const parts = clean.split('/');
      for (let k = 1; k < parts.length; k++) {
        const d = parts.slice(0, k).join('/');
        if (!dirs.has(d)) {
          dirs.add(d);
          commands.push(`mkdir /${d}`, `sif /${d} mode 040755`);
        }
      }
      const src = join(tmp, String(i));
      writeFileSync(src, files[path]!);
      chmodSync(src, 0o600);
      // write takes a name in the current directory; an existing file is replaced.
      commands.push(`cd /${parts.slice(0, -1).join('/')}`, `rm ${parts.at(-1)}`, `write ${src} ${parts.at(-1)}`, 'cd /');
    });
    const script = join(tmp, 'commands');
    writeFileSync(script, `${commands.join('\n')}\n`);
    debugfs(out, offset, ['-w', '-f', script]);
    for (const [path, content] of Object.entries(files)) {
      const clean = posix.normalize(path).replace(/^\/+/, '');
      const back = execFileSync('debugfs', ['-R', `cat /${clean}`, `${out}?offset=${offset}`], { stdio: ['ignore', 'pipe', 'ignore'] });
      if (!back.equals(Buffer.from(content))) throw new Error(`${out}: /data/${clean} did not read back as written (debugfs)`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
