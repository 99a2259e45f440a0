// Every command's help as a user runs it (issue 15 item 5): `stockade help`, `stockade GROUP
// --help` and `stockade COMMAND --help` for every command the executable has, each exits 0 and
// fits an 80-column serial console (no line longer than 79 characters); so do the outputs this
// tier can run without a daemon or a lab (a plan between two files).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commands } from '../../src/cli/commands.ts';

const root = join(import.meta.dirname, '..', '..');
const bin = process.env.STOCKADE_BIN ?? join(root, 'dist', 'x64', 'stockade');

function run(args: string[]) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fits(what: string, text: string): void {
  const long = text.split('\n').filter((l) => l.length > 79);
  assert.equal(long, [], `${what}: lines past column 79`);
}

const groups = [...new Set(commands.filter((c) => c.words.length > 1).map((c) => c.words[0]!))];

test('stockade help: every group and single command, within 79 columns', () => {
  const r = run(['help']);
  assert.is(r.code, 0, r.stderr);
  fits('help', r.stdout);
  // One row per group or single command, its continuation lines joined.
  const rows = new Map(r.stdout.replace(/\n {4,}/g, ' ').split('\n').filter((l) => /^  \S/.test(l)).map((l) => [l.trim().split(/\s+/)[0]!, l] as const));
  for (const c of commands) {
    const [first, ...rest] = c.words;
    const row = rows.get(first!);
    assert.ok(row !== undefined, `help names ${first}`);
    if (rest.length > 0) assert.match(row!, new RegExp(`[:,] ${rest.join(' ')}(,|$)`), `help lists ${c.words.join(' ')}`);
  }
});

test('every group: --help, help GROUP and GROUP alone list its commands with their arguments', () => {
  assert.ok(groups.includes('ctl') && groups.includes('config'));
  for (const g of groups) {
    const r = run([g, '--help']);
    assert.is(r.code, 0, `${g} --help: ${r.stderr}`);
    fits(`${g} --help`, r.stdout);
    for (const c of commands.filter((x) => x.words[0] === g)) {
      assert.ok(r.stdout.replace(/\n {6}(?=\S)/g, ' ').includes([...c.words, c.usage].filter(Boolean).join(' ')), `${g} --help shows ${c.words.join(' ')} ${c.usage}`);
    }
    assert.is(run(['help', g]).stdout, r.stdout, `help ${g}`);
    const alone = run([g]);
    assert.is(alone.code, 2, `${g} alone is a usage error`);
    assert.is(alone.stdout, r.stdout, `${g} alone prints the list`);
  }
  const bad = run(['ctl', 'frobnicate']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /unknown command 'ctl frobnicate'; 'stockade ctl --help' lists the commands/);
});

test('every command: --help and -h print its usage (exit 0, nothing run), within 79 columns', () => {
  for (const c of commands) {
    const words = c.words.join(' ');
    const r = run([...c.words, '--help']);
    assert.is(r.code, 0, `${words} --help: ${r.stderr}`);
    assert.is(r.stderr, '', `${words} --help writes nothing to stderr`);
    assert.match(r.stdout, new RegExp(`^usage: stockade ${words.replace(/[-]/g, '\\-')}( |\\n|$)`), `${words} --help starts with its usage`);
    fits(`${words} --help`, r.stdout);
    assert.is(run([...c.words, '-h']).stdout, r.stdout, `${words} -h`);
  }
});

test('outputs that need no daemon fit 79 columns too: config plan between two files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stk-cli-width-'));
  try {
    const ha = join(root, 'test', 'fixtures', 'config', 'ha-node-a.json');
    const board = join(root, 'board', 'x86_64-generic', 'config.json');
    // A long path in the header and long values in the items.
    const long = join(dir, 'a-config-file-name-long-enough-to-push-the-plan-header-past-the-edge.json');
    writeFileSync(long, readFileSync(ha));
    const plan = run(['config', 'plan', long, '--against', board]);
    assert.is(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /parts? change: /);
    fits('config plan', plan.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
