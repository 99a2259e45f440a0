// management.control_group: a numeric id as is, a name from the group file, and a clear error
// naming the group and the file when it cannot be found.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveGroup } from '../../../src/daemon/group.ts';

const dir = mkdtempSync(join(tmpdir(), 'stk-group-'));
const file = join(dir, 'group');
writeFileSync(file, 'root:x:0:\nbroken\nstockade:x:990:alice,bob\nnogid:x::\n');

test('numeric ids, names from the file, errors naming what and where', () => {
  assert.equal(resolveGroup('1234', file), { gid: 1234 });
  assert.equal(resolveGroup('stockade', file), { gid: 990 });
  assert.equal(resolveGroup('root', file), { gid: 0 });
  assert.equal(resolveGroup('nogid', file), { error: `group 'nogid' not found in ${file}` });
  assert.equal(resolveGroup('wheel', file), { error: `group 'wheel' not found in ${file}` });
  assert.equal(resolveGroup('wheel', join(dir, 'none')), { error: `group 'wheel': ${join(dir, 'none')} not readable (ENOENT)` });
});

test('cleanup', () => rmSync(dir, { recursive: true, force: true }));

test.run();
