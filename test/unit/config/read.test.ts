import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeConfigBytes, invalidUtf8Offset, MAX_CONFIG_BYTES } from '../../../src/config/read.ts';
import { loadConfigBytes, loadConfigFile } from '../../../src/config/load.ts';
import { formatConfigError } from '../../../src/config/errors.ts';

const enc = (s: string) => new TextEncoder().encode(s);

function fileError(bytes: Uint8Array): string {
  const r = loadConfigBytes(bytes);
  if (r.ok) throw new Error('expected an error');
  assert.is(r.errors.length, 1);
  assert.is(r.errors[0]!.kind, 'file');
  assert.is(r.errors[0]!.pointer, '');
  return formatConfigError('c.json', r.errors[0]!);
}

test('empty and whitespace-only files', () => {
  assert.is(fileError(new Uint8Array()), 'c.json: file is empty');
  assert.is(fileError(enc(' \n\t\r\n')), 'c.json: file is empty');
});

test('binary data: NUL bytes', () => {
  assert.is(fileError(Uint8Array.from([0x7b, 0x00, 0x7d])), 'c.json: binary data (NUL byte at offset 1), not JSON text');
});

test('invalid UTF-8: stray, truncated, overlong, surrogate, beyond U+10FFFF', () => {
  assert.match(fileError(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x7d])), /not UTF-8 text \(byte 0xff at offset 2\)/);
  const bad = [[0x80], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];
  for (const b of bad) {
    assert.is(invalidUtf8Offset(Uint8Array.from([0x41, ...b])), 1, b.join(','));
    // The file is judged whole first (node:buffer's isUtf8): it must refuse the same bytes.
    assert.match(fileError(Uint8Array.from([0x22, 0x41, ...b, 0x22])), /not UTF-8 text \(byte 0x[0-9a-f]{2} at offset 2\)/, b.join(','));
  }
  assert.is(invalidUtf8Offset(enc('aé€😀')), -1);
});

test('a UTF-8 byte-order mark is accepted', () => {
  const r = loadConfigBytes(Uint8Array.from([0xef, 0xbb, 0xbf, ...enc('{"version": 1}')]));
  assert.ok(r.ok);
});

test('oversized input is refused before parsing', () => {
  const big = new Uint8Array(MAX_CONFIG_BYTES + 1).fill(0x20);
  assert.match(fileError(big), /file is too large \(1\.0 MiB; the limit is 1 MiB\)/);
  assert.ok(decodeConfigBytes(new Uint8Array(MAX_CONFIG_BYTES).fill(0x20)).ok === false); // all blanks: empty, not too large
});

test('files: missing, a directory, too large, fine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stockade-config-'));
  try {
    const missing = loadConfigFile(join(dir, 'nope.json'));
    assert.ok(!missing.ok && missing.errors[0]!.found === 'cannot read: no such file');
    const isDir = loadConfigFile(dir);
    assert.ok(!isDir.ok && /is a directory/.test(isDir.errors[0]!.found));
    const big = join(dir, 'big.json');
    writeFileSync(big, ' '.repeat(2 * MAX_CONFIG_BYTES));
    const tooBig = loadConfigFile(big);
    assert.ok(!tooBig.ok && /too large \(2\.0 MiB/.test(tooBig.errors[0]!.found));
    const good = join(dir, 'good.json');
    writeFileSync(good, '{"version": 1}');
    assert.ok(loadConfigFile(good).ok);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a device that never ends is cut off at the limit', () => {
  const r = loadConfigFile('/dev/zero');
  assert.ok(!r.ok && /too large/.test(r.errors[0]!.found));
});

test.run();
