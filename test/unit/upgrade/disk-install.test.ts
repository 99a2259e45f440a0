// `stockade install`'s core over disks in memory: a running disk (GPT written by encodeGpt, which
// sgdisk checks, as the real peer), the FAT ESP fixture holding GRUB's environment, two slots and
// data) is laid down on a bigger disk: both slots hold the running slot's bytes, GRUB's
// environment is a fresh disk's (no trial, A first), data runs to the end of the disk with its
// start cleared, new GUIDs, sgdisk finds the table sound. Refusals write nothing; a disk that
// drops a write is caught by the read-back, naming the partition.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  FRESH_ENV, GrubEnvFile, SECTOR, encodeGpt, installDisk, partitionRange, progressPrinter, readGptPartitions, type BlockRegion, type Progress,
} from '../../../src/upgrade/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'stockade-disk-install-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const MiB = 1 << 20;
const ESP_TYPE = Buffer.from('28732ac11ff8d211ba4b00a0c93ec93b', 'hex');
const LINUX_TYPE = Buffer.from('af3dc60f838472478e793d69d8477de4', 'hex');

function fixedGuid(n: number): Uint8Array {
  const g = Buffer.alloc(16);
  g.writeUInt32LE(n, 12);
  g[7] = 0x40;
  g[8] = 0x80;
  return g;
}

function region(bytes: Uint8Array, drop?: { offset: number }): BlockRegion & { writes: number } {
  const r = {
    size: bytes.length,
    writes: 0,
    read: (offset: number, length: number) => bytes.slice(offset, offset + length),
    write: (offset: number, b: Uint8Array) => {
      r.writes++;
      // A disk that loses one write (the byte at drop.offset stays as it was).
      if (drop && offset <= drop.offset && drop.offset < offset + b.length) {
        const keep = bytes[drop.offset]!;
        bytes.set(b, offset);
        bytes[drop.offset] = keep ^ 0xff;
        return;
      }
      bytes.set(b, offset);
    },
    flush: () => {},
  };
  return r;
}

/** A running disk (12 MiB): esp 2 MiB at 1 MiB, root-a and root-b 3 MiB each, data 2 MiB; B on trial in GRUB's environment. */
function sourceDisk(): { bytes: Uint8Array; slotA: Uint8Array; slotB: Uint8Array } {
  const sectors = 12 * 2048;
  const bytes = new Uint8Array(sectors * SECTOR);
  const parts = [
    { name: 'esp', type: ESP_TYPE, first: 2048, mib: 2 },
    { name: 'root-a', type: LINUX_TYPE, first: 6144, mib: 3 },
    { name: 'root-b', type: LINUX_TYPE, first: 12288, mib: 3 },
    { name: 'data', type: LINUX_TYPE, first: 18432, mib: 2 },
  ];
  const gpt = encodeGpt({
    sectors,
    diskGuid: fixedGuid(100),
    partitions: parts.map((p, i) => ({ name: p.name, type: p.type, guid: fixedGuid(i + 1), firstLba: p.first, lastLba: p.first + p.mib * 2048 - 1 })),
  });
  bytes.set(gpt.head, 0);
  bytes.set(gpt.tail, gpt.tailOffset);
  bytes.set(gunzipSync(readFileSync(join(import.meta.dirname, 'fixtures', 'esp-fat12-fragmented.img.gz'))), 2048 * SECTOR);
  const slotA = Uint8Array.from({ length: 3 * MiB }, (_, i) => (i * 7) & 0xff);
  const slotB = Uint8Array.from({ length: 3 * MiB }, (_, i) => (i * 13 + 5) & 0xff);
  bytes.set(slotA, 6144 * SECTOR);
  bytes.set(slotB, 12288 * SECTOR);
  bytes.fill(0x5a, 18432 * SECTOR, 22528 * SECTOR);
  const esp = region(bytes.subarray(2048 * SECTOR, 6144 * SECTOR));
  new GrubEnvFile(esp).set({ ORDER: 'B A', B_TRIES: '1', TRIAL: 'B', A_OK: '1', B_OK: '1', A_TRIES: '3' });
  return { bytes, slotA, slotB };
}

async function rejects(p: Promise<unknown>, want: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, want);
    return;
  }
  assert.unreachable(`resolved; expected a rejection matching ${want}`);
}

function sgdiskVerify(bytes: Uint8Array, name: string): string {
  const file = join(tmp, name);
  writeFileSync(file, bytes);
  const r = spawnSync('sgdisk', ['--verify', file], { encoding: 'utf8' });
  assert.is(r.status, 0, `sgdisk --verify: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

test('encodeGpt: sgdisk finds the table sound and reads the names back', () => {
  const src = sourceDisk();
  assert.match(sgdiskVerify(src.bytes, 'source.img'), /No problems found/);
  const print = spawnSync('sgdisk', ['--print', join(tmp, 'source.img')], { encoding: 'utf8' }).stdout;
  assert.match(print, /1\s+2048\s+6143\s+2\.0 MiB\s+EF00\s+esp/);
  assert.match(print, /4\s+18432\s+22527\s+2\.0 MiB\s+8300\s+data/);
});

test('laid down from slot B: both slots hold B, a fresh environment, data to the end, new GUIDs, read back', async () => {
  const src = sourceDisk();
  const target = new Uint8Array(40 * MiB).fill(0xee);
  const t = region(target);
  const seen: Progress[] = [];
  const report = await installDisk({ source: region(src.bytes), sourceName: 'src', target: t, targetName: 'dst', running: 'B', onProgress: (p) => seen.push(p) });
  const parts = readGptPartitions((o, l) => target.slice(o, o + l), 'dst');
  assert.equal(parts.map((p) => [p.number, p.name, p.firstLba]), [[1, 'esp', 2048], [2, 'root-a', 6144], [3, 'root-b', 12288], [4, 'data', 18432]]);
  assert.is(parts[3]!.lastLba, 40 * 2048 - 2048 - 1, 'data ends at the last whole MiB before the backup table');
  const at = (i: number) => partitionRange(parts[i]!);
  assert.ok(Buffer.from(target.subarray(at(1).offset, at(1).offset + 3 * MiB)).equals(Buffer.from(src.slotB)), 'slot A holds the running slot B');
  assert.ok(Buffer.from(target.subarray(at(2).offset, at(2).offset + 3 * MiB)).equals(Buffer.from(src.slotB)), 'slot B holds the running slot B');
  assert.ok(target.subarray(at(3).offset, at(3).offset + MiB).every((b) => b === 0), 'the data partition starts cleared');
  const env = new GrubEnvFile(region(target.subarray(at(0).offset, at(0).offset + at(0).size))).read();
  assert.equal(env, { ...FRESH_ENV });
  const srcParts = readGptPartitions((o, l) => src.bytes.slice(o, o + l), 'src');
  assert.equal(parts.map((p) => Buffer.from(p.type!).toString('hex')), srcParts.map((p) => Buffer.from(p.type!).toString('hex')), 'the types are kept');
  const out = sgdiskVerify(target, 'target.img');
  assert.match(out, /No problems found/);
  const guids = spawnSync('sgdisk', ['--info=2', join(tmp, 'target.img')], { encoding: 'utf8' }).stdout;
  assert.not.match(guids, /00000000-0000-4000-8000-000000000002/i, 'root-a has a new GUID');
  assert.is(report.data.number, 4);
  assert.is(seen.at(-1)!.phase, 'read-back');
  assert.is(seen.at(-1)!.done, seen.at(-1)!.total);
  assert.ok(seen.some((p) => p.phase === 'write' && p.done === p.total));
});

test('a target too small, a running disk without a data partition: refused before any write', async () => {
  const src = sourceDisk();
  const small = region(new Uint8Array(9 * MiB));
  await rejects(installDisk({ source: region(src.bytes), sourceName: '/dev/vda', target: small, targetName: '/dev/vdb', running: 'A' }), /\/dev\/vdb holds 9\.0 MiB; the layout of \/dev\/vda needs at least 11\.0 MiB/);
  assert.is(small.writes, 0);
  const noData = sourceDisk();
  const gpt = encodeGpt({ sectors: noData.bytes.length / SECTOR, diskGuid: fixedGuid(1), partitions: [{ name: 'esp', type: ESP_TYPE, guid: fixedGuid(2), firstLba: 2048, lastLba: 6143 }, { name: 'root-a', type: LINUX_TYPE, guid: fixedGuid(3), firstLba: 6144, lastLba: 12287 }] });
  noData.bytes.set(gpt.head, 0);
  const big = region(new Uint8Array(40 * MiB));
  await rejects(installDisk({ source: region(noData.bytes), sourceName: '/dev/vda', target: big, targetName: '/dev/vdb', running: 'A' }), /\/dev\/vda: no partition named root-b; a Stockade disk has one each of esp, root-a, root-b, data/);
  assert.is(big.writes, 0);
});

test('a disk that loses a write in slot B: the read-back says so, naming the partition; no table is left', async () => {
  const src = sourceDisk();
  const target = new Uint8Array(40 * MiB);
  await rejects(
    installDisk({ source: region(src.bytes), sourceName: 'src', target: region(target, { offset: 12288 * SECTOR + 12345 }), targetName: '/dev/vdb', running: 'A' }),
    /\/dev\/vdb: partition root-b read back with sha256 [0-9a-f]{64}, [0-9a-f]{64} was written: the disk did not keep it/,
  );
});

test('progress: one line per 10 % off a terminal, each phase on its own; a live line with ETA on one', () => {
  let out = '';
  let t = 0;
  const show = progressPrinter((s) => void (out += s), false, () => t);
  for (let d = 0; d <= 100; d += 5) {
    t += 100;
    show({ phase: 'write', done: d * MiB, total: 100 * MiB });
  }
  show({ phase: 'read-back', done: 100 * MiB, total: 100 * MiB });
  const lines = out.trim().split('\n');
  assert.is(lines.length, 12);
  assert.match(lines[10]!, /^written 100 % \(100\.0 MiB of 100\.0 MiB, /);
  assert.match(lines[11]!, /^read back 100 %/);
  let live = '';
  const tty = progressPrinter((s) => void (live += s), true, () => (t += 1000));
  tty({ phase: 'write', done: 50 * MiB, total: 100 * MiB });
  assert.match(live, /^\rwritten 50\.0 MiB of 100\.0 MiB \(50 %\), [0-9.]+ MiB\/s, ETA \d+ s/);
});

test.run();
