// Asking udhcpd for its leases (SIGUSR1) must not end one that has not installed its handler yet:
// a status request right as a segment's DHCP server started used to kill it, and the box then
// served no DHCP. A shell named udhcpd with the interface's config on its command line stands in
// for the two moments of a real udhcpd's start (before and after its handler).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { flushUdhcpdLeases, runningUdhcpd, udhcpdPaths } from '../../../src/kernel/index.ts';

const test = suite('udhcpd lease flush');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withServer(script: string, fn: (dir: string, child: ChildProcess) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stockade-udhcpd-'));
  const paths = udhcpdPaths('lan', dir);
  mkdirSync(join(dir, 'stockade', 'dhcpd'), { recursive: true });
  writeFileSync(paths.conf, 'interface lan\n');
  // Its own process group: the shell and its sleep are killed together.
  const child = spawn('/bin/sh', ['-c', script, 'udhcpd', paths.conf], { cwd: dir, stdio: 'ignore', detached: true });
  try {
    writeFileSync(paths.pidFile, `${child.pid}\n`);
    for (let i = 0; i < 200 && !existsSync(join(dir, 'ready')); i++) await sleep(10);
    assert.ok(existsSync(join(dir, 'ready')), 'the stand-in started');
    assert.is(runningUdhcpd('lan', dir), child.pid, 'found through its pidfile');
    await fn(dir, child);
  } finally {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a server without its SIGUSR1 handler yet is not asked, and keeps running', async () => {
  await withServer(': > ready; sleep 10; :', async (dir) => {
    assert.is(flushUdhcpdLeases('lan', dir), false);
    await sleep(200);
    assert.ok(runningUdhcpd('lan', dir) !== undefined, 'still running');
  });
});

test('a server with its handler is asked, and keeps running', async () => {
  await withServer('trap ": > asked" USR1; : > ready; while [ ! -e asked ]; do sleep 0.05; done; sleep 10; :', async (dir) => {
    assert.is(flushUdhcpdLeases('lan', dir), true);
    for (let i = 0; i < 200 && !existsSync(join(dir, 'asked')); i++) await sleep(10);
    assert.ok(existsSync(join(dir, 'asked')), 'the signal reached its handler');
    assert.ok(runningUdhcpd('lan', dir) !== undefined, 'still running');
  });
});

test.run();
