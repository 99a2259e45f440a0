import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RevisionStore, type RevisionFiles } from '../../../src/apply/revisions.ts';
import { appendAudit, type AuditFiles } from '../../../src/apply/audit.ts';
import { durableFiles } from '../../../src/kernel/durable-file.ts';

/** Files in a map, recording the order of writes. */
function memoryFiles(): RevisionFiles & { map: Map<string, string>; writes: string[] } {
  const map = new Map<string, string>();
  const writes: string[] = [];
  return {
    map, writes,
    list: (dir) => [...map.keys()].filter((p) => p.startsWith(dir + '/')).map((p) => p.slice(dir.length + 1)),
    read: (p) => map.get(p),
    write: (p, t) => { writes.push(p); map.set(p, t); },
    remove: (p) => void map.delete(p),
  };
}

const wall = new Date(Date.UTC(2026, 11, 6, 8, 0, 0));

test('persist writes the revision before config.json, numbers go up, history reads them back', () => {
  const files = memoryFiles();
  const store = new RevisionStore(files, '/data/config.json');
  store.persist('{"version":1}', 'console', 'first', wall, 10);
  store.persist('{"version":1,"x":2}', 'ssh admin', 'second', wall, 10);
  assert.equal(files.writes.slice(0, 3), ['/data/config-revisions/1.json', '/data/config-revisions/1.meta.json', '/data/config.json']);
  assert.is(store.current(), '{"version":1,"x":2}');
  assert.equal(store.history().map((m) => [m.revision, m.who, m.summary, m.at]), [
    [1, 'console', 'first', '2026-12-06T08:00:00.000Z'], [2, 'ssh admin', 'second', '2026-12-06T08:00:00.000Z'],
  ]);
  assert.is(store.text(1), '{"version":1}');
});

test('only revisions_kept earlier revisions stay besides the current one', () => {
  const files = memoryFiles();
  const store = new RevisionStore(files, '/data/config.json');
  for (let i = 1; i <= 6; i++) store.persist(`{"n":${i}}`, 'ctl', `r${i}`, wall, 2);
  assert.equal(store.numbers(), [4, 5, 6]);
  assert.is(store.text(3), undefined);
  assert.is(files.map.has('/data/config-revisions/3.meta.json'), false);
});

test('a revision with a lost record still shows in history; foreign files are ignored', () => {
  const files = memoryFiles();
  files.map.set('/data/config-revisions/7.json', '{}');
  files.map.set('/data/config-revisions/notes.txt', 'x');
  files.map.set('/data/config-revisions/7.meta.json', 'not json');
  assert.equal(new RevisionStore(files, '/data/config.json').history(), [{ revision: 7, who: 'unknown', at: 'unknown', summary: '(no record)' }]);
});

test('on a real directory: durable writes leave no temp files behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stockade-rev-'));
  try {
    const store = new RevisionStore(durableFiles, join(dir, 'config.json'));
    store.persist('{"a":1}\n', 'ctl', 'one', wall, 1);
    store.persist('{"a":2}\n', 'ctl', 'two', wall, 1);
    store.persist('{"a":3}\n', 'ctl', 'three', wall, 1);
    assert.is(readFileSync(join(dir, 'config.json'), 'utf8'), '{"a":3}\n');
    assert.equal(readdirSync(dir).sort(), ['config-revisions', 'config.json']);
    assert.equal(readdirSync(join(dir, 'config-revisions')).sort(), ['2.json', '2.meta.json', '3.json', '3.meta.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the audit log rotates past its size and keeps a bounded number of old files', () => {
  const map = new Map<string, string>();
  const files: AuditFiles = {
    size: (p) => map.get(p)?.length ?? 0,
    append: (p, t) => void map.set(p, (map.get(p) ?? '') + t),
    rename: (a, b) => { const v = map.get(a); if (v !== undefined) { map.set(b, v); map.delete(a); } },
    remove: (p) => void map.delete(p),
  };
  const record = { at: wall.toISOString(), who: 'ctl\n(uid 0)', event: 'apply' as const, summary: 'net', result: 'ok' };
  for (let i = 0; i < 50; i++) appendAudit(files, '/data/audit.log', { ...record, transaction: i }, { maxBytes: 400, keep: 2 });
  assert.equal([...map.keys()].sort(), ['/data/audit.log', '/data/audit.log.1', '/data/audit.log.2']);
  for (const text of map.values()) {
    assert.ok(text.length <= 400);
    for (const line of text.trimEnd().split('\n')) assert.is((JSON.parse(line) as { who: string }).who, 'ctl\n(uid 0)', 'one record per line, newlines escaped');
  }
  assert.match(map.get('/data/audit.log')!, /"transaction":49/);
});

test.run();
