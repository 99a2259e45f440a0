// Reading and changing GRUB's environment block (slot order, tries; see grub.ts) inside a disk
// image, unprivileged: the ESP is found in the GPT and the block rewritten in place in its FAT
// clusters, by the same code the appliance uses on its disk (src/upgrade: gpt.ts, fat.ts,
// boot-env.ts).
import { closeSync, openSync, readSync } from 'node:fs';
import { DiskRegion } from '../../src/kernel/block-device.ts';
import { GrubEnvFile, partitionRange, readGptPartitions, type GptPartition } from '../../src/upgrade/index.ts';

export type { GptPartition };
export { parseGrubEnv } from '../../src/upgrade/index.ts';

/** The partitions of a GPT disk image (primary header at LBA 1). */
export function readGpt(image: string): GptPartition[] {
  const fd = openSync(image, 'r');
  try {
    return readGptPartitions((offset, length) => {
      const out = Buffer.alloc(length);
      readSync(fd, out, 0, length, offset);
      return out;
    }, image);
  } finally {
    closeSync(fd);
  }
}

/** A partition of the image, by name, as a byte range of the file. */
export function imagePartition(image: string, name: string, writable: boolean): DiskRegion {
  const p = readGpt(image).find((q) => q.name === name);
  if (!p) throw new Error(`${image}: no partition named ${name}`);
  const { offset, size } = partitionRange(p);
  return new DiskRegion(image, offset, size, { writable });
}

function withEnv<T>(image: string, writable: boolean, f: (env: GrubEnvFile) => T): T {
  const esp = imagePartition(image, 'esp', writable);
  try {
    return f(new GrubEnvFile(esp));
  } finally {
    esp.close();
  }
}

export async function readBootEnv(image: string): Promise<Record<string, string>> {
  return withEnv(image, false, (env) => env.read());
}

/** Sets variables in the image's grubenv, in place (GRUB's save_env does the same). */
export async function setBootEnv(image: string, vars: Record<string, string>): Promise<void> {
  withEnv(image, true, (env) => env.set(vars));
}
