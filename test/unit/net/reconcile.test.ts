// The reconcile (plan and apply) against the in-memory kernel: the seeds' HA layout from
// nothing, idempotence (a second apply writes nothing), adoption, changes in place, deletion of
// owned objects only, kernel refusals rolled back, conflicts refused before any write.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config } from '../../../src/config/generated/config.ts';
import { NetlinkError } from '../../../src/kernel/netlink/ack.ts';
import { IFF_UP, RTPROT_STOCKADE } from '../../../src/kernel/rtnetlink/constants.ts';
import { applyNetwork, NetApplyError, NetConflictError, planNetwork } from '../../../src/net/apply.ts';
import { desiredFromConfig } from '../../../src/net/desired.ts';
import { actionLine } from '../../../src/net/format.ts';
import { fixtureConfig } from '../config/helpers.ts';
import { FakeKernel, FakeSysctl } from './fake-kernel.ts';
import { rejects } from './helpers.ts';

const config = fixtureConfig;

/** A kernel with the HA fixture's four ports and the sysctls it sets. */
function box(): { kernel: FakeKernel; sysctl: FakeSysctl } {
  const kernel = new FakeKernel();
  for (const n of ['eth0', 'eth1', 'eth2', 'eth3']) kernel.addNic(n, { up: false });
  const sysctl = new FakeSysctl();
  for (const k of ['net.ipv4.ip_forward', 'net.ipv4.conf.all.send_redirects', 'net.ipv4.conf.default.rp_filter', 'net.netfilter.nf_conntrack_tcp_be_liberal']) {
    sysctl.values.set(k, k.endsWith('send_redirects') ? '1' : '0');
  }
  return { kernel, sysctl };
}

async function apply(deps: { kernel: FakeKernel; sysctl: FakeSysctl }, c: Config) {
  return applyNetwork(desiredFromConfig(c), deps);
}

const lines = (r: { done: Array<{ verb: string; object: string; detail?: string; why: string; phase: string }> }): string[] => r.done.map((a) => actionLine(a as never));

test('the HA layout from nothing: bond over two ports, VLANs on it, addresses, default route, sysctls', async () => {
  const deps = box();
  const r = await apply(deps, config());
  const k = deps.kernel;
  const bond = k.byName('bond0')!;
  assert.is(bond.kind, 'bond');
  assert.is(bond.alias, 'stockade');
  assert.equal({ mode: bond.bond!.mode, miimon: bond.bond!.miimonMs, lacp: bond.bond!.lacpRate, hash: bond.bond!.xmitHashPolicy }, { mode: 4, miimon: 100, lacp: 1, hash: 1 });
  assert.is(k.byName('eth0')!.master, bond.index);
  assert.is(k.byName('eth1')!.master, bond.index);
  for (const [name, id] of [['ext', 10], ['int', 20], ['srv', 30]] as const) {
    const v = k.byName(name)!;
    assert.equal([v.kind, v.parent, v.vlan?.id, (v.flags & IFF_UP) !== 0], ['vlan', bond.index, id, true], name);
    assert.is(v.alias, 'stockade: ' + { ext: 'external network', int: 'internal clients', srv: 'real servers' }[name]);
  }
  assert.ok((bond.flags & IFF_UP) !== 0, 'bond up');
  const addrs = k.addressList.map((a) => `${k.linkTable.get(a.index)!.name} ${a.local}/${a.prefixLength} ${a.protocol}`).sort();
  assert.equal(addrs, ['eth2 192.0.2.249/30 83', 'eth3 192.0.2.130/26 83', 'ext 203.0.113.2/24 83', 'int 192.0.2.2/25 83', 'srv 198.51.100.2/24 83']);
  const def = k.routeList.find((x) => x.dstLength === 0)!;
  assert.equal([def.gateway, k.linkTable.get(def.oif!)!.name, def.protocol], ['203.0.113.254', 'ext', RTPROT_STOCKADE]);
  assert.is(deps.sysctl.values.get('net.ipv4.ip_forward'), '1');
  assert.is(deps.sysctl.values.get('net.ipv4.conf.all.send_redirects'), '0');
  assert.ok(r.done.length > 10, lines(r).join('\n'));

  const before = k.writes;
  const sysWrites = deps.sysctl.writes;
  const again = await apply(deps, config());
  assert.equal(lines(again), [], 'nothing to do');
  assert.is(k.writes, before, 'no netlink writes the second time');
  assert.is(deps.sysctl.writes, sysWrites, 'no sysctl writes the second time');
  assert.is(again.writes, 0);
});

test('plan lists what apply will do, and changes nothing', async () => {
  const deps = box();
  const snapshot = deps.kernel.snapshot();
  const plan = await planNetwork(desiredFromConfig(config()), deps);
  assert.is(deps.kernel.writes, 0);
  assert.equal(deps.kernel.snapshot(), snapshot);
  const text = plan.actions.map(actionLine);
  assert.ok(text.includes('create bond bond0: mode 802.3ad, miimon 100 ms, lacp_rate fast, xmit_hash_policy layer3+4 (in the config, not in the kernel)'), text.join('\n'));
  assert.ok(text.includes('change port eth0: join bond0 (a member of bond bond0 in the config)'), text.join('\n'));
  assert.ok(text.includes('create vlan ext: id 10 on bond0 (in the config, not in the kernel)'), text.join('\n'));
  assert.ok(text.includes('create address 203.0.113.2/24 on ext (in the config, not on the interface)'), text.join('\n'));
  assert.ok(text.includes('create route default: via 203.0.113.254 dev ext (in the config, not in the kernel)'), text.join('\n'));
  assert.ok(text.includes('change sysctl net.ipv4.ip_forward: 0 -> 1 (the config says so)'), text.join('\n'));
  const applied = await apply(deps, config());
  // Word for word: what the plan says each change does is what the apply did.
  assert.equal(lines(applied), text);
});

test('an address change does not bounce the link; the old owned address goes, the new comes', async () => {
  const deps = box();
  await apply(deps, config());
  const r = await apply(deps, config((c) => { c.addresses[1].static = ['192.0.2.3/25']; }));
  assert.equal(lines(r), [
    'create address 192.0.2.3/25 on int (in the config, not on the interface)',
    'delete address 192.0.2.2/25 on int (added by Stockade and no longer in the config)',
  ]);
  assert.not.ok(deps.kernel.log.slice(-2).some((l) => l.startsWith('change')), 'no link change');
});

test('deletes only what Stockade owns: a foreign VLAN, address, route and rule stay', async () => {
  const deps = box();
  await apply(deps, config((c) => { c.routing_rules = [{ priority: 1000, from: '192.0.2.0/25', table: 100 }]; c.routes.push({ destination: '198.51.100.128/25', gateway: '192.0.2.126', table: 100 }); }));
  const k = deps.kernel;
  // Someone else's objects on the managed interfaces.
  await k.createLink({ name: 'mgmt0', parent: k.byName('bond0')!.index, info: { kind: 'vlan', vlan: { id: 99 } } });
  await k.addAddress({ index: k.byName('int')!.index, local: '192.0.2.100', prefixLength: 25 });
  await k.addRoute({ dst: '203.0.113.128', dstLength: 25, gateway: '192.0.2.1', oif: k.byName('int')!.index });
  await k.addRule({ priority: 2000, table: 200 });
  // The config drops srv (VLAN, address), the table-100 route and the rule.
  const r = await apply(deps, config((c) => {
    c.interfaces.vlans.pop();
    c.addresses.splice(2, 1);
    c.vrrp.instances.pop();
    c.vrrp.sync_groups[0].instances.pop();
    c.segments = c.segments.filter((s: any) => s.name !== 'servers').map((s: any) => ({ ...s, allow_from: (s.allow_from ?? []).filter((x: string) => x !== 'servers') }));
    c.firewall.rules = c.firewall.rules.filter((x: any) => x.in_interface !== 'srv');
    c.firewall.nat.pop();
    c.lvs.virtual_services = [];
  }));
  const text = lines(r);
  assert.ok(text.includes('delete vlan srv (made by Stockade and no longer in the config)'), text.join('\n'));
  assert.ok(text.includes('delete route 198.51.100.128/25 table 100: via 192.0.2.126 dev int (added by Stockade and no longer in the config)'), text.join('\n'));
  assert.ok(text.includes('delete rule 1000: from 192.0.2.0/25 lookup 100 (added by Stockade and no longer in the config)'), text.join('\n'));
  assert.ok(k.byName('mgmt0'), 'foreign VLAN kept');
  assert.ok(k.addressList.some((a) => a.local === '192.0.2.100'), 'foreign address kept');
  assert.ok(k.routeList.some((x) => x.dst === '203.0.113.128'), 'foreign route kept');
  assert.ok(k.ruleList.some((x) => x.priority === 2000), 'foreign rule kept');
  assert.not.ok(k.byName('srv'));
});

test('adoption: matching objects already there are marked, not re-created', async () => {
  const deps = box();
  const k = deps.kernel;
  const eth2 = k.byName('eth2')!.index;
  await k.changeLink({ index: eth2, up: true });
  await k.addAddress({ index: eth2, local: '192.0.2.249', prefixLength: 30 });
  await k.createLink({ name: 'br0', info: { kind: 'bridge', bridge: { stpState: 0 } }, up: true });
  const writes = k.writes;
  const r = await apply(deps, config((c) => { c.interfaces.bridges = [{ name: 'br0' }]; }));
  const text = lines(r);
  assert.ok(text.includes('adopt address 192.0.2.249/30 on eth2: protocol 0 -> 83 (already there: marked as Stockade\'s in place (not re-added))'), text.join('\n'));
  assert.ok(text.includes('adopt bridge br0: mark as Stockade\'s (alias "stockade") (already there and as configured: adopted)'), text.join('\n'));
  assert.not.ok(text.some((t) => t.startsWith('create bridge') || t.startsWith('delete')), text.join('\n'));
  assert.ok(k.writes > writes);
  const again = await apply(deps, config((c) => { c.interfaces.bridges = [{ name: 'br0' }]; }));
  assert.equal(lines(again), []);
});

test('bond options change in place; a new mode makes an owned bond again', async () => {
  const deps = box();
  await apply(deps, config());
  const index = deps.kernel.byName('bond0')!.index;
  const r = await apply(deps, config((c) => { c.interfaces.bonds[0].miimon_ms = 200; }));
  assert.equal(lines(r), ['change bond bond0: miimon 100 ms -> 200 ms (the config says so)']);
  assert.is(deps.kernel.byName('bond0')!.index, index, 'same bond');

  const sent: unknown[] = [];
  deps.kernel.failWith = (op) => { if (op.name === 'bond0') sent.push(op.req); return undefined; };
  const lacp = await apply(deps, config((c) => { c.interfaces.bonds[0].miimon_ms = 200; c.interfaces.bonds[0].lacp_rate = 'slow'; }));
  deps.kernel.failWith = undefined;
  assert.equal(lines(lacp), ['change bond bond0: lacp_rate fast -> slow (the config says so (the kernel needs the bond down for this: it is bounced))']);
  assert.ok((deps.kernel.byName('bond0')!.flags & IFF_UP) !== 0, 'up again');
  // The bounce is two messages: down; the options and up (the kernel takes the options first).
  assert.equal(sent, [{ index, up: false }, { index, info: { kind: 'bond', bond: { lacpRate: 0 } }, up: true }]);

  // A new mode: in place (members leave and rejoin); the bond, its VLANs and addresses stay.
  const ext = deps.kernel.byName('ext')!.index;
  const m = await apply(deps, config((c) => { c.interfaces.bonds[0].mode = 'active-backup'; c.interfaces.bonds[0].primary = 'eth1'; }));
  assert.equal(lines(m).slice(0, 5), [
    'change port eth0: leave bond0 (bond0 changes mode, which the kernel allows only without members)',
    'change port eth1: leave bond0 (bond0 changes mode, which the kernel allows only without members)',
    'change bond bond0: mode 802.3ad -> active-backup, miimon 200 ms -> 100 ms, primary none -> eth1 (the config says so (the kernel needs the bond down for this: it is bounced))',
    'change port eth0: join bond0 (a member of bond bond0 in the config)',
    'change port eth1: join bond0 (a member of bond bond0 in the config)',
  ]);
  const bond = deps.kernel.byName('bond0')!;
  assert.is(bond.index, index, 'the same bond');
  assert.equal([bond.bond!.mode, deps.kernel.linkTable.get(bond.bond!.primary!)?.name], [1, 'eth1']);
  assert.is(deps.kernel.byName('ext')!.index, ext, 'the same VLAN');
  assert.ok(deps.kernel.addressList.some((a) => a.local === '203.0.113.2' && a.index === ext), 'with its address');
  assert.equal(lines(await apply(deps, config((c) => { c.interfaces.bonds[0].mode = 'active-backup'; c.interfaces.bonds[0].primary = 'eth1'; }))), []);
});

test('loading the bonding module makes an empty bond0 in balance-rr: it is adopted, its mode changed in place', async () => {
  const deps = box();
  await deps.kernel.createLink({ name: 'bond0', info: { kind: 'bond', bond: { mode: 0 } } });
  const index = deps.kernel.byName('bond0')!.index;
  const r = await apply(deps, config());
  const text = lines(r);
  assert.ok(text.includes('change bond bond0: mode balance-rr -> 802.3ad, miimon 0 ms -> 100 ms, lacp_rate slow -> fast, xmit_hash_policy layer2 -> layer3+4 (the config says so (the kernel needs the bond down for this: it is bounced))'), text.join('\n'));
  assert.ok(text.some((t) => t.startsWith('adopt bond bond0') || t.startsWith('change bond bond0: mark as Stockade')), text.join('\n'));
  assert.is(deps.kernel.byName('bond0')!.index, index);
  assert.is(deps.kernel.byName('bond0')!.bond!.mode, 4);
  assert.equal(lines(await apply(deps, config())), []);
});

test('a kernel refusal midway: everything this apply did is undone, the error names the object and the reason', async () => {
  const deps = box();
  const k = deps.kernel;
  const before = k.snapshot();
  k.failWith = (op) => (op.op === 'create vlan' && op.name === 'srv' ? new NetlinkError(-16, 16, { message: 'injected: device busy' }) : undefined);
  const err = await rejects(() => apply(deps, config()), (e) => e instanceof NetApplyError) as NetApplyError;
  assert.match(err.message, /^create vlan srv \(id 30 on bond0\): the kernel refused: injected: device busy \(EBUSY\); the \d+ other changes this apply made were undone$/);
  assert.is(err.failed.object, 'vlan srv');
  assert.equal(err.rollbackProblems, []);
  k.failWith = undefined;
  assert.equal(k.snapshot(), before, 'kernel as it was');
});

test('a refusal in a later phase also undoes the links made earlier', async () => {
  const deps = box();
  const before = deps.kernel.snapshot();
  deps.kernel.failWith = (op) => (op.op === 'add route' ? new NetlinkError(-101, 24, { message: 'Nexthop has invalid gateway' }) : undefined);
  const err = await rejects(() => apply(deps, config()), /^create route default \(via 203\.0\.113\.254 dev ext\): the kernel refused: Nexthop has invalid gateway \(ENETUNREACH\)/) as NetApplyError;
  assert.ok(err.undone.some((a) => a.object === 'bond bond0'));
  deps.kernel.failWith = undefined;
  assert.equal(deps.kernel.snapshot(), before);
});

test('a missing module: the error says which', async () => {
  const deps = box();
  deps.kernel.kinds.delete('bond');
  await rejects(() => apply(deps, config()), /^create bond bond0 \(.*\): the kernel refused: Unknown device type \(ENOTSUP\); is the bonding module loaded\?/);
  assert.not.ok(deps.kernel.byName('bond0'));
});

test('a same-named interface Stockade does not own: refused before any write', async () => {
  const deps = box();
  await deps.kernel.createLink({ name: 'bond0', info: { kind: 'bridge' } });
  const writes = deps.kernel.writes;
  await rejects(() => apply(deps, config()), (e) => e instanceof NetConflictError && /bond bond0: an interface named bond0 exists that Stockade did not create, and it is a bridge; rename or delete it/.test(e.message));
  assert.is(deps.kernel.writes, writes);
});

test('a missing port: warned and skipped with what is on it; the rest is applied', async () => {
  const deps = box();
  const eth3 = deps.kernel.byName('eth3')!;
  deps.kernel.linkTable.delete(eth3.index);
  const r = await apply(deps, config());
  assert.equal(r.warnings, ['port eth3: no such interface; it and what is configured on it are skipped']);
  assert.ok(deps.kernel.byName('bond0'));
  assert.not.ok(deps.kernel.addressList.some((a) => a.local === '192.0.2.130'));
});

test('MTU: raised on the bond (and so its members), the VLAN follows; a too-big MTU is the kernel\'s refusal', async () => {
  const deps = box();
  await apply(deps, config());
  const r = await apply(deps, config((c) => { c.interfaces.bonds[0].mtu = 9000; c.interfaces.vlans[0].mtu = 9000; }));
  assert.equal(lines(r), ['change bond bond0: mtu 1500 -> 9000 (the config says so)', 'change vlan ext: mtu 1500 -> 9000 (the config says so)']);
  assert.is(deps.kernel.byName('eth0')!.mtu, 9000);
  const before = deps.kernel.snapshot();
  // (The bond's MTU goes back to the default 1500 in the same run: sent together, then undone.)
  await rejects(() => apply(deps, config((c) => { c.interfaces.ports[2].mtu = 9500; })), /^change port eth2 \(mtu 1500 -> 9500\): the kernel refused: mtu greater than device maximum \(EINVAL\); the 1 other change this apply made was undone$/);
  assert.equal(deps.kernel.snapshot(), before);
});

test('routes in other tables and policy rules', async () => {
  const deps = box();
  const c = config((x) => {
    x.routes.push({ destination: '198.51.100.0/24', type: 'blackhole', table: 100 }, { destination: 'default', gateway: '192.0.2.126', interface: 'int', table: 1000, metric: 5 });
    x.routing_rules = [{ priority: 100, from: '192.0.2.0/25', table: 1000 }, { priority: 101, fwmark: 7, action: 'prohibit' }];
  });
  await apply(deps, c);
  const k = deps.kernel;
  const t1000 = k.routeList.find((r) => r.table === 1000)!;
  assert.equal([t1000.gateway, t1000.metric, t1000.protocol], ['192.0.2.126', 5, RTPROT_STOCKADE]);
  assert.ok(k.routeList.some((r) => r.table === 100 && r.type === 6));
  assert.ok(k.ruleList.some((r) => r.priority === 100 && r.src === '192.0.2.0' && r.srcLength === 25 && r.table === 1000 && r.protocol === RTPROT_STOCKADE));
  assert.ok(k.ruleList.some((r) => r.priority === 101 && r.fwmark === 7 && r.action === 8));
  assert.equal(lines(await apply(deps, c)), []);
  const moved = await apply(deps, config((x) => {
    x.routes.push({ destination: 'default', gateway: '192.0.2.125', interface: 'int', table: 1000, metric: 5 });
  }));
  assert.ok(lines(moved).includes('change route default table 1000 metric 5: via 192.0.2.126 dev int -> via 192.0.2.125 dev int (the config says so)'), lines(moved).join('\n'));
});

test('reads: a re-apply reads each table once, and of the routes only its own; a first apply reads the links twice', async () => {
  const deps = box();
  const k = deps.kernel;
  await apply(deps, config());
  // From nothing: the links before and after phase "links"; no table it does not need (the
  // routes of main only where a wanted route is not Stockade's yet).
  assert.equal(k.reads, ['links', 'links', 'addresses', 'routes proto 83', 'routes table 254', 'rules']);
  k.reads = [];
  await apply(deps, config());
  assert.equal(k.reads, ['links', 'addresses', 'routes proto 83', 'rules']);
  k.reads = [];
  // A plan reads the same.
  await planNetwork(desiredFromConfig(config()), deps);
  assert.equal(k.reads, ['links', 'addresses', 'routes proto 83', 'rules']);
});

test('reads: a wanted route on a key where a route not Stockade\'s sits: its table is read and the route adopted; other tables are not read', async () => {
  const deps = box();
  const k = deps.kernel;
  const c = config((x) => { x.routes.push({ destination: '198.51.100.0/25', gateway: '192.0.2.126', table: 1000 }); });
  await apply(deps, c);
  const route = k.routeList.find((r) => r.table === 1000)!;
  route.protocol = 4; // as if `ip route add ... proto static` had made it
  k.routeList.push({ ...route, table: 2000, dst: '203.0.113.0', dstLength: 24 });
  k.reads = [];
  const r = await apply(deps, c);
  assert.equal(lines(r), ['adopt route 198.51.100.0/25 table 1000: protocol 4 -> 83 (already there: marked as Stockade\'s in place)']);
  assert.equal(k.reads.filter((x) => x.startsWith('routes')), ['routes proto 83', 'routes table 1000']);
  assert.is(k.routeList.find((x) => x.table === 2000)!.protocol, 4, 'the other table untouched');
  k.reads = [];
  assert.equal(lines(await apply(deps, c)), []);
  assert.equal(k.reads.filter((x) => x.startsWith('routes')), ['routes proto 83']);
});

test('joins: members of different bonds go out together; the members of one bond one after the other, in the config\'s order', async () => {
  const deps = box();
  const c = config((x) => {
    x.interfaces.bonds.push({ name: 'bond1', mode: 'active-backup', members: ['eth2', 'eth3'] });
    x.addresses = x.addresses.filter((a: { interface: string }) => a.interface !== 'eth3')
      .map((a: { interface: string }) => (a.interface === 'eth2' ? { ...a, interface: 'bond1' } : a));
    x.sync.interface = 'bond1';
    x.management.interfaces = ['bond1'];
  });
  const plan = await planNetwork(desiredFromConfig(c), deps);
  const joins = plan.actions.filter((a) => a.detail?.startsWith('join'));
  assert.equal(joins.map((a) => `${a.object} ${a.detail} [${a.group}]`), [
    'port eth0 join bond0 [join-bond-0]', 'port eth2 join bond1 [join-bond-0]',
    'port eth1 join bond0 [join-bond-1]', 'port eth3 join bond1 [join-bond-1]',
  ]);
  const enslaved: string[] = [];
  deps.kernel.failWith = (op) => {
    if (op.op === 'change' && (op.req as { master?: number }).master !== undefined) enslaved.push(op.name!);
    return undefined;
  };
  await apply(deps, c);
  assert.equal(enslaved, ['eth0', 'eth2', 'eth1', 'eth3']);
  assert.is(deps.kernel.byName('eth3')!.master, deps.kernel.byName('bond1')!.index);
});

test('messages of a first apply: created links carry their mark and come up with the create; no settings change after', async () => {
  const deps = box();
  let lookups = 0;
  const link = deps.kernel.link.bind(deps.kernel);
  deps.kernel.link = async (name) => { lookups++; return link(name); };
  const r = await apply(deps, config());
  assert.is(lookups, 0, 'no link looked up: the new bond\'s index came with its create');
  const links = deps.kernel.log.filter((l) => !l.includes('address') && !l.includes('route') && !l.includes('rule'));
  assert.equal(links, [
    'create bond bond0', 'alias bond0', 'change eth0', 'change eth1',
    'create vlan ext', 'alias ext', 'create vlan int', 'alias int', 'create vlan srv', 'alias srv',
    // Only the ports' own settings remain ("link-settings").
    'change eth2', 'change eth3',
  ]);
  assert.is(r.writes, deps.kernel.writes);
  assert.is(r.writes, links.length + 5 + 1, '12 link messages, 5 addresses, 1 route');
});

test('a member that is up joins its bond in one message: down and master together (the kernel takes the flags first)', async () => {
  const deps = box();
  for (const n of ['eth0', 'eth1']) deps.kernel.byName(n)!.flags |= IFF_UP;
  const joins: unknown[] = [];
  deps.kernel.failWith = (op) => {
    if (op.op === 'change' && (op.name === 'eth0' || op.name === 'eth1')) joins.push(op.req);
    return undefined;
  };
  await apply(deps, config());
  const bond = deps.kernel.byName('bond0')!.index;
  assert.equal(joins, [{ index: deps.kernel.byName('eth0')!.index, master: bond, up: false }, { index: deps.kernel.byName('eth1')!.index, master: bond, up: false }]);
  assert.ok((deps.kernel.byName('eth0')!.flags & IFF_UP) !== 0, 'the bond opened its member');
});

test('a VLAN whose parent is down until "link-settings" is created down and brought up after its parent (plan = apply)', async () => {
  const deps = box();
  const k = deps.kernel;
  await apply(deps, config());
  // As the kernel does it: the VLANs close with their parent.
  for (const n of ['bond0', 'ext', 'int']) await k.changeLink({ index: k.byName(n)!.index, up: false });
  await k.deleteLink(k.byName('srv')!.index);
  const plan = await planNetwork(desiredFromConfig(config()), deps);
  const text = plan.actions.filter((a) => a.phase === 'links' || a.phase === 'link-settings').map(actionLine);
  assert.equal(text, [
    'create vlan srv: id 30 on bond0 (in the config, not in the kernel)',
    'change bond bond0: up (the config says so)',
    'change vlan ext: up (the config says so)',
    'change vlan int: up (the config says so)',
    'change vlan srv: up (the config says so)',
  ]);
  const r = await apply(deps, config());
  assert.equal(lines(r).filter((l) => !l.includes('address') && !l.includes('route')), text);
  assert.ok((k.byName('srv')!.flags & IFF_UP) !== 0);
  assert.is(k.byName('srv')!.alias, 'stockade: real servers');
  assert.equal(lines(await apply(deps, config())), []);
});

test('the alias of a new link refused: the link is gone again and the apply undone', async () => {
  const deps = box();
  const k = deps.kernel;
  const before = k.snapshot();
  k.failWith = (op) => (op.op === 'alias' && op.name === 'int' ? new NetlinkError(-22, 22, { message: 'injected' }) : undefined);
  const err = await rejects(() => apply(deps, config()), (e) => e instanceof NetApplyError) as NetApplyError;
  assert.is(err.failed.object, 'vlan int');
  assert.equal(err.rollbackProblems, []);
  k.failWith = undefined;
  assert.equal(k.snapshot(), before, 'kernel as it was');
});

test.run();
