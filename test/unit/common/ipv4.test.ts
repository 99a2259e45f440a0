import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatIpv4, isMulticast, mustParseIpv4, parseIpv4 } from '../../../src/common/ipv4.ts';

test('dotted quads parse to unsigned 32-bit numbers and format back', () => {
  for (const [text, n] of [['0.0.0.0', 0], ['192.0.2.1', 0xc0000201], ['255.255.255.255', 0xffffffff], ['203.0.113.10', 0xcb00710a]] as const) {
    assert.is(parseIpv4(text), n, text);
    assert.is(formatIpv4(n), text);
  }
});

test('anything else is refused, including leading zeros (octal to inet_aton)', () => {
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1..2.3', '.1.2.3', '1.2.3.', ' 1.2.3.4', '1.2.3.4 ',
    '01.2.3.4', '1.2.3.00', '1.2.3.1000', '0x1.2.3.4', '1e2.1.1.1', '-1.2.3.4', '１.2.3.4']) {
    assert.is(parseIpv4(bad), undefined, bad);
  }
  assert.throws(() => mustParseIpv4('198.51.100'), /not an IPv4 address: '198\.51\.100'/);
});

test('multicast is 224.0.0.0/4', () => {
  assert.ok(isMulticast(mustParseIpv4('224.0.0.18')));
  assert.ok(isMulticast(mustParseIpv4('239.255.255.255')));
  assert.not.ok(isMulticast(mustParseIpv4('223.255.255.255')));
  assert.not.ok(isMulticast(mustParseIpv4('240.0.0.0')));
});

test.run();
