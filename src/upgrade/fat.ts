// Where a file's bytes are inside a FAT12/16/32 volume: enough to rewrite GRUB's environment
// block in place, as GRUB's own save_env does, without mounting the ESP (the appliance has no
// vfat module loaded, and the build host needs no mtools or root). Only existing clusters are
// found, nothing is allocated. Pure over a `read(offset, length)` callback on the volume.
import type { Reader } from './gpt.ts';

export interface Extent {
  /** Byte offset in the volume. */
  readonly offset: number;
  readonly length: number;
}

export interface FatFile {
  readonly size: number;
  /** The file's bytes, in order, as byte ranges of the volume (merged where clusters follow). */
  readonly extents: readonly Extent[];
}

interface Volume {
  readonly kind: 12 | 16 | 32;
  readonly bytesPerSector: number;
  readonly clusterBytes: number;
  readonly fatOffset: number;
  readonly rootOffset: number;
  readonly rootEntries: number;
  readonly rootCluster: number;
  readonly dataOffset: number;
  readonly clusters: number;
}

function volume(read: Reader): Volume {
  const b = Buffer.from(read(0, 512));
  if (b.length < 512 || b[510] !== 0x55 || b[511] !== 0xaa) throw new Error('not a FAT volume (no boot sector signature)');
  const bytesPerSector = b.readUInt16LE(11);
  const sectorsPerCluster = b[13]!;
  const reserved = b.readUInt16LE(14);
  const fats = b[16]!;
  const rootEntries = b.readUInt16LE(17);
  const total = b.readUInt16LE(19) || b.readUInt32LE(32);
  const fatSize = b.readUInt16LE(22) || b.readUInt32LE(36);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector) || sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0 || fats === 0 || fatSize === 0) {
    throw new Error('not a FAT volume (impossible BIOS parameter block)');
  }
  const rootSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const dataSector = reserved + fats * fatSize + rootSectors;
  const clusters = Math.floor((total - dataSector) / sectorsPerCluster);
  const kind = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
  return {
    kind,
    bytesPerSector,
    clusterBytes: bytesPerSector * sectorsPerCluster,
    fatOffset: reserved * bytesPerSector,
    rootOffset: (reserved + fats * fatSize) * bytesPerSector,
    rootEntries,
    rootCluster: kind === 32 ? b.readUInt32LE(44) : 0,
    dataOffset: dataSector * bytesPerSector,
    clusters,
  };
}

function nextCluster(v: Volume, read: Reader, n: number): number | 'end' {
  let value: number;
  if (v.kind === 12) {
    const raw = Buffer.from(read(v.fatOffset + n + (n >> 1), 2)).readUInt16LE(0);
    value = n & 1 ? raw >> 4 : raw & 0xfff;
    if (value >= 0xff8) return 'end';
  } else if (v.kind === 16) {
    value = Buffer.from(read(v.fatOffset + n * 2, 2)).readUInt16LE(0);
    if (value >= 0xfff8) return 'end';
  } else {
    value = Buffer.from(read(v.fatOffset + n * 4, 4)).readUInt32LE(0) & 0x0fffffff;
    if (value >= 0x0ffffff8) return 'end';
  }
  if (value < 2 || value >= v.clusters + 2) throw new Error(`FAT: cluster ${n} is followed by ${value}, not a data cluster`);
  return value;
}

/** The clusters of a chain starting at `first`, bounded by the volume's cluster count. */
function chain(v: Volume, read: Reader, first: number): number[] {
  if (first < 2 || first >= v.clusters + 2) throw new Error(`FAT: chain starts at ${first}, not a data cluster`);
  const out = [first];
  for (;;) {
    const next = nextCluster(v, read, out[out.length - 1]!);
    if (next === 'end') return out;
    if (out.length > v.clusters) throw new Error('FAT: a cluster chain loops');
    out.push(next);
  }
}

const clusterOffset = (v: Volume, n: number) => v.dataOffset + (n - 2) * v.clusterBytes;

/** "grubenv" -> "GRUBENV    ", "grub.cfg" -> "GRUB    CFG" (the 8.3 name every entry has). */
export function shortName(name: string): string | undefined {
  const m = /^([^.]{1,8})(?:\.([^.]{1,3}))?$/.exec(name.toUpperCase());
  return m ? m[1]!.padEnd(8) + (m[2] ?? '').padEnd(3) : undefined;
}

interface Entry {
  readonly cluster: number;
  readonly size: number;
  readonly dir: boolean;
}

function findEntry(bytes: Uint8Array, want: string): Entry | 'end' | undefined {
  const b = Buffer.from(bytes);
  for (let i = 0; i + 32 <= b.length; i += 32) {
    if (b[i] === 0) return 'end';
    const attr = b[i + 11]!;
    if (b[i] === 0xe5 || attr === 0x0f || attr & 0x08) continue;
    if (b.toString('latin1', i, i + 11) === want) {
      return { cluster: (b.readUInt16LE(i + 20) << 16) | b.readUInt16LE(i + 26), size: b.readUInt32LE(i + 28), dir: (attr & 0x10) !== 0 };
    }
  }
  return undefined;
}

/** The file at `path` (e.g. "/grub/grubenv"), by its 8.3 names. */
export function locateFatFile(read: Reader, path: string): FatFile {
  const v = volume(read);
  const names = path.split('/').filter(Boolean);
  let dirRegions: Extent[] =
    v.kind === 32
      ? chain(v, read, v.rootCluster).map((c) => ({ offset: clusterOffset(v, c), length: v.clusterBytes }))
      : [{ offset: v.rootOffset, length: v.rootEntries * 32 }];
  for (const [i, name] of names.entries()) {
    const want = shortName(name);
    if (!want) throw new Error(`${path}: "${name}" is not an 8.3 name`);
    let found: Entry | undefined;
    for (const region of dirRegions) {
      const r = findEntry(read(region.offset, region.length), want);
      if (r === 'end') break;
      if (r) {
        found = r;
        break;
      }
    }
    const at = '/' + names.slice(0, i + 1).join('/');
    if (!found) throw new Error(`${at}: not found on the FAT volume`);
    const last = i === names.length - 1;
    if (found.dir === last) throw new Error(`${at}: ${found.dir ? 'a directory' : 'not a directory'}`);
    const clusters = found.size === 0 && last ? [] : chain(v, read, found.cluster);
    if (last) {
      if (clusters.length * v.clusterBytes < found.size) throw new Error(`${at}: ${found.size} bytes but only ${clusters.length} clusters`);
      const extents: Extent[] = [];
      let left = found.size;
      for (const c of clusters) {
        if (left === 0) break;
        const length = Math.min(left, v.clusterBytes);
        const offset = clusterOffset(v, c);
        const prev = extents[extents.length - 1];
        if (prev && prev.offset + prev.length === offset) extents[extents.length - 1] = { offset: prev.offset, length: prev.length + length };
        else extents.push({ offset, length });
        left -= length;
      }
      return { size: found.size, extents };
    }
    dirRegions = clusters.map((c) => ({ offset: clusterOffset(v, c), length: v.clusterBytes }));
  }
  throw new Error(`${path}: not a file path`);
}
