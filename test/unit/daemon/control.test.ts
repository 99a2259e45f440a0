// The control socket in-process: line-delimited JSON requests and answers, errors as answers,
// a stale socket left by a killed daemon replaced; `stockade ctl vrrp` against it (human and
// --json) and without it. The hardening is in control-limits.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../../src/daemon/control.ts';
import { controlRequest, controlSocketPath, type VrrpStatusView } from '../../../src/control/index.ts';
import { staleSocket } from './control-helpers.ts';
import { main } from '../../../src/cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'stk-control-'));
const capture = () => {
  const io = { stdout: '', stderr: '', out(t: string) { io.stdout += t; }, err(t: string) { io.stderr += t; } };
  return io;
};

const view: VrrpStatusView = {
  running: true, uptimeMs: 1000, interfaceDrops: { eth0: { unknown_vrid: 2 } },
  lag: { loopP50Ms: 10.1, loopP99Ms: 10.5, loopMaxMs: 12, timerLastMs: 0.4, timerMaxMs: 1.2, timerFirings: 9 },
  instances: [{
    name: 'vi1', interface: 'eth0', vrid: 51, version: 3, state: 'BACKUP', fault: false, masterAddress: '192.0.2.1', masterPriority: 200,
    priority: 100, effectivePriority: 100, advertIntervalMs: 100, masterAdverIntervalMs: 100, masterDownIntervalMs: 361, nextTimerInMs: 300,
    vips: ['192.0.2.100/24'], vipsPresent: false, vmac: null,
    counters: { advertsIn: 12, advertsOut: 0, priorityZeroIn: 0, priorityZeroOut: 0, transitions: 1, becameMaster: 0, garpsSent: 0, sendErrors: 0, vipErrors: 0 },
    drops: { checksum: 1 },
  }],
};

test('socket path: flag, then $STOCKADE_SOCKET, then /run/stockade.sock', () => {
  assert.is(controlSocketPath('/x', { STOCKADE_SOCKET: '/y' }), '/x');
  assert.is(controlSocketPath(undefined, { STOCKADE_SOCKET: '/y' }), '/y');
  assert.is(controlSocketPath(undefined, {}), '/run/stockade.sock');
});

test('requests and answers, errors as answers, ctl vrrp human and --json', async () => {
  const path = join(dir, 'a.sock');
  await staleSocket(path); // left by a killed daemon
  const server = await ControlServer.listen(path);
  server.handle('vrrp.status', () => view);
  server.handle('boom', () => { throw new Error('it broke'); });
  try {
    assert.equal(await controlRequest(path, 'vrrp.status'), view);
    const failure = (m: string) => controlRequest(path, m).then(() => 'resolved', (e: Error) => e.message);
    assert.is(await failure('boom'), 'it broke');
    assert.is(await failure('nope'), "unknown method 'nope'");
    // Two requests on one connection, one of them not JSON.
    const answers = await new Promise<string>((resolve) => {
      const s = createConnection(path);
      let buf = '';
      s.setEncoding('utf8');
      s.on('data', (c: string) => { buf += c; if (buf.split('\n').length > 2) { s.end(); resolve(buf); } });
      s.write('garbage\n{"id":7,"method":"vrrp.status"}\n');
    });
    const [first, second] = answers.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(first, { ok: false, error: 'not JSON' });
    assert.is(second.id, 7);
    assert.is(second.ok, true);

    const io = capture();
    assert.is(await main(['ctl', 'vrrp', '--socket', path], io), 0);
    // Within 79 columns: the table, then each instance's counters on its own (wrapped) lines.
    for (const l of io.stdout.split('\n')) assert.ok(l.length <= 79, `past column 79: ${l}`);
    assert.match(io.stdout, /^INSTANCE\s+IFACE\s+VRID\s+STATE\s+MASTER\s+PRIO\s+ADVERT\s+DOWN\s+NEXT$/m);
    assert.match(io.stdout, /^vi1\s+eth0\s+51\s+BACKUP\s+192\.0\.2\.1\s+100\/100\s+v3 100ms\s+361ms\s+300ms$/m);
    assert.match(io.stdout.replace(/\n +/g, ' '), /vi1: vips 192\.0\.2\.100\/24 \(absent\); adverts in 12, out 0; transitions 1; .*drops 1 \(checksum=1\)/);
    server.handle('vrrp.status', () => ({ ...view, instances: [{ ...view.instances[0]!, vipsPresent: true, vmac: 'vrrp.51' }] }));
    const v = capture();
    assert.is(await main(['ctl', 'vrrp', '--socket', path], v), 0);
    assert.match(v.stdout, /vi1: vips 192\.0\.2\.100\/24 \(present\) on vrrp\.51;/, 'the virtual MAC interface is named');
    server.handle('vrrp.status', () => view);
    assert.match(io.stdout, /eth0: drops before an instance: unknown_vrid=2/);
    assert.match(io.stdout, /event-loop lag: p50 10\.1ms/);
    const j = capture();
    assert.is(await main(['ctl', 'vrrp', '--json', '--socket', path], j), 0);
    assert.equal(JSON.parse(j.stdout), view);
  } finally {
    await server.close();
  }
});

test('a daemon still starting says so for a method it has not registered yet; unknown after ready()', async () => {
  const path = join(dir, 'starting.sock');
  const server = await ControlServer.listen(path, { starting: true });
  server.handle('ping', () => ({ pong: true }));
  try {
    const failure = (m: string) => controlRequest(path, m).then(() => 'resolved', (e: Error) => e.message);
    assert.equal(await controlRequest(path, 'ping'), { pong: true });
    assert.is(await failure('vrrp.status'), "the daemon is starting; 'vrrp.status' answers once it has started");
    server.ready();
    assert.is(await failure('vrrp.status'), "unknown method 'vrrp.status'");
  } finally {
    await server.close();
  }
});

test('ctl vrrp without a daemon: one line, exit 1; a bad argument: exit 2', async () => {
  const io = capture();
  assert.is(await main(['ctl', 'vrrp', '--socket', join(dir, 'none.sock')], io), 1);
  assert.match(io.stderr, /^stockade: the daemon is not running \(no .*none\.sock\)\n$/);
  const bad = capture();
  assert.is(await main(['ctl', 'vrrp', '--jsno'], bad), 2);
});

test('cleanup', () => rmSync(dir, { recursive: true, force: true }));

test.run();
