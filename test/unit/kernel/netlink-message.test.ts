import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTI, NLM_F_REQUEST, NLMSG_DONE, NLMSG_HDRLEN,
} from '../../../src/kernel/netlink/constants.ts';
import { decodeMessages, encodeMessage, encodeMessages, NetlinkParseError, nlmsgAlign } from '../../../src/kernel/netlink/message.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';

const hex = (b: Buffer) => b.toString('hex');

test('constants agree with struct nlmsghdr and the dump flag', () => {
  assert.is(NLMSG_HDRLEN, 16);
  assert.is(NLM_F_DUMP, 0x300);
});

test('encodes the header little-endian, exact bytes', () => {
  const b = encodeMessage({ type: 18, flags: NLM_F_REQUEST | NLM_F_DUMP, seq: 0x01020304, pid: 0, payload: Buffer.alloc(16) });
  // len 32, type 18, flags 0x301, seq, pid 0, then ifinfomsg zeros
  assert.is(hex(b.subarray(0, 16)), '20000000' + '1200' + '0103' + '04030201' + '00000000');
  assert.is(b.length, 32);
});

test('a payload not a multiple of 4 is padded, nlmsg_len excludes the padding', () => {
  const b = encodeMessage({ type: 0x20, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 7, pid: 9, payload: Buffer.from([1, 2, 3]) });
  assert.is(b.length, 20);
  assert.is(b.readUInt32LE(0), 19);
  assert.is(b[19], 0);
  const [m] = decodeMessages(b);
  assert.equal([...m!.payload], [1, 2, 3]);
});

test('round trip of several messages in one datagram, odd sizes included', () => {
  const ms: NetlinkMessage[] = [
    { type: 16, flags: NLM_F_MULTI, seq: 1, pid: 42, payload: Buffer.from('abcde') },
    { type: 16, flags: NLM_F_MULTI, seq: 1, pid: 42, payload: Buffer.alloc(0) },
    { type: 17, flags: 0, seq: 0xffffffff, pid: 0xfffffffe, payload: Buffer.from('0123456789ab') },
    { type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 1, pid: 42, payload: Buffer.alloc(4) },
  ];
  const wire = encodeMessages(ms);
  assert.is(wire.length, 24 + 16 + 28 + 20);
  const back = decodeMessages(wire);
  assert.is(back.length, 4);
  back.forEach((m, i) => {
    const want = ms[i]!;
    assert.is(m.type, want.type);
    assert.is(m.flags, want.flags);
    assert.is(m.seq, want.seq);
    assert.is(m.pid, want.pid);
    assert.is(hex(m.payload), hex(want.payload));
  });
});

test('the last message may lack its padding', () => {
  const wire = encodeMessage({ type: 16, flags: 0, seq: 1, pid: 0, payload: Buffer.from([9]) });
  const [m] = decodeMessages(wire.subarray(0, 17));
  assert.equal([...m!.payload], [9]);
});

test('decoding accepts a plain Uint8Array', () => {
  const wire = encodeMessage({ type: 3, flags: 2, seq: 5, pid: 6, payload: Buffer.alloc(4) });
  const u8 = new Uint8Array(wire);
  assert.is(decodeMessages(u8)[0]!.seq, 5);
});

test('payloads are views, not copies', () => {
  const wire = encodeMessage({ type: 16, flags: 0, seq: 1, pid: 0, payload: Buffer.from([1, 2, 3, 4]) });
  const [m] = decodeMessages(wire);
  wire[16] = 0xaa;
  assert.is(m!.payload[0], 0xaa);
});

test('malformed datagrams are rejected with the offset', () => {
  const good = encodeMessage({ type: 16, flags: 0, seq: 1, pid: 0, payload: Buffer.alloc(4) });
  assert.throws(() => decodeMessages(Buffer.concat([good, Buffer.alloc(8)])), (e: unknown) => e instanceof NetlinkParseError && e.offset === 20);
  const short = Buffer.from(good);
  short.writeUInt32LE(8, 0);
  assert.throws(() => decodeMessages(short), /shorter than the header/);
  const long = Buffer.from(good);
  long.writeUInt32LE(64, 0);
  assert.throws(() => decodeMessages(long), /runs past the datagram/);
  assert.equal(decodeMessages(Buffer.alloc(0)), []);
});

test('nlmsgAlign', () => {
  assert.equal([0, 1, 3, 4, 5, 16, 17].map(nlmsgAlign), [0, 4, 4, 4, 8, 16, 20]);
});

test.run();
