import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConfigError } from '../../../src/config/errors.ts';
import { formatConfigError } from '../../../src/config/errors.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import { describeErrors, errorsOf, fixture } from './helpers.ts';

function only(value: unknown): ConfigError {
  const errors = errorsOf(value);
  assert.is(errors.length, 1, describeErrors(errors));
  return errors[0]!;
}

function at(value: unknown, pointer: string): ConfigError {
  const errors = errorsOf(value);
  const e = errors.find((x) => x.pointer === pointer);
  if (!e) throw new Error(`no error at ${pointer}; got:\n${describeErrors(errors)}`);
  return e;
}

test('enum: every allowed value listed, and did-you-mean', () => {
  const c = fixture();
  c.interfaces.bonds[0].mode = 'active-passive';
  const e = only(c);
  assert.is(e.kind, 'schema');
  assert.is(e.pointer, '/interfaces/bonds/0/mode');
  assert.is(e.expected, 'one of: active-backup, 802.3ad, balance-xor, balance-rr, broadcast, balance-tlb, balance-alb');
  assert.is(e.found, '"active-passive"');
  assert.is(e.hint, 'did you mean "active-backup"?');
});

test("enum: other tools' names for a value (x-aliases) and case slips", () => {
  const c = fixture();
  c.interfaces.bonds[0].mode = 'lacp';
  c.sync.mode = 'nack';
  c.lvs.virtual_services[0].method = 'NAT';
  assert.is(at(c, '/interfaces/bonds/0/mode').hint, 'did you mean "802.3ad"?');
  assert.is(at(c, '/sync/mode').hint, 'did you mean "ftfw"?');
  assert.is(at(c, '/lvs/virtual_services/0/method').hint, 'did you mean "nat"?');
  const n = fixture();
  n.interfaces.bonds[0].mode = 4;
  assert.is(at(n, '/interfaces/bonds/0/mode').hint, 'did you mean "802.3ad"?');
});

test('integer range', () => {
  const c = fixture();
  c.vrrp.instances[0].vrid = 256;
  const e = only(c);
  assert.is(e.pointer, '/vrrp/instances/0/vrid');
  assert.is(e.expected, 'an integer from 1 to 255');
  assert.is(e.found, '256');
});

test('wrong type, with a quoted number', () => {
  const c = fixture();
  c.interfaces.ports[0].mtu = '9000';
  const e = only(c);
  assert.is(e.expected, 'an integer from 68 to 65535');
  assert.is(e.found, '"9000"');
  assert.is(e.hint, 'write the number without quotes: 9000');
});

test('wrong type: a boolean as a string, a scalar for a list, an object for a string', () => {
  const c = fixture();
  c.interfaces.ports[0].enabled = 'true';
  c.interfaces.bonds[0].members = 'eth0';
  c.system.hostname = { name: 'fw' };
  assert.is(at(c, '/interfaces/ports/0/enabled').hint, 'write true without quotes');
  assert.is(at(c, '/interfaces/bonds/0/members').hint, 'write a list: ["eth0"]');
  assert.match(at(c, '/interfaces/bonds/0/members').expected, /^a list of at least 1 item, each the name of an interface/);
  assert.is(at(c, '/system/hostname').found, '{"name":"fw"}');
});

test('patterns read as words with an example', () => {
  const c = fixture();
  c.addresses[0].static[0] = '203.0.113.2';
  c.routes[0].gateway = '203.0.113.254/24';
  c.interfaces.ports[0].mac = '02:00:00:00:00';
  assert.equal(
    [at(c, '/addresses/0/static/0'), at(c, '/routes/0/gateway'), at(c, '/interfaces/ports/0/mac')].map((e) => [e.expected, e.hint]),
    [
      ['an IPv4 CIDR like 192.0.2.1/24', 'add the prefix length, like 203.0.113.2/24'],
      ['an IPv4 address like 192.0.2.1', 'write the address without the prefix length: 203.0.113.254'],
      ['a MAC address like 02:00:00:00:00:01', undefined],
    ],
  );
});

test('interface names longer than Linux allows', () => {
  const c = fixture();
  c.interfaces.vlans[0].name = 'external-network';
  const e = at(c, '/interfaces/vlans/0/name');
  assert.match(e.expected, /interface name of up to 15/);
  assert.is(e.hint, 'Linux interface names have at most 15 characters');
});

test('unknown property: did-you-mean against the allowed names', () => {
  const c = fixture();
  c.interfaces.bonds[0].mdoe = c.interfaces.bonds[0].mode;
  delete c.interfaces.bonds[0].mode;
  c.vrrp.instances[0].advertInterval = 1000;
  c.system.colour = 'blue';
  const typo = at(c, '/interfaces/bonds/0/mdoe');
  assert.is(typo.found, 'unknown property "mdoe"');
  assert.is(typo.hint, 'did you mean "mode"?');
  assert.match(typo.expected, /^one of the known properties: name, description, mode, members/);
  assert.is(at(c, '/vrrp/instances/0/advertInterval').hint, 'did you mean "advert_interval_ms"?');
  assert.is(at(c, '/system/colour').hint, undefined);
});

test('unknown top-level section', () => {
  const c = fixture();
  c.vrpp = c.vrrp;
  delete c.vrrp;
  const errors = errorsOf(c);
  const e = errors.find((x) => x.pointer === '/vrpp');
  assert.is(e?.hint, 'did you mean "vrrp"?');
});

test('missing required property: pointer to where it belongs, found nothing', () => {
  const c = fixture();
  delete c.vrrp.instances[1].vrid;
  const e = only(c);
  assert.is(e.pointer, '/vrrp/instances/1/vrid');
  assert.is(e.expected, 'an integer from 1 to 255 (required)');
  assert.is(e.found, 'nothing');
});

test('missing version', () => {
  const e = only({ interfaces: {} });
  assert.is(e.pointer, '/version');
  assert.match(e.expected, /^1 \(the config format version/);
});

test('another config version: only that error, with a hint', () => {
  const c = fixture();
  c.version = 2;
  c.interfaces.bonds[0].mode = 'nonsense';
  const e = only(c);
  assert.is(e.pointer, '/version');
  assert.is(e.found, '2');
  assert.is(e.hint, 'the file was written for a newer stockade');
  assert.is(only({ version: '1' }).pointer, '/version');
});

test('sysctl names and values', () => {
  const c = fixture();
  c.sysctls['ip_forward'] = 1;
  c.sysctls['net.ipv4.conf.all.rp_filter'] = true;
  const name = at(c, '/sysctls/ip_forward');
  assert.is(name.expected, 'a sysctl name like net.ipv4.ip_forward');
  assert.is(name.found, 'property name "ip_forward"');
  assert.is(at(c, '/sysctls/net.ipv4.conf.all.rp_filter').hint, 'write 1 for true');
  assert.is(errorsOf(c).length, 2);
});

test('list sizes and repeats', () => {
  const c = fixture();
  c.vrrp.instances[0].vips = [];
  c.system.nameservers = ['192.0.2.53', '192.0.2.54', '192.0.2.55', '192.0.2.56'];
  c.firewall.rules[0].states = ['established', 'established'];
  assert.is(at(c, '/vrrp/instances/0/vips').expected, 'a list of 1 to 255 items, each an IPv4 address or CIDR like 192.0.2.10 or 192.0.2.0/24');
  assert.match(at(c, '/system/nameservers').expected, /^a list of at most 3 items/);
  const dup = at(c, '/firewall/rules/0/states');
  assert.match(dup.expected, /without repeats/);
  assert.is(dup.hint, 'items 0 and 1 are the same');
});

test('steps (multipleOf)', () => {
  const c = fixture();
  c.interfaces.bridges = [{ name: 'br0', priority: 1000 }];
  assert.is(at(c, '/interfaces/bridges/0/priority').expected, 'an integer from 0 to 61440 in steps of 4096');
});

test('text fields refuse control characters', () => {
  const c = fixture();
  c.interfaces.ports[0].description = 'line one\nline two';
  const e = at(c, '/interfaces/ports/0/description');
  assert.match(e.expected, /without control characters/);
  assert.is(e.found, '"line one\\nline two"');
});

test('long values are abbreviated', () => {
  const c = fixture();
  c.system.hostname = 'x'.repeat(500);
  c.interfaces.vlans[0].id = { a: 'y'.repeat(200), b: [1, 2, 3] };
  const long = at(c, '/system/hostname');
  assert.ok(long.found.length < 90, long.found);
  assert.match(long.found, /…" \(500 characters\)$|… \(500 characters\)$/);
  assert.match(at(c, '/interfaces/vlans/0/id').found, /… \(object with 2 properties\)$/);
});

test('a document that is not an object', () => {
  for (const text of ['[]', '"x"', '1', 'null']) {
    const r = loadConfigText(text);
    assert.ok(!r.ok && r.errors[0]!.pointer === '' && r.errors[0]!.expected === 'an object', text);
  }
});

test('all errors at once, in file order, one per place', () => {
  const c = fixture();
  c.system.hostname = 'fw a';
  c.interfaces.bonds[0].mode = 'x';
  c.interfaces.vlans[0].id = 0;
  c.vrrp.instances[0].priority = 0;
  c.vrrp.instances[2].bogus = 1;
  c.sync.port = 70000;
  c.sync.port2 = 1;
  const errors = errorsOf(c);
  assert.equal(
    errors.map((e) => e.pointer),
    ['/system/hostname', '/interfaces/bonds/0/mode', '/interfaces/vlans/0/id', '/vrrp/instances/0/priority', '/vrrp/instances/2/bogus', '/sync/port', '/sync/port2'],
  );
  const lines = errors.map((e) => e.line ?? 0);
  assert.equal(lines, [...lines].sort((a, b) => a - b));
});

test('duplicate keys are errors (JSON.parse would keep the last silently), reported with the schema errors', () => {
  const text = '{\n  "version": 1,\n  "interfaces": { "ports": [ { "name": "eth0", "mtu": 1500, "mtu": 9000 } ] },\n  "system": { "hostname": 5 }\n}';
  const r = loadConfigText(text);
  assert.not.ok(r.ok);
  if (r.ok) return;
  assert.equal(r.errors.map((e) => e.pointer), ['/interfaces/ports/0/mtu', '/system/hostname']);
  assert.is(
    formatConfigError('c.json', r.errors[0]!),
    'c.json:3:61: /interfaces/ports/0/mtu: expected each property name once per object; found "mtu" again. hint: first given at line 3 column 48; JSON would silently keep the last',
  );
});

test('the printed line: file, position, pointer, expected, found, hint', () => {
  const text = '{\n  "version": 1,\n  "interfaces": {\n    "ports": [{ "name": "eth0" }],\n    "bonds": [{ "name": "bond0", "members": ["eth0"], "mode": "active-passive" }]\n  }\n}\n';
  const r = loadConfigText(text);
  assert.not.ok(r.ok);
  if (r.ok) return;
  assert.is(
    formatConfigError('config.json', r.errors[0]!),
    'config.json:5:63: /interfaces/bonds/0/mode: expected one of: active-backup, 802.3ad, balance-xor, balance-rr, broadcast, balance-tlb, balance-alb; found "active-passive". hint: did you mean "active-backup"?',
  );
});

test.run();
