// Reading and changing GRUB's environment block (slot order, tries; see grub.ts) inside a disk
// image, unprivileged: the ESP is found in the GPT and edited in place with mtools at its offset.
// For tests and tools on the build host; the appliance itself will edit /grub/grubenv on its
// mounted ESP (the upgrade issue).
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRUB_PREFIX } from './grub.ts';
import { run } from './run.ts';

export interface GptPartition {
  number: number;
  name: string;
  firstLba: number;
  lastLba: number;
}

const SECTOR = 512;

/** The partitions of a GPT disk image (primary header at LBA 1). */
export function readGpt(image: string): GptPartition[] {
  const fd = openSync(image, 'r');
  try {
    const hdr = Buffer.alloc(SECTOR);
    readSync(fd, hdr, 0, SECTOR, SECTOR);
    if (hdr.toString('latin1', 0, 8) !== 'EFI PART') throw new Error(`${image}: no GPT`);
    const entriesLba = Number(hdr.readBigUInt64LE(72));
    const count = hdr.readUInt32LE(80);
    const size = hdr.readUInt32LE(84);
    const table = Buffer.alloc(count * size);
    readSync(fd, table, 0, table.length, entriesLba * SECTOR);
    const out: GptPartition[] = [];
    for (let i = 0; i < count; i++) {
      const e = table.subarray(i * size, (i + 1) * size);
      if (e.subarray(0, 16).every((b) => b === 0)) continue;
      const name = e.subarray(56, 128).toString('utf16le').replace(/\0.*$/s, '');
      out.push({ number: i + 1, name, firstLba: Number(e.readBigUInt64LE(32)), lastLba: Number(e.readBigUInt64LE(40)) });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

function espSpec(image: string): string {
  const esp = readGpt(image).find((p) => p.name === 'esp');
  if (!esp) throw new Error(`${image}: no partition named esp`);
  return `${image}@@${esp.firstLba * SECTOR}`;
}

/** Parses a grubenv block: `# GRUB Environment Block`, KEY=VALUE lines, '#' padding. */
export function parseGrubEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.includes('=')) continue;
    const eq = line.indexOf('=');
    out[line.slice(0, eq)] = line.slice(eq + 1).replace(/\\(.)/g, '$1');
  }
  return out;
}

export async function readBootEnv(image: string): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'stockade-env-'));
  try {
    const local = join(dir, 'grubenv');
    await run(['mcopy', '-n', '-i', espSpec(image), `::${GRUB_PREFIX}/grubenv`, local]);
    return parseGrubEnv(readFileSync(local, 'latin1'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sets variables in the image's grubenv (grub-editenv on a copy, written back in place). */
export async function setBootEnv(image: string, vars: Record<string, string>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stockade-env-'));
  try {
    const spec = espSpec(image);
    const local = join(dir, 'grubenv');
    await run(['mcopy', '-n', '-i', spec, `::${GRUB_PREFIX}/grubenv`, local]);
    await run(['grub-editenv', local, 'set', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)]);
    // -o: overwrite. The file keeps its 1024 bytes, and GRUB's save_env rewrites those in place.
    await run(['mcopy', '-o', '-i', spec, local, `::${GRUB_PREFIX}/grubenv`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
