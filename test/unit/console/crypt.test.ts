import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPassword, parseSha512Crypt, sha512Crypt, verifySha512Crypt } from '../../../src/console/sha512-crypt.ts';
import { CRYPT_VECTORS } from './crypt-vectors.ts';
import { loadConfigText } from '../../../src/config/load.ts';

test('every mkpasswd vector is reproduced byte for byte and verifies', () => {
  for (const v of CRYPT_VECTORS) {
    const p = parseSha512Crypt(v.hash);
    assert.ok(p, v.hash);
    assert.is(sha512Crypt(v.password, p.salt, p.rounds, p.roundsGiven), v.hash);
    assert.ok(verifySha512Crypt(v.password, v.hash), v.password);
  }
});

test('a wrong password, a changed hash or a non-$6$ hash does not verify', () => {
  const v = CRYPT_VECTORS[0]!;
  assert.not.ok(verifySha512Crypt('Password', v.hash));
  assert.not.ok(verifySha512Crypt(v.password, v.hash.slice(0, -1) + (v.hash.endsWith('/') ? '.' : '/')));
  assert.not.ok(verifySha512Crypt(v.password, '$5$saltsalt$abc'));
  assert.not.ok(verifySha512Crypt(v.password, ''));
  assert.not.ok(verifySha512Crypt('x', '$1$abc$def'));
});

test('a new hash has a 16-character salt, the default rounds, and verifies', () => {
  const h = hashPassword('first login');
  assert.match(h, /^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
  assert.ok(verifySha512Crypt('first login', h));
  assert.not.ok(verifySha512Crypt('first logim', h));
  assert.is.not(hashPassword('first login'), h);
});

test('the config takes only $6$ hashes (one the console cannot check would lock everyone out)', () => {
  const cfg = (hash: string) => JSON.stringify({ version: 1, console: { password_hash: hash } });
  for (const v of CRYPT_VECTORS) assert.ok(loadConfigText(cfg(v.hash)).ok, v.hash);
  for (const bad of ['$1$saltsalt$abcdefghijklmnopqrstuv', '$5$saltsalt$' + 'a'.repeat(43), '$6$saltsalt$short']) {
    const r = loadConfigText(cfg(bad));
    assert.is(r.ok, false, bad);
    if (!r.ok) assert.is(r.errors[0]!.pointer, '/console/password_hash');
  }
});

test.run();
