// The lab harness against the real kernel: topologies pass traffic, and every exit path leaves no
// namespace behind. Needs root (test/lab/require.ts: a failure under CI, else a counted skip).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Lab, LabExecError, listNamespaces, sweepStale, withLab } from '../harness.ts';
import type { Topology } from '../harness.ts';
import { ip, pidAlive, tracked } from '../netns.ts';
import { requireLab } from '../require.ts';

if (requireLab(test, 'lab/harness/lab', { tools: ['ping'] })) registerTests();
test.run();

function registerTests(): void {
  const ping = ['ping', '-c1', '-W1'];
  const helper = fileURLToPath(new URL('../helpers/lab-child.ts', import.meta.url));

  async function rejection(p: Promise<unknown>): Promise<Error> {
    try {
      await p;
    } catch (e) {
      return e as Error;
    }
    throw new Error('expected a rejection');
  }

  async function assertGone(namespaces: string[]): Promise<void> {
    const left = (await listNamespaces()).filter((n) => namespaces.includes(n));
    assert.equal(left, [], 'namespaces left behind');
  }

  /** Dead, or a zombie waiting for whoever inherited it to reap it. */
  function processGone(pid: number): boolean {
    if (!pidAlive(pid)) return true;
    try {
      return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return true;
    }
  }

  const twoHosts: Topology = {
    hosts: ['a', 'b'],
    links: [['a:eth0', 'b:eth0']],
    addresses: { 'a:eth0': ['192.0.2.1/24'], 'b:eth0': ['192.0.2.2/24'] },
  };

  test('two hosts on a veth link ping each other', async () => {
    await withLab(twoHosts, async (lab) => {
      await lab.exec('a', [...ping, '192.0.2.2']);
      await lab.exec('b', [...ping, '192.0.2.1']);
      assert.match(lab.nsName('a'), new RegExp(`^stk${process.pid}-\\d+-a$`));
    });
  });

  test('three hosts reach each other through a bridge on a switch host', async () => {
    await withLab({
      hosts: ['a', 'b', 'sw'],
      links: [['a:eth0', 'sw:pa'], ['b:eth0', 'sw:pb']],
      bridges: [{ at: 'sw', name: 'br0', ports: ['pa', 'pb'] }],
      addresses: { 'a:eth0': ['192.0.2.1/24'], 'b:eth0': ['192.0.2.2/24'], 'sw:br0': ['192.0.2.254/24'] },
    }, async (lab) => {
      await lab.exec('a', [...ping, '192.0.2.2']);
      await lab.exec('b', [...ping, '192.0.2.1']);
      await lab.exec('a', [...ping, '192.0.2.254']);
      await lab.exec('sw', [...ping, '192.0.2.2']);
      const ports = await lab.exec('sw', ['ip', '-o', 'link', 'show', 'master', 'br0']);
      assert.match(ports.stdout, /pa@/);
      assert.match(ports.stdout, /pb@/);
    });
  });

  test('a host reaches a third through a router with ip_forward on in its namespace only', async () => {
    await withLab({
      hosts: ['a', 'r', 'c'],
      links: [['a:eth0', 'r:eth0'], ['r:eth1', 'c:eth0']],
      addresses: { 'a:eth0': ['192.0.2.1/24'], 'r:eth0': ['192.0.2.254/24'], 'r:eth1': ['198.51.100.254/24'], 'c:eth0': ['198.51.100.1/24'] },
      routes: { a: ['default via 192.0.2.254'], c: ['192.0.2.0/24 via 198.51.100.254'] },
      sysctls: { r: ['net.ipv4.ip_forward=1'] },
    }, async (lab) => {
      await lab.exec('a', [...ping, '198.51.100.1']);
      await lab.exec('c', [...ping, '192.0.2.1']);
      const forwarding = async (h: string): Promise<string> => (await lab.exec(h, ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim();
      assert.is(await forwarding('r'), '1');
      assert.is(await forwarding('a'), '0');
      const ipv6 = await lab.exec('a', ['sysctl', '-n', 'net.ipv6.conf.eth0.disable_ipv6'], { check: false });
      if (ipv6.code === 0) assert.is(ipv6.stdout.trim(), '1', 'IPv6 is off by default');
    });
  });

  test('exec: failures carry command, code and stderr; check:false, input and timeouts', async () => {
    await withLab({ hosts: ['a'] }, async (lab) => {
      const e = await rejection(lab.exec('a', ['sh', '-c', 'echo oops >&2; exit 3']));
      assert.instance(e, LabExecError);
      assert.match(e.message, /on host a: `sh -c echo oops >&2; exit 3` failed with exit code 3/);
      assert.match(e.message, /stderr: oops/);
      assert.is((e as LabExecError).code, 3);

      const r = await lab.exec('a', ['sh', '-c', 'echo out; exit 4'], { check: false });
      assert.equal(r, { code: 4, stdout: 'out\n', stderr: '' });

      assert.is((await lab.exec('a', ['cat'], { input: 'hello\n' })).stdout, 'hello\n');

      // A command that never ends: that exec rejects at all shows the timeout stopped the wait.
      const t = await rejection(lab.exec('a', ['sleep', 'infinity'], { timeoutMs: 150 }));
      assert.match(t.message, /`sleep infinity` timed out after 150 ms/);

      // The namespace is the host's own: only lo, no root-namespace interfaces.
      const links = await lab.exec('a', ['ip', '-o', 'link', 'show']);
      assert.is(links.stdout.trim().split('\n').length, 1);
    });
  });

  test('spawn: output captured, env passed, killed by signal', async () => {
    await withLab({ hosts: ['a'] }, async (lab) => {
      const p = lab.spawn('a', ['sh', '-c', 'echo "ready $GREETING"; echo warn >&2; exec sleep 30'], { env: { GREETING: 'hi' } });
      await lab.waitFor('the spawned shell to say ready', () => p.stdout().includes('ready hi'), { timeoutMs: 3000 });
      await lab.waitFor('stderr', () => p.stderr() === 'warn\n', { timeoutMs: 3000 });
      p.kill();
      assert.is(await p.exited, null);
      assert.is(p.signal(), 'SIGTERM');
      const q = lab.spawn('a', ['sh', '-c', 'exit 7']);
      assert.is(await q.exited, 7);
    });
  });

  test('destroy removes every namespace and kills what runs there; it is idempotent', async () => {
    const handlersBefore = process.listenerCount('SIGTERM');
    const lab = await Lab.create(twoHosts);
    const names = lab.hosts.map((h) => lab.nsName(h));
    const mine = await listNamespaces();
    for (const n of names) assert.ok(mine.includes(n), `${n} exists`);
    const sleeper = lab.spawn('a', ['sleep', '30']);
    // A grandchild in its own session escapes the process group; destroy still finds it by namespace.
    const escaped = await lab.exec('b', ['sh', '-c', 'setsid sleep 30 >/dev/null 2>&1 < /dev/null & echo $!']);
    const escapedPid = Number(escaped.stdout.trim());
    assert.ok(escapedPid > 0);
    await lab.destroy();
    await lab.destroy();
    await assertGone(names);
    assert.is(await sleeper.exited, null);
    await lab.waitFor('the escaped grandchild to die', () => processGone(escapedPid), { timeoutMs: 2000 });
    const e = await rejection(lab.exec('a', ['true']));
    assert.match(e.message, /destroyed/);
    assert.equal(tracked(), { namespaces: [], groups: [] });
    assert.is(process.listenerCount('SIGTERM'), handlersBefore, 'signal handlers removed with the last lab');
  });

  test('withLab destroys the lab when fn throws, and rethrows that error', async () => {
    let names: string[] = [];
    const e = await rejection(withLab(twoHosts, async (lab) => {
      names = lab.hosts.map((h) => lab.nsName(h));
      lab.spawn('a', ['sleep', '30']);
      throw new Error('test failed on purpose');
    }));
    assert.is(e.message, 'test failed on purpose');
    assert.is(names.length, 2);
    await assertGone(names);
  });

  test('an invalid topology creates nothing', async () => {
    const before = (await listNamespaces()).filter((n) => n.startsWith(`stk${process.pid}-`));
    await rejection(Lab.create({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': ['10.0.0.1/8'] } }));
    const after = (await listNamespaces()).filter((n) => n.startsWith(`stk${process.pid}-`));
    assert.equal(after, before);
  });

  test('a failure half way through building tears down what was built', async () => {
    // Valid shape, but the kernel refuses the route (its gateway is on no link).
    const e = await rejection(Lab.create({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], routes: { a: ['default via 203.0.113.1'] } }));
    assert.match(e.message, /route add default via 203\.0\.113\.1/);
    const left = (await listNamespaces()).filter((n) => n.startsWith(`stk${process.pid}-`));
    assert.equal(left, []);
    assert.equal(tracked(), { namespaces: [], groups: [] });
  });

  /** Runs helpers/lab-child.ts in `mode`, optionally signals it once its lab is up. */
  async function runChild(mode: string, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; namespaces: string[]; pid: number; stderr: string }> {
    const child = spawn(process.execPath, [helper, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    try {
      const line = await waitForLine(() => stdout, () => child.exitCode !== null || child.signalCode !== null, () => stderr);
      const info = JSON.parse(line) as { namespaces: string[]; pid: number };
      if (signal) child.kill(signal);
      const [code, sig] = await exited;
      return { code, signal: sig, ...info, stderr };
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  async function waitForLine(out: () => string, ended: () => boolean, err: () => string): Promise<string> {
    const started = Date.now();
    while (!out().includes('\n')) {
      // A bound on a hang, not a measure: a busy machine has taken over 10 s to start the child.
      if (ended() || Date.now() - started > 60_000) throw new Error(`lab-child gave no line; stderr: ${err()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return out().split('\n')[0]!;
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`a process with a lab that gets ${signal} cleans up and dies of ${signal}`, async () => {
      const r = await runChild('wait', signal);
      assert.is(r.signal, signal, `exit signal (code ${r.code}, stderr ${r.stderr})`);
      assert.is(r.namespaces.length, 2);
      await assertGone(r.namespaces);
      assert.ok(processGone(r.pid), 'the process it spawned in the lab was killed');
    });
  }

  for (const [mode, code] of [['throw', 1], ['reject', 1], ['exit', 3]] as const) {
    test(`a process with a lab that ends by ${mode} cleans up on exit`, async () => {
      const r = await runChild(mode);
      assert.is(r.code, code, r.stderr);
      await assertGone(r.namespaces);
      assert.ok(processGone(r.pid), 'the process it spawned in the lab was killed');
    });
  }

  test('the stale sweep removes namespaces of dead PIDs and leaves live ones and others alone', async () => {
    const dead = spawn('true');
    const deadPid = dead.pid!;
    await new Promise((r) => dead.on('exit', r));
    const live = spawn('sleep', ['30'], { stdio: 'ignore' });
    const livePid = live.pid!;
    const stale = `stk${deadPid}-1-gone`;
    const alive = `stk${livePid}-1-kept`;
    const unlike = `stk${deadPid}-unlike`;
    try {
      assert.ok(!pidAlive(deadPid));
      for (const n of [stale, alive, unlike]) await ip(['netns', 'add', n]);
      const removed = await sweepStale();
      // A concurrent run's sweep may have removed it first; gone is what matters.
      assert.not.ok(removed.includes(alive) || removed.includes(unlike), `removed ${removed.join(', ')}`);
      const names = await listNamespaces();
      assert.not.ok(names.includes(stale), 'a namespace of a dead PID is removed');
      assert.ok(names.includes(alive), 'a namespace of a live PID is kept');
      assert.ok(names.includes(unlike), 'a name not of our shape is kept');
    } finally {
      live.kill('SIGKILL');
      for (const n of [stale, alive, unlike]) await ip(['netns', 'del', n]).catch(() => undefined);
    }
  });
}
