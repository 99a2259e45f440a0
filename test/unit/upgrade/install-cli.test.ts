// `stockade install` refusals that need no disk: no DISK, a second argument, a path that is no
// device, a plain file; each exit 2 with what is wrong, nothing written.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from './run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'stockade-install-cli-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('--help: the usage first, then what it does', async () => {
  const h = await run('install', '--help');
  assert.is(h.code, 0);
  assert.match(h.out, /^usage: stockade install DISK \[--yes\]\n\nRun from the console of a box booted from a Stockade stick/);
  assert.ok(h.out.split('\n').every((l) => l.length <= 79), h.out);
});

test('no disk, two disks, a missing device, a plain file: refused with exit 2, the file untouched', async () => {
  const none = await run('install');
  assert.is(none.code, 2);
  assert.match(none.err, /install: which disk\? \(DISK\) \(usage: stockade install DISK \[--yes\]\)/);
  const two = await run('install', '/dev/a', '/dev/b');
  assert.match(two.err, /unexpected argument '\/dev\/b'/);
  const missing = await run('install', join(tmp, 'nosuch'), '--yes');
  assert.is(missing.code, 2);
  assert.match(missing.err, /install: .*nosuch: no such device; nothing written/);
  const file = join(tmp, 'file.img');
  writeFileSync(file, 'keep me');
  const plain = await run('install', file, '--yes');
  assert.is(plain.code, 2);
  assert.match(plain.err, /file\.img: not a disk \(block device\); nothing written/);
  assert.is(readFileSync(file, 'utf8'), 'keep me');
});

test.run();
