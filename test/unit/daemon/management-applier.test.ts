// The management part on the running box: the commit window, revisions kept, interfaces and
// sources change live (the firewall follows), and so do SSH's keys (the keys file dropbear reads
// at each login is rewritten where boot set SSH up; the undo writes the old keys); the first key
// starts SSH live on the appliance (issue 15: a fresh box set up on the console is reachable at
// once; this changed from a refusal); SSH's port is set up at boot, so a change to it is refused
// naming the key and saying how it takes effect; the rest need a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfigText } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { managementApplier } from '../../../src/daemon/appliers.ts';
import type { SshKeyFiles } from '../../../src/ssh/index.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKtXqLSihHJzSa1sMHJzNh1TiMhIGWeFp8O9fAtCgbT0 admin@laptop';
function config(management: Record<string, unknown>): Config {
  const r = loadConfigText(JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'mgmt' }] }, management: { interfaces: ['mgmt'], ...management } }));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}
const KEY2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBy3BGlDZ9GdK1rF0Hd8ZB1KLwQ9fXGmxkV0H7dO2Ttp ops@desk';

/** SSH's files as a test sees them: whether boot set SSH up, and every keys file written. */
function files(running: boolean, startable = false): SshKeyFiles & { written: string[]; started: Config[] } {
  const written: string[] = [];
  const started: Config[] = [];
  return { written, started, running: () => running, writeKeys: (t) => void written.push(t), startable: () => startable, start: async (c) => void started.push(c) };
}
const refusal = (a: Config, b: Config, ssh: SshKeyFiles = files(false)): Promise<string> => managementApplier(ssh).apply(a, b).then(() => 'applied', (e: Error) => e.message);

test('SSH keys change live where SSH runs: the keys file rewritten, the undo writes the old keys', async () => {
  const ssh = files(true);
  const undo = await managementApplier(ssh).apply(config({ ssh_authorized_keys: [KEY] }), config({ ssh_authorized_keys: [KEY, KEY2] }));
  assert.equal(ssh.written, [`${KEY}\n${KEY2}\n`]);
  await undo();
  assert.equal(ssh.written, [`${KEY}\n${KEY2}\n`, `${KEY}\n`]);
  // Where boot did not set SSH up (SSH off here, a lab): nothing to rewrite, the change is saved.
  const idle = files(false);
  assert.is(await refusal(config({ ssh_authorized_keys: [KEY] }), config({ ssh_authorized_keys: [KEY2] }), idle), 'applied');
  assert.equal(idle.written, []);
});

test('the first key starts SSH live where init waits for it (the undo empties the keys); elsewhere nothing is written', async () => {
  const ssh = files(false, true);
  const undo = await managementApplier(ssh).apply(config({}), config({ ssh_authorized_keys: [KEY] }));
  assert.equal(ssh.started.map((c) => c.management.ssh_authorized_keys), [[KEY]]);
  await undo();
  assert.equal(ssh.written, [''], 'undone: dropbear lets nobody in');
  const lab = files(false, false);
  assert.is(await refusal(config({}), config({ ssh_authorized_keys: [KEY] }), lab), 'applied');
  assert.equal([lab.started, lab.written], [[], []]);
  // The last key removed: the keys file emptied where SSH runs (the next boot leaves it off).
  const on = files(true);
  assert.is(await refusal(config({ ssh_authorized_keys: [KEY] }), config({}), on), 'applied');
  assert.equal(on.written, ['']);
});

test('live keys apply; its port says reboot; others say restart the daemon', async () => {
  assert.is(await refusal(config({}), config({ commit_confirm_s: 60, allowed_sources: ['192.0.2.0/24'] })), 'applied');
  assert.match(await refusal(config({ ssh_authorized_keys: [KEY] }), config({ ssh_authorized_keys: [KEY], ssh_port: 2222 })), /^\/management\/ssh_port: .*reboot\)$/);
  assert.match(await refusal(config({}), config({ control_max_clients: 4 })), /^\/management\/control_max_clients: .*\(restart the daemon to apply it\)$/);
});

test.run();
