import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeExpected, describeFound, schemaAt } from '../../../src/config/describe.ts';

test('the schema for a place in a document, through lists and $ref', () => {
  assert.is(schemaAt('/vrrp/instances/3/vrid')?.['maximum'], 255);
  assert.is(describeExpected(schemaAt('/interfaces/bonds/0/members/2')!), 'the name of an interface (port, bond, VLAN or bridge), like bond0.10');
  assert.is(describeExpected(schemaAt('/sysctls/net.ipv4.ip_forward')!), 'a sysctl value (a string or an integer)');
  assert.is(schemaAt('/nowhere/at/all'), undefined);
});

test('expected text for each kind of schema', () => {
  assert.is(describeExpected({ type: 'integer', minimum: 0 }), 'an integer of at least 0');
  assert.is(describeExpected({ type: 'integer', maximum: 9 }), 'an integer of at most 9');
  assert.is(describeExpected({ type: 'boolean' }), 'true or false');
  assert.is(describeExpected({ enum: [2, 3] }), 'one of: 2, 3');
  assert.is(describeExpected({ const: 1 }), '1');
  assert.is(describeExpected({ type: 'string', maxLength: 1 }), 'a string of at most 1 character');
  assert.is(describeExpected({ type: 'object' }), 'an object');
  assert.is(describeExpected({ type: ['integer', 'string'] }), 'an integer or a string');
  assert.is(describeExpected({}), 'a valid value');
});

test('found text: JSON, abbreviated, terminal-safe', () => {
  assert.is(describeFound(undefined), 'nothing');
  assert.is(describeFound('x'), '"x"');
  assert.is(describeFound(null), 'null');
  assert.is(describeFound([1, 'a']), '[1,"a"]');
  const long = describeFound(Array.from({ length: 1000 }, (_, i) => i));
  assert.ok(long.length < 90 && long.endsWith('(list of 1000 items)'), long);
  assert.is(describeFound('a\u202eb\u0007'), '"a\\u202eb\\u0007"');
  assert.ok(!/[\ud800-\udbff]…/.test(describeFound('😀'.repeat(100))));
});

test.run();
