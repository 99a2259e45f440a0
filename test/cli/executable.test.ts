// The built executables, as a user runs them: dist/x64/stockade directly, dist/arm64/stockade
// under qemu-user (when qemu-aarch64-static is installed, as scripts/setup-host does).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = join(import.meta.dirname, '..', '..');
const x64 = process.env.STOCKADE_BIN ?? join(root, 'dist', 'x64', 'stockade');
const arm64 = join(root, 'dist', 'arm64', 'stockade');
const qemu = '/usr/bin/qemu-aarch64-static';
const fixtures = join(root, 'test', 'fixtures', 'config');

function run(bin: string, args: string[], viaQemu = false) {
  const r = viaQemu
    ? spawnSync(qemu, ['-L', '/usr/aarch64-linux-gnu', bin, ...args], { encoding: 'utf8', timeout: 60_000 })
    : spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'stockade-cli-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('--version prints version, the git commit and the build date', () => {
  const r = run(x64, ['--version']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /^stockade \d+\.\d+\.\d+ \(commit [0-9a-f]{12}(-dirty)?, built \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\n$/);
});

test('help lists the subcommands and nothing else', () => {
  const r = run(x64, ['help']);
  assert.is(r.code, 0);
  assert.match(r.stdout.replace(/\n {4,}/g, " "), /^ {2}config +.*: validate, schema, plan, apply,/m);
  const group = run(x64, ['config', '--help']);
  assert.is(group.code, 0);
  assert.match(group.stdout, /^ {2}config validate FILE$/m);
  assert.match(group.stdout, /^ {2}config schema$/m);
});

test('an unknown subcommand exits 2 without a stack trace', () => {
  const r = run(x64, ['launch-missiles']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /unknown command/);
  assert.not.match(r.stderr, /\n\s+at /);
});

test('config validate accepts the example configs', () => {
  for (const name of ['minimal.json', 'ha-node-a.json']) {
    const file = join(fixtures, name);
    const r = run(x64, ['config', 'validate', file]);
    assert.is(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /valid/);
  }
});

test('config validate rejects a bad config with exit 2, the pointer and no stack trace', () => {
  const file = join(tmp, 'bad.json');
  writeFileSync(file, JSON.stringify({ version: 1, vrrp: { instances: [{ name: 'gw', interface: 'lan', vrid: 300, priority: 100 }] }, sytem: {} }));
  const r = run(x64, ['config', 'validate', file]);
  assert.is(r.code, 2);
  const text = r.stdout + r.stderr;
  assert.match(text, /\/vrrp\/instances\/0\/vrid/);
  assert.match(text, /300/);
  assert.match(text, /did you mean "system"\?/);
  assert.not.match(text, /\n\s+at /);
});

test('config validate of a file that is not JSON names line and column', () => {
  const file = join(tmp, 'broken.json');
  writeFileSync(file, '{\n  "version": 1\n  "system": {}\n}\n'); // missing comma after 1
  const r = run(x64, ['config', 'validate', file]);
  assert.is(r.code, 2);
  assert.match(r.stdout + r.stderr, /broken\.json:3:3/);
});

test('config schema prints a JSON Schema 2020-12 document', () => {
  const r = run(x64, ['config', 'schema']);
  assert.is(r.code, 0);
  const schema = JSON.parse(r.stdout);
  assert.is(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.ok(schema.properties.version);
});

test('a reader that has gone (a closed pipe) ends the output quietly: no crash, no stack trace', () => {
  // The reader (true) has exited before stockade starts writing: every write meets EPIPE.
  const r = spawnSync('/bin/bash', ['-c', `set -o pipefail; { sleep 0.3; exec "${x64}" config schema; } | true`], { encoding: 'utf8', timeout: 30_000 });
  assert.is(r.stderr, '', 'nothing on stderr');
  assert.is(r.status, 0);
});

test('the arm64 executable is an aarch64 program that runs (under qemu-user)', () => {
  if (!existsSync(qemu) || !existsSync(arm64)) {
    assert.unreachable(`needs ${qemu} and ${arm64}: scripts/setup-host and npm run build provide both`);
  }
  const r = run(arm64, ['--version'], true);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^stockade \d+\.\d+\.\d+ \(commit /);
  const v = run(arm64, ['config', 'validate', join(fixtures, 'ha-node-a.json')], true);
  assert.is(v.code, 0, v.stdout + v.stderr);
});

test.run();
