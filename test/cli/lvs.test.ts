// `stockade lvs plan|apply` and `ctl lvs` as a user runs them (the built executable). Only paths
// that never change the kernel run here: a bad config stops before IPVS is opened, and plan never
// loads ip_vs (loading it on a shared host is not a test's business; the image tier runs these
// commands against a real IPVS).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = join(import.meta.dirname, '..', '..');
const x64 = process.env.STOCKADE_BIN ?? join(root, 'dist', 'x64', 'stockade');
const tmp = mkdtempSync(join(tmpdir(), 'stockade-cli-lvs-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(x64, args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, STOCKADE_SOCKET: join(tmp, 'no-daemon.sock') } });
  return { code: r.status, text: r.stdout + r.stderr };
}

function config(mutate: (c: any) => void): string {
  const c = JSON.parse(readFileSync(join(root, 'test/fixtures/config/ha-node-a.json'), 'utf8'));
  mutate(c);
  const file = join(tmp, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(c, null, 2));
  return file;
}

for (const words of [['lvs', 'plan'], ['lvs', 'apply']]) {
  test(`${words.join(' ')} of a config with DR port mapping: exit 2, the pointer, nothing applied`, () => {
    const file = config((c) => (c.lvs.virtual_services[0].method = 'dr'));
    const r = run([...words, file]);
    assert.is(r.code, 2, r.text);
    assert.match(r.text, /\/lvs\/virtual_services\/0\/real_servers\/0\/port/);
    assert.match(r.text, /dr cannot change ports/);
    assert.not.match(r.text, /\n\s+at /);
  });
}

test('lvs plan where ip_vs is not loaded: plans against an empty table, says so, leaves ip_vs out', () => {
  const loaded = existsSync('/sys/module/ip_vs');
  const r = run(['lvs', 'plan', config(() => undefined)]);
  if (loaded) {
    // A machine with IPVS loaded: the plan is against its real table.
    assert.not.match(r.text, /IPVS is not loaded/, r.text);
    return;
  }
  assert.is(r.code, 0, r.text);
  assert.match(r.text, /^IPVS is not loaded \(module ip_vs\): the kernel holds no virtual services; lvs apply loads it$/m);
  assert.match(r.text, /^\+ service tcp 203\.0\.113\.10:80 wlc \(web: not in the kernel\)$/m);
  assert.match(r.text, /^\d+ changes to write \(stockade lvs apply /m);
  assert.not.ok(existsSync('/sys/module/ip_vs'), 'ip_vs still not loaded');
});

test('lvs apply of a fwmark service with a port: exit 2 naming it', () => {
  const file = config((c) => {
    delete c.lvs.virtual_services[1].address;
    c.lvs.virtual_services[1].fwmark = 3;
  });
  const r = run(['lvs', 'apply', file]);
  assert.is(r.code, 2, r.text);
  assert.match(r.text, /\/lvs\/virtual_services\/1\/port.*no port with fwmark/s);
});

test('ctl lvs without a daemon: one line saying so, exit 1', () => {
  const r = run(['ctl', 'lvs']);
  assert.is(r.code, 1, r.text);
  assert.not.match(r.text, /\n\s+at /);
});

test('ctl lvs refuses --stats with --rate', () => {
  const r = run(['ctl', 'lvs', '--stats', '--rate']);
  assert.is(r.code, 2);
  assert.match(r.text, /--stats or --rate, not both/);
});

test('help lists lvs plan, lvs apply and ctl lvs', () => {
  const r = run(['help']);
  assert.match(r.text, /^ {2}lvs +.*: plan, apply$/m);
  assert.match(r.text, /^ {2}ctl +.*\blvs\b/m);
  for (const w of [/lvs plan/, /lvs apply/]) assert.match(run(['lvs', '--help']).text, w);
  assert.match(run(['ctl', '--help']).text, /ctl lvs/);
});

test.run();
