// `stockade upgrade pair` refuses before it reads or connects when upgrade.peer is missing or
// wrong: the error names the config pointer (no peer, a host key that is not an Ed25519 key line).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../../src/cli/main.ts';
import { sshMessage } from '../../../src/cli/upgrade-pair-peer.ts';

const tmp = mkdtempSync(join(tmpdir(), 'stockade-upgrade-pair-cli-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

async function pair(upgrade: object): Promise<{ code: number; err: string }> {
  const config = join(tmp, `config-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(config, JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'eth0' }] }, upgrade }));
  let err = '';
  const code = await main(['upgrade', 'pair', join(tmp, 'next.stk'), '--config', config], { out: () => undefined, err: (t) => void (err += t) });
  return { code, err };
}

test('no upgrade.peer: refused, saying what to set', async () => {
  const r = await pair({});
  assert.is(r.code, 2);
  assert.match(r.err, /\/upgrade\/peer is not set: upgrade pair needs the peer's address and host key/);
});

test('a host key that is not an ssh-ed25519 line: the config error names /upgrade/peer/host_key', async () => {
  const r = await pair({ peer: { address: '192.0.2.131', host_key: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ root@fw-b' } });
  assert.is(r.code, 2);
  assert.match(r.err, /\/upgrade\/peer\/host_key/);
  assert.match(r.err, /ssh-ed25519/);
});

test('--timeout must be whole seconds, at least 60', async () => {
  const config = join(tmp, 'timeout.json');
  writeFileSync(config, JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'eth0' }] } }));
  let err = '';
  const code = await main(['upgrade', 'pair', 'x.stk', '--timeout', '5', '--config', config], { out: () => undefined, err: (t) => void (err += t) });
  assert.is(code, 2);
  assert.match(err, /--timeout: a whole number of seconds, at least 60/);
});

test('dbclient\'s failures in one line, marked as SSH\'s own (exit 255); the remote command\'s as it said them', () => {
  const mismatch = { code: 1, stdout: '', stderr: '/usr/bin/dbclient: Connection to root@192.0.2.131:22 exited: \n\nHost key mismatch for 192.0.2.131 !\nFingerprint is SHA256:abc\n' };
  assert.is(sshMessage(mismatch), 'Connection to root@192.0.2.131:22 exited: Host key mismatch for 192.0.2.131 ! Fingerprint is SHA256:abc');
  assert.is(sshMessage({ code: 255, stdout: '', stderr: 'dbclient: Connection refused\n' }), 'Connection refused (SSH)');
  assert.is(sshMessage({ code: 2, stdout: '', stderr: 'stockade: upgrade activate: slot B holds no recorded install\n' }), 'stockade: upgrade activate: slot B holds no recorded install');
  assert.is(sshMessage({ code: -1, stdout: '', stderr: '', startError: 'dbclient: not found' }), 'dbclient: not found');
  assert.is(sshMessage({ code: 137, stdout: '', stderr: '', timedOut: true }), 'no answer in time');
});

test.run();
