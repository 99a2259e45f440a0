// `stockade config validate|schema` run in-process through main(), as a user would see them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.ts';
import { capture, fixture, fixturePath, unwrapped } from './helpers.ts';
import { formatConfigErrorWrapped } from '../../../src/config/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'stockade-config-cli-'));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

test('validate: a valid file -> exit 0 and one line', async () => {
  const io = capture();
  const path = fixturePath('ha-node-a.json');
  assert.is(await main(['config', 'validate', path], io), 0);
  assert.is(io.stdout, `${path}: valid (config version 1)\n`);
  assert.is(io.stderr, '');
});

test('validate: an invalid file -> exit 2, every error, then the count', async () => {
  const c = fixture();
  c.interfaces.bonds[0].mode = 'active-passive';
  c.vrrp.instances[0].vrid = 300;
  c.system.hostnme = 'fw-a';
  const path = file('bad.json', JSON.stringify(c, null, 2));
  const io = capture();
  assert.is(await main(['config', 'validate', path], io), 2);
  assert.is(io.stdout, '');
  // Errors past 79 columns are wrapped; joined again, one line each.
  const lines = unwrapped(io.stderr).trimEnd().split('\n');
  assert.is(lines.length, 4);
  assert.match(lines[0]!, new RegExp(`^${path}:\\d+:\\d+: /system/hostnme: expected one of the known properties: .*; found unknown property "hostnme". hint: did you mean "hostname"\\?$`));
  assert.match(
    lines[1]!,
    /:\d+:\d+: \/interfaces\/bonds\/0\/mode: expected one of: active-backup, 802\.3ad, balance-xor, balance-rr, broadcast, balance-tlb, balance-alb; found "active-passive"\. hint: did you mean "active-backup"\?$/,
  );
  assert.match(lines[2]!, /: \/vrrp\/instances\/0\/vrid: expected an integer from 1 to 255; found 300$/);
  assert.is(lines[3], '3 errors; nothing applied');
});

test('validate: an error past 79 columns is wrapped: place and pointer, then expected, found and hint lines', async () => {
  const c = fixture();
  c.interfaces.bonds[0].mode = 'active-passive';
  const path = file('w.json', JSON.stringify(c, null, 2));
  const io = capture();
  assert.is(await main(['config', 'validate', path], io), 2);
  const lines = io.stderr.trimEnd().split('\n');
  for (const l of lines) assert.ok(l.length <= 79, `past column 79: ${l}`);
  assert.match(lines[0]!, /^\S.*:\d+:\d+: \/interfaces\/bonds\/0\/mode:$/);
  const rest = lines.slice(1, -1).join('\n');
  // Each part starts its own line, indented by two; what continues it, by four.
  assert.match(rest, /^ {2}expected one of: active-backup, [^\n]*\n( {4}\S[^\n]*\n)* {2}found "active-passive"\.\n {2}hint: did you mean "active-backup"\?$/);
  assert.is(lines.at(-1), '1 error; nothing applied');
  // A short one stays on one line.
  const e = { kind: 'schema', pointer: '/vrrp/instances/0/vrid', expected: 'an integer from 1 to 255', found: '300', line: 3, column: 4 } as const;
  assert.is(formatConfigErrorWrapped('c', e), 'c:3:4: /vrrp/instances/0/vrid: expected an integer from 1 to 255; found 300');
});

test('validate: semantic errors print the same way', async () => {
  const c = fixture();
  c.sync.peer = '192.0.2.5';
  const io = capture();
  assert.is(await main(['config', 'validate', file('sem.json', JSON.stringify(c))], io), 2);
  assert.match(unwrapped(io.stderr), /: \/sync\/peer: expected the sync peer: an address on a connected subnet of eth2; found "192\.0\.2\.5"\. hint: connected: 192\.0\.2\.248\/30\n1 error; nothing applied\n$/);
});

test('validate: syntax errors with line and column', async () => {
  const io = capture();
  const path = file('syntax.json', '{\n  "version": 1\n  "system": {}\n}\n');
  assert.is(await main(['config', 'validate', path], io), 2);
  assert.is(unwrapped(io.stderr), `${path}:3:3: /version: expected ',' or '}' after the property value; found '"system"'. hint: is a ',' missing before this property?\n1 error; nothing applied\n`);
});

test('validate: missing, empty, binary, oversized files are plain one-line errors (wrapped past 79 columns)', async () => {
  const cases: [string, RegExp][] = [
    [join(dir, 'missing.json'), /: cannot read: no such file\n/],
    [file('empty.json', ''), /: file is empty\n/],
    [file('binary.json', Uint8Array.from([0x7b, 0x00, 0xff])), /: binary data \(NUL byte at offset 1\), not JSON text\n/],
    [file('latin1.json', Uint8Array.from([0x7b, 0x22, 0xe9, 0x22, 0x7d])), /: not UTF-8 text \(byte 0xe9 at offset 2\)/],
    [file('big.json', ' '.repeat(1024 * 1024 + 1)), /: file is too large/],
    [dir, /: is a directory, not a file\n/],
  ];
  for (const [path, message] of cases) {
    const io = capture();
    assert.is(await main(['config', 'validate', path], io), 2, path);
    assert.match(unwrapped(io.stderr), message);
    assert.ok(unwrapped(io.stderr).startsWith(`${path}: `), io.stderr);
    assert.ok(io.stderr.endsWith('\n1 error; nothing applied\n'), io.stderr);
    assert.not.match(io.stderr, /\n\s+at /);
  }
});

test('validate: missing or extra arguments are usage errors (exit 2)', async () => {
  for (const args of [[], ['a.json', 'b.json'], [''], ['--strict']]) {
    const io = capture();
    assert.is(await main(['config', 'validate', ...args], io), 2, args.join(' '));
    assert.is(io.stderr, 'stockade: usage: stockade config validate FILE\n');
    assert.is(io.stdout, '');
  }
});

test('schema: prints the JSON Schema', async () => {
  const io = capture();
  assert.is(await main(['config', 'schema'], io), 0);
  const printed = JSON.parse(io.stdout);
  const source = JSON.parse(readFileSync(new URL('../../../src/config/schema.json', import.meta.url), 'utf8'));
  assert.equal(printed, source);
  assert.is(printed.$schema, 'https://json-schema.org/draft/2020-12/schema');
});

test('schema: arguments are a usage error', async () => {
  const io = capture();
  assert.is(await main(['config', 'schema', 'x'], io), 2);
  assert.is(io.stderr, 'stockade: usage: stockade config schema\n');
});

test('config --help lists both commands', async () => {
  const io = capture();
  assert.is(await main(['config', '--help'], io), 0);
  assert.match(io.stdout, /^ {2}config validate FILE$/m);
  assert.match(io.stdout, /^ {2}config schema$/m);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
