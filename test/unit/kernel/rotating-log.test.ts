import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rotatingLog } from '../../../src/kernel/rotating-log.ts';

test('past its limit the log becomes FILE.1 and a new FILE starts: never more than twice the limit on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stockade-log-'));
  try {
    const path = join(dir, 'stockade.log');
    writeFileSync(path, 'x'.repeat(50) + '\n'); // what an earlier daemon left: appended to
    const write = rotatingLog(path, 1000);
    for (let i = 0; i < 500; i++) write(`line ${String(i).padStart(4, '0')} ${'y'.repeat(40)}\n`);
    const now = readFileSync(path, 'utf8');
    const before = readFileSync(`${path}.1`, 'utf8');
    assert.ok(statSync(path).size <= 1000 && statSync(`${path}.1`).size <= 1000);
    assert.match(now, /line 0499 y+\n$/, 'the newest line is in FILE');
    const last = Number(/line (\d{4})[^\n]*\n$/.exec(before)![1]);
    assert.is(Number(/^line (\d{4})/.exec(now)![1]), last + 1, 'FILE.1 ends where FILE starts: nothing lost between them');
    assert.not.ok(existsSync(`${path}.2`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
