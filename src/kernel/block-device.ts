// Byte ranges of disks for upgrades: a partition's device node found by its GPT label, or a
// partition's place inside a disk image file (the build host, tests). Synchronous reads and
// writes: a write lands in the page cache and the kernel writes it back while the next chunk
// is read and hashed, so hashing overlaps the disk without threads.
//
// flush() is fsync and then, for a device, close and reopen: the last close of a block device
// syncs and drops its page cache (blkdev_put -> blkdev_flush_mapping), so the read-back that
// follows comes from the disk and not from the bytes just written. O_DIRECT would need aligned
// buffers, which JavaScript cannot ask for.
import { closeSync, fsyncSync, openSync, readFileSync, readSync, realpathSync, statSync, writeSync, constants } from 'node:fs';
import { basename } from 'node:path';
import { bootDiskPartition, type DiskLookup } from './boot-disk.ts';

export interface DiskRegionOptions {
  readonly writable: boolean;
}

export class DiskRegion {
  readonly path: string;
  readonly start: number;
  readonly size: number;
  private readonly writable: boolean;
  private readonly device: boolean;
  private fd: number;

  constructor(path: string, start: number, size: number, options: DiskRegionOptions) {
    this.path = path;
    this.start = start;
    this.size = size;
    this.writable = options.writable;
    this.device = statSync(path).isBlockDevice();
    this.fd = this.open();
  }

  private open(): number {
    return openSync(this.path, this.writable ? constants.O_RDWR : constants.O_RDONLY);
  }

  private check(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new Error(`${this.path}: bytes ${offset}..${offset + length} are outside its ${this.size}`);
  }

  read(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, this.start + offset + done);
      if (n === 0) throw new Error(`${this.path}: ends before byte ${this.start + offset + done}`);
      done += n;
    }
    return out;
  }

  write(offset: number, bytes: Uint8Array): void {
    this.check(offset, bytes.length);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, this.start + offset + done);
  }

  flush(): void {
    fsyncSync(this.fd);
    if (this.device) {
      closeSync(this.fd);
      this.fd = this.open();
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The size of a partition's device in bytes, from sysfs (fstat says 0 for block devices). */
export function blockDeviceSize(device: string, sysBlockDir = '/sys/class/block'): number {
  const name = basename(realpathSync(device));
  return Number(readFileSync(`${sysBlockDir}/${name}/size`, 'utf8').trim()) * 512;
}

/**
 * The partition named `label` (GPT PARTLABEL) on the disk this system booted from (boot-disk.ts:
 * a second Stockade disk on the box has the same names).
 */
export function openPartition(label: string, options: DiskRegionOptions, where: DiskLookup = {}): DiskRegion {
  const device = bootDiskPartition(label, where);
  return new DiskRegion(device, 0, blockDeviceSize(device, where.sysBlockDir), options);
}
