// Runtime operations: each a small edit of the config; refusals name what and where.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applySegmentOp, SegmentOpError, segmentAddresses, dhcpServers, udhcpdConfig } from '../../../src/segments/index.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import { config } from './fixture.ts';

const c = config();
const valid = (x: unknown): boolean => loadConfigText(JSON.stringify(x)).ok;
const files = { leaseFile: 'L', pidFile: 'P' };
const confs = (x: typeof c): string[] => dhcpServers(x).map((s) => udhcpdConfig(s, files));

test('ip assign: one more address on wan, nothing else; unassign undoes it', () => {
  const next = applySegmentOp(c, { op: 'ip-assign', segment: 'cloud', address: '203.0.113.66', host: '198.51.100.3' });
  assert.ok(valid(next));
  const before = segmentAddresses(c).map((a) => `${a.interface} ${a.cidr}`);
  const after = segmentAddresses(next).map((a) => `${a.interface} ${a.cidr}`);
  assert.equal(after.filter((a) => !before.includes(a)), ['wan 203.0.113.66/32']);
  assert.equal(confs(next), confs(c), 'no DHCP server changes');
  const back = applySegmentOp(next, { op: 'ip-unassign', segment: 'cloud', address: '203.0.113.66' });
  assert.equal(back, c);
  assert.equal(c.segments[0]!.public!.assign.length, 1, 'the input is not changed');
});

test('ip assign refused: not in the pool, already mapped, host already mapped', () => {
  const refused = (address: string, host: string, re: RegExp) => assert.throws(() => applySegmentOp(c, { op: 'ip-assign', segment: 'cloud', address, host }), (e: unknown) => e instanceof SegmentOpError && re.test((e as Error).message));
  refused('203.0.113.99', '198.51.100.3', /\/segments\/0\/public\/pool: 203\.0\.113\.99 is not in the pool/);
  refused('203.0.113.65', '198.51.100.3', /already mapped to 198\.51\.100\.2/);
  refused('203.0.113.66', '198.51.100.2', /already has public address 203\.0\.113\.65/);
});

test('host add to a group: only that group\'s DHCP server changes', () => {
  const next = applySegmentOp(c, { op: 'host-add', segment: 'cloud', group: 'db', host: { mac: '02:00:00:00:0b:02', ip: '198.51.100.67' } });
  assert.ok(valid(next));
  const [a, b] = [confs(c), confs(next)];
  assert.equal(a.map((t, i) => t === b[i]), [true, false, true]);
  assert.match(b[1]!, /static_lease 02:00:00:00:0b:02 198\.51\.100\.67/);
  // A MAC twice is caught by the config check the transaction runs.
  assert.not.ok(valid(applySegmentOp(c, { op: 'host-add', segment: 'cloud', group: 'db', host: { mac: '02:00:00:00:0a:01', ip: '198.51.100.68' } })));
});

test('group add/del, rule add/del; deleting a group still named or holding a public address is refused', () => {
  const added = applySegmentOp(c, { op: 'group-add', segment: 'cloud', group: { name: 'cache', id: 2, interface: 'g12' } });
  assert.ok(valid(added));
  assert.equal(segmentAddresses(added).find((a) => a.interface === 'g12')?.cidr, '198.51.100.129/26');
  assert.equal(applySegmentOp(added, { op: 'group-del', segment: 'cloud', group: 'cache' }), c);
  assert.throws(() => applySegmentOp(c, { op: 'group-del', segment: 'cloud', group: 'web' }), /named by \/segments\/0\/groups\/1\/rules\/0/);
  const ruled = applySegmentOp(c, { op: 'rule-add', segment: 'cloud', group: 'web', rule: { group: 'db', protocol: 'icmp' } });
  assert.ok(valid(ruled));
  assert.equal(applySegmentOp(ruled, { op: 'rule-del', segment: 'cloud', group: 'web', index: 1 }), c);
  assert.throws(() => applySegmentOp(c, { op: 'rule-del', segment: 'cloud', group: 'web', index: 5 }), /no rule 5 \(the group has 1/);
  assert.throws(() => applySegmentOp(c, { op: 'rule-add', segment: 'nope', group: 'web', rule: {} }), /no segment "nope" \(segments: cloud, office\)/);
});

test('no op changes its input (the copy shares only what no op edits)', () => {
  const doc = config();
  const before = JSON.stringify(doc);
  const ops = [
    { op: 'group-add', segment: 'cloud', group: { name: 'new', id: 2, interface: 'g12' } },
    { op: 'group-del', segment: 'cloud', group: 'db' },
    { op: 'host-add', segment: 'cloud', group: 'web', host: { mac: '02:00:00:00:0a:09', ip: '198.51.100.9' } },
    { op: 'host-add', segment: 'office', host: { mac: '02:00:00:00:0c:09', ip: '192.0.2.19' } },
    { op: 'host-del', segment: 'cloud', mac: '02:00:00:00:0a:02' },
    { op: 'host-del', segment: 'office', mac: '02:00:00:00:0c:01' },
    { op: 'rule-add', segment: 'cloud', group: 'web', rule: { source: '192.0.2.0/24' } },
    { op: 'rule-del', segment: 'cloud', group: 'web', index: 0 },
    { op: 'ip-assign', segment: 'cloud', address: '203.0.113.66', host: '198.51.100.3' },
    { op: 'ip-unassign', segment: 'cloud', address: '203.0.113.65' },
  ] as const;
  for (const op of ops) {
    const next = applySegmentOp(doc, op as never);
    assert.is.not(JSON.stringify(next), before, `${op.op} changed something`);
    assert.is(JSON.stringify(doc), before, `${op.op} left its input alone`);
  }
});

test.run();
