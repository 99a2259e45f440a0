// The board file loader: schema errors worded like config errors (pointer, expected, found,
// position), the port-map rules, file errors, and the UserError loadBoard throws.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BoardFileError, loadBoard, loadBoardFile, loadBoardText } from '../../../src/config/board.ts';
import { formatConfigError } from '../../../src/config/errors.ts';
import { UserError } from '../../../src/cli/command.ts';
import { tempDir } from './fake-system.ts';

const BOARD = join(import.meta.dirname, '..', '..', 'fixtures', 'boot', 'board.json');

function fixture(): any {
  return JSON.parse(readFileSync(BOARD, 'utf8'));
}

function errors(value: unknown): string[] {
  const result = loadBoardText(JSON.stringify(value, null, 2));
  return result.ok ? [] : result.errors.map((e) => formatConfigError('board.json', e));
}

test('the fixture board is valid and typed', () => {
  const result = loadBoardFile(BOARD);
  assert.ok(result.ok);
  if (!result.ok) return;
  assert.is(result.board.name, 'test-board');
  assert.is(result.board.ports[2]!.path, '0000:00:05.0');
  assert.is(result.board.qemu?.machine, 'q35');
});

test('qemu and description are optional', () => {
  const b = fixture();
  delete b.qemu;
  b.description = 'real hardware';
  assert.equal(errors(b), []);
});

test('schema errors name the pointer, what was expected and what was found, at the line', () => {
  const b = fixture();
  b.arch = 'amd64';
  b.ports[0].label = 'WAN';
  b.ports[1].mac = '52-54-00-12-34-02';
  b.console.baud = '115200';
  delete b.partitions.data_mb;
  b.extra = true;
  assert.equal(errors(b), [
    'board.json:3:11: /arch: expected one of: x64, arm64; found "amd64". hint: did you mean "arm64"?',
    'board.json:14:13: /console/baud: expected one of: 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600; found "115200". hint: write the number without quotes: 115200',
    'board.json:18:16: /ports/0/label: expected a port label of 1 to 15 lower-case letters, digits, \'_\' or \'-\' starting with a letter, like wan; found "WAN"',
    'board.json:23:14: /ports/1/mac: expected a MAC address like 52:54:00:12:34:01; found "52-54-00-12-34-02"',
    'board.json:30:17: /partitions/data_mb: expected an integer from 8 to 1048576 (required); found nothing',
    'board.json:43:3: /extra: expected one of the known properties: name, description, arch, debian_arch, kernel_package, modules, console, ports, partitions, qemu; found unknown property "extra"',
  ]);
});

test('a port has exactly one of mac or path', () => {
  const b = fixture();
  b.ports[0].path = '0000:00:03.0';
  delete b.ports[1].mac;
  assert.equal(errors(b), [
    'board.json:17:5: /ports/0: expected exactly one of "mac" or "path" (how the port is found); found both. hint: keep one: a NIC is matched by its MAC or by its bus path, not both',
    'board.json:22:5: /ports/1: expected exactly one of "mac" or "path" (how the port is found); found neither. hint: add the NIC\'s MAC address, e.g. "mac": "52:54:00:12:34:01"',
  ]);
});

test('labels, MACs (whatever their case) and paths are unique', () => {
  const b = fixture();
  b.ports.push({ label: 'wan', mac: '52:54:00:12:34:01'.toUpperCase() }, { label: 'x', path: '0000:00:05.0' });
  assert.equal(errors(b), [
    'board.json:30:16: /ports/3/label: expected a label not used by another port; found "wan" again. hint: port 1 (wan) has it too',
    'board.json:31:14: /ports/3/mac: expected a MAC address not used by another port; found "52:54:00:12:34:01" again. hint: port 0 (mgmt) has it too',
    'board.json:35:15: /ports/4/path: expected a bus path not used by another port; found "0000:00:05.0" again. hint: port 2 (lan) has it too',
  ]);
});

test('arch and debian_arch must agree', () => {
  const b = fixture();
  b.debian_arch = 'arm64';
  assert.equal(errors(b), ['board.json:4:18: /debian_arch: expected "amd64" (Debian\'s name for arch "x64"); found "arm64"']);
});

test('modules: names only, no repeats', () => {
  const b = fixture();
  b.modules = ['bonding', 'bonding', 'ip vs'];
  const e = errors(b);
  assert.is(e.length, 2);
  assert.match(e[0]!, /\/modules: expected a list without repeats, each a kernel module name like 8021q or nf_conntrack; found .*hint: items 0 and 1 are the same/);
  assert.match(e[1]!, /\/modules\/2: expected a kernel module name like 8021q or nf_conntrack; found "ip vs"/);
});

test('syntax errors and duplicate keys are reported like the config\'s', () => {
  assert.equal(
    loadBoardText('{"name": "a",}').ok ? [] : (loadBoardText('{"name": "a",}') as { errors: readonly { expected: string }[] }).errors.map((e) => e.expected),
    ['a property name in double quotes'],
  );
  const text = JSON.stringify(fixture(), null, 2).replace('"arch": "x64",', '"arch": "x64", "arch": "x64",');
  const result = loadBoardText(text);
  assert.not.ok(result.ok);
  if (result.ok) return;
  assert.match(formatConfigError('b', result.errors[0]!), /\/arch: expected each property name once per object; found "arch" again/);
});

test('loadBoard throws a UserError naming the file, pointer and problem, with every error attached', () => {
  const t = tempDir();
  try {
    const b = fixture();
    b.ports[0].label = 'WAN';
    b.arch = 'sparc';
    const file = t.write('board.json', JSON.stringify(b, null, 2));
    try {
      loadBoard(file);
      assert.unreachable('a bad board file throws');
    } catch (err) {
      assert.instance(err, UserError);
      assert.instance(err, BoardFileError);
      const e = err as BoardFileError;
      assert.is(e.message, `board file ${file}:3:11: /arch: expected one of: x64, arm64; found "sparc" (and 1 more error)`);
      assert.is(e.errors.length, 2);
      assert.is(e.file, file);
      assert.not.match(e.message, /\n/);
    }
    assert.throws(() => loadBoard(join(t.dir, 'missing.json')), (err: Error) => err.message === `board file ${join(t.dir, 'missing.json')}: cannot read: no such file`);
    assert.is(loadBoard(BOARD).name, 'test-board');
  } finally {
    t.cleanup();
  }
});

test.run();
