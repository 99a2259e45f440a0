// scripts/setup-host proves the C toolchains before any build: with one piece of a toolchain gone,
// it stops with an error naming the Debian package that provides it. The piece is hidden by a
// mount in a private mount namespace (unshare -m), so nothing changes outside this one command;
// .cache is hidden there too, so the stamp of an earlier proof does not skip the check.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unmet } from '../required.ts';

const root = join(import.meta.dirname, '..', '..');

function setupHostWith(hide: string): { code: number | null; stderr: string } {
  const script = `set -e; mkdir -p "${root}/.cache"; mount -t tmpfs tmpfs "${root}/.cache"; ${hide}; exec "${root}/scripts/setup-host"`;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stderr: r.stderr };
}

const cases: Array<[what: string, hide: string, named: RegExp]> = [
  ['the host C compiler', 'mount --bind /dev/null "$(readlink -f /usr/bin/cc)"', /^setup-host: toolchain check failed: x64: no C compiler 'cc' \(Debian package build-essential\)$/m],
  ['the arm64 cross compiler', 'mount --bind /dev/null /usr/bin/aarch64-linux-gnu-gcc', /^setup-host: toolchain check failed: arm64: no C compiler 'aarch64-linux-gnu-gcc' \(Debian package gcc-aarch64-linux-gnu\)$/m],
  ['the arm64 C headers', 'mount -t tmpfs tmpfs /usr/aarch64-linux-gnu/include', /^setup-host: toolchain check failed: arm64: 'aarch64-linux-gnu-gcc' cannot build a one-line C program \(C headers and crt files: Debian package libc6-dev-arm64-cross\): .*No such file/m],
  ['qemu-user', 'mount --bind /dev/null /usr/bin/qemu-aarch64-static', /^setup-host: toolchain check failed: arm64: cannot run the program: no 'qemu-aarch64-static' \(Debian package qemu-user-static\)$/m],
];

const why = process.getuid?.() !== 0 ? 'not root (hiding a file needs a mount namespace)'
  : process.arch !== 'x64' ? `setup-host's cross toolchains are for an x86_64 host, this is ${process.arch}`
  : spawnSync('unshare', ['--version']).status !== 0 ? "'unshare' not found (Debian package util-linux)" : undefined;

if (why) {
  unmet(test, 'cli/setup-host', why);
} else {
  test('with every toolchain in place it passes', () => {
    const r = setupHostWith('true');
    assert.is(r.code, 0, r.stderr);
  });
  for (const [what, hide, named] of cases) {
    test(`without ${what} it stops, naming the package`, () => {
      const r = setupHostWith(hide);
      assert.is(r.code, 1, r.stderr);
      assert.match(r.stderr, named);
    });
  }
}

test.run();
