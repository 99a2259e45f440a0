// Every board under board/: its board.json is valid and named after its folder, its default
// config is valid and names exactly the board's port labels, and it loads the modules the base
// firewall needs (Debian's kernel has them as modules, not built in).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadBoardFile } from '../../../src/config/board.ts';
import { formatConfigError } from '../../../src/config/errors.ts';
import { loadConfigFile } from '../../../src/config/load.ts';
import { BASE_FIREWALL_MODULES } from '../../../src/firewall/base.ts';

const boardDir = join(import.meta.dirname, '..', '..', '..', 'board');
const boards = existsSync(boardDir)
  ? readdirSync(boardDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
  : [];

test('there are boards', () => {
  assert.ok(boards.length > 0, `no board folders under ${boardDir}`);
});

for (const name of boards) {
  const boardFile = join(boardDir, name, 'board.json');
  const configFile = join(boardDir, name, 'config.json');

  test(`board ${name}: board.json is valid and named after its folder`, () => {
    const result = loadBoardFile(boardFile);
    assert.ok(result.ok, result.ok ? '' : result.errors.map((e) => formatConfigError(boardFile, e)).join('\n'));
    if (!result.ok) return;
    assert.is(result.board.name, name);
  });

  test(`board ${name}: config.json (the default config) is valid and names the board's ports`, () => {
    const board = loadBoardFile(boardFile);
    const config = loadConfigFile(configFile);
    assert.ok(config.ok, config.ok ? '' : config.errors.map((e) => formatConfigError(configFile, e)).join('\n'));
    if (!config.ok || !board.ok) return;
    const labels = board.board.ports.map((p) => p.label).sort();
    assert.equal(config.config.interfaces.ports.map((p) => p.name).sort(), labels, 'the default config has one port per board label');
  });

  test(`board ${name}: loads the modules the base firewall needs`, () => {
    const board = loadBoardFile(boardFile);
    if (!board.ok) return;
    const missing = BASE_FIREWALL_MODULES.filter((m) => !board.board.modules.includes(m));
    assert.equal(missing, [], `board ${name} lacks modules the base firewall uses: add them to board/${name}/board.json /modules`);
  });
}

test.run();
