import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomically, writeFileDurably } from '../../../src/kernel/index.ts';

const test = suite('durable files');

// A pid no process has: above the kernel's pid_max ceiling (4194304).
const GONE_PID = 4_194_305;

for (const [name, write] of [['writeFileDurably', writeFileDurably], ['writeFileAtomically', writeFileAtomically]] as const) {
  test(`${name}: a temp left by a killed writer is removed by the next write; a live writer's temp and other files stay`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockade-durable-'));
    try {
      const path = join(dir, 'config.json');
      writeFileSync(path, 'old\n');
      writeFileSync(join(dir, `.config.json.${GONE_PID}.tmp`), 'half');
      writeFileSync(join(dir, '.config.json.1.tmp'), 'pid 1 runs');
      writeFileSync(join(dir, `.other.json.${GONE_PID}.tmp`), 'not ours');
      write(path, 'new\n');
      assert.is(readFileSync(path, 'utf8'), 'new\n');
      assert.equal(readdirSync(dir).sort(), ['.config.json.1.tmp', `.other.json.${GONE_PID}.tmp`, 'config.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
