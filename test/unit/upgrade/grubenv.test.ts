// GRUB's environment block: byte-identical to grub-editenv 2.06 (fixtures made with it), found
// in real FAT12/16/32 volumes made by mkfs.vfat + mcopy (one with the file's clusters apart) and
// rewritten in place there, the other files' bytes untouched.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GrubEnvFile, encodeGrubEnv, locateFatFile, parseGrubEnvBlock, shortName, type BlockRegion } from '../../../src/upgrade/index.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => new Uint8Array(readFileSync(join(fixtures, name)));
const initial = fixture('grubenv-initial');

class MemoryRegion implements BlockRegion {
  readonly bytes: Uint8Array;
  writes = 0;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    return this.bytes.slice(offset, offset + length);
  }
  write(offset: number, bytes: Uint8Array): void {
    this.writes++;
    this.bytes.set(bytes, offset);
  }
  flush(): void {}
}

test('grubenv: parse and encode match grub-editenv byte for byte', () => {
  const env = parseGrubEnvBlock(initial);
  assert.equal(env, { ORDER: 'A B', A_OK: '1', B_OK: '1', A_TRIES: '3', B_TRIES: '3' });
  assert.equal(encodeGrubEnv(env), initial);
  // grub-editenv set B_OK=0, then ORDER="B A" B_OK=1 B_TRIES=1 A_TRIES=3 NOTE='a\b'
  const tryB = fixture('grubenv-try-b');
  const marked = { ...env, B_OK: '0' };
  assert.equal(encodeGrubEnv({ ...marked, ORDER: 'B A', B_OK: '1', B_TRIES: '1', A_TRIES: '3', NOTE: 'a\\b' }), tryB);
  assert.equal(parseGrubEnvBlock(tryB).NOTE, 'a\\b');
  assert.throws(() => parseGrubEnvBlock(new Uint8Array(1024)), /not a GRUB environment block/);
  assert.throws(() => encodeGrubEnv({ X: 'y'.repeat(1000) }), /do not fit/);
});

test('FAT: 8.3 names', () => {
  assert.is(shortName('grubenv'), 'GRUBENV    ');
  assert.is(shortName('grub.cfg'), 'GRUB    CFG');
  assert.is(shortName('toolongname'), undefined);
});

for (const [name, kind] of [['esp-fat16.img.gz', 'FAT16 (the boards\' 32 MiB ESP)'], ['esp-fat12-fragmented.img.gz', 'FAT12, 512-byte clusters, the file in two pieces'], ['esp-fat32.img.gz', 'FAT32']] as const) {
  test(`FAT: /grub/grubenv found and rewritten in place on ${kind}`, () => {
    const image = new Uint8Array(gunzipSync(readFileSync(join(fixtures, name))));
    const before = Uint8Array.from(image);
    const file = locateFatFile((o, l) => image.subarray(o, o + l), '/grub/grubenv');
    assert.is(file.size, 1024);
    if (name.includes('fragmented')) assert.is(file.extents.length, 2);
    const region = new MemoryRegion(image);
    const env = new GrubEnvFile(region);
    assert.equal(env.read(), { ORDER: 'A B', A_OK: '1', B_OK: '1', A_TRIES: '3', B_TRIES: '3' });
    env.set({ B_OK: '0' });
    assert.equal(env.read(), { ORDER: 'A B', A_OK: '1', B_OK: '0', A_TRIES: '3', B_TRIES: '3' });
    // Only the file's own bytes changed.
    const changed: number[] = [];
    const a = Buffer.from(image.buffer, image.byteOffset, image.length);
    const b = Buffer.from(before.buffer, before.byteOffset, before.length);
    for (let block = 0; block < image.length; block += 65536) {
      if (a.subarray(block, block + 65536).equals(b.subarray(block, block + 65536))) continue;
      for (let i = block; i < Math.min(block + 65536, image.length); i++) if (image[i] !== before[i]) changed.push(i);
    }
    assert.ok(changed.length > 0);
    assert.ok(changed.every((i) => file.extents.some((e) => i >= e.offset && i < e.offset + e.length)));
    assert.throws(() => locateFatFile((o, l) => image.subarray(o, o + l), '/grub/nothere'), /\/grub\/nothere: not found on the FAT volume/);
    assert.throws(() => locateFatFile((o, l) => image.subarray(o, o + l), '/grubenv'), /\/grubenv: not found/);
  });
}

test('boot control: mark bad, try once, mark good give grub.cfg what it needs', async () => {
  const image = new Uint8Array(gunzipSync(readFileSync(join(fixtures, 'esp-fat16.img.gz'))));
  const env = new GrubEnvFile(new MemoryRegion(image));
  await env.markBad('B');
  assert.is(env.read().B_OK, '0');
  await env.tryOnce('B', 'A');
  // The switch names the slot on trial in the same block write (boots are counted only then).
  assert.equal(env.read(), { ORDER: 'B A', A_OK: '1', B_OK: '1', A_TRIES: '3', B_TRIES: '1', TRIAL: 'B' });
  // A write torn between the block's two sectors still gives the old or the new variables.
  assert.ok(encodeGrubEnv(env.read()).subarray(512).every((b) => b === 0x23));
  env.markGood('B');
  // Marked good, the trial is over: TRIAL is removed in the same write.
  assert.equal(env.read(), { ORDER: 'B A', A_OK: '1', B_OK: '1', A_TRIES: '3', B_TRIES: '3' });
});

test('FAT: not a FAT volume', () => {
  assert.throws(() => locateFatFile((o, l) => new Uint8Array(l), '/grub/grubenv'), /not a FAT volume/);
});

test.run();
