// The management part on the running box: the commit window, revisions kept, interfaces and
// sources change live (the firewall follows), and so do SSH's keys (the keys file dropbear reads
// at each login is rewritten where boot set SSH up; the undo writes the old keys); the first key
// starts SSH live on the appliance (issue 15: a fresh box set up on the console is reachable at
// once; this changed from a refusal); another SSH port or other management addresses restart
// dropbear's listener with them (its arguments written as boot would; the undo restarts it with
// the old ones; this also changed from a refusal); the rest need a restart of the daemon.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfigText } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { managementApplier } from '../../../src/daemon/appliers.ts';
import type { SshKeyFiles } from '../../../src/ssh/index.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKtXqLSihHJzSa1sMHJzNh1TiMhIGWeFp8O9fAtCgbT0 admin@laptop';
function config(management: Record<string, unknown>, addresses: string[] = ['192.0.2.130/26']): Config {
  const r = loadConfigText(JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'mgmt' }] }, addresses: [{ interface: 'mgmt', static: addresses }], management: { interfaces: ['mgmt'], ...management } }));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}
const KEY2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBy3BGlDZ9GdK1rF0Hd8ZB1KLwQ9fXGmxkV0H7dO2Ttp ops@desk';

/** SSH's files as a test sees them: whether boot set SSH up, and every keys file written. */
function files(running: boolean, startable = false): SshKeyFiles & { written: string[]; started: Config[]; restarted: Config[] } {
  const written: string[] = [];
  const started: Config[] = [];
  const restarted: Config[] = [];
  return { written, started, restarted, running: () => running, writeKeys: (t) => void written.push(t), startable: () => startable, start: async (c) => void started.push(c), restart: async (c) => void restarted.push(c) };
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

test('another port or other management addresses: dropbear restarted with them, the undo restarts it with the old', async () => {
  const port = files(true);
  const a = config({ ssh_authorized_keys: [KEY] });
  const b = config({ ssh_authorized_keys: [KEY], ssh_port: 2222 });
  const undo = await managementApplier(port).apply(a, b);
  assert.equal(port.restarted, [b]);
  await undo();
  assert.equal(port.restarted, [b, a]);
  assert.equal(port.written, [], 'the keys go with the restart (as boot writes them)');
  // An address added to the management interface: the net part changed; this part follows it.
  const moved = files(true);
  const c = config({ ssh_authorized_keys: [KEY] }, ['192.0.2.130/26', '192.0.2.140/26']);
  assert.ok(managementApplier(moved).followsWhen!(a, c), 'follows net while SSH is on');
  await managementApplier(moved).apply(a, c);
  assert.equal(moved.restarted, [c]);
  // Nothing moved (a key added, or nothing at all): no restart.
  const same = files(true);
  await managementApplier(same).apply(a, config({ ssh_authorized_keys: [KEY, KEY2] }));
  await managementApplier(same).apply(a, config({ ssh_authorized_keys: [KEY] }));
  assert.equal([same.restarted, same.written], [[], [`${KEY}\n${KEY2}\n`]]);
  // SSH off on both sides: nothing to follow.
  assert.not.ok(managementApplier(files(false)).followsWhen!(config({}), config({}, ['192.0.2.140/26'])));
  // Where boot did not set SSH up (a lab): saved, nothing restarted.
  const lab = files(false);
  assert.is(await refusal(a, b, lab), 'applied');
  assert.equal(lab.restarted, []);
});

test('live keys apply; others say restart the daemon', async () => {
  assert.is(await refusal(config({}), config({ commit_confirm_s: 60, allowed_sources: ['192.0.2.0/24'] })), 'applied');
  assert.match(await refusal(config({}), config({ control_max_clients: 4 })), /^\/management\/control_max_clients: .*\(restart the daemon to apply it\)$/);
});

test.run();
