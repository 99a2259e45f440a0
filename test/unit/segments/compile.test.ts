// Segments compiled into the firewall's ruleset, per mode: golden lines as iptables-save prints them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileRuleset, type FwTable } from '../../../src/firewall/index.ts';
import { nameHash } from '../../../src/segments/index.ts';
import { config, edited, novlan } from './fixture.ts';

const h = nameHash('cloud');

function table(doc: unknown, name: string): FwTable {
  return compileRuleset(config(doc), { scope: 'full' }).tables.find((t) => t.family === 'ipv4' && t.table === name)!;
}
const chain = (t: FwTable, name: string): string[] => (t.chains.find((c) => c.name === name)?.rules ?? []).map((r) => r.spec);

test('managed: FORWARD default-deny into the range, per-group chains holding its rules, hosts may go out', () => {
  const f = table(undefined, 'filter');
  const fwd = chain(f, 'STOCKADE-FORWARD');
  assert.ok(fwd.includes(`-d 198.51.100.0/24 -m comment --comment "/segments/0" -j STOCKADE-SF-${h}`));
  assert.ok(fwd.includes('-s 198.51.100.0/24 -m comment --comment "/segments/0" -j ACCEPT'));
  assert.equal(chain(f, `STOCKADE-SF-${h}`), [
    `-d 198.51.100.0/26 -m comment --comment "/segments/0/groups/0" -j STOCKADE-SG-${h}-0`,
    `-d 198.51.100.64/26 -m comment --comment "/segments/0/groups/1" -j STOCKADE-SG-${h}-1`,
    '-m comment --comment "/segments/0" -j DROP',
  ]);
  assert.equal(chain(f, `STOCKADE-SG-${h}-0`), ['-s 203.0.113.0/24 -d 198.51.100.0/26 -p tcp -m tcp --dport 80 -m comment --comment "/segments/0/groups/0/rules/0" -j ACCEPT']);
  // A rule naming another group opens to that group's subnet.
  assert.equal(chain(f, `STOCKADE-SG-${h}-1`), ['-s 198.51.100.0/26 -d 198.51.100.64/26 -p tcp -m tcp --dport 5432:5433 -m comment --comment "/segments/0/groups/1/rules/0" -j ACCEPT']);
  const input = chain(f, 'STOCKADE-INPUT');
  for (const i of ['g10', 'g11']) assert.ok(input.some((l) => l.startsWith(`-i ${i} -p udp -m udp --dport 67 `)), `DHCP accepted on ${i}`);
  assert.ok(input.some((l) => l.startsWith('-i lan -p udp -m udp --dport 67 -m comment --comment "/segments/1" ')), 'static segment: DHCP on its interface');
});

test('managed: 1:1 public addresses (DNAT in and from the box, SNAT out of wan), hairpin, metadata, masquerade last', () => {
  const n = table(undefined, 'nat');
  const pre = chain(n, 'STOCKADE-PREROUTING');
  assert.ok(pre.includes('-s 198.51.100.0/24 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -m comment --comment "/segments/0/metadata" -j DNAT --to-destination 192.0.2.80:8773'));
  assert.ok(pre.includes(`-m comment --comment "/segments/0/public" -j STOCKADE-SD-${h}-0`));
  assert.ok(chain(n, 'STOCKADE-OUTPUT').includes(`-m comment --comment "/segments/0/public" -j STOCKADE-SD-${h}-0`), "the box's own access to a public address");
  assert.equal(chain(n, `STOCKADE-SD-${h}-0`), ['-d 203.0.113.65/32 -m comment --comment "/segments/0/public/assign/0" -j DNAT --to-destination 198.51.100.2']);
  assert.equal(chain(n, `STOCKADE-SS-${h}-0`), ['-s 198.51.100.2/32 -o wan -m comment --comment "/segments/0/public/assign/0" -j SNAT --to-source 203.0.113.65']);
  assert.equal(chain(n, 'STOCKADE-POSTROUTING'), [
    '-s 198.51.100.0/24 -d 198.51.100.0/24 -m conntrack --ctstate DNAT -m comment --comment "/segments/0/public" -j MASQUERADE',
    `-m comment --comment "/segments/0/public" -j STOCKADE-SS-${h}-0`,
    '-s 198.51.100.0/24 -o wan -m comment --comment "/segments/0/public" -j MASQUERADE',
  ]);
});

test('system mode adds nothing of its own (its allow_from stays the firewall zone rules)', () => {
  const doc = { version: 1, interfaces: { ports: [{ name: 'a' }, { name: 'b' }] }, segments: [{ name: 'x', interfaces: ['a'], allow_from: ['y'] }, { name: 'y', interfaces: ['b'] }] };
  const f = table(doc, 'filter');
  assert.ok(!f.chains.some((c) => /^STOCKADE-S[FG]-/.test(c.name)));
  assert.ok(chain(f, 'STOCKADE-FORWARD').includes('-i b -o a -m comment --comment "/segments/0/allow_from/0" -j ACCEPT'));
});

test('one public address assigned: only its pool block chain changes; one rule added: only its group chain', () => {
  const before = compileRuleset(config(), { scope: 'full' });
  const after = compileRuleset(config(edited((d) => d.segments[0].public.assign.push({ address: '203.0.113.66', host: '198.51.100.3' }))), { scope: 'full' });
  const changed = (a: typeof before, b: typeof before): string[] => a.tables.flatMap((t, i) => t.chains.filter((c) => JSON.stringify(c) !== JSON.stringify(b.tables[i]!.chains.find((x) => x.name === c.name))).map((c) => `${t.table} ${c.name}`));
  assert.equal(changed(after, before), [`nat STOCKADE-SD-${h}-0`, `nat STOCKADE-SS-${h}-0`]);
  const ruled = compileRuleset(config(edited((d) => d.segments[0].groups[1].rules.push({ source: '192.0.2.0/24', protocol: 'icmp' }))), { scope: 'full' });
  assert.equal(changed(ruled, before), [`filter STOCKADE-SG-${h}-1`]);
});

test('managed_novlan: as managed on the one interface, and first a host only from its own address and MAC', () => {
  const f = table(novlan(), 'filter');
  const fwd = chain(f, 'STOCKADE-FORWARD');
  const spoof = fwd.indexOf(`-i trunk -m comment --comment "/segments/0" -j STOCKADE-SA-${h}`);
  assert.ok(spoof >= 0 && spoof < fwd.indexOf(`-d 198.51.100.0/24 -m comment --comment "/segments/0" -j STOCKADE-SF-${h}`), fwd.join('\n'));
  assert.equal(chain(f, `STOCKADE-SA-${h}`), [
    '-s 198.51.100.2/32 -m mac --mac-source 02:00:00:00:0A:01 -m comment --comment "/segments/0/groups/0/hosts/0" -j RETURN',
    '-s 198.51.100.3/32 -m mac --mac-source 02:00:00:00:0A:02 -m comment --comment "/segments/0/groups/0/hosts/1" -j RETURN',
    '-s 198.51.100.66/32 -m mac --mac-source 02:00:00:00:0B:01 -m comment --comment "/segments/0/groups/1/hosts/0" -j RETURN',
    '-m comment --comment "/segments/0" -j DROP',
  ]);
  assert.equal(chain(f, `STOCKADE-SG-${h}-1`), ['-s 198.51.100.0/26 -d 198.51.100.64/26 -p tcp -m tcp --dport 5432:5433 -m comment --comment "/segments/0/groups/1/rules/0" -j ACCEPT']);
  assert.ok(chain(f, 'STOCKADE-INPUT').some((l) => l.startsWith('-i trunk -p udp -m udp --dport 67 ')), 'DHCP on the shared interface');
});

test.run();
