// The throwaway failure run (src/lvs/checkers/warm.ts): it must really go down the path a real
// server's failure takes, repeat ending in the addon included, or it compiles nothing that matters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtureConfig } from '../../config/helpers.ts';
import { warmFailurePath, WARM_ADDRESSES } from '../../../../src/lvs/checkers/warm.ts';

// The fixture's first TCP-checked service is web_tls (port 443; its first, web, checks by HTTP),
// with the checker's defaults: quorum 1, so the fall of its second server (of two) loses the quorum.
const lvs = fixtureConfig().lvs;

test('the throwaway, a copy of the first TCP-checked service, goes down through a repeat the addon ends; its log lines are the real ones', async () => {
  const lines: string[] = [];
  const started = performance.now();
  const events = (await warmFailurePath(lvs, (level, message) => lines.push(`${level}: ${message}`)))!;
  assert.equal(events.map((e) => `${e.kind}:${'up' in e ? e.up : ''}`).sort(), ['quorum:false', 'server:false', 'server:false'], lines.join('\n'));
  // Their repeats' connects went to the kernel: multicast addresses, refused inside connect().
  for (const a of WARM_ADDRESSES.slice(0, 2)) {
    const down = `warn: lvs: warm-up: real server ${a}:443 down: 1 failed check in a row (network unreachable)`;
    assert.ok(lines.includes(down), lines.join('\n'));
  }
  assert.ok(lines.some((l) => /^warn: lvs: warm-up: quorum lost/.test(l)), lines.join('\n'));
  // The repeat's first connect comes a second after the first check; the bound is 5 s.
  assert.ok(performance.now() - started < 4000, `through in ${(performance.now() - started).toFixed(0)} ms`);
});

test('it leaves nothing behind: a second run sees the same', async () => {
  assert.is((await warmFailurePath(lvs))?.length, 3);
});

test('no TCP check in the config: nothing to run', async () => {
  const none = fixtureConfig((c) => {
    c.lvs.virtual_services[1].health_check = { type: 'ping' };
  }).lvs;
  assert.is(warmFailurePath(none), undefined);
});

test.run();
