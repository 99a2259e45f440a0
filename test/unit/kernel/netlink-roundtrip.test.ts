// Encode -> decode, one test per message type: what a request says is what the decoder of the
// same message type reads back (as the kernel would report the object). Golden bytes from real
// peers are in the *-golden tests; these catch an encoder and a decoder drifting apart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeEntry, encodeEntry } from '../../../src/kernel/ctnetlink/entry.ts';
import type { CtEntry } from '../../../src/kernel/ctnetlink/entry.ts';
import { encodeBatchItem } from '../../../src/kernel/ctnetlink/socket.ts';
import { decodeMessages } from '../../../src/kernel/netlink/message.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';
import { decodeAddress, encodeAddress } from '../../../src/kernel/rtnetlink/address.ts';
import {
  BOND_MODE_8023AD, ETH_P_8021Q, IFF_UP, RT_SCOPE_UNIVERSE, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE, RTM_NEWRULE, RTN_UNICAST, RTPROT_STOCKADE,
} from '../../../src/kernel/rtnetlink/constants.ts';
import { decodeLink, encodeChangeLink, encodeNewLink } from '../../../src/kernel/rtnetlink/link.ts';
import { decodeRoute, encodeRoute } from '../../../src/kernel/rtnetlink/route.ts';
import { decodeRule, encodeRule } from '../../../src/kernel/rtnetlink/rule.ts';

const msg = (type: number, payload: Buffer): NetlinkMessage => ({ type, flags: 0, seq: 1, pid: 0, payload });

test('link: a new bond, bridge, VLAN and macvlan read back with their options', () => {
  const bond = decodeLink(msg(RTM_NEWLINK, encodeNewLink({
    name: 'bond0', mtu: 9000, address: '02:00:00:00:00:01', up: true,
    info: { kind: 'bond', bond: { mode: BOND_MODE_8023AD, miimonMs: 100, updelayMs: 200, downdelayMs: 0, minLinks: 1, lacpRate: 1, xmitHashPolicy: 2, primary: 0 } },
  })));
  assert.equal([bond.name, bond.mtu, bond.address, bond.flags & IFF_UP, bond.kind], ['bond0', 9000, '02:00:00:00:00:01', IFF_UP, 'bond']);
  assert.equal(bond.bond, { mode: BOND_MODE_8023AD, miimonMs: 100, updelayMs: 200, downdelayMs: 0, minLinks: 1, lacpRate: 1, xmitHashPolicy: 2, primary: 0 });

  const br = decodeLink(msg(RTM_NEWLINK, encodeNewLink({
    name: 'br0', info: { kind: 'bridge', bridge: { forwardDelayCs: 1500, helloTimeCs: 200, maxAgeCs: 2000, ageingTimeCs: 30000, stpState: 1, priority: 4096, vlanFiltering: true, vlanProtocol: ETH_P_8021Q } },
  })));
  assert.equal(br.bridge, { forwardDelayCs: 1500, helloTimeCs: 200, maxAgeCs: 2000, ageingTimeCs: 30000, stpState: 1, priority: 4096, vlanFiltering: true, vlanProtocol: ETH_P_8021Q });

  const vlan = decodeLink(msg(RTM_NEWLINK, encodeNewLink({ name: 'v10', parent: 7, info: { kind: 'vlan', vlan: { id: 10, protocol: ETH_P_8021Q, flags: { flags: 1, mask: 1 } } } })));
  assert.equal([vlan.parent, vlan.vlan], [7, { id: 10, protocol: ETH_P_8021Q, flags: { flags: 1, mask: 1 } }]);

  const mv = decodeLink(msg(RTM_NEWLINK, encodeNewLink({ name: 'vrrp1', parent: 3, info: { kind: 'macvlan', macvlan: { mode: 4, flags: 0 } } })));
  assert.equal([mv.kind, mv.macvlan], ['macvlan', { mode: 4, flags: 0 }]);

  const dummy = decodeLink(msg(RTM_NEWLINK, encodeNewLink({ name: 'd0', info: { kind: 'dummy' } })));
  assert.equal([dummy.kind, dummy.bond, dummy.bridge], ['dummy', undefined, undefined], 'a kind without options has no IFLA_INFO_DATA');
});

test('link: a change by index reads back (MTU, master, alias, admin state, options)', () => {
  const l = decodeLink(msg(RTM_NEWLINK, encodeChangeLink({ index: 12, mtu: 1400, master: 5, alias: 'stockade', up: false, info: { kind: 'bond', bond: { miimonMs: 50 } } })));
  assert.equal([l.index, l.mtu, l.master, l.alias, l.flags & IFF_UP, l.bond], [12, 1400, 5, 'stockade', 0, { miimonMs: 50 }]);
});

test('address: local, peer, broadcast, label, protocol, metric and lifetimes read back', () => {
  const a = decodeAddress(msg(RTM_NEWADDR, encodeAddress({
    index: 3, local: '192.0.2.1', prefixLength: 24, broadcast: '192.0.2.255', label: 'eth0:1', protocol: RTPROT_STOCKADE, metric: 10,
    validLifetime: 600, preferredLifetime: 300,
  })));
  assert.equal([a.index, a.prefixLength, a.local, a.address, a.broadcast, a.label, a.protocol, a.metric, a.validLifetime, a.preferredLifetime],
    [3, 24, '192.0.2.1', '192.0.2.1', '192.0.2.255', 'eth0:1', RTPROT_STOCKADE, 10, 600, 300]);
});

test('route: destination, gateway, interface, table, metric and source read back', () => {
  const r = decodeRoute(msg(RTM_NEWROUTE, encodeRoute({
    dst: '198.51.100.0', dstLength: 24, gateway: '192.0.2.254', oif: 4, table: 1000, metric: 20, prefsrc: '192.0.2.1', protocol: RTPROT_STOCKADE,
  })));
  assert.equal([r.dst, r.dstLength, r.gateway, r.oif, r.table, r.metric, r.prefsrc, r.protocol, r.type, r.scope],
    ['198.51.100.0', 24, '192.0.2.254', 4, 1000, 20, '192.0.2.1', RTPROT_STOCKADE, RTN_UNICAST, RT_SCOPE_UNIVERSE]);
});

test('rule: selectors, priority, table and protocol read back', () => {
  const r = decodeRule(msg(RTM_NEWRULE, encodeRule({
    src: '192.0.2.0', srcLength: 25, dst: '203.0.113.0', dstLength: 24, iifname: 'lan', oifname: 'wan', fwmark: 7, fwmask: 0xff,
    priority: 100, table: 1000, protocol: RTPROT_STOCKADE,
  })));
  assert.equal([r.src, r.srcLength, r.dst, r.dstLength, r.iifname, r.oifname, r.fwmark, r.fwmask, r.priority, r.table, r.protocol],
    ['192.0.2.0', 25, '203.0.113.0', 24, 'lan', 'wan', 7, 0xff, 100, 1000, RTPROT_STOCKADE]);
});

const entry: CtEntry = {
  orig: { src: '192.0.2.10', dst: '198.51.100.20', proto: 6, sport: 40000, dport: 443, zone: 2 },
  reply: { src: '198.51.100.20', dst: '203.0.113.1', proto: 6, sport: 443, dport: 40000, zone: 2 },
  status: 0x18e, timeout: 431999, mark: 9, zone: 2,
  tcp: { state: 3, wscaleOrig: 7, wscaleReply: 8, flagsOrig: { flags: 0x23, mask: 0x23 }, flagsReply: { flags: 0x22, mask: 0x22 } },
  seqAdjOrig: { correctionPos: 1, offsetBefore: 2, offsetAfter: 3 },
  labels: Buffer.from('0100000000000000', 'hex'),
  master: { src: '192.0.2.10', dst: '198.51.100.20', proto: 6, sport: 40001, dport: 21 },
};

test('conntrack entry: everything a create carries reads back, IPv4 and IPv6', () => {
  assert.equal(decodeEntry(encodeEntry(entry)), entry);
  const v6: CtEntry = { orig: { src: '2001:db8::1', dst: '2001:db8:1::2', proto: 58, icmpId: 5, icmpType: 128, icmpCode: 0 }, status: 8, timeout: 30 };
  assert.equal(decodeEntry(encodeEntry(v6)), v6);
  assert.equal(decodeEntry(encodeEntry(entry, { purpose: 'key' })), { orig: entry.orig, zone: 2 }, 'a key: the tuple and zone only');
});

test('conntrack batch message: one netlink message holding the entry', () => {
  const [m, ...rest] = decodeMessages(encodeBatchItem({ op: 'create', entry }, 77));
  assert.equal(rest, []);
  assert.is(m!.seq, 77);
  assert.equal(decodeEntry(m!.payload), { ...entry, status: decodeEntry(m!.payload).status });
});

test.run();
