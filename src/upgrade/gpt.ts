// GPT partition table (primary header at LBA 1): the partitions' names (PARTLABEL) and byte
// ranges. Pure over a `read(offset, length)` callback, so the same code reads a disk image on
// the build host (scripts/image/bootenv.ts, `upgrade install --disk`) and a block device.

export interface GptPartition {
  readonly number: number;
  readonly name: string;
  readonly firstLba: number;
  readonly lastLba: number;
}

export const SECTOR = 512;
const MAX_ENTRIES = 256;

export type Reader = (offset: number, length: number) => Uint8Array;

export function readGptPartitions(read: Reader, what: string): GptPartition[] {
  const hdr = Buffer.from(read(SECTOR, SECTOR));
  if (hdr.length < 92 || hdr.toString('latin1', 0, 8) !== 'EFI PART') throw new Error(`${what}: no GPT`);
  const entriesLba = Number(hdr.readBigUInt64LE(72));
  const count = hdr.readUInt32LE(80);
  const size = hdr.readUInt32LE(84);
  if (count > MAX_ENTRIES || size < 128 || size > 4096) throw new Error(`${what}: GPT header with ${count} entries of ${size} bytes`);
  const table = Buffer.from(read(entriesLba * SECTOR, count * size));
  const out: GptPartition[] = [];
  for (let i = 0; i < count && (i + 1) * size <= table.length; i++) {
    const e = table.subarray(i * size, (i + 1) * size);
    if (e.subarray(0, 16).every((b) => b === 0)) continue;
    const name = e.subarray(56, 128).toString('utf16le').replace(/\0.*$/s, '');
    out.push({ number: i + 1, name, firstLba: Number(e.readBigUInt64LE(32)), lastLba: Number(e.readBigUInt64LE(40)) });
  }
  return out;
}

/** Byte offset and size of a partition. */
export function partitionRange(p: GptPartition): { offset: number; size: number } {
  return { offset: p.firstLba * SECTOR, size: (p.lastLba - p.firstLba + 1) * SECTOR };
}
