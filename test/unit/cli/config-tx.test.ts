// `config plan`, `config history`, `config diff` run in-process (src/cli/main.ts); the running
// config comes from a control server started here, as the daemon serves it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.ts';
import { capture } from '../../capture-io.ts';
import { ControlServer } from '../../../src/daemon/control.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import { RevisionStore } from '../../../src/apply/index.ts';
import { durableFiles } from '../../../src/kernel/durable-file.ts';

const fixture = readFileSync(new URL('../../fixtures/config/ha-node-a.json', import.meta.url), 'utf8');
const edited = (edit: (c: Record<string, any>) => void): string => {
  const c = JSON.parse(fixture) as Record<string, any>;
  edit(c);
  return JSON.stringify(c, null, 2);
};

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stockade-config-tx-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('config plan FILE --against FILE: the change part by part, exit 0; nothing else is touched', () => withDir(async (dir) => {
  writeFileSync(join(dir, 'old.json'), fixture);
  writeFileSync(join(dir, 'new.json'), edited((c) => { c.vrrp.instances[0].priority = 120; }));
  const io = capture();
  assert.is(await main(['config', 'plan', join(dir, 'new.json'), '--against', join(dir, 'old.json')], io), 0);
  // The header wraps at 79 columns like every line (a temp dir makes it long).
  assert.match(io.stdout, /^Plan for\s+\S*new\.json\s+against\s+\S*old\.json:\n/);
  assert.match(io.stdout, /~ instance vi_ext: in place\n {6}priority: 150 -> 120\n/);
  assert.match(io.stdout, /1 part change: vrrp\.\n$/);
  const json = capture();
  assert.is(await main(['config', 'plan', join(dir, 'new.json'), '--against', join(dir, 'old.json'), '--json'], json), 0);
  assert.is((JSON.parse(json.stdout) as { changed: boolean }).changed, true);
}));

test('config plan of an invalid file: every error, as config validate prints them, exit 2', () => withDir(async (dir) => {
  writeFileSync(join(dir, 'bad.json'), edited((c) => { c.vrrp.instances[0].priority = 0; c.vrrp.instances[1].vrid = 999; }));
  const io = capture();
  assert.is(await main(['config', 'plan', join(dir, 'bad.json'), '--against', join(dir, 'bad.json')], io), 2);
  assert.match(io.stderr, /\/vrrp\/instances\/0\/priority/);
  assert.match(io.stderr, /\/vrrp\/instances\/1\/vrid/);
  assert.match(io.stderr, /2 errors/);
  assert.is(io.stdout, '');
}));

test('config plan against the running daemon: its config, not the file on disk', () => withDir(async (dir) => {
  const running = loadConfigText(fixture);
  if (!running.ok) throw new Error('fixture');
  const socket = join(dir, 'ctl.sock');
  const server = await ControlServer.listen(socket, {});
  server.handle('config.running', () => ({ file: '/data/config.json', fallback: false, config: running.config }));
  try {
    writeFileSync(join(dir, 'new.json'), fixture);
    const io = capture();
    assert.is(await main(['config', 'plan', join(dir, 'new.json'), '--socket', socket], io), 0);
    assert.match(io.stdout, /against\s+the\s+running\s+config\s+\(\/data\/config\.json\):\n/);
    assert.match(io.stdout, /No change: applying this config does nothing\.\n$/);
  } finally {
    await server.close();
  }
  const none = capture();
  assert.is(await main(['config', 'plan', join(dir, 'new.json'), '--socket', socket], none), 1);
  assert.match(none.stderr, /the daemon is not running .*--against FILE compares with a file/);
}));

test('config history and config diff read the kept revisions; clear errors when there are none', () => withDir(async (dir) => {
  const configPath = join(dir, 'config.json');
  const empty = capture();
  assert.is(await main(['config', 'history', '--config', configPath], empty), 0);
  assert.match(empty.stdout, /^No revisions yet/);
  const none = capture();
  assert.is(await main(['config', 'diff', '--config', configPath], none), 1);
  assert.match(none.stderr, /fewer than two revisions are kept/);

  const store = new RevisionStore(durableFiles, configPath);
  store.persist(fixture, 'console', 'first setup', new Date(Date.UTC(2026, 11, 1, 9, 30)), 10);
  store.persist(edited((c) => { c.system.hostname = 'fw-z'; }), 'ssh admin', 'rename', new Date(Date.UTC(2026, 11, 2, 10, 0)), 10);
  const h = capture();
  assert.is(await main(['config', 'history', '--config', configPath], h), 0);
  assert.is(h.stdout, [
    '  REV  WHEN (UTC)        WHO              WHAT',
    '    2  2026-12-02 10:00  ssh admin        rename',
    '    1  2026-12-01 09:30  console          first setup',
    '',
  ].join('\n'));
  const d = capture();
  assert.is(await main(['config', 'diff', '--config', configPath], d), 0);
  assert.match(d.stdout, /^From revision 1 to revision 2:\nnet:\n {2}~ system\/hostname: changed\n {6}"fw-a" -> "fw-z"\n/);
  const missing = capture();
  assert.is(await main(['config', 'diff', '7', '--config', configPath], missing), 2);
  assert.match(missing.stderr, /no revision 7 \(kept: 1, 2\)/);
}));

test.run();
