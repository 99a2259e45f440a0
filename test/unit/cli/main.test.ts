import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main, helpText } from '../../../src/cli/main.ts';
import { capture } from '../../capture-io.ts';


test('help lists the real subcommands: groups with their commands, each fitting 79 columns', async () => {
  const io = capture();
  assert.is(await main(['help'], io), 0);
  assert.match(io.stdout.replace(/\n {4,}/g, " "), /^ {2}config +.*: validate, schema, plan, apply,/m);
  assert.is(io.stdout, await helpText());
  for (const line of io.stdout.split('\n')) assert.ok(line.length <= 79, line);
  const group = capture();
  assert.is(await main(['config', '--help'], group), 0);
  assert.match(group.stdout, /^ {2}config validate FILE\n {6}check a config file/m);
});

test('COMMAND --help is answered before the command runs; ctl --help lists the group', async () => {
  const io = capture();
  assert.is(await main(['config', 'apply', '--help'], io), 0);
  assert.is(io.stdout, 'usage: stockade config apply FILE [--who NAME] [--socket PATH]\n\napply FILE on the running box; it reverts unless confirmed in time\n');
  const ctl = capture();
  assert.is(await main(['ctl', '--help'], ctl), 0);
  assert.match(ctl.stdout, /^usage: stockade ctl COMMAND \[ARGUMENTS\]\n/);
  assert.match(ctl.stdout, /^ {2}ctl vrrp \[--json\] \[--socket PATH\]$/m);
  assert.is(ctl.stderr, '');
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
