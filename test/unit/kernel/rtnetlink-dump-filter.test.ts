// Filtered route dumps (what the reconcile reads: its own routes, and only the tables it needs)
// and the in-place attribute readers the big dump decoders use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NETLINK_GET_STRICT_CHK, NLMSG_DONE, SOL_NETLINK } from '../../../src/kernel/netlink/constants.ts';
import {
  AttributeEncoder, attrString, attrU16, attrU32, attrU8, decodeAttributes, indexAttributes, stringAt, u16At, u32At, u8At, wantedTypes,
} from '../../../src/kernel/netlink/attributes.ts';
import { decodeMessages, encodeMessage, NetlinkParseError } from '../../../src/kernel/netlink/message.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { Rtnl } from '../../../src/kernel/rtnetlink/client.ts';
import {
  AF_INET, RTA_DST, RTA_OIF, RTA_TABLE, RTM_GETROUTE, RTM_NEWROUTE, RTMSG_LEN, RTM_OFF_DST_LEN, RTM_OFF_FAMILY,
  RTM_OFF_PROTOCOL, RTM_OFF_TABLE, RTM_OFF_TYPE, RTN_UNICAST, RTPROT_KERNEL, RTPROT_STOCKADE, RT_TABLE_LOCAL, RT_TABLE_MAIN,
} from '../../../src/kernel/rtnetlink/constants.ts';
import { ipAt } from '../../../src/kernel/rtnetlink/inet.ts';
import { decodeRoute, encodeRouteDumpRequest, routeMatches } from '../../../src/kernel/rtnetlink/route.ts';
import type { Route } from '../../../src/kernel/rtnetlink/route.ts';
import { ackPayload, FakeNetlinkKernel } from './fake-netlink-kernel.ts';

// What iproute2 (6.x) sends, from `strace -e write=3`: `ip -4 route show table main proto 83`,
// `ip -4 route show table all proto 83`, `ip -4 route show table 100` (NLM_F_REQUEST|NLM_F_DUMP).
const IP_ROUTE_SHOW_MAIN_PROTO = '240000001a000103fb9b026b0000000002000000005300000000000008000f00fe000000';
const IP_ROUTE_SHOW_ALL_PROTO = '1c0000001a000103fb9b026b00000000020000000053000000000000';
const IP_ROUTE_SHOW_TABLE_100 = '240000001a000103fb9b026b0000000002000000000000000000000008000f0064000000';

function asIproute2(payload: Buffer, goldenHex: string): string {
  const [g] = decodeMessages(Buffer.from(goldenHex, 'hex'));
  return encodeMessage({ type: RTM_GETROUTE, flags: g!.flags, seq: g!.seq, pid: g!.pid, payload }).toString('hex');
}

test('route dump requests are byte for byte what iproute2 sends for the same filter', () => {
  assert.is(asIproute2(encodeRouteDumpRequest(AF_INET, { table: RT_TABLE_MAIN, protocol: RTPROT_STOCKADE }), IP_ROUTE_SHOW_MAIN_PROTO), IP_ROUTE_SHOW_MAIN_PROTO);
  assert.is(asIproute2(encodeRouteDumpRequest(AF_INET, { protocol: RTPROT_STOCKADE }), IP_ROUTE_SHOW_ALL_PROTO), IP_ROUTE_SHOW_ALL_PROTO);
  assert.is(asIproute2(encodeRouteDumpRequest(AF_INET, { table: 100 }), IP_ROUTE_SHOW_TABLE_100), IP_ROUTE_SHOW_TABLE_100);
  // No filter: the plain rtmsg, as before.
  assert.is(encodeRouteDumpRequest().toString('hex'), '02' + '00'.repeat(RTMSG_LEN - 1));
});

function routeMsg(seq: number, r: { table: number; protocol: number; dst: string; oif: number }): NetlinkMessage {
  const h = Buffer.alloc(RTMSG_LEN);
  h.writeUInt8(AF_INET, RTM_OFF_FAMILY);
  h.writeUInt8(24, RTM_OFF_DST_LEN);
  h.writeUInt8(r.table > 255 ? 252 : r.table, RTM_OFF_TABLE);
  h.writeUInt8(r.protocol, RTM_OFF_PROTOCOL);
  h.writeUInt8(RTN_UNICAST, RTM_OFF_TYPE);
  const attrs = new AttributeEncoder().u32(RTA_TABLE, r.table).bytes(RTA_DST, Buffer.from(r.dst.split('.').map(Number))).u32(RTA_OIF, r.oif).encode();
  return { type: RTM_NEWROUTE, flags: 2, seq, pid: 4242, payload: Buffer.concat([h, attrs]) };
}

/** Runs rtnl.routes(filter) against a kernel that answers the dump with `all` (as a non-strict kernel would). */
async function dumpWith(filter: Parameters<Rtnl['routes']>[1], all: Array<Parameters<typeof routeMsg>[1]>): Promise<{ routes: Route[]; sent: NetlinkMessage }> {
  const k = new FakeNetlinkKernel();
  const rtnl = new Rtnl(new NetlinkSocket(k));
  const p = rtnl.routes(AF_INET, filter);
  const m = k.lastSent();
  k.deliver([...all.map((r) => routeMsg(m.seq, r)), { type: NLMSG_DONE, flags: 2, seq: m.seq, pid: 4242, payload: Buffer.alloc(4) }]);
  const routes = await p;
  rtnl.close();
  return { routes, sent: m };
}

const KERNEL_ROUTES = [
  { table: RT_TABLE_MAIN, protocol: RTPROT_KERNEL, dst: '192.0.2.0', oif: 2 },
  { table: RT_TABLE_MAIN, protocol: RTPROT_STOCKADE, dst: '198.51.100.0', oif: 2 },
  { table: RT_TABLE_LOCAL, protocol: RTPROT_KERNEL, dst: '192.0.2.1', oif: 2 },
  { table: 1000, protocol: RTPROT_STOCKADE, dst: '203.0.113.0', oif: 3 },
];

test('routes(filter): what the kernel sends beyond the filter (a socket without strict checks) is dropped', async () => {
  const own = await dumpWith({ protocol: RTPROT_STOCKADE }, KERNEL_ROUTES);
  assert.equal(own.routes.map((r) => `${r.table} ${r.dst}`), ['254 198.51.100.0', '1000 203.0.113.0']);
  assert.is(own.sent.payload.readUInt8(RTM_OFF_PROTOCOL), RTPROT_STOCKADE);
  const main = await dumpWith({ table: RT_TABLE_MAIN }, KERNEL_ROUTES);
  assert.equal(main.routes.map((r) => `${r.protocol} ${r.dst}`), [`${RTPROT_KERNEL} 192.0.2.0`, `${RTPROT_STOCKADE} 198.51.100.0`]);
  const both = await dumpWith({ table: 1000, protocol: RTPROT_STOCKADE }, KERNEL_ROUTES);
  assert.equal(both.routes.map((r) => r.dst), ['203.0.113.0']);
  const all = await dumpWith(undefined, KERNEL_ROUTES);
  assert.is(all.routes.length, 4);
});

test('routes({table}): a table the kernel does not have (ENOENT on a strict socket) has no routes', async () => {
  const k = new FakeNetlinkKernel();
  const rtnl = new Rtnl(new NetlinkSocket(k));
  const p = rtnl.routes(AF_INET, { table: 100 });
  const m = k.lastSent();
  // NLMSG_ERROR -ENOENT, as the kernel answers "ipv4: FIB table does not exist".
  k.deliver([{ type: 2, flags: 0x100, seq: m.seq, pid: 0, payload: ackPayload(m, -2) }]);
  assert.equal(await p, []);
  // Without a table filter the same error is an error.
  const q = rtnl.routes(AF_INET, { protocol: RTPROT_STOCKADE });
  const n = k.lastSent();
  k.deliver([{ type: 2, flags: 0x100, seq: n.seq, pid: 0, payload: ackPayload(n, -2) }]);
  try {
    await q;
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'ENOENT');
  }
  rtnl.close();
});

test('routeMatches', () => {
  const r = decodeRoute(routeMsg(1, KERNEL_ROUTES[3]!));
  assert.ok(routeMatches(r, {}));
  assert.ok(routeMatches(r, { table: 1000 }));
  assert.ok(routeMatches(r, { table: 1000, protocol: RTPROT_STOCKADE }));
  assert.not.ok(routeMatches(r, { table: RT_TABLE_MAIN }));
  assert.not.ok(routeMatches(r, { protocol: RTPROT_KERNEL }));
});

test('a strict socket asks the kernel for strict checks (NETLINK_GET_STRICT_CHK = 1)', () => {
  const k = new FakeNetlinkKernel();
  const s = new NetlinkSocket(k, { strictCheck: true });
  assert.ok(k.options.some(([level, name, value]) => level === SOL_NETLINK && name === NETLINK_GET_STRICT_CHK && value === 1));
  s.close();
});

test('indexAttributes finds what decodeAttributes returns (the last of a repeated type); the readers in place match attrU8/16/32/attrString', () => {
  const b = new AttributeEncoder().u8(1, 7).u16(2, 0xbeef).u32(3, 1).string(4, 'bond0').bytes(5, Buffer.from('abc')).flag(6).u32(3, 0xfedcba98).u32(9, 5).encode();
  const framed = Buffer.concat([Buffer.from('xxxx'), b, Buffer.from('yy')]);
  const wanted = wantedTypes([1, 2, 3, 4, 5, 6, 7]);
  const at = new Int32Array(2 * wanted.length).fill(99);
  indexAttributes(framed, 4, 4 + b.length, wanted, at);
  const attrs = decodeAttributes(b);
  const last = (t: number) => attrs.filter((a) => a.type === t).at(-1)!;
  for (const t of [1, 2, 3, 4, 5, 6]) assert.is(framed.subarray(at[2 * t]!, at[2 * t + 1]!).toString('hex'), last(t).data.toString('hex'), `type ${t}`);
  assert.equal([at[14], at[15]], [-1, -1], 'wanted but absent');
  assert.is(at.length, 16, 'type 9 is not wanted: not indexed');
  const sp = (t: number): [number, number] => [at[2 * t]!, at[2 * t + 1]!];
  assert.is(u8At(framed, 1, ...sp(1)), attrU8(last(1)));
  assert.is(u16At(framed, 2, ...sp(2)), attrU16(last(2)));
  assert.is(u32At(framed, 3, ...sp(3)), attrU32(last(3)));
  assert.is(u32At(framed, 3, ...sp(3)), 0xfedcba98);
  assert.is(stringAt(framed, ...sp(4)), attrString(last(4)));
  assert.is(stringAt(framed, ...sp(5)), 'abc');
  assert.is(stringAt(framed, ...sp(6)), '');
});

test('indexAttributes and the readers reject what decodeAttributes and attrU32 reject', () => {
  const w = wantedTypes([3]);
  const at = new Int32Array(8);
  const b = new AttributeEncoder().u32(3, 1).encode();
  assert.throws(() => indexAttributes(b.subarray(0, 6), 0, 6, w, at), (e: unknown) => e instanceof NetlinkParseError && /runs past/.test((e as Error).message));
  assert.throws(() => indexAttributes(b, 0, 2, w, at), (e: unknown) => e instanceof NetlinkParseError && /trailing bytes/.test((e as Error).message));
  const short = Buffer.from([2, 0, 1, 0]);
  assert.throws(() => indexAttributes(short, 0, 4, w, at), (e: unknown) => e instanceof NetlinkParseError && /shorter than the header/.test((e as Error).message));
  assert.throws(() => u32At(b, 3, 4, 7), (e: unknown) => e instanceof NetlinkParseError && /u32 needs 4 bytes, has 3/.test((e as Error).message));
  assert.throws(() => u8At(b, 3, 4, 8), (e: unknown) => e instanceof NetlinkParseError);
});

test('ipAt: IPv4 in place, IPv6 as decodeIp, other lengths refused', () => {
  const b = Buffer.from('ffc0000201' + '20010db8000000000000000000000001', 'hex');
  assert.is(ipAt(b, 1, 5), '192.0.2.1');
  assert.is(ipAt(b, 5, 21), '2001:db8::1');
  assert.throws(() => ipAt(b, 0, 3), (e: unknown) => e instanceof RangeError);
});

test.run();
