// The bad input, each a clear error at its pointer, nothing else flagged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { edited, errorsOf, novlan } from './fixture.ts';

function only(doc: unknown, pointer: string, expected: RegExp): void {
  const errors = errorsOf(doc);
  assert.equal(errors.map((e) => e.pointer), [pointer], JSON.stringify(errors));
  assert.match(errors[0]!.expected, expected);
}

test('the fixture is valid', () => {
  assert.equal(errorsOf(edited(() => undefined)), []);
});

test('overlapping subnets', () => {
  const errors = errorsOf(edited((d) => (d.segments[1].subnet = '198.51.100.128/25')));
  const e = errors.find((x) => x.pointer === '/segments/1/subnet');
  assert.ok(e && /overlaps no other/.test(e.expected) && /overlaps 198\.51\.100\.0\/24 \(\/segments\/0\/subnet\)/.test(e.hint ?? ''), JSON.stringify(errors));
});

test('a MAC twice (across groups, any case)', () => {
  only(edited((d) => (d.segments[0].groups[1].hosts[0].mac = '02:00:00:00:0A:01')), '/segments/0/groups/1/hosts/0/mac', /MAC address given once/);
});

test('an IP outside its group, an IP twice, the router address', () => {
  only(edited((d) => (d.segments[0].groups[1].hosts[0].ip = '198.51.100.5')), '/segments/0/groups/1/hosts/0/ip', /group db's subnet 198\.51\.100\.64\/26/);
  only(edited((d) => (d.segments[1].hosts[0].ip = '192.0.2.1')), '/segments/1/hosts/0/ip', /other than the router/);
  only(edited((d) => d.segments[0].groups[0].hosts.push({ mac: '02:00:00:00:0a:09', ip: '198.51.100.3' })), '/segments/0/groups/0/hosts/2/ip', /one host/);
});

test('a public IP not in the pool, mapped twice, onto an unknown host', () => {
  only(edited((d) => (d.segments[0].public.assign[0].address = '203.0.113.99')), '/segments/0/public/assign/0/address', /from the pool/);
  only(edited((d) => d.segments[0].public.assign.push({ address: '203.0.113.65', host: '198.51.100.3' })), '/segments/0/public/assign/1/address', /mapped once/);
  only(edited((d) => (d.segments[0].public.assign[0].host = '198.51.100.9')), '/segments/0/public/assign/0/host', /a host in one of segment "cloud"'s groups/);
});

test('a group rule naming a missing group (with a suggestion), a rule with both or neither source', () => {
  const errors = errorsOf(edited((d) => (d.segments[0].groups[1].rules[0].group = 'wbe')));
  assert.equal(errors.map((e) => e.pointer), ['/segments/0/groups/1/rules/0/group']);
  assert.match(errors[0]!.hint ?? '', /did you mean "web"/);
  only(edited((d) => (d.segments[0].groups[0].rules[0].group = 'db')), '/segments/0/groups/0/rules/0', /one of source/);
});

test('a group id outside the range, fields of another mode', () => {
  only(edited((d) => (d.segments[0].groups[1].id = 4)), '/segments/0/groups/1/id', /from 0 to 3/);
  only(edited((d) => (d.segments[1].groups = [{ name: 'x', id: 0, interface: 'g12' }])), '/segments/1/groups', /no groups in a static segment/);
});

test('managed_novlan: every group on the segment\'s one interface', () => {
  assert.equal(errorsOf(novlan()), []);
  // Changed by issue 17 item 2: managed_novlan was refused; now its groups must share the one interface.
  const own = errorsOf(edited((d) => (d.segments[0].mode = 'managed_novlan')));
  assert.equal(own.map((e) => e.pointer), ['/segments/0/groups/0/interface', '/segments/0/groups/1/interface'], JSON.stringify(own));
  assert.match(own[0]!.expected, /the segment's interface trunk/);
  const two = errorsOf(edited((d) => {
    d.segments[0].mode = 'managed_novlan';
    d.segments[0].interfaces = ['trunk', 'g12'];
    for (const g of d.segments[0].groups) g.interface = 'trunk';
  }));
  assert.equal(two.map((e) => e.pointer), ['/segments/0/interfaces'], JSON.stringify(two));
  assert.match(two[0]!.expected, /exactly one interface/);
});

test('static: the interface needs an address in the subnet (udhcpd answers from it)', () => {
  only(edited((d) => (d.segments[1].subnet = '192.0.3.0/24', d.segments[1].hosts = [])), '/segments/1/interfaces/0', /static address in 192\.0\.3\.0\/24/);
});

test.run();
