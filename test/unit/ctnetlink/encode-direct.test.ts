// The direct-write ctnetlink encoder (one buffer, nests back-patched) against the reference built
// on AttributeEncoder (encode-reference.ts): the same bytes for every field combination, in
// payloads and in whole batch messages, also after a big entry has grown the scratch buffer.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { encodeEntry, encodeEntryMessage } from '../../../src/kernel/ctnetlink/entry.ts';
import type { CtEntry, CtTuple, EncodeOptions } from '../../../src/kernel/ctnetlink/entry.ts';
import { encodeBatchItem } from '../../../src/kernel/ctnetlink/socket.ts';
import { referenceEncodeEntry, referenceEncodeMessage } from './encode-reference.ts';

const test = suite('ctnetlink direct encoder');

const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const u16 = fc.nat(0xffff);
const u32 = fc.nat(0xffffffff);
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
const tuple: fc.Arbitrary<CtTuple> = fc.record({
  src: ip, dst: ip, proto: fc.constantFrom(1, 6, 17, 132),
  sport: opt(u16), dport: opt(u16), icmpId: opt(u16), icmpType: opt(fc.nat(255)), icmpCode: opt(fc.nat(255)), zone: opt(u16),
});
const seqAdj = fc.record({ correctionPos: u32, offsetBefore: u32, offsetAfter: u32 });
const flags = fc.record({ flags: fc.nat(255), mask: fc.nat(255) });
const entry: fc.Arbitrary<CtEntry> = fc.record({
  orig: tuple, reply: opt(tuple), status: opt(u32), timeout: opt(u32), mark: opt(u32), zone: opt(u16),
  tcp: opt(fc.record({ state: fc.nat(10), wscaleOrig: opt(fc.nat(14)), wscaleReply: opt(fc.nat(14)), flagsOrig: opt(flags), flagsReply: opt(flags) })),
  natSrc: opt(fc.record({ ip, port: opt(u16) })), natDst: opt(fc.record({ ip, port: opt(u16) })),
  seqAdjOrig: opt(seqAdj), seqAdjReply: opt(seqAdj),
  labels: opt(fc.uint8Array({ minLength: 0, maxLength: 16 }).map((a) => Buffer.from(a))),
  master: opt(tuple),
}, { requiredKeys: ['orig'] }) as fc.Arbitrary<CtEntry>;
const options: fc.Arbitrary<EncodeOptions> = fc.oneof(
  fc.constant<EncodeOptions>({ purpose: 'key' }),
  fc.constant<EncodeOptions>({ purpose: 'create' }),
  fc.record({ purpose: fc.constant('create' as const), statusMask: u32, statusSet: u32 }),
);
// Undefined keys as absent keys (what the encoders check is `!== undefined`, so either is fine).
const clean = (e: CtEntry): CtEntry => JSON.parse(JSON.stringify(e), (_k, v: unknown) => {
  const b = v as { type?: unknown; data?: unknown } | null;
  return b !== null && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data) ? Buffer.from(b.data as number[]) : v;
}) as CtEntry;

test('payloads: the same bytes as the reference encoder', () => {
  fc.assert(fc.property(entry, options, (e0, o) => {
    const e = clean(e0);
    assert.is(encodeEntry(e, o).toString('hex'), referenceEncodeEntry(e, o).toString('hex'));
  }), { numRuns: 2000, seed: 6 });
});

test('whole messages: the same bytes as encodeMessage over the reference payload', () => {
  fc.assert(fc.property(entry, options, u16, u16, u32, (e0, o, type, fl, seq) => {
    const e = clean(e0);
    assert.is(encodeEntryMessage(type, fl, seq, e, o).toString('hex'), referenceEncodeMessage(type, fl, seq, e, o).toString('hex'));
  }), { numRuns: 1000, seed: 7 });
});

test('a grown scratch buffer leaves no stale bytes in later, smaller messages', () => {
  const big: CtEntry = { orig: { src: '192.0.2.1', dst: '192.0.2.2', proto: 6, sport: 1, dport: 2 }, labels: Buffer.alloc(2000, 0xff), status: 8 };
  const small: CtEntry = { orig: { src: '192.0.2.1', dst: '192.0.2.2', proto: 17, sport: 1, dport: 2 }, labels: Buffer.from([1]) };
  assert.is(encodeEntry(big).toString('hex'), referenceEncodeEntry(big, { purpose: 'create' }).toString('hex'));
  assert.is(encodeEntry(small).toString('hex'), referenceEncodeEntry(small, { purpose: 'create' }).toString('hex'));
  // batch items are independent copies: encoding the next one does not change the previous
  const a = encodeBatchItem({ op: 'create', entry: small }, 1);
  const before = a.toString('hex');
  encodeBatchItem({ op: 'create', entry: big }, 2);
  assert.is(a.toString('hex'), before);
});

test('bad addresses are refused as before', () => {
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', 'a.b.c.d', '', '1.2.3.4 ']) {
    assert.throws(() => encodeEntry({ orig: { src: bad, dst: '192.0.2.2', proto: 17 } }), /not an IPv4 address/, bad);
  }
});

test.run();
