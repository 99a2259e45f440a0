import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatIpv4 } from '../../../src/common/index.ts';
import { expandPool, groupCapacity, groupNet } from '../../../src/segments/index.ts';

test('group N gets block N of the range: network, router .1, hosts .2 to size-2, broadcast last', () => {
  const s = { subnet: '198.51.100.0/24', addresses_per_group: 64 as const };
  const g = groupNet(s, 1)!;
  assert.is(g.cidr, '198.51.100.64/26');
  assert.is(formatIpv4(g.router), '198.51.100.65');
  assert.is(formatIpv4(g.firstHost), '198.51.100.66');
  assert.is(formatIpv4(g.lastHost), '198.51.100.126');
  assert.is(formatIpv4(g.broadcast), '198.51.100.127');
  assert.is(groupCapacity(s), 4);
  assert.is(groupNet(s, 3)!.cidr, '198.51.100.192/26');
  assert.is(groupNet(s, 4), undefined, 'block 4 lies outside a /24 of 64-address blocks');
  assert.is(groupNet({ subnet: '198.51.100.0/24', addresses_per_group: 4 as const }, 63)!.cidr, '198.51.100.252/30');
});

test('public pool: networks expand to their host addresses, each address once, in order', () => {
  assert.equal(expandPool(['203.0.113.64/30', '203.0.113.65', '203.0.113.9']).addresses, ['203.0.113.65', '203.0.113.66', '203.0.113.9']);
  assert.equal(expandPool(['203.0.113.8/31']).addresses, ['203.0.113.8', '203.0.113.9']);
  assert.is(expandPool(['10.0.0.0/8']).tooLarge, true);
});

test.run();
