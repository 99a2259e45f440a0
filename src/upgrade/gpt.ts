// GPT partition table (primary header at LBA 1): the partitions' names (PARTLABEL) and byte
// ranges. Pure over a `read(offset, length)` callback, so the same code reads a disk image on
// the build host (scripts/image/bootenv.ts, `upgrade install --disk`) and a block device.
// encodeGpt writes one (UEFI spec 2.10 §5.3: protective MBR, primary header and entries, backup
// entries and header at the disk's end) for `stockade install`; sgdisk checks it in the tests.
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export interface GptPartition {
  readonly number: number;
  readonly name: string;
  readonly firstLba: number;
  readonly lastLba: number;
  /** The type GUID as stored (16 bytes, mixed-endian), and the attribute bits. */
  readonly type?: Uint8Array;
  readonly attributes?: bigint;
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
    out.push({ number: i + 1, name, firstLba: Number(e.readBigUInt64LE(32)), lastLba: Number(e.readBigUInt64LE(40)), type: Uint8Array.from(e.subarray(0, 16)), attributes: e.readBigUInt64LE(48) });
  }
  return out;
}

/** Byte offset and size of a partition. */
export function partitionRange(p: GptPartition): { offset: number; size: number } {
  return { offset: p.firstLba * SECTOR, size: (p.lastLba - p.firstLba + 1) * SECTOR };
}

const HEADER_SIZE = 92;
const ENTRY_SIZE = 128;
const ENTRY_COUNT = 128;
/** Sectors the entry array takes (128 x 128 bytes). */
const ENTRY_SECTORS = (ENTRY_COUNT * ENTRY_SIZE) / SECTOR;
/** The first LBA a partition may use: MBR, header, entries. */
export const GPT_FIRST_USABLE = 2 + ENTRY_SECTORS;
const PROTECTIVE_MBR_TYPE = 0xee;

/** A random GUID in GPT's byte order (version 4: the version sits in byte 7, the variant in 8). */
export function randomGuid(): Uint8Array {
  const g = randomBytes(16);
  g[7] = (g[7]! & 0x0f) | 0x40;
  g[8] = (g[8]! & 0x3f) | 0x80;
  return g;
}

export interface GptLayout {
  /** The disk's size in sectors. */
  readonly sectors: number;
  readonly diskGuid: Uint8Array;
  readonly partitions: ReadonlyArray<{ readonly name: string; readonly type: Uint8Array; readonly guid: Uint8Array; readonly firstLba: number; readonly lastLba: number; readonly attributes?: bigint }>;
}

/** The last LBA a partition may use on a disk of `sectors`. */
export function gptLastUsable(sectors: number): number {
  return sectors - 2 - ENTRY_SECTORS;
}

/**
 * The table's bytes: `head` goes at byte 0 (protective MBR, primary header, entries), `tail` at
 * `tailOffset` (backup entries, backup header in the last sector).
 */
export function encodeGpt(layout: GptLayout): { head: Uint8Array; tail: Uint8Array; tailOffset: number } {
  const last = layout.sectors - 1;
  const lastUsable = gptLastUsable(layout.sectors);
  if (layout.sectors < GPT_FIRST_USABLE * 2 + 1) throw new Error(`a disk of ${layout.sectors} sectors cannot hold a GPT`);
  if (layout.partitions.length > ENTRY_COUNT) throw new Error(`${layout.partitions.length} partitions; a GPT here holds ${ENTRY_COUNT}`);
  const entries = Buffer.alloc(ENTRY_COUNT * ENTRY_SIZE);
  layout.partitions.forEach((p, i) => {
    if (p.firstLba < GPT_FIRST_USABLE || p.lastLba > lastUsable || p.lastLba < p.firstLba) {
      throw new Error(`partition ${p.name}: sectors ${p.firstLba}..${p.lastLba} are outside ${GPT_FIRST_USABLE}..${lastUsable}`);
    }
    const e = entries.subarray(i * ENTRY_SIZE, (i + 1) * ENTRY_SIZE);
    e.set(p.type, 0);
    e.set(p.guid, 16);
    e.writeBigUInt64LE(BigInt(p.firstLba), 32);
    e.writeBigUInt64LE(BigInt(p.lastLba), 40);
    e.writeBigUInt64LE(p.attributes ?? 0n, 48);
    const name = Buffer.from(p.name, 'utf16le');
    if (name.length > 72) throw new Error(`partition name ${p.name}: longer than 36 UTF-16 units`);
    e.set(name, 56);
  });
  const entriesCrc = crc32(entries);
  const header = (current: number, backup: number, entriesLba: number): Buffer => {
    const h = Buffer.alloc(SECTOR);
    h.write('EFI PART', 0, 'latin1');
    h.writeUInt32LE(0x00010000, 8);
    h.writeUInt32LE(HEADER_SIZE, 12);
    h.writeBigUInt64LE(BigInt(current), 24);
    h.writeBigUInt64LE(BigInt(backup), 32);
    h.writeBigUInt64LE(BigInt(GPT_FIRST_USABLE), 40);
    h.writeBigUInt64LE(BigInt(lastUsable), 48);
    h.set(layout.diskGuid, 56);
    h.writeBigUInt64LE(BigInt(entriesLba), 72);
    h.writeUInt32LE(ENTRY_COUNT, 80);
    h.writeUInt32LE(ENTRY_SIZE, 84);
    h.writeUInt32LE(entriesCrc, 88);
    h.writeUInt32LE(crc32(h.subarray(0, HEADER_SIZE)), 16);
    return h;
  };
  const mbr = Buffer.alloc(SECTOR);
  // One partition of type 0xEE over the whole disk (or as much as 32 bits say), so MBR-only tools
  // see the disk as used.
  mbr.set([0x00, 0x00, 0x02, 0x00, PROTECTIVE_MBR_TYPE, 0xff, 0xff, 0xff], 446);
  mbr.writeUInt32LE(1, 454);
  mbr.writeUInt32LE(Math.min(last, 0xffffffff), 458);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const head = Buffer.concat([mbr, header(1, last, 2), entries]);
  const backupEntriesLba = last - ENTRY_SECTORS;
  const tail = Buffer.concat([entries, header(last, 1, backupEntriesLba)]);
  return { head, tail, tailOffset: backupEntriesLba * SECTOR };
}
