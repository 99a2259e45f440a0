import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closest, didYouMean, editDistance } from '../../../src/config/suggest.ts';

test('edit distance counts a swapped pair of letters as one edit', () => {
  assert.is(editDistance('mode', 'mdoe'), 1);
  assert.is(editDistance('kitten', 'sitting'), 3);
  assert.is(editDistance('', 'abc'), 3);
  assert.is(editDistance('same', 'same'), 0);
});

test('closest ignores case, "_" and "-", and prefers prefixes', () => {
  assert.equal(closest('Active-Backup', ['active-backup', '802.3ad']), ['active-backup']);
  assert.equal(closest('advertInterval', ['advert_interval_ms', 'vips']), ['advert_interval_ms']);
  assert.equal(closest('miimon', ['miimon_ms', 'mode']), ['miimon_ms']);
});

test('closest returns nothing for unrelated words, and ties together', () => {
  assert.equal(closest('colour', ['hostname', 'domain', 'timezone']), []);
  assert.equal(closest('eth9', ['eth0', 'eth1', 'bond0']), ['eth0', 'eth1']);
  assert.equal(closest('x'.repeat(100), ['x']), []);
});

test('didYouMean words the suggestion', () => {
  assert.is(didYouMean('active-passive', ['active-backup', '802.3ad', 'balance-rr']), 'did you mean "active-backup"?');
  assert.is(didYouMean('eth9', ['eth0', 'eth1']), 'did you mean "eth0" or "eth1"?');
  assert.is(didYouMean('zzz', ['eth0']), undefined);
});

test.run();
