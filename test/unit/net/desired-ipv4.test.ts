// IPv4 addresses stay numbers from the config to the encoders: desiredFromConfig parses each
// once, and the rtnetlink encoders write a number as the same 4 bytes as its text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatIpv4 } from '../../../src/common/ipv4.ts';
import { encodeAddress } from '../../../src/kernel/rtnetlink/address.ts';
import { encodeRoute } from '../../../src/kernel/rtnetlink/route.ts';
import { encodeRule } from '../../../src/kernel/rtnetlink/rule.ts';
import { desiredFromConfig } from '../../../src/net/desired.ts';
import { fixture, load } from '../config/helpers.ts';

test('the desired addresses, routes and rules hold numbers', () => {
  const c = fixture();
  c.routing_rules = [{ priority: 100, from: '192.0.2.0/25', table: 100 }];
  const r = load(c);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const d = desiredFromConfig(r.config);
  const a = d.addresses.find((x) => x.interface === 'ext')!;
  assert.equal([typeof a.local, formatIpv4(a.local), a.prefixLength, formatIpv4(a.broadcast!)], ['number', '203.0.113.2', 24, '203.0.113.255']);
  const def = d.routes.find((x) => x.dstLength === 0)!;
  assert.equal([def.dst, formatIpv4(def.gateway!)], [0, '203.0.113.254']);
  assert.equal([formatIpv4(d.rules[0]!.src!), d.rules[0]!.srcLength], ['192.0.2.0', 25]);
});

test('a number and its text encode to the same bytes', () => {
  const n = 0xc0000201; // 192.0.2.1
  assert.equal(encodeAddress({ index: 2, local: n, prefixLength: 24, broadcast: 0xc00002ff }), encodeAddress({ index: 2, local: '192.0.2.1', prefixLength: 24, broadcast: '192.0.2.255' }));
  assert.equal(encodeRoute({ dst: 0xc6336400, dstLength: 24, gateway: n }), encodeRoute({ dst: '198.51.100.0', dstLength: 24, gateway: '192.0.2.1' }));
  assert.equal(encodeRule({ src: n, srcLength: 32, table: 100 }), encodeRule({ src: '192.0.2.1', srcLength: 32, table: 100 }));
  assert.throws(() => encodeAddress({ index: 2, local: 2 ** 32, prefixLength: 24 }), /not an IPv4 address/);
});

test.run();
