// Link events: transitions from one link state to the next, and the monitor's bookkeeping
// (events queued during the first dump, deletes, bridge-port notifications ignored, a resync
// after lost events) against a scripted kernel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NLM_F_MULTI, NLMSG_DONE } from '../../../src/kernel/netlink/constants.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { AF_BRIDGE, IFF_LOWER_UP, IFF_UP, IFLA_IFNAME, IFLA_MTU, RTM_DELLINK, RTM_NEWLINK, RTNLGRP_LINK } from '../../../src/kernel/rtnetlink/constants.ts';
import { LinkMonitor, linkTransitions } from '../../../src/kernel/rtnetlink/events.ts';
import type { LinkEvent } from '../../../src/kernel/rtnetlink/events.ts';
import { encodeIfinfomsg } from '../../../src/kernel/rtnetlink/link.ts';
import type { Link } from '../../../src/kernel/rtnetlink/link.ts';
import { AttributeEncoder } from '../../../src/kernel/netlink/attributes.ts';
import { FakeNetlinkKernel } from './fake-netlink-kernel.ts';

const L = (flags: number, extra: Partial<Link> = {}): Link => ({ index: 3, name: 'eth0', flags, type: 1, mtu: 1500, address: '02:00:00:00:00:01', ...extra });

test('transitions: admin and carrier separately, other changes as changed', () => {
  const types = (a: Link | undefined, b: Link): string[] => linkTransitions(a, b).map((e) => e.type);
  assert.equal(types(undefined, L(0)), ['created']);
  assert.equal(types(L(0), L(IFF_UP)), ['up']);
  assert.equal(types(L(IFF_UP), L(IFF_UP | IFF_LOWER_UP)), ['carrier-up']);
  assert.equal(types(L(IFF_UP | IFF_LOWER_UP), L(0)), ['down', 'carrier-down']);
  assert.equal(types(L(IFF_UP), L(IFF_UP, { mtu: 9000 })), ['changed']);
  assert.equal(types(L(IFF_UP), L(IFF_UP)), []);
});

function linkMsg(type: number, index: number, name: string, flags: number, family = 0): { type: number; flags: number; seq: number; pid: number; payload: Buffer } {
  const attrs = new AttributeEncoder().string(IFLA_IFNAME, name).u32(IFLA_MTU, 1500).encode();
  const hdr = encodeIfinfomsg(family, index, flags);
  return { type, flags: 0, seq: 0, pid: 0, payload: Buffer.concat([hdr, attrs]) };
}

test('the monitor: initial dump, queued events, deletes, AF_BRIDGE ignored, resync after ENOBUFS', async () => {
  const k = new FakeNetlinkKernel();
  const mon = new LinkMonitor(new NetlinkSocket(k));
  const events: LinkEvent[] = [];
  mon.on('event', (e) => events.push(e));
  const started = mon.start();
  assert.ok(k.groups.has(RTNLGRP_LINK), 'joined before the dump');
  const dumpReq = k.lastSent();
  // An event during the dump waits for it.
  k.deliver([linkMsg(RTM_NEWLINK, 2, 'eth0', IFF_UP | IFF_LOWER_UP)], { group: RTNLGRP_LINK });
  k.deliver([{ ...linkMsg(RTM_NEWLINK, 2, 'eth0', IFF_UP), flags: NLM_F_MULTI, seq: dumpReq.seq }, { type: NLMSG_DONE, flags: NLM_F_MULTI, seq: dumpReq.seq, pid: 0, payload: Buffer.alloc(4) }]);
  await started;
  assert.equal(events.map((e) => `${e.type} ${e.link.name}`), ['carrier-up eth0']);
  assert.is(mon.byName('eth0')?.index, 2);

  k.deliver([linkMsg(RTM_DELLINK, 2, 'eth0', 0, AF_BRIDGE)], { group: RTNLGRP_LINK });
  assert.is(events.length, 1, 'a bridge-port notification is not the link going');
  k.deliver([linkMsg(RTM_NEWLINK, 5, 'v0', 0)], { group: RTNLGRP_LINK });
  k.deliver([linkMsg(RTM_DELLINK, 2, 'eth0', 0)], { group: RTNLGRP_LINK });
  assert.equal(events.slice(1).map((e) => `${e.type} ${e.link.name}`), ['created v0', 'deleted eth0']);

  // Lost events: the monitor dumps again and reports the difference.
  k.fail(105);
  await new Promise((r) => setImmediate(r));
  const again = k.lastSent();
  k.deliver([{ ...linkMsg(RTM_NEWLINK, 5, 'v0', IFF_UP), flags: NLM_F_MULTI, seq: again.seq }, { ...linkMsg(RTM_NEWLINK, 6, 'v1', 0), flags: NLM_F_MULTI, seq: again.seq },
    { type: NLMSG_DONE, flags: NLM_F_MULTI, seq: again.seq, pid: 0, payload: Buffer.alloc(4) }]);
  await new Promise((r) => setImmediate(r));
  assert.equal(events.slice(3).map((e) => `${e.type} ${e.link.name}`), ['up v0', 'created v1']);
  mon.close();
});

test.run();
