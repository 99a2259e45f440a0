// rtnetlink codecs against golden bytes (test/unit/kernel/fixtures/rtnetlink-golden.ts):
// - requests: what Rtnl sends is byte for byte what iproute2 sends for the same command
//   (bond and VLAN creation included: captured from `ip`, refused by this host's kernel);
// - dumps: the kernel's messages about objects `ip` made decode to what `ip -d` showed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeMessages, encodeMessage } from '../../../src/kernel/netlink/message.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { decodeAddress, encodeAddress } from '../../../src/kernel/rtnetlink/address.ts';
import { Rtnl } from '../../../src/kernel/rtnetlink/client.ts';
import {
  BOND_LACP_RATE_FAST, BOND_MODE_8023AD, BOND_MODE_ACTIVEBACKUP, BOND_XMIT_POLICY_LAYER34, BR_STATE_DISABLED, ETH_P_8021Q, FR_ACT_PROHIBIT,
  FR_ACT_TO_TBL, IFF_LOWER_UP, IFF_UP, IFLA_INFO_DATA, IFLA_LINKINFO, MACVLAN_MODE_BRIDGE, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE,
  RTN_BLACKHOLE, RTN_UNICAST, RTPROT_KERNEL, RTPROT_STOCKADE,
} from '../../../src/kernel/rtnetlink/constants.ts';
import { decodeLink, decodeLinkPayload, decodeVethPeer } from '../../../src/kernel/rtnetlink/link.ts';
import { decodeRoute } from '../../../src/kernel/rtnetlink/route.ts';
import { decodeRule } from '../../../src/kernel/rtnetlink/rule.ts';
import { decodeAttributes } from '../../../src/kernel/netlink/attributes.ts';
import { ackPayload, FakeNetlinkKernel } from './fake-netlink-kernel.ts';
import * as g from './fixtures/rtnetlink-golden.ts';

const req = suite('rtnetlink requests = iproute2\'s');
const dump = suite('rtnetlink dumps decode');

/** Runs one Rtnl call against a scripted kernel that acks it; returns the message sent. */
async function sent(call: (r: Rtnl) => Promise<unknown>): Promise<NetlinkMessage> {
  const k = new FakeNetlinkKernel();
  const rtnl = new Rtnl(new NetlinkSocket(k));
  const p = call(rtnl);
  const m = k.lastSent();
  k.deliver([{ type: 2, flags: 0x100, seq: m.seq, pid: 0, payload: ackPayload(m, 0) }]);
  await p;
  assert.is(rtnl.writes, 1);
  rtnl.close();
  return m;
}

/** The sent message with iproute2's seq, against the golden hex. */
function same(m: NetlinkMessage, goldenHex: string): void {
  const [golden] = decodeMessages(Buffer.from(goldenHex, 'hex'));
  assert.is(encodeMessage({ ...m, seq: golden!.seq, pid: golden!.pid }).toString('hex'), goldenHex);
}

const ETH0 = 100;
const ETH1 = 102;
const BR0 = 2;
const VA = 5;
const VB = 4;

req('bridge with its options', async () => {
  same(await sent((r) => r.createLink({
    name: 'br0',
    info: { kind: 'bridge', bridge: { forwardDelayCs: 400, helloTimeCs: 300, maxAgeCs: 2500, ageingTimeCs: 30000, stpState: 1, priority: 4096 } },
  })), g.REQ_NEWLINK_BRIDGE);
});

req('bond in 802.3ad with its options, MTU and MAC', async () => {
  same(await sent((r) => r.createLink({
    name: 'bond0', mtu: 9000, address: '02:00:00:00:00:01',
    info: { kind: 'bond', bond: { mode: BOND_MODE_8023AD, miimonMs: 100, updelayMs: 200, downdelayMs: 200, xmitHashPolicy: BOND_XMIT_POLICY_LAYER34, minLinks: 1, lacpRate: BOND_LACP_RATE_FAST } },
  })), g.REQ_NEWLINK_BOND);
});

req('bond in active-backup with a primary', async () => {
  same(await sent((r) => r.createLink({ name: 'bond1', info: { kind: 'bond', bond: { mode: BOND_MODE_ACTIVEBACKUP, miimonMs: 100, primary: ETH1 } } })), g.REQ_NEWLINK_BOND_AB);
});

req('802.1Q VLAN on a parent, with an MTU', async () => {
  same(await sent((r) => r.createLink({ name: 'eth0.10', mtu: 1400, parent: ETH0, info: { kind: 'vlan', vlan: { id: 10, protocol: ETH_P_8021Q } } })), g.REQ_NEWLINK_VLAN);
});

req('macvlan in bridge mode', async () => {
  same(await sent((r) => r.createLink({ name: 'mv0', parent: ETH1, info: { kind: 'macvlan', macvlan: { mode: MACVLAN_MODE_BRIDGE } } })), g.REQ_NEWLINK_MACVLAN);
});

req('veth pair with both MACs', async () => {
  same(await sent((r) => r.createLink({ name: 'va', address: '02:00:00:00:00:0a', info: { kind: 'veth', peer: { name: 'vb', address: '02:00:00:00:00:0b' } } })), g.REQ_NEWLINK_VETH);
});

req('link changes: master, MTU + MAC + alias, up, down, rename, bridge options, delete', async () => {
  same(await sent((r) => r.changeLink({ index: ETH0, master: BR0 })), g.REQ_SETLINK_MASTER);
  same(await sent((r) => r.changeLink({ index: VA, mtu: 1400, address: '02:00:00:00:00:0c', alias: 'stockade: uplink' })), g.REQ_SETLINK_ATTRS);
  same(await sent((r) => r.changeLink({ index: VA, up: true })), g.REQ_SETLINK_UP);
  same(await sent((r) => r.changeLink({ index: VA, up: false })), g.REQ_SETLINK_DOWN);
  same(await sent((r) => r.changeLink({ index: VB, name: 'wan' })), g.REQ_SETLINK_RENAME);
  same(await sent((r) => r.changeLink({ index: BR0, info: { kind: 'bridge', bridge: { stpState: 0 } } })), g.REQ_SETLINK_BRIDGE_OPTIONS);
  same(await sent((r) => r.deleteLink(7)), g.REQ_DELLINK);
});

req('address add (with the broadcast address computed) and delete', async () => {
  same(await sent((r) => r.addAddress({ index: VA, local: '192.0.2.1', prefixLength: 24, broadcast: '192.0.2.255' })), g.REQ_NEWADDR);
  same(await sent((r) => r.deleteAddress({ index: VA, local: '192.0.2.10', prefixLength: 32 })), g.REQ_DELADDR);
});

req('an address marked with IFA_PROTO (iproute2 6.1 cannot): the attribute after the others', () => {
  const p = encodeAddress({ index: 4, local: '203.0.113.5', prefixLength: 24, protocol: RTPROT_STOCKADE });
  assert.is(p.toString('hex'), '02180000' + '04000000' + '08000200cb007105' + '08000100cb007105' + '05000b0053000000');
});

req('routes: main with a metric, another table, a blackhole, a replace', async () => {
  const base = { protocol: RTPROT_STOCKADE, scope: RT_SCOPE_UNIVERSE, type: RTN_UNICAST };
  same(await sent((r) => r.addRoute({ ...base, dst: '198.51.100.0', dstLength: 24, gateway: '192.0.2.254', metric: 10, oif: VA })), g.REQ_NEWROUTE);
  same(await sent((r) => r.addRoute({ ...base, dstLength: 0, gateway: '192.0.2.254', table: 1000, oif: VA })), g.REQ_NEWROUTE_TABLE);
  same(await sent((r) => r.addRoute({ ...base, type: RTN_BLACKHOLE, dst: '203.0.113.0', dstLength: 24, table: 100 })), g.REQ_NEWROUTE_BLACKHOLE);
  same(await sent((r) => r.addRoute({ ...base, dst: '198.51.100.0', dstLength: 24, gateway: '192.0.2.253', metric: 10, oif: VA }, { replace: true })), g.REQ_REPLACEROUTE);
});

req('policy rules: every selector, and a prohibit rule', async () => {
  same(await sent((r) => r.addRule({
    src: '192.0.2.0', srcLength: 24, dst: '198.51.100.0', dstLength: 24, iifname: 'eth0', oifname: 'va', fwmark: 5, fwmask: 0xff,
    priority: 1001, table: 1000, protocol: RTPROT_STOCKADE,
  })), g.REQ_NEWRULE);
  same(await sent((r) => r.addRule({ fwmark: 7, fwmask: 0xffffffff, priority: 1002, action: FR_ACT_PROHIBIT, protocol: RTPROT_STOCKADE })), g.REQ_NEWRULE_PROHIBIT);
});

req('iproute2\'s bond and VLAN requests decode to their options (the dump format is the same)', () => {
  const payload = (hex: string): Buffer => decodeMessages(Buffer.from(hex, 'hex'))[0]!.payload;
  const bond = decodeLinkPayload(payload(g.REQ_NEWLINK_BOND));
  assert.equal([bond.name, bond.kind, bond.mtu, bond.address], ['bond0', 'bond', 9000, '02:00:00:00:00:01']);
  assert.equal(bond.bond, { mode: 4, miimonMs: 100, updelayMs: 200, downdelayMs: 200, xmitHashPolicy: 1, minLinks: 1, lacpRate: 1 });
  assert.equal(decodeLinkPayload(payload(g.REQ_NEWLINK_BOND_AB)).bond, { mode: 1, miimonMs: 100, primary: ETH1 });
  const vlan = decodeLinkPayload(payload(g.REQ_NEWLINK_VLAN));
  assert.equal([vlan.name, vlan.kind, vlan.parent, vlan.mtu, vlan.vlan], ['eth0.10', 'vlan', ETH0, 1400, { id: 10, protocol: ETH_P_8021Q }]);
  const veth = decodeLinkPayload(payload(g.REQ_NEWLINK_VETH));
  const info = decodeAttributes(decodeAttributes(payload(g.REQ_NEWLINK_VETH).subarray(16)).find((a) => a.type === IFLA_LINKINFO)!.data);
  const peer = decodeVethPeer(info.find((a) => a.type === IFLA_INFO_DATA)!.data)!;
  assert.equal([veth.name, veth.kind, veth.address, peer.name, peer.address], ['va', 'veth', '02:00:00:00:00:0a', 'vb', '02:00:00:00:00:0b']);
});

function dumped(what: string, key: string): NetlinkMessage {
  const d = g.DUMP.find((x) => x.what === what && x.key === key);
  if (d === undefined) throw new Error(`no ${what} ${key} in the fixture`);
  return decodeMessages(Buffer.from(d.hex, 'hex'))[0]!;
}

dump('a bridge with its options', () => {
  const l = decodeLink(dumped('link', 'br0'));
  assert.equal([l.index, l.kind, l.mtu, l.flags & IFF_UP], [BR0, 'bridge', 1500, 0]);
  // (This kernel has no CONFIG_BRIDGE_VLAN_FILTERING: no VLAN protocol or default PVID.)
  assert.equal(l.bridge, { forwardDelayCs: 400, helloTimeCs: 300, maxAgeCs: 2500, ageingTimeCs: 30000, stpState: 0, priority: 4096, vlanFiltering: false, nfCallIptables: false });
});

dump('a bridge port: master, slave kind, port state', () => {
  const l = decodeLink(dumped('link', 'eth0'));
  assert.equal([l.index, l.kind, l.master, l.slaveKind, l.parent, l.parentNetnsId], [ETH0, 'veth', BR0, 'bridge', 101, 0]);
  assert.equal(l.bridgePort, { state: BR_STATE_DISABLED, priority: 32, cost: 2 });
});

dump('a macvlan, a veth with alias, MTU, MAC and carrier', () => {
  const mv = decodeLink(dumped('link', 'mv0'));
  assert.equal([mv.kind, mv.parent, mv.macvlan?.mode], ['macvlan', ETH1, MACVLAN_MODE_BRIDGE]);
  const va = decodeLink(dumped('link', 'va'));
  assert.equal([va.index, va.kind, va.parent, va.mtu, va.address, va.alias, va.carrier, va.operstate], [VA, 'veth', VB, 1400, '02:00:00:00:00:0c', 'stockade: uplink', true, 6]);
  assert.is(va.flags & (IFF_UP | IFF_LOWER_UP), IFF_UP | IFF_LOWER_UP);
  assert.equal([va.minMtu, va.maxMtu, va.broadcast], [68, 65535, 'ff:ff:ff:ff:ff:ff']);
  assert.is(decodeLink(dumped('link', 'wan')).address, '02:00:00:00:00:0b');
});

dump('addresses: broadcast, label, and the IFA_PROTO mark', () => {
  const a = decodeAddress(dumped('address', '192.0.2.1/24'));
  assert.equal([a.index, a.local, a.address, a.prefixLength, a.broadcast, a.label, a.protocol, a.validLifetime], [VA, '192.0.2.1', '192.0.2.1', 24, '192.0.2.255', 'va', undefined, 0xffffffff]);
  const vip = decodeAddress(dumped('address', '192.0.2.9/32'));
  assert.equal([vip.label, vip.broadcast], ['va:vip', undefined]);
  const marked = decodeAddress(dumped('address', '203.0.113.5/24'));
  assert.equal([marked.index, marked.protocol], [VB, RTPROT_STOCKADE]);
});

dump('routes: blackhole in table 100, default in table 1000, main with a metric, the kernel\'s prefix route', () => {
  const bh = decodeRoute(dumped('route', '100 203.0.113.0/24 6'));
  assert.equal([bh.type, bh.table, bh.protocol, bh.scope, bh.oif, bh.gateway], [RTN_BLACKHOLE, 100, RTPROT_STOCKADE, RT_SCOPE_UNIVERSE, undefined, undefined]);
  const def = decodeRoute(dumped('route', '1000 default/0 1'));
  assert.equal([def.dst, def.dstLength, def.table, def.gateway, def.oif, def.protocol, def.metric], [undefined, 0, 1000, '192.0.2.254', VA, RTPROT_STOCKADE, undefined]);
  const m = decodeRoute(dumped('route', '254 198.51.100.0/24 1'));
  assert.equal([m.dst, m.gateway, m.metric, m.oif, m.protocol], ['198.51.100.0', '192.0.2.253', 10, VA, RTPROT_STOCKADE]);
  const k = decodeRoute(dumped('route', '254 192.0.2.0/24 1'));
  assert.equal([k.protocol, k.scope, k.prefsrc, k.oif], [RTPROT_KERNEL, RT_SCOPE_LINK, '192.0.2.1', VA]);
});

dump('rules: every selector; a prohibit rule', () => {
  const r = decodeRule(dumped('rule', '1001'));
  assert.equal(
    [r.src, r.srcLength, r.dst, r.dstLength, r.iifname, r.oifname, r.fwmark, r.fwmask, r.table, r.action, r.protocol],
    ['192.0.2.0', 24, '198.51.100.0', 24, 'eth0', 'va', 5, 0xff, 1000, FR_ACT_TO_TBL, RTPROT_STOCKADE],
  );
  const p = decodeRule(dumped('rule', '1002'));
  assert.equal([p.fwmark, p.fwmask, p.action, p.table, p.src, p.protocol], [7, 0xffffffff, FR_ACT_PROHIBIT, 0, undefined, RTPROT_STOCKADE]);
});

req.run();
dump.run();
