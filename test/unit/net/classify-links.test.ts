// planLinks' first step: one named change per link (missing / conflict / fresh / changed / gone),
// from desired links and the kernel's, before any action is emitted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Link } from '../../../src/kernel/rtnetlink/link.ts';
import type { DesiredLink, DesiredNetwork } from '../../../src/net/desired.ts';
import { classifyLinks } from '../../../src/net/plan-links.ts';

const net = (links: DesiredLink[]): DesiredNetwork => ({ links, addresses: [], routes: [], rules: [], sysctls: [], dhcp: [] });
const port = (name: string): DesiredLink => ({ kind: 'port', name, up: true, restorePermanentMac: false });
const vlan = (name: string, parent: string, id: number): DesiredLink => ({ kind: 'vlan', name, alias: 'stockade', up: true, parent, id });
const bond = (name: string): DesiredLink => ({
  kind: 'bond', name, alias: 'stockade', up: true, mode: 'active-backup', miimonMs: 100, updelayMs: 0, downdelayMs: 0, minLinks: 0, members: [],
});
const link = (index: number, name: string, extra: Partial<Link> = {}): Link => ({ index, name, flags: 0, type: 1, mtu: 1500, address: undefined, ...extra });

function types(d: DesiredNetwork, links: Link[]): Record<string, string> {
  return Object.fromEntries([...classifyLinks(d, links)].map(([n, c]) => [n, c.type]));
}

test('each kind of change, by name', () => {
  const kernel = [
    link(1, 'eth0'),
    link(2, 'old0', { kind: 'bond', alias: 'stockade' }),                                   // owned, not configured
    link(3, 'v10', { kind: 'vlan', alias: 'stockade', parent: 1, vlan: { id: 11 } }),      // owned, wrong id
    link(4, 'v20', { kind: 'vlan', parent: 1, vlan: { id: 99 } }),                          // not owned, wrong id
    link(5, 'bond0', { kind: 'bond', alias: 'stockade', bond: { mode: 1 } }),
    link(6, 'admin0', { kind: 'bond' }),                                                    // not configured, not owned
  ];
  const d = net([port('eth0'), port('eth9'), bond('bond0'), bond('bond1'), vlan('v10', 'eth0', 10), vlan('v20', 'eth0', 20), vlan('v30', 'eth9', 30)]);
  assert.equal(types(d, kernel), {
    eth0: 'changed', eth9: 'missing', bond0: 'changed', bond1: 'fresh', v10: 'fresh', v20: 'conflict', v30: 'missing', old0: 'gone',
  });
  const c = classifyLinks(d, kernel);
  const v10 = c.get('v10');
  assert.ok(v10?.type === 'fresh' && v10.replaces?.index === 3 && v10.why === 'it is VLAN 11 on eth0');
  const v30 = c.get('v30');
  assert.ok(v30?.type === 'missing' && v30.warning === 'vlan v30: its parent eth9 is missing; skipped');
  const v20 = c.get('v20');
  assert.ok(v20?.type === 'conflict' && /Stockade did not create, and it is VLAN 99 on eth0/.test(v20.problem));
});

test('a port whose name a stacked link holds is a conflict; a VLAN goes with a parent that goes', () => {
  const kernel = [
    link(1, 'eth0', { kind: 'bridge' }),
    link(2, 'br0', { kind: 'bridge', alias: 'stockade' }),
    link(3, 'v1', { kind: 'vlan', alias: 'stockade', parent: 2, vlan: { id: 1 } }),
    link(4, 'v2', { kind: 'vlan', alias: 'stockade', parent: 2, vlan: { id: 2 } }),
  ];
  const d = net([port('eth0'), bond('br0'), vlan('v1', 'br0', 1)]);
  const c = classifyLinks(d, kernel);
  assert.equal(types(d, kernel), { eth0: 'conflict', br0: 'fresh', v1: 'fresh', v2: 'gone' });
  const eth0 = c.get('eth0');
  assert.ok(eth0?.type === 'conflict' && eth0.problem === 'port eth0: the interface of that name is a bridge, not a NIC');
  const v1 = c.get('v1');
  assert.ok(v1?.type === 'fresh' && v1.why === 'its parent is made again');
});

test.run();
