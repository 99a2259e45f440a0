// The management part on the running box: the commit window, revisions kept, interfaces and
// sources change live (the firewall follows); SSH's port and keys are set up at boot, so a change
// to them is refused naming the key and saying how it takes effect; the rest need a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfigText } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { managementApplier } from '../../../src/daemon/appliers.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKtXqLSihHJzSa1sMHJzNh1TiMhIGWeFp8O9fAtCgbT0 admin@laptop';
function config(management: Record<string, unknown>): Config {
  const r = loadConfigText(JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'mgmt' }] }, management: { interfaces: ['mgmt'], ...management } }));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}
const refusal = (a: Config, b: Config): Promise<string> => managementApplier.apply(a, b).then(() => 'applied', (e: Error) => e.message);

test('live keys apply; SSH keys say reboot; others say restart the daemon', async () => {
  assert.is(await refusal(config({}), config({ commit_confirm_s: 60, allowed_sources: ['192.0.2.0/24'] })), 'applied');
  assert.is(await refusal(config({}), config({ ssh_authorized_keys: [KEY] })), '/management/ssh_authorized_keys: changing it on the running box is not supported yet (SSH is set up at boot: write it to /data/config.json and reboot)');
  assert.match(await refusal(config({ ssh_authorized_keys: [KEY] }), config({ ssh_authorized_keys: [KEY], ssh_port: 2222 })), /^\/management\/ssh_port: .*reboot\)$/);
  assert.match(await refusal(config({}), config({ control_max_clients: 4 })), /^\/management\/control_max_clients: .*\(restart the daemon to apply it\)$/);
});

test.run();
