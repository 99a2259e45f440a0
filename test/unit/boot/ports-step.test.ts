// Boot's port step with the config's assignments (interfaces.ports[].nic_mac, the console's
// Assign ports): the board's mapping is replaced for those labels, and a board port whose NIC the
// config gave away is reported by name; a config with two labels on one NIC is refused whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runPorts } from '../../../src/boot/steps.ts';
import type { BootSystem } from '../../../src/boot/system.ts';
import { loadBoardText } from '../../../src/config/board.ts';
import { loadConfigText, type Config } from '../../../src/config/index.ts';
import type { PortSpec } from '../../../src/net/index.ts';

const BOARD = loadBoardText(JSON.stringify({
  name: 'test-board', arch: 'x64', debian_arch: 'amd64', kernel_package: 'linux-image-amd64', modules: [],
  console: { device: 'ttyS0', baud: 115200 },
  ports: [{ label: 'mgmt', mac: '52:54:00:12:34:01' }, { label: 'wan', mac: '52:54:00:12:34:02' }, { label: 'lan', path: '0000:00:05.0' }],
  partitions: { esp_mb: 64, root_mb: 400, data_mb: 128 },
}));

function config(ports: unknown[]): Config {
  const r = loadConfigText(JSON.stringify({ version: 1, interfaces: { ports } }));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

function fakeSys(): { sys: BootSystem; specs: PortSpec[][] } {
  const specs: PortSpec[][] = [];
  const sys = {
    async namePorts(ports: readonly PortSpec[]) {
      specs.push([...ports]);
      return { named: ports.filter((p) => p.label !== 'wan').map((p, i) => ({ label: p.label, from: `eth${i}`, index: i + 2, changed: true })), missing: ports.some((p) => p.label === 'wan') ? ['wan'] : [] };
    },
  } as unknown as BootSystem;
  return { sys, specs };
}

test('nic_mac in the config replaces the board\'s mapping of that label; the others stay the board\'s', async () => {
  if (!BOARD.ok) throw new Error('board fixture');
  const { sys, specs } = fakeSys();
  const report = await runPorts(sys, BOARD.board, config([{ name: 'mgmt' }, { name: 'lan', nic_mac: '52:54:00:12:34:02' }]));
  assert.equal(specs[0], [
    { label: 'mgmt', mac: '52:54:00:12:34:01' },
    { label: 'lan', mac: '52:54:00:12:34:02', assigned: true },
  ], 'wan (board: the same MAC) is left out: its NIC is lan now');
  assert.is(report.status, 'changed');
});

test('a board port the config leaves without a NIC is named in the failure with how it was mapped', async () => {
  if (!BOARD.ok) throw new Error('board fixture');
  const { sys } = fakeSys();
  const report = await runPorts(sys, BOARD.board, config([{ name: 'lan', nic_mac: '52:54:00:12:34:09' }]));
  assert.is(report.status, 'failed');
  assert.match(report.detail, /^no NIC for wan \(MAC 52:54:00:12:34:02\); named /);
});

test('two ports given the same NIC: the config is refused at the second, naming the first', () => {
  const r = loadConfigText(JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'wan', nic_mac: '52:54:00:12:34:02' }, { name: 'lan', nic_mac: '52:54:00:12:34:02' }] } }));
  assert.is(r.ok, false);
  if (r.ok) return;
  assert.is(r.errors.length, 1);
  assert.equal({ pointer: r.errors[0]!.pointer, expected: r.errors[0]!.expected, hint: r.errors[0]!.hint },
    { pointer: '/interfaces/ports/1/nic_mac', expected: 'a NIC no other port is given', hint: 'port "wan" has nic_mac 52:54:00:12:34:02 too' });
});

test.run();
