// `stockade boot` through the CLI entry: help, bad flags and the refusal to run on a machine that
// is not an appliance are decided before anything is touched.
import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../../src/cli/main.ts';
import { capture } from './fake-system.ts';

test('boot --help describes the flags', async () => {
  const io = capture();
  assert.is(await main(['boot', '--help'], io), 0);
  assert.match(io.stdout, /^usage: stockade boot \[--board FILE\] \[--config FILE\] \[--default-config FILE\]\n {21}\[--cmdline FILE\] \[--skip STEP,\.\.\.\]\n/);
  assert.match(io.stdout, /--skip STEP,\.\.\. {8}leave steps out \(tests\): mounts, modules, ports,\n {25}network, hostname, firewall, ssh\n/);
  for (const line of io.stdout.split('\n')) assert.ok(line.length <= 79, line);
  assert.match(io.stdout, /stockade: boot complete \(<version>, slot <A\|B>\)/);
});

test('boot is listed in help', async () => {
  const io = capture();
  await main(['help'], io);
  assert.match(io.stdout, /^ {2}boot +bring the box up: mounts, modules, port names, network and\n +sysctls, hostname, fail-closed firewall$/m);
});

test('bad flags: exit 2 with one line and the usage', async () => {
  const io = capture();
  assert.is(await main(['boot', '--board'], io), 2);
  assert.is(io.stdout, '');
  assert.match(io.stderr, /^stockade: boot: --board needs a value \(usage: stockade boot .*\)\n$/);
});

test('not init\'s child, not an image, no --board: refused before anything is done', async () => {
  if (existsSync('/usr/share/stockade') || process.ppid === 1) return;
  const io = capture();
  assert.is(await main(['boot', '--skip', 'mounts,modules,ports,network,hostname,firewall,ssh'], io), 2);
  assert.is(io.stdout, '');
  assert.match(io.stderr, /^stockade: boot: this is not a stockade appliance/);
});

test.run();
