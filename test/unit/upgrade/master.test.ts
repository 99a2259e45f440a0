// `upgrade install` on the MASTER of a VRRP pair: refused before a byte is read unless --handover
// or --force, against a control socket that answers vrrp.status as the daemon does; a BACKUP, or
// no daemon at all, goes on to the bundle (here: a missing file, so nothing is written either way).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../../src/cli/main.ts';
import { makeTestDisk } from './disk.ts';

const tmp = mkdtempSync(join(tmpdir(), 'stockade-upgrade-master-'));
const boardFile = join(import.meta.dirname, '..', '..', '..', 'board', 'x86_64-generic', 'board.json');
const config = join(tmp, 'config.json');
writeFileSync(config, JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'eth0' }] }, upgrade: { trusted_keys: [{ name: 'k', ed25519_public_key: 'A'.repeat(42) + 'A=' }] } }));
const disk = makeTestDisk(tmp, 64 * 1024);

let states: string[] = [];
const socket = join(tmp, 'control.sock');
let server: Server;
test.before(async () => {
  server = createServer((c) => {
    c.setEncoding('utf8');
    c.on('data', (line: string) => {
      const { id, method } = JSON.parse(line.split('\n')[0]!) as { id: number; method: string };
      const instances = states.map((state, i) => ({ name: `vi${i + 1}`, interface: i === 0 ? 'lan' : 'wan', state }));
      c.end(JSON.stringify(method === 'vrrp.status' ? { id, ok: true, result: { running: true, instances } } : { id, ok: false, error: 'no such method' }) + '\n');
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
});
test.after(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

async function install(...extra: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(['upgrade', 'install', join(tmp, 'absent.stk'), '--disk', disk.file, '--config', config, '--board-file', boardFile, '--state', join(tmp, 'state'), ...extra], { out: () => undefined, err: (t) => void (err += t) });
  return { code, err };
}

test('the MASTER refuses without --handover or --force, naming its instances; nothing is read', async () => {
  states = ['MASTER', 'BACKUP'];
  const r = await install('--socket', socket);
  assert.is(r.code, 2);
  assert.match(r.err, /this box is the VRRP MASTER of vi1 \(lan\): rebooting into the new slot moves them to the peer\. Upgrade the BACKUP first; here, --handover .*; nothing was written/);
  assert.not.match(r.err, /absent\.stk/);
});

test('--handover and --force go on to the bundle and say what the reboot will do', async () => {
  states = ['MASTER', 'MASTER'];
  const h = await install('--socket', socket, '--handover');
  assert.match(h.err, /MASTER of vi1 \(lan\), vi2 \(wan\): handed over to the peer as the box reboots \(--handover\)/);
  assert.match(h.err, /absent\.stk: no such file/);
  const f = await install('--socket', socket, '--force');
  assert.match(f.err, /rebooting anyway \(--force\)/);
});

test('a BACKUP, and a box whose daemon is not running, go on without a word about VRRP', async () => {
  states = ['BACKUP'];
  const b = await install('--socket', socket);
  assert.not.match(b.err, /MASTER/);
  assert.match(b.err, /absent\.stk: no such file/);
  const none = await install('--socket', join(tmp, 'no-daemon.sock'));
  assert.match(none.err, /absent\.stk: no such file/);
});

test.run();
