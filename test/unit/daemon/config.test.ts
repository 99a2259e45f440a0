// The daemon's config choice: the file if it loads, else the board default (with the reason), else
// an error naming both.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseConfig } from '../../../src/config/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'stk-daemon-config-'));
const good = join(dir, 'good.json');
const bad = join(dir, 'bad.json');
writeFileSync(good, JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'eth0' }] } }));
writeFileSync(bad, '{"version": 1, "interfaces": 7}');

test('the config file when it loads', () => {
  const c = chooseConfig(good, bad);
  assert.ok(c.ok && !c.fallback && c.file === good);
});

test('the default when the file does not load, with the reason', () => {
  const c = chooseConfig(bad, good);
  assert.ok(c.ok && c.fallback && c.file === good);
  assert.match(c.ok ? c.why ?? '' : '', /bad\.json.*\/interfaces/);
  const missing = chooseConfig(join(dir, 'none.json'), good);
  assert.ok(missing.ok && missing.fallback);
});

test('neither: an error naming both; no fallback: the first error only', () => {
  const c = chooseConfig(bad, join(dir, 'none.json'));
  assert.not.ok(c.ok);
  assert.match(c.ok ? '' : c.message, /bad\.json.*none\.json/);
  assert.not.ok(chooseConfig(bad, undefined).ok);
});

test('cleanup', () => rmSync(dir, { recursive: true, force: true }));

test.run();
