// Gratuitous ARP frames against keepalived 2.2.7's, captured in the lab (fixtures/keepalived-garp.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GARP_FRAME_LENGTH, garpFrame, parseMac, virtualMac } from '../../../src/vrrp/garp.ts';
import { mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';

const fx = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'keepalived-garp.json'), 'utf8')) as { mac: string; frames: string[]; keepalived: string };

test('garpFrame equals keepalived\'s frame for each VIP, byte for byte (42 bytes, no padding)', () => {
  assert.is(fx.keepalived, '2.2.7');
  const vips = ['192.0.2.100', '192.0.2.102'];
  fx.frames.forEach((hex, i) => {
    assert.is(hex.length / 2, GARP_FRAME_LENGTH);
    assert.is(Buffer.from(garpFrame(parseMac(fx.mac), ip(vips[i]!))).toString('hex'), hex);
  });
});

test('parseMac rejects malformed text; garpFrame needs 6 bytes', () => {
  assert.throws(() => parseMac('00:11:22:33:44'));
  assert.throws(() => parseMac('00:11:22:33:44:zz'));
  assert.throws(() => garpFrame(new Uint8Array(5), 1));
});

test('virtualMac: 00:00:5e:00:01:<VRID> (RFC 5798 7.3), VRID 1..255 only', () => {
  assert.is(virtualMac(1), '00:00:5e:00:01:01');
  assert.is(virtualMac(51), '00:00:5e:00:01:33');
  assert.is(virtualMac(255), '00:00:5e:00:01:ff');
  for (const bad of [0, 256, 1.5]) assert.throws(() => virtualMac(bad), RangeError);
});

test.run();
