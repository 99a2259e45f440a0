// scripts/build-image on bad input: a clear error naming what is wrong, a non-zero exit, and no
// image (nor a half-written output directory) left behind.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from './vm.ts';

const tmp = mkdtempSync(join(tmpdir(), 'stockade-build-errors-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function build(args: string[], timeoutMs = 300_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(root, 'scripts', 'build-image'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** A copy of board/x86_64-generic with `edit` applied to its board.json. */
function boardVariant(name: string, edit: (b: Record<string, unknown>) => void): string {
  const dir = join(tmp, name);
  cpSync(join(root, 'board', 'x86_64-generic'), dir, { recursive: true });
  const b = JSON.parse(readFileSync(join(dir, 'board.json'), 'utf8')) as Record<string, unknown>;
  delete b.$schema;
  edit(b);
  writeFileSync(join(dir, 'board.json'), JSON.stringify(b, null, 2));
  return dir;
}

function assertNothingWritten(out: string): void {
  assert.not.ok(existsSync(out), `${out} was written`);
  const leftovers = readdirSync(tmp).filter((f) => f.startsWith('.out-'));
  assert.equal(leftovers, [], 'temporary output left behind');
}

test('an unknown board: error naming it and the boards there are', async () => {
  const r = await build(['--board', 'no-such-board']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /unknown board 'no-such-board' \(boards: [^)]*x86_64-generic/);
  assert.match(r.stderr, /no image written/);
  assert.not.ok(existsSync(join(root, 'dist', 'images', 'no-such-board')));
});

test('a board file whose port map repeats a label: error naming the file and the pointer', async () => {
  const dir = boardVariant('dup-label', (b) => {
    (b.ports as Array<{ label: string }>)[1]!.label = 'wan';
  });
  const out = join(tmp, 'out-dup');
  const r = await build(['--board', dir, '--out', out]);
  assert.is(r.code, 2);
  assert.match(r.stderr, new RegExp(`${join(dir, 'board.json').replace(/[.]/g, '\\.')}.*/ports/1/label`));
  assertNothingWritten(out);
});

test('a board port with both a MAC and a path: error naming the port', async () => {
  const dir = boardVariant('both', (b) => {
    (b.ports as Array<Record<string, string>>)[0]!.mac = '52:54:00:00:00:01';
  });
  const out = join(tmp, 'out-both');
  const r = await build(['--board', dir, '--out', out]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /\/ports\/0/);
  assert.match(r.stderr, /exactly one of "mac" or "path"/);
  assertNothingWritten(out);
});

test('a package missing for the arch: error naming the package and the arch', async () => {
  const dir = boardVariant('arm-kernel', (b) => {
    b.kernel_package = 'linux-image-arm64';
  });
  const out = join(tmp, 'out-pkg');
  const r = await build(['--board', dir, '--out', out]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /not available for amd64 .*linux-image-arm64/);
  assertNothingWritten(out);
});

test('no reachable package mirror: error naming the mirror', async () => {
  const sources = join(tmp, 'unreachable.sources');
  writeFileSync(sources, 'Types: deb\nURIs: http://127.0.0.1:9/debian\nSuites: bookworm\nComponents: main\n');
  const out = join(tmp, 'out-mirror');
  const r = await build(['--board', 'x86_64-generic', '--out', out, '--sources', sources]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /no reachable package mirror: http:\/\/127\.0\.0\.1:9\/debian/);
  assertNothingWritten(out);
});

test.run();
