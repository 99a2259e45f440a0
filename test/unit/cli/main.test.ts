import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main, helpText } from '../../../src/cli/main.ts';
import { capture } from '../../capture-io.ts';


test('help lists the real subcommands', async () => {
  const io = capture();
  assert.is(await main(['help'], io), 0);
  assert.match(io.stdout, /config validate FILE/);
  assert.match(io.stdout, /config schema/);
  assert.is(io.stdout, helpText());
});

test('--version names version, commit and build date', async () => {
  const io = capture();
  assert.is(await main(['--version'], io), 0);
  assert.match(io.stdout, /^stockade \S+ \(commit \S+, built \S+\)\n$/);
});

test('an unknown command is a usage error (exit 2) pointing at help', async () => {
  const io = capture();
  assert.is(await main(['frobnicate'], io), 2);
  assert.match(io.stderr, /unknown command 'frobnicate'/);
  assert.match(io.stderr, /stockade help/);
  assert.is(io.stdout, '');
});

test.run();
