// scripts/flash as a person runs it: the image written to a plain file target (a new one, and a
// larger old one cut to size), read back identical; refused, with nothing written: the disk this
// machine runs from, a disk in use, the image itself, an unknown board. Small made-up images
// (--image) keep it quick; the real image only adds bytes.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unmet } from '../required.ts';

const root = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'stockade-flash-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const image = join(tmp, 'small.img');
const bytes = randomBytes(9 * 1024 * 1024 + 123);
writeFileSync(image, bytes);

function flash(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(join(root, 'scripts', 'flash'), ['--board', 'x86_64-generic', '--image', image, ...args], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('a plain file target: written, progress shown, read back identical', () => {
  const target = join(tmp, 'new.img');
  const r = flash(target);
  assert.is(r.code, 0, r.err);
  assert.ok(readFileSync(target).equals(bytes));
  assert.match(r.err, /written 100 % \(9\.0 MiB of 9\.0 MiB/);
  assert.match(r.err, /read back 100 %/);
  assert.match(r.out, /new\.img holds small\.img, read back identical \(sha256 [0-9a-f]{64}\)/);
  // An old, larger file: cut to the image's size (no stale bytes after it).
  const old = join(tmp, 'old.img');
  writeFileSync(old, Buffer.alloc(bytes.length + 5_000_000, 0xee));
  assert.is(flash(old).code, 0);
  assert.is(statSync(old).size, bytes.length);
  assert.ok(readFileSync(old).equals(bytes));
});

test('refused, nothing written: the image itself, an unknown board, a missing device argument', () => {
  const r = flash(image);
  assert.is(r.code, 2);
  assert.match(r.err, /small\.img is the image itself/);
  assert.ok(readFileSync(image).equals(bytes));
  const nb = spawnSync(join(root, 'scripts', 'flash'), ['--board', 'nosuch', join(tmp, 'x.img')], { encoding: 'utf8' });
  assert.is(nb.status, 2);
  assert.match(nb.stderr, /no board nosuch/);
  assert.not.ok(existsSync(join(tmp, 'x.img')));
  assert.match(flash().err, /which disk\? \(DEVICE\)/);
});

/** The whole disk that / is on, from mountinfo's device number (none: a container on an overlay). */
function systemDisk(): string | undefined {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
  const majmin = line?.split(' ')[2];
  if (!majmin || majmin.startsWith('0:')) return undefined;
  let dir: string;
  try {
    dir = realpathSync(`/sys/dev/block/${majmin}`);
  } catch {
    return undefined;
  }
  if (existsSync(join(dir, 'partition'))) dir = realpathSync(join(dir, '..'));
  if (existsSync(join(dir, 'slaves')) && readdirSync(join(dir, 'slaves')).length > 0) return undefined;
  const dev = `/dev/${dir.split('/').pop()}`;
  return existsSync(dev) ? dev : undefined;
}

const disk = systemDisk();
if (disk === undefined) {
  unmet(test, 'flash refuses the system disk', 'no block device holds / here (overlay or network root): nothing to refuse');
} else {
  test('refused, nothing written: the disk this machine runs from', () => {
    const r = flash(disk, '--yes');
    assert.is(r.code, 2, r.err);
    assert.match(r.err, new RegExp(`${disk} is this machine's system disk \\(/ is on it\\): refused`));
    assert.not.match(r.err, /written/);
  });
}

test.run();
