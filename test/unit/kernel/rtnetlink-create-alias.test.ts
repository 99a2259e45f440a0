// A create with an alias (the ownership mark): the kernel ignores IFLA_IFALIAS at creation, so
// Rtnl sends the create (iproute2's bytes) and, in the same datagram, the alias by name; a create
// either happens whole or not at all (the alias refused: the link deleted again; the create
// refused: an alias that landed on a same-named link made meanwhile is taken off again).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeMessages, encodeMessage } from '../../../src/kernel/netlink/message.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { Rtnl } from '../../../src/kernel/rtnetlink/client.ts';
import { IFF_UP, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK } from '../../../src/kernel/rtnetlink/constants.ts';
import { decodeIfinfomsg, encodeAliasByName, encodeIfinfomsg, encodeNewLink } from '../../../src/kernel/rtnetlink/link.ts';
import { AttributeEncoder } from '../../../src/kernel/netlink/attributes.ts';
import { IFLA_IFNAME } from '../../../src/kernel/rtnetlink/constants.ts';
import { ackPayload, FakeNetlinkKernel } from './fake-netlink-kernel.ts';
import * as g from './fixtures/rtnetlink-golden.ts';

const NLMSG_ERROR = 2;
const BRIDGE = { forwardDelayCs: 400, helloTimeCs: 300, maxAgeCs: 2500, ageingTimeCs: 30000, stpState: 1, priority: 4096 };

/**
 * RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ifindex 0, IFLA_IFALIAS "stockade" (no NUL, as
 * iproute2 sends aliases), IFLA_IFNAME "br0": the kernel finds the link by name. (Written by
 * hand: `ip link set br0 alias ...` resolves the index first; the lab tier runs it on the kernel.)
 */
const REQ_ALIAS_BY_NAME = '34000000' + '1000' + '0500' + '01000000' + '00000000'
  + '00000000' + '00000000' + '00000000' + '00000000'
  + '0c001400' + '73746f636b616465'
  + '08000300' + '62723000';

function hex(m: NetlinkMessage, seq: number, pid = 0): string {
  return encodeMessage({ ...m, seq, pid }).toString('hex');
}

function answer(k: FakeNetlinkKernel, m: NetlinkMessage, errno: number): void {
  k.deliver([{ type: NLMSG_ERROR, flags: 0x100, seq: m.seq, pid: 0, payload: ackPayload(m, errno) }]);
}

test('create + alias: two messages in one datagram, the create byte for byte as iproute2 sends it', async () => {
  const k = new FakeNetlinkKernel();
  const rtnl = new Rtnl(new NetlinkSocket(k));
  const p = rtnl.createLink({ name: 'br0', alias: 'stockade', info: { kind: 'bridge', bridge: BRIDGE } });
  assert.equal(k.datagrams, [2]);
  const [create, alias] = k.sent as [NetlinkMessage, NetlinkMessage];
  const [golden] = decodeMessages(Buffer.from(g.REQ_NEWLINK_BRIDGE, 'hex'));
  // The batch's one ack is on its last message (see NetlinkSocket#flush).
  assert.is(hex({ ...create, flags: create.flags | 0x4 }, golden!.seq, golden!.pid), g.REQ_NEWLINK_BRIDGE);
  assert.is(hex(alias, 1), REQ_ALIAS_BY_NAME);
  answer(k, alias, 0);
  await p;
  assert.is(rtnl.writes, 2);
  rtnl.close();
});

test('created up: IFF_UP in the create itself; no alias, no second message', async () => {
  const k = new FakeNetlinkKernel();
  const rtnl = new Rtnl(new NetlinkSocket(k));
  const p = rtnl.createLink({ name: 'v100', up: true, parent: 7, info: { kind: 'vlan', vlan: { id: 100 } } });
  assert.equal(k.datagrams, [1]);
  const m = k.lastSent();
  assert.equal(decodeIfinfomsg(m.payload), { family: 0, type: 0, index: 0, flags: IFF_UP, change: IFF_UP });
  // Only the header differs from the same create left down.
  assert.equal(m.payload.subarray(16), encodeNewLink({ name: 'v100', parent: 7, info: { kind: 'vlan', vlan: { id: 100 } } }).subarray(16));
  answer(k, m, 0);
  await p;
  assert.is(rtnl.writes, 1);
  rtnl.close();
});

test('the alias is never in the create message (the kernel would ignore it)', () => {
  assert.equal(encodeNewLink({ name: 'br0', alias: 'stockade', info: { kind: 'bridge' } }), encodeNewLink({ name: 'br0', info: { kind: 'bridge' } }));
  assert.equal(encodeAliasByName('br0', ''), new AttributeEncoder(encodeIfinfomsg()).bytes(20, Buffer.alloc(0)).string(IFLA_IFNAME, 'br0').encode());
});

test('alias refused after the link was made: the link is deleted again, the refusal thrown', async () => {
  const k = new FakeNetlinkKernel();
  const rtnl = new Rtnl(new NetlinkSocket(k));
  const p = rtnl.createLink({ name: 'br0', alias: 'stockade', info: { kind: 'bridge' } });
  const [, alias] = k.sent as [NetlinkMessage, NetlinkMessage];
  answer(k, alias, -22);
  await new Promise((r) => setImmediate(r));
  const get = k.lastSent();
  assert.is(get.type, RTM_GETLINK);
  const link = Buffer.concat([encodeIfinfomsg(0, 9, IFF_UP), new AttributeEncoder().string(IFLA_IFNAME, 'br0').encode()]);
  k.deliver([{ type: RTM_NEWLINK, flags: 0, seq: get.seq, pid: 0, payload: link }]);
  answer(k, get, 0);
  await new Promise((r) => setImmediate(r));
  const del = k.lastSent();
  assert.equal([del.type, decodeIfinfomsg(del.payload).index], [RTM_DELLINK, 9]);
  answer(k, del, 0);
  const e = await p.then(() => undefined, (x: unknown) => x as { code?: string });
  assert.is(e?.code, 'EINVAL');
  rtnl.close();
});

test('create refused but the alias landed (a same-named link made meanwhile): the alias is taken off again', async () => {
  const k = new FakeNetlinkKernel();
  const rtnl = new Rtnl(new NetlinkSocket(k));
  const p = rtnl.createLink({ name: 'br0', alias: 'stockade', info: { kind: 'bridge' } });
  const [create, alias] = k.sent as [NetlinkMessage, NetlinkMessage];
  k.deliver([
    { type: NLMSG_ERROR, flags: 0x100, seq: create.seq, pid: 0, payload: ackPayload(create, -17) },
    { type: NLMSG_ERROR, flags: 0x100, seq: alias.seq, pid: 0, payload: ackPayload(alias, 0) },
  ]);
  await new Promise((r) => setImmediate(r));
  const off = k.lastSent();
  assert.equal(off.payload, encodeAliasByName('br0', ''));
  answer(k, off, 0);
  const e = await p.then(() => undefined, (x: unknown) => x as { code?: string });
  assert.is(e?.code, 'EEXIST');
  rtnl.close();
});

test('create asking for the index: create, alias and RTM_GETLINK by name in one datagram; the index read from the reply', async () => {
  const k = new FakeNetlinkKernel();
  const rtnl = new Rtnl(new NetlinkSocket(k));
  const p = rtnl.createLink({ name: 'bond1', up: true, alias: 'stockade', info: { kind: 'bond', bond: { mode: 1 } } }, { index: true });
  assert.equal(k.datagrams, [3]);
  const [, , get] = k.sent as [NetlinkMessage, NetlinkMessage, NetlinkMessage];
  assert.is(get.type, RTM_GETLINK);
  const reply = Buffer.concat([encodeIfinfomsg(0, 11, IFF_UP), new AttributeEncoder().string(IFLA_IFNAME, 'bond1').encode()]);
  k.deliver([{ type: RTM_NEWLINK, flags: 0, seq: get.seq, pid: 0, payload: reply }]);
  answer(k, get, 0);
  assert.is(await p, 11);
  assert.is(rtnl.writes, 2, 'the lookup is no write');
  rtnl.close();
});

test.run();
