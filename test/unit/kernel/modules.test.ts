// Loading modules (src/kernel/modules.ts) with a fake modprobe: names go after `--`, a name that
// starts with '-' is never handed to modprobe, and the schemas refuse one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModules } from '../../../src/kernel/modules.ts';
import type { ToolRunner } from '../../../src/kernel/modules.ts';
import { loadConfigText } from '../../../src/config/load.ts';

function fakeModprobe(code: number): { run: ToolRunner; calls: string[][] } {
  const calls: string[][] = [];
  return { calls, run: async (name, args) => { calls.push([name, ...args]); return { code, stdout: '', stderr: code ? 'modprobe: FATAL: not found' : '' }; } };
}

test('names follow --, in the batch and when tried alone', async () => {
  const sys = mkdtempSync(join(tmpdir(), 'stk-mod-'));
  try {
    mkdirSync(join(sys, 'bonding'));
    const ok = fakeModprobe(0);
    const out = await loadModules(['bonding', 'nf_conntrack_ftp', '8021q'], sys, ok.run);
    assert.equal(ok.calls, [['modprobe', '-a', '--', 'nf_conntrack_ftp', '8021q']]);
    assert.equal(out.get('bonding'), { status: 'present' });
    const bad = fakeModprobe(1);
    await loadModules(['nf_nat_sip'], sys, bad.run);
    assert.equal(bad.calls, [['modprobe', '-a', '--', 'nf_nat_sip'], ['modprobe', '--', 'nf_nat_sip']]);
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});

test('a name starting with - (an option to modprobe) is never run, and reported', async () => {
  const f = fakeModprobe(0);
  const out = await loadModules(['-r', '--dry-run', '../x'], '/nonexistent', f.run);
  assert.equal(f.calls, []);
  assert.equal(out.get('-r'), { status: 'failed', reason: 'not a module name: "-r"' });
  assert.is(out.get('../x')!.status, 'failed');
});

test('the config schema refuses a module name starting with -', () => {
  const r = loadConfigText(JSON.stringify({ version: 1, modules: ['nf_conntrack_ftp', '-r'] }));
  assert.not.ok(r.ok);
  if (!r.ok) assert.equal(r.errors.map((e) => e.pointer), ['/modules/1']);
  assert.ok(loadConfigText(JSON.stringify({ version: 1, modules: ['nf_conntrack_ftp', '8021q', 'nf-nat'] })).ok);
});

test.run();
