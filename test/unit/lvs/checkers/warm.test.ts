// The throwaway failure run (src/lvs/checkers/warm.ts): it must really go down the path a real
// server's failure takes, or it compiles nothing that matters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { warmFailurePath } from '../../../../src/lvs/checkers/warm.ts';

test('the throwaway check goes down through a repeat ending, and its log lines are the real ones', async () => {
  const lines: string[] = [];
  const events = await warmFailurePath((level, message) => lines.push(`${level}: ${message}`));
  assert.equal(events.map((e) => `${e.kind}:${'up' in e ? e.up : ''}`), ['server:false', 'quorum:false']);
  assert.ok(lines.some((l) => /^warn: lvs: warm-up: real server 192\.0\.2\.1:9 down: 1 failed check in a row \(connection refused\)$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^warn: lvs: warm-up: quorum lost/.test(l)), lines.join('\n'));
});

test('it leaves nothing behind: a second run sees the same', async () => {
  assert.is((await warmFailurePath()).length, 2);
});

test.run();
