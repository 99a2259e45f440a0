// ctnetlink entry codec against messages captured from a live kernel (fixtures/kernel-6.18.json,
// made with conntrack -I in a lab namespace and received over our own socket).
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CtUnsupported, decodeEntry, encodeEntry, invertTuple } from '../../../src/kernel/ctnetlink/entry.ts';
import type { CtEntry } from '../../../src/kernel/ctnetlink/entry.ts';
import { ctMsgType, encodeBatchItem, eventKind } from '../../../src/kernel/ctnetlink/socket.ts';
import { IPCTNL_MSG_CT_DELETE, IPCTNL_MSG_CT_NEW } from '../../../src/kernel/ctnetlink/constants.ts';
import { attributeMap, decodeAttributes } from '../../../src/kernel/netlink/attributes.ts';
import { decodeMessages } from '../../../src/kernel/netlink/message.ts';
import { NLM_F_CREATE, NLM_F_REQUEST } from '../../../src/kernel/netlink/constants.ts';

interface Fixture { name: string; kind: string | null; type: number; flags: number; hex: string; entry: Record<string, unknown> }
const fixtures = (JSON.parse(readFileSync(new URL('./fixtures/kernel-6.18.json', import.meta.url), 'utf8')) as { messages: Fixture[] }).messages;
const test = suite('ctnetlink entry');

const plain = (e: CtEntry): unknown => JSON.parse(JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));

for (const f of fixtures) {
  test(`decodes ${f.name} as the kernel sent it`, () => {
    assert.is(f.type, ctMsgType(IPCTNL_MSG_CT_NEW));
    assert.equal(plain(decodeEntry(Buffer.from(f.hex, 'hex'))), f.entry);
  });
}

test('events are told apart by multicast group', () => {
  assert.is(eventKind(1), 'new');
  assert.is(eventKind(2), 'update');
  assert.is(eventKind(3), 'destroy');
  assert.is(eventKind(4), undefined);
});

test('encode then decode keeps tuples, status, timeout, mark, zone and TCP info', () => {
  const e: CtEntry = {
    orig: { src: '192.0.2.10', dst: '198.51.100.20', proto: 6, sport: 40000, dport: 80 },
    reply: { src: '198.51.100.20', dst: '192.0.2.10', proto: 6, sport: 80, dport: 40000 },
    status: 0x0e, timeout: 3600, mark: 7, zone: 5,
    tcp: { state: 3, wscaleOrig: 7, wscaleReply: 8, flagsOrig: { flags: 8, mask: 8 }, flagsReply: { flags: 8, mask: 8 } },
    seqAdjOrig: { correctionPos: 1, offsetBefore: 2, offsetAfter: 3 }, seqAdjReply: { correctionPos: 4, offsetBefore: 5, offsetAfter: 6 },
  };
  const back = decodeEntry(encodeEntry(e));
  assert.equal(back, e);
});

test('the create request carries the kernel layout: nested tuples, big-endian ports and status', () => {
  const payload = encodeEntry({ orig: { src: '192.0.2.1', dst: '192.0.2.2', proto: 17, sport: 1, dport: 2 }, status: 8, timeout: 30 });
  // nfgenmsg AF_INET, version 0, res_id 0
  assert.is(payload.subarray(0, 4).toString('hex'), '02000000');
  // The orig tuple is byte-identical to the kernel's own (as in the dump fixture for UDP).
  const kernel = Buffer.from(fixtures.find((f) => f.name === 'dump-udp')!.hex, 'hex');
  const kAttrs = attributeMap(decodeAttributes(kernel.subarray(4)));
  const ours = attributeMap(decodeAttributes(encodeEntry({ orig: { src: '192.0.2.11', dst: '198.51.100.21', proto: 17, sport: 5353, dport: 53 } }).subarray(4)));
  assert.is(ours.get(1)!.data.toString('hex'), kAttrs.get(1)!.data.toString('hex'));
  const attrs = attributeMap(decodeAttributes(payload.subarray(4)));
  assert.is(attrs.get(3)!.data.toString('hex'), '00000008');
  assert.is(attrs.get(7)!.data.toString('hex'), '0000001e');
});

test('batch items: create-or-update without EXCL and kernel-owned status bits masked; delete sends the key only', () => {
  const entry: CtEntry = { orig: { src: '192.0.2.1', dst: '192.0.2.2', proto: 6, sport: 1, dport: 2 }, status: 0x0e, timeout: 60, mark: 1, tcp: { state: 3 } };
  const [create] = decodeMessages(encodeBatchItem({ op: 'create', entry }, 7));
  assert.is(create!.type, ctMsgType(IPCTNL_MSG_CT_NEW));
  assert.is(create!.flags, NLM_F_REQUEST | NLM_F_CREATE);
  assert.is(create!.seq, 7);
  assert.is(decodeEntry(create!.payload).status, 0x0e, 'CONFIRMED always set, as the kernel requires');
  const nat = decodeMessages(encodeBatchItem({ op: 'create', entry: { ...entry, status: 0x19e } }, 9))[0]!;
  assert.is(decodeEntry(nat.payload).status, 0x0e, 'NAT bits follow CTA_NAT_*, not the status');
  const [del] = decodeMessages(encodeBatchItem({ op: 'delete', entry }, 8));
  assert.is(del!.type, ctMsgType(IPCTNL_MSG_CT_DELETE));
  assert.equal(decodeEntry(del!.payload), { orig: entry.orig });
});

const kernel6 = (JSON.parse(readFileSync(new URL('./fixtures/kernel-6.18-ipv6.json', import.meta.url), 'utf8')) as { entries: Array<{ kernel: string; entry: unknown }> }).entries;

test('IPv6 entries from a kernel dump (AF_INET6, CTA_IP_V6_*, CTA_PROTO_ICMPV6_*) decode to RFC 5952 addresses', () => {
  const got = kernel6.map((k) => decodeEntry(Buffer.from(k.kernel, 'hex')));
  assert.equal(JSON.parse(JSON.stringify(got)), kernel6.map((k) => k.entry));
  const icmp = got.find((e) => e.orig.proto === 58)!;
  assert.equal([icmp.orig.src, icmp.orig.icmpType, icmp.orig.icmpId, icmp.reply!.icmpType], ['2001:db8::12', 128, 4660, 129]);
  const snat = got.find((e) => e.orig.sport === 40001)!;
  assert.is(snat.reply!.dst, '2001:db8:ffff::1');
});

test('IPv6 create requests: family AF_INET6, 16-byte addresses, CTA_NAT_V6_*; they decode back to the same entry', () => {
  const e: CtEntry = {
    orig: { src: '2001:db8::30', dst: '2001:db8:1::30', proto: 6, sport: 40001, dport: 443 },
    reply: invertTuple({ src: '2001:db8::30', dst: '2001:db8:1::30', proto: 6, sport: 40001, dport: 443 }),
    status: 0x0e, timeout: 100, mark: 3,
  };
  const b = encodeEntry(e);
  assert.is(b[0], 10, 'AF_INET6');
  assert.equal(decodeEntry(b), e);
  const withNat = encodeEntry({ ...e, natSrc: { ip: '2001:db8:ffff::1' } });
  const top = attributeMap(decodeAttributes(withNat.subarray(4)));
  const nat = attributeMap(decodeAttributes(top.get(6)!.data)); // CTA_NAT_SRC
  assert.equal([nat.get(4)?.data.toString('hex'), nat.get(5)?.data.toString('hex')], ['20010db8ffff00000000000000000001', '20010db8ffff00000000000000000001']);
  const icmp = encodeEntry({ orig: { src: '2001:db8::12', dst: '2001:db8:1::22', proto: 58, icmpType: 128, icmpCode: 0, icmpId: 4660 } }, { purpose: 'key' });
  assert.equal(decodeEntry(icmp).orig, { src: '2001:db8::12', dst: '2001:db8:1::22', proto: 58, icmpType: 128, icmpCode: 0, icmpId: 4660 });
  assert.equal(invertTuple({ src: 'a', dst: 'b', proto: 58, icmpType: 128, icmpCode: 0, icmpId: 1 }).icmpType, 129);
});

test('entries of families other than IPv4 and IPv6 are reported as unsupported, not as garbage', () => {
  const bridge = Buffer.from('07000000', 'hex');
  assert.throws(() => decodeEntry(bridge), (e: unknown) => e instanceof CtUnsupported);
});

test('malformed payloads throw parse errors', () => {
  assert.throws(() => decodeEntry(Buffer.from('02', 'hex')));
  assert.throws(() => decodeEntry(Buffer.from('02000000', 'hex')), /CTA_TUPLE_ORIG/);
  const f = Buffer.from(fixtures[0]!.hex, 'hex');
  assert.throws(() => decodeEntry(f.subarray(0, 30)));
});

test('invertTuple swaps addresses and ports and ICMP request/reply types', () => {
  assert.equal(invertTuple({ src: 'a', dst: 'b', proto: 6, sport: 1, dport: 2 }), { src: 'b', dst: 'a', proto: 6, sport: 2, dport: 1 });
  assert.equal(invertTuple({ src: 'a', dst: 'b', proto: 1, icmpType: 8, icmpCode: 0, icmpId: 5 }), { src: 'b', dst: 'a', proto: 1, icmpType: 0, icmpCode: 0, icmpId: 5 });
});

test.run();
