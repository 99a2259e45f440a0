// A small GPT disk image for the CLI tests: an ESP (a FAT fixture made by mkfs.vfat + mcopy,
// holding /grub/grubenv from grub-editenv) and two slots, laid out as scripts/build-image does
// (names esp, root-a, root-b). The GPT is written here by hand: entries and names as sgdisk
// writes them (CRCs included, though the reader does not need them).
import { crc32, gunzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SECTOR = 512;
const ENTRIES = 128;
const ENTRY = 128;
const LINUX = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const ESP = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

function guidBytes(g: string): Buffer {
  const h = g.replace(/-/g, '');
  const b = Buffer.from(h, 'hex');
  // Mixed-endian: the first three fields little-endian.
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

export interface TestDisk {
  readonly file: string;
  readonly slots: Record<'A' | 'B', { offset: number; size: number }>;
  readonly esp: { offset: number; size: number };
}

export function makeTestDisk(dir: string, slotBytes: number, espFixture = 'esp-fat12-fragmented.img.gz'): TestDisk {
  const esp = gunzipSync(readFileSync(join(import.meta.dirname, 'fixtures', espFixture)));
  const parts = [
    { name: 'esp', type: ESP, bytes: esp.length },
    { name: 'root-a', type: LINUX, bytes: slotBytes },
    { name: 'root-b', type: LINUX, bytes: slotBytes },
  ];
  let lba = 34;
  const placed = parts.map((p) => {
    const first = lba;
    lba += Math.ceil(p.bytes / SECTOR);
    return { ...p, first, last: lba - 1 };
  });
  const total = (lba + 33) * SECTOR;
  const disk = Buffer.alloc(total);
  const table = Buffer.alloc(ENTRIES * ENTRY);
  placed.forEach((p, i) => {
    const e = table.subarray(i * ENTRY, (i + 1) * ENTRY);
    guidBytes(p.type).copy(e, 0);
    guidBytes(`00000000-0000-4000-8000-00000000000${i + 1}`).copy(e, 16);
    e.writeBigUInt64LE(BigInt(p.first), 32);
    e.writeBigUInt64LE(BigInt(p.last), 40);
    Buffer.from(p.name, 'utf16le').copy(e, 56);
  });
  const hdr = disk.subarray(SECTOR, SECTOR + 92);
  hdr.write('EFI PART', 0, 'latin1');
  hdr.writeUInt32LE(0x10000, 8);
  hdr.writeUInt32LE(92, 12);
  hdr.writeBigUInt64LE(1n, 24);
  hdr.writeBigUInt64LE(BigInt(total / SECTOR - 1), 32);
  hdr.writeBigUInt64LE(34n, 40);
  hdr.writeBigUInt64LE(BigInt(lba - 1), 48);
  hdr.writeBigUInt64LE(2n, 72);
  hdr.writeUInt32LE(ENTRIES, 80);
  hdr.writeUInt32LE(ENTRY, 84);
  hdr.writeUInt32LE(crc32(table), 88);
  hdr.writeUInt32LE(crc32(hdr), 16);
  table.copy(disk, 2 * SECTOR);
  esp.copy(disk, placed[0]!.first * SECTOR);
  const file = join(dir, 'disk.img');
  writeFileSync(file, disk);
  const range = (i: number) => ({ offset: placed[i]!.first * SECTOR, size: (placed[i]!.last - placed[i]!.first + 1) * SECTOR });
  return { file, esp: range(0), slots: { A: range(1), B: range(2) } };
}

/** Bytes that pass for a squashfs: its magic and bytes_used (mksquashfs pads to 4 KiB). */
export function fakeSquashfs(used: number, seed = 7): Buffer {
  const out = Buffer.alloc(Math.ceil(used / 4096) * 4096);
  let x = seed;
  for (let i = 0; i < used; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  out.write('hsqs', 0, 'latin1');
  out.writeBigUInt64LE(BigInt(used), 40);
  return out;
}
