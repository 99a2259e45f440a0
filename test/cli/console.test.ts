// `stockade console` from the built executable: its serialport addon is the file beside it,
// loaded only when a port is opened (a copy of the executable without it runs every other
// command, and the console names the missing file); bad arguments exit 2.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = join(import.meta.dirname, '..', '..');
const x64 = process.env.STOCKADE_BIN ?? join(root, 'dist', 'x64', 'stockade');
const tmp = mkdtempSync(join(tmpdir(), 'stockade-cli-console-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const run = (bin: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('the serialport addon ships beside the executable', () => {
  assert.ok(existsSync(join(root, 'dist', 'x64', 'serialport.node')), 'dist/x64/serialport.node');
});

test('--help fits 80 columns; a bad --baud and an unknown argument exit 2', () => {
  const h = run(x64, ['console', '--help']);
  assert.is(h.code, 0);
  assert.match(h.stdout, /^usage: stockade console \[--tty DEV\] \[--baud N\]/);
  for (const l of h.stdout.split('\n')) assert.ok(l.length < 80, l);
  const b = run(x64, ['console', '--tty', '/dev/null', '--baud', '1234']);
  assert.is(b.code, 2);
  assert.match(b.stderr, /--baud 1234: expected one of 9600, .* 921600/);
  assert.is(run(x64, ['console', '--bogus']).code, 2);
});

test('without serialport.node beside it: other commands run; the console names the missing file', () => {
  const bin = join(tmp, 'stockade');
  copyFileSync(x64, bin);
  const env = { ...process.env, STOCKADE_SERIALPORT_NATIVE: '' };
  assert.is(run(bin, ['--version'], env).code, 0);
  assert.is(run(bin, ['config', 'validate', join(root, 'test', 'fixtures', 'config', 'minimal.json')], env).code, 0);
  const c = run(bin, ['console', '--tty', '/dev/null', '--config', join(tmp, 'none.json')], env);
  assert.is(c.code, 1);
  assert.match(c.stderr, new RegExp(`cannot open the console: .*serialport\\.node\\) is missing: ${join(tmp, 'serialport.node').replace(/[.]/g, '\\.')}`));
});

test('with it: a tty that is not one is refused with the reason', () => {
  const c = run(x64, ['console', '--tty', '/dev/null', '--config', join(tmp, 'none.json')]);
  assert.is(c.code, 1);
  assert.match(c.stderr, /^stockade: cannot open the console: \/dev\/null: /m);
});

test('arm64 (under qemu-user): its serialport.node (the armv8 glibc prebuild) loads from beside it', () => {
  const arm64 = join(root, 'dist', 'arm64', 'stockade');
  const qemu = '/usr/bin/qemu-aarch64-static';
  if (!existsSync(arm64) || !existsSync(qemu)) assert.unreachable(`needs ${qemu} and ${arm64}: scripts/setup-host and npm run build provide both`);
  assert.ok(existsSync(join(root, 'dist', 'arm64', 'serialport.node')));
  const r = spawnSync(qemu, ['-L', '/usr/aarch64-linux-gnu', arm64, 'console', '--tty', '/dev/null', '--config', join(tmp, 'none.json')],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, STOCKADE_NATIVE: join(root, 'dist', 'arm64', 'stockade.node') } });
  assert.is(r.status, 1, r.stderr);
  // The native open ran (a missing or foreign addon fails before it, naming the file).
  assert.match(r.stderr, /^stockade: cannot open the console: \/dev\/null: /m);
  assert.not.match(r.stderr, /serialport\.node/);
});

test.run();
