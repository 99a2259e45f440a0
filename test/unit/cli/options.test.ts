// The one option parser: unknown options, missing values and values given to switches are
// one-line usage errors (exit 2) naming the command and the option.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseOptions } from '../../../src/cli/options.ts';
import type { Command } from '../../../src/cli/command.ts';

const cmd: Command = { words: ['thing', 'do'], usage: '[--json] [--socket PATH]', summary: 'x', run: () => 0 };
const spec = { json: { type: 'boolean' as const }, socket: { type: 'string' as const } };
const refusal = (args: string[]): string => {
  try {
    parseOptions(cmd, args, spec);
    return 'accepted';
  } catch (e) {
    return `${(e as { exitCode?: number }).exitCode} ${(e as Error).message}`;
  }
};

test('values, switches and positionals come back; --x=v works', () => {
  const r = parseOptions(cmd, ['a', '--json', '--socket=/run/s', 'b'], spec);
  assert.equal(r.positionals, ['a', 'b']);
  assert.equal({ ...r.values }, { json: true, socket: '/run/s' });
});

test('bad options: what was wrong and the usage, exit 2', () => {
  assert.is(refusal(['--bogus']), "2 thing do: unknown option '--bogus' (usage: stockade thing do [--json] [--socket PATH])");
  assert.match(refusal(['-x']), /^2 thing do: unknown option '-x' \(/);
  assert.match(refusal(['--socket']), /^2 thing do: --socket needs a value \(/);
  assert.match(refusal(['--json=yes']), /^2 thing do: --json takes no value \(/);
});

test.run();
