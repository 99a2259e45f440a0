import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { contains, formatIpv4, formatPrefix, isMulticast, overlaps, parseIpv4, parsePrefix } from '../../../src/common/index.ts';

test('parse and format addresses', () => {
  assert.is(parseIpv4('192.0.2.1'), 0xc0000201);
  assert.is(formatIpv4(0xc0000201), '192.0.2.1');
  assert.is(parseIpv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['192.0.2', '192.0.2.256', '01.2.3.4', '1.2.3.4.5', '', 'a.b.c.d']) assert.is(parseIpv4(bad), undefined, bad);
});

test('prefixes: network, broadcast, default length', () => {
  const p = parsePrefix('192.0.2.130/26')!;
  assert.is(formatIpv4(p.network), '192.0.2.128');
  assert.is(formatIpv4(p.broadcast), '192.0.2.191');
  assert.is(formatPrefix(p), '192.0.2.128/26');
  assert.is(parsePrefix('192.0.2.1')!.length, 32);
  assert.is(parsePrefix('0.0.0.0/0')!.broadcast, 0xffffffff);
  assert.is(parsePrefix('192.0.2.1/33'), undefined);
});

test('contains and overlaps', () => {
  const a = parsePrefix('192.0.2.0/25')!;
  assert.ok(contains(a, parseIpv4('192.0.2.127')!));
  assert.not.ok(contains(a, parseIpv4('192.0.2.128')!));
  assert.ok(overlaps(a, parsePrefix('192.0.2.0/24')!));
  assert.ok(overlaps(parsePrefix('192.0.2.0/24')!, a));
  assert.not.ok(overlaps(a, parsePrefix('192.0.2.128/25')!));
  assert.ok(overlaps(parsePrefix('0.0.0.0/0')!, a));
});

test('multicast', () => {
  assert.ok(isMulticast(parseIpv4('225.0.0.50')!));
  assert.not.ok(isMulticast(parseIpv4('192.0.2.50')!));
});

test.run();
