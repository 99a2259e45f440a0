import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfigText } from '../../../src/config/load.ts';
import { MIGRATIONS, migrateDocument, type Migration } from '../../../src/config/migrate.ts';

// A made-up format version 0 that kept the hostname at the top level, to prove the mechanism.
const zeroToOne: Migration = {
  from: 0,
  describe: 'hostname moves into system',
  migrate: (doc) => {
    const { hostname, ...rest } = doc;
    return { ...rest, system: { ...(rest['system'] as object | undefined), ...(hostname === undefined ? {} : { hostname }) } };
  },
};

test('this build needs no migration yet: version 1 loads as it is, and the chain is empty', () => {
  assert.equal(MIGRATIONS, []);
  const r = loadConfigText('{"version": 1, "system": {"hostname": "fw-a"}}');
  assert.ok(r.ok && r.warnings === undefined);
});

test('an older file is migrated step by step and loads, with a warning naming each step', () => {
  const r = loadConfigText('{"version": 0, "hostname": "fw-old"}', [zeroToOne]);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  assert.is(r.config.system.hostname, 'fw-old');
  assert.is(r.config.version, 1);
  assert.equal(r.warnings?.map((w) => w.message), ['migrated: version 0 -> 1: hostname moves into system']);
});

test('a migrated file that is still wrong is refused with the errors of the migrated document', () => {
  const r = loadConfigText('{"version": 0, "hostname": "-bad-"}', [zeroToOne]);
  assert.ok(!r.ok);
  if (!r.ok) assert.ok(r.errors.some((e) => e.pointer === '/system/hostname'), JSON.stringify(r.errors));
});

test('no path through the chain, or a newer file: refused, saying which', () => {
  assert.equal(migrateDocument({ version: 0 }, 2, [zeroToOne]), { ok: false, error: 'no migration from config format version 1 to 2 (this stockade reads 2)' });
  assert.equal(migrateDocument({ version: 3 }, 1), { ok: false, error: 'the config is format version 3, written for a newer stockade (this one reads 1)' });
  const r = loadConfigText('{"version": 0}');
  assert.ok(!r.ok);
  if (!r.ok) assert.equal([r.errors[0]!.pointer, r.errors[0]!.expected], ['/version', '1 (the config format version this stockade reads)']);
});

test('a migration never changes the document it was given', () => {
  const doc = { version: 0, hostname: 'x' };
  migrateDocument(doc, 1, [zeroToOne]);
  assert.equal(doc, { version: 0, hostname: 'x' });
});

test.run();
