// Decodes real kernel replies (fixtures/netlink-golden.ts); no kernel needed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeAck, decodeDone, NetlinkError } from '../../../src/kernel/netlink/ack.ts';
import { attrU32, decodeAttributes } from '../../../src/kernel/netlink/attributes.ts';
import {
  NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_MULTI, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN,
} from '../../../src/kernel/netlink/constants.ts';
import { decodeMessages, encodeMessages } from '../../../src/kernel/netlink/message.ts';
import {
  ARPHRD_ETHER, ARPHRD_LOOPBACK, IFF_LOOPBACK, IFF_UP, IFINFOMSG_LEN, IFLA_MTU, RTM_NEWLINK, RTM_SETLINK,
} from '../../../src/kernel/rtnetlink/constants.ts';
import { decodeLink } from '../../../src/kernel/rtnetlink/link.ts';
import * as g from './fixtures/netlink-golden.ts';

test('link dump part: three RTM_NEWLINK in one datagram, decoded', () => {
  const ms = decodeMessages(g.bytes(g.DUMP_LINKS_PART));
  assert.is(ms.length, 3);
  for (const m of ms) {
    assert.is(m.type, RTM_NEWLINK);
    assert.is(m.flags, NLM_F_MULTI);
    assert.is(m.seq, 2);
  }
  const links = ms.map(decodeLink);
  assert.equal(links.map((l) => l.name), ['lo', 'eth0', 'eth1']);
  const lo = links[0]!;
  assert.is(lo.index, 1);
  assert.is(lo.type, ARPHRD_LOOPBACK);
  assert.is(lo.mtu, 65536);
  assert.is(lo.address, '00:00:00:00:00:00');
  assert.ok((lo.flags & IFF_LOOPBACK) !== 0 && (lo.flags & IFF_UP) !== 0);
  const eth0 = links[1]!;
  assert.is(eth0.type, ARPHRD_ETHER);
  assert.is(eth0.mtu, 1500);
  assert.match(eth0.address!, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  assert.is.not(eth0.address, '00:00:00:00:00:00');
  assert.ok(links[2]!.index > eth0.index);
});

test('link dump part: every attribute run parses to the end (nested, padded)', () => {
  for (const m of decodeMessages(g.bytes(g.DUMP_LINKS_PART))) {
    const attrs = decodeAttributes(m.payload.subarray(IFINFOMSG_LEN));
    assert.ok(attrs.length > 20);
    assert.ok(attrs.some((a) => a.nested), 'kernel sets NLA_F_NESTED on some nests');
  }
});

test('real bytes survive decode + re-encode unchanged', () => {
  for (const hex of [g.DUMP_LINKS_PART, g.DUMP_LINKS_DONE, g.ACK_SETLINK_LO_UP, g.POLICY_ERROR_FULL, g.POLICY_ERROR_CAPPED, g.KIND_ERROR]) {
    assert.is(encodeMessages(decodeMessages(g.bytes(hex))).toString('hex'), hex);
  }
});

test('NLMSG_DONE of the dump: status 0', () => {
  const [m] = decodeMessages(g.bytes(g.DUMP_LINKS_DONE));
  assert.is(m!.type, NLMSG_DONE);
  assert.is(m!.seq, 2);
  assert.equal(decodeDone(m!), { error: 0 });
});

test('ack (error 0): capped, names the request it answers', () => {
  const [m] = decodeMessages(g.bytes(g.ACK_SETLINK_LO_UP));
  assert.is(m!.type, NLMSG_ERROR);
  assert.is(m!.flags, NLM_F_CAPPED);
  const a = decodeAck(m!);
  assert.is(a.error, 0);
  assert.equal(a.request, { len: NLMSG_HDRLEN + IFINFOMSG_LEN, type: RTM_SETLINK, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 1, pid: 0 });
  assert.is(a.message, undefined);
  assert.is(a.requestPayload, undefined);
});

test('policy error, full echo: errno, echoed request, message, offset, policy', () => {
  const [m] = decodeMessages(g.bytes(g.POLICY_ERROR_FULL));
  assert.is(m!.flags, NLM_F_ACK_TLVS);
  const a = decodeAck(m!);
  assert.is(a.error, -34); // ERANGE
  assert.is(a.request.type, RTM_SETLINK);
  assert.is(a.request.seq, 3);
  assert.is(a.message, 'Attribute failed policy validation');
  assert.is(a.offset, NLMSG_HDRLEN + IFINFOMSG_LEN);
  // the offset points at our bad IFLA_MTU (a u16) in the echoed request
  const payload = a.requestPayload!;
  assert.is(payload.length, a.request.len - NLMSG_HDRLEN);
  const [bad] = decodeAttributes(payload.subarray(a.offset! - NLMSG_HDRLEN));
  assert.is(bad!.type, IFLA_MTU);
  assert.is(bad!.data.length, 2);
  // policy: NL_POLICY_TYPE_ATTR_TYPE (1) = NL_ATTR_TYPE_U32 (4)
  assert.is(attrU32(a.policy!.find((p) => p.type === 1)!), 4);
});

test('policy error, capped: same TLVs, no echo', () => {
  const [m] = decodeMessages(g.bytes(g.POLICY_ERROR_CAPPED));
  assert.is(m!.flags, NLM_F_CAPPED | NLM_F_ACK_TLVS);
  const a = decodeAck(m!);
  assert.is(a.error, -34);
  assert.is(a.requestPayload, undefined);
  assert.is(a.message, 'Attribute failed policy validation');
  assert.is(a.offset, 32);
});

test('unknown link kind: EOPNOTSUPP with the kernel message, as a NetlinkError', () => {
  const [m] = decodeMessages(g.bytes(g.KIND_ERROR));
  const a = decodeAck(m!);
  assert.is(a.error, -95);
  assert.is(a.message, 'Unknown device type');
  assert.is(a.offset, undefined);
  const err = new NetlinkError(a.error, a.request.type, a);
  assert.is(err.code, 'ENOTSUP'); // Node's (libuv's) name for 95, as util.getSystemErrorName gives
  assert.is(err.errno, -95);
  assert.is(err.syscall, 'netlink');
  assert.is(err.kernelMessage, 'Unknown device type');
  assert.match(err.message, /type 16 failed: ENOTSUP: Unknown device type/);
});

test.run();
