// The control socket's hardening (issue 10, item 4): mode 0600 whatever the umask (0660 with the
// configured group); only a stale *socket* is removed at start, never a regular file, and never
// a live daemon's socket; peer credentials checked (uid 0, or the group); at most N clients; one
// request in flight per client with replies under backpressure, a client that never takes its
// answer dropped; every reject counted by reason and logged at most a few times a second;
// `stockade ctl daemon` shows the counters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../../src/daemon/control.ts';
import { controlRequest, MAX_LINE, type DaemonStatusView } from '../../../src/control/index.ts';
import type { ControlOptions } from '../../../src/daemon/control.ts';
import { lineLog } from '../../../src/daemon/log.ts';
import { main } from '../../../src/cli/main.ts';
import { lineClient, requestAs, staleSocket } from './control-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'stk-control-limits-'));
chmodSync(dir, 0o755); // the other-user clients below must reach the sockets
let n = 0;
const sockPath = (): string => join(dir, `s${++n}.sock`);
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

async function withServer<T>(opts: ControlOptions, fn: (server: ControlServer, path: string) => Promise<T>): Promise<T> {
  const path = sockPath();
  const server = await ControlServer.listen(path, opts);
  server.handle('ping', () => ({ pong: true }));
  try {
    return await fn(server, path);
  } finally {
    await server.close();
  }
}

const refusal = (p: Promise<unknown>): Promise<string> => p.then(() => 'started', (e: Error) => e.message);

test('mode 0600 under umask 0 (race-free: never wider), 0660 with the group', async () => {
  const old = process.umask(0);
  try {
    await withServer({}, async (_s, path) => {
      assert.is(statSync(path).mode & 0o777, 0o600);
    });
    await withServer({ group: 12345 }, async (_s, path) => {
      const st = statSync(path);
      assert.is(st.mode & 0o777, 0o660);
      if (isRoot) assert.is(st.gid, 12345);
    });
  } finally {
    process.umask(old);
  }
});

test('at start: a regular file, a directory, a symlink are never removed; a live socket is not taken; a stale one is', async () => {
  const file = sockPath();
  writeFileSync(file, 'precious');
  assert.match(await refusal(ControlServer.listen(file)), /exists and is a regular file; not removed/);
  assert.is(readFileSync(file, 'utf8'), 'precious');
  const d = sockPath();
  mkdirSync(d);
  assert.match(await refusal(ControlServer.listen(d)), /is a directory; not removed/);
  const link = sockPath();
  symlinkSync(file, link);
  assert.match(await refusal(ControlServer.listen(link)), /is a symbolic link; not removed/);
  assert.ok(existsSync(link) && existsSync(file));

  // A live listener that never answers (a daemon busy committing): still not ours to take.
  const live = sockPath();
  const other = createServer(() => undefined);
  await new Promise<void>((r) => other.listen(live, r));
  try {
    assert.match(await refusal(ControlServer.listen(live)), /another daemon is listening on/);
    assert.ok(existsSync(live));
  } finally {
    await new Promise((r) => other.close(r));
  }
  const stale = sockPath();
  await staleSocket(stale);
  const s = await ControlServer.listen(stale);
  s.handle('ping', () => 'pong');
  assert.is(await controlRequest(stale, 'ping'), 'pong');
  await s.close();
});

test('peer credentials: other users are refused and counted, the group admitted (credentials given)', async () => {
  const as = (uid: number, gid: number, groups: number[] = []) => () => ({ pid: 4242, uid, gid, groups });
  await withServer({ credentials: as(1000, 1000) }, async (server, path) => {
    assert.is(await refusal(controlRequest(path, 'ping')), 'permission denied: uid 1000 (pid 4242) is not root');
    assert.is(server.stats().rejected.permission, 1);
    assert.is(server.stats().requests, 0);
  });
  await withServer({ credentials: as(1000, 1000, [50]), group: 50 }, async (_s, path) => {
    assert.equal(await controlRequest(path, 'ping'), { pong: true });
  });
  await withServer({ credentials: as(1000, 50), group: 50 }, async (_s, path) => {
    assert.equal(await controlRequest(path, 'ping'), { pong: true });
  });
  await withServer({ credentials: () => { throw new Error('no fd'); } }, async (server, path) => {
    assert.match(await refusal(controlRequest(path, 'ping')), /^peer credentials unknown \(no fd\)$/);
    assert.is(server.stats().rejected.no_credentials, 1);
  });
});

test('peer credentials from the kernel (SO_PEERCRED): nobody refused even through a 0666 socket, admitted by group', async () => {
  if (!isRoot) {
    if (process.env.CI === 'true') assert.unreachable('this test needs root (to run a client as another user)');
    console.log('SKIP peer credentials from the kernel: not root');
    return;
  }
  await withServer({}, async (server, path) => {
    assert.match(await requestAs(path, NOBODY, NOBODY, '{"method":"ping"}'), /^error EACCES$/, 'mode 0600 keeps nobody out');
    chmodSync(path, 0o666); // as if the mode were ever wrong: the credentials still hold
    const a = JSON.parse(await requestAs(path, NOBODY, NOBODY, '{"method":"ping"}')) as { ok: boolean; error: string };
    assert.is(a.ok, false);
    assert.match(a.error, /^permission denied: uid 65534 \(pid \d+\) is not root$/);
    assert.is(server.stats().rejected.permission, 1);
    assert.equal(await controlRequest(path, 'ping'), { pong: true }, 'root is served');
  });
  await withServer({ group: NOBODY }, async (_s, path) => {
    assert.equal(JSON.parse(await requestAs(path, NOBODY, NOBODY, '{"id":3,"method":"ping"}')), { id: 3, ok: true, result: { pong: true } });
  });
});

test('at most maxClients connections; the next is refused with a reason, and served once one leaves', async () => {
  await withServer({ maxClients: 2 }, async (server, path) => {
    const a = await lineClient(path);
    const b = await lineClient(path);
    while (server.stats().clients < 2) await new Promise((r) => setTimeout(r, 5));
    const c = await lineClient(path);
    const [refused] = await c.waitLines(1);
    assert.equal(JSON.parse(refused!), { ok: false, error: 'too many clients (at most 2)' });
    await c.closed;
    assert.is(server.stats().rejected.too_many_clients, 1);
    assert.is(server.stats().clients, 2);
    a.socket.destroy();
    await a.closed;
    while (server.stats().clients > 1) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await controlRequest(path, 'ping'), { pong: true });
    b.socket.destroy();
  });
});

test('one request in flight per client; a client that does not read its answers stops being read', async () => {
  await withServer({}, async (server, path) => {
    let calls = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const big = 'x'.repeat(1 << 20);
    server.handle('big', async () => {
      calls++;
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return big;
    });
    const cl = await lineClient(path);
    cl.socket.pause(); // reads nothing
    const requests = 12;
    cl.socket.write(Array.from({ length: requests }, (_, i) => JSON.stringify({ id: i, method: 'big' }) + '\n').join(''));
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(calls <= 3, `${calls} of ${requests} 1 MiB answers made for a client that reads none (expected at most 3)`);
    assert.is(maxInFlight, 1);
    cl.socket.resume();
    const lines = await cl.waitLines(requests);
    assert.equal(lines.map((l) => (JSON.parse(l) as { id: number }).id), Array.from({ length: requests }, (_, i) => i), 'every answer, in order');
    assert.is(maxInFlight, 1);
    cl.socket.destroy();
  });
});

test('an answer not taken within the drain timeout drops the connection, counted as slow_reader', async () => {
  await withServer({ drainTimeoutMs: 150 }, async (server, path) => {
    server.handle('big', () => 'y'.repeat(4 << 20));
    const cl = await lineClient(path);
    cl.socket.pause();
    cl.socket.write('{"method":"big"}\n');
    while (server.stats().rejected.slow_reader === 0) await new Promise((r) => setTimeout(r, 20));
    cl.socket.resume(); // now it reads: the server has closed its end
    await cl.closed;
    assert.ok(cl.lines.length === 0 || cl.lines[0]!.length < 4 << 20, 'the answer was cut off, not delivered whole');
    assert.is(server.stats().clients, 0);
    assert.equal(await controlRequest(path, 'ping'), { pong: true }, 'others are still served');
  });
});

test('rejects counted by reason; their log lines rate-limited per reason', async () => {
  const out: string[] = [];
  const log = lineLog((l) => out.push(l), { now: () => 1000 });
  await withServer({ log }, async (server, path) => {
    const cl = await lineClient(path);
    cl.socket.write('garbage\n'.repeat(50) + '[1]\n{"method":5}\n{"method":"nope"}\n');
    const lines = await cl.waitLines(53);
    assert.equal(JSON.parse(lines[0]!), { ok: false, error: 'not JSON' });
    assert.equal(JSON.parse(lines[50]!), { ok: false, error: 'expected {"method": ...}' });
    assert.equal(JSON.parse(lines[52]!), { ok: false, error: "unknown method 'nope'" });
    cl.socket.write('z'.repeat(MAX_LINE + 1024));
    const [tooLong] = (await cl.waitLines(54)).slice(53);
    assert.match(tooLong!, /request line too long/);
    await cl.closed;
    const r = server.stats().rejected;
    assert.equal([r.not_json, r.bad_request, r.unknown_method, r.line_too_long], [50, 2, 1, 1]);
    assert.is(out.filter((l) => l.includes('not JSON')).length, 5, 'five a second per reason');
    assert.is(log.stats().suppressed['control:not_json'], 45);

    server.handle('daemon.status', (): DaemonStatusView => ({
      pid: 7, version: '1.2.3', uptimeMs: 61_000, config: '/data/config.json', fallback: false, testHooks: false,
      control: server.stats(), log: log.stats(),
    }));
    const io = { stdout: '', stderr: '', out(t: string) { io.stdout += t; }, err(t: string) { io.stderr += t; } };
    assert.is(await main(['ctl', 'daemon', '--socket', path], io), 0, io.stderr);
    assert.match(io.stdout, /^daemon: pid 7, stockade 1\.2\.3, up 61s, config \/data\/config\.json$/m);
    assert.match(io.stdout, /^control rejects: not_json=50 bad_request=2 unknown_method=1 line_too_long=1$/m);
    assert.match(io.stdout, /^log: \d+ lines; held back \(over 5\/s per kind, 200\/s in all\): control:not_json=45$/m);
    const j = { stdout: '', stderr: '', out(t: string) { j.stdout += t; }, err(t: string) { j.stderr += t; } };
    assert.is(await main(['ctl', 'daemon', '--json', '--socket', path], j), 0);
    assert.is((JSON.parse(j.stdout) as DaemonStatusView).control.rejected.not_json, 50);
  });
});

test('a client that sends its requests and shuts its side gets every answer, the last line even without its newline', async () => {
  await withServer({}, async (_s, path) => {
    const cl = await lineClient(path);
    cl.socket.end('{"id":1,"method":"ping"}\n{"id":2,"method":"ping"}');
    await cl.closed;
    assert.equal(cl.lines.map((l) => (JSON.parse(l) as { id: number }).id), [1, 2]);
  });
});

test('a result JSON cannot hold is that request\'s error, not a crash', async () => {
  await withServer({}, async (server, path) => {
    server.handle('cycle', () => { const o: Record<string, unknown> = {}; o['self'] = o; return o; });
    assert.match(await refusal(controlRequest(path, 'cycle')), /^answer not serializable: /);
    assert.equal(await controlRequest(path, 'ping'), { pong: true });
  });
});

test('cleanup', () => rmSync(dir, { recursive: true, force: true }));

test.run();
