// rtnetlink decoders under mutation, and encode/decode round trips. Whatever bytes the kernel
// (or a broken peer) hands over, decoding a link, address, route or rule either succeeds or
// throws a parse error (NetlinkParseError, RangeError): never another exception, never a hang.
// Bounded: fixed runs and a time limit. Re-run a failure with FUZZ_SEED=<seed>.
import { test } from 'uvu';
import fc from 'fast-check';
import { property } from './property.ts';
import * as assert from 'uvu/assert';
import { decodeMessages, NetlinkParseError } from '../../src/kernel/netlink/message.ts';
import type { NetlinkMessage } from '../../src/kernel/netlink/message.ts';
import { decodeAddress } from '../../src/kernel/rtnetlink/address.ts';
import { decodeLink, decodeLinkPayload, encodeNewLink } from '../../src/kernel/rtnetlink/link.ts';
import type { BondOptions, BridgeOptions } from '../../src/kernel/rtnetlink/link.ts';
import { decodeRoute, encodeRoute } from '../../src/kernel/rtnetlink/route.ts';
import type { RouteRequest } from '../../src/kernel/rtnetlink/route.ts';
import { decodeRule } from '../../src/kernel/rtnetlink/rule.ts';
import { RTM_NEWROUTE } from '../../src/kernel/rtnetlink/constants.ts';
import { DUMP } from '../unit/kernel/fixtures/rtnetlink-golden.ts';


const check = <T>(name: string, arb: fc.Arbitrary<T>, predicate: (v: T) => void): void =>
  property(test, name, arb, { runs: 400, timeLimitMs: 4000 }, predicate);

const golden: NetlinkMessage[] = DUMP.map((d) => decodeMessages(Buffer.from(d.hex, 'hex'))[0]!);
const decoders: Record<string, (m: NetlinkMessage) => unknown> = { link: decodeLink, address: decodeAddress, route: decodeRoute, rule: decodeRule };

function tolerated(e: unknown): boolean {
  return e instanceof NetlinkParseError || e instanceof RangeError;
}

/** A golden message with some bytes after the netlink header replaced, or the payload cut. */
const mutated = fc.record({
  which: fc.nat({ max: golden.length - 1 }),
  edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
});

check('decoders: mutated kernel messages decode or fail with a parse error', mutated, ({ which, edits, cut }) => {
  const m = golden[which]!;
  const payload = Buffer.from(m.payload);
  for (const [at, v] of edits) payload[at % payload.length] = v;
  const p = cut === undefined ? payload : payload.subarray(0, cut % (payload.length + 1));
  const decode = decoders[DUMP[which]!.what]!;
  try {
    decode({ ...m, payload: p });
  } catch (e) {
    assert.ok(tolerated(e), `${DUMP[which]!.what}: ${(e as Error).stack}`);
  }
});

check('decoders: random bytes decode or fail with a parse error', fc.tuple(fc.constantFrom(...Object.keys(decoders)), fc.uint8Array({ maxLength: 200 })), ([what, bytes]) => {
  const type = { link: 16, address: 20, route: 24, rule: 32 }[what]!;
  try {
    decoders[what]!({ type, flags: 0, seq: 0, pid: 0, payload: Buffer.from(bytes) });
  } catch (e) {
    assert.ok(tolerated(e), `${what}: ${(e as Error).stack}`);
  }
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bond: fc.Arbitrary<BondOptions> = fc.record({
  mode: fc.integer({ min: 0, max: 6 }), miimonMs: u32, updelayMs: u32, downdelayMs: u32, minLinks: u32,
  lacpRate: fc.integer({ min: 0, max: 1 }), xmitHashPolicy: fc.integer({ min: 0, max: 5 }), primary: u32,
}, { requiredKeys: [] });
const bridge: fc.Arbitrary<BridgeOptions> = fc.record({
  forwardDelayCs: u32, helloTimeCs: u32, maxAgeCs: u32, ageingTimeCs: u32, stpState: fc.integer({ min: 0, max: 2 }),
  priority: fc.integer({ min: 0, max: 0xffff }), vlanFiltering: fc.boolean(),
}, { requiredKeys: [] });
const name = fc.stringMatching(/^[a-z][a-z0-9]{0,14}$/);

check('bond options: encode then decode gives them back', fc.tuple(name, bond), ([n, o]) => {
  const l = decodeLinkPayload(encodeNewLink({ name: n, info: { kind: 'bond', bond: o } }));
  assert.equal([l.name, l.kind, l.bond ?? {}], [n, 'bond', { ...o }]);
});

check('bridge options: encode then decode gives them back', fc.tuple(name, bridge), ([n, o]) => {
  const l = decodeLinkPayload(encodeNewLink({ name: n, info: { kind: 'bridge', bridge: o } }));
  assert.equal([l.name, l.kind, l.bridge ?? {}], [n, 'bridge', { ...o }]);
});

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const route: fc.Arbitrary<RouteRequest> = fc.record({
  dst: ipv4, dstLength: fc.integer({ min: 1, max: 32 }), table: fc.integer({ min: 1, max: 0xffffffff }), protocol: fc.nat(255),
  gateway: ipv4, metric: u32, oif: fc.integer({ min: 1, max: 0x7fffffff }),
}, { requiredKeys: ['dst', 'dstLength', 'table', 'protocol'] });

check('routes: encode then decode gives them back, whatever the table', route, (r) => {
  const d = decodeRoute({ type: RTM_NEWROUTE, flags: 0, seq: 0, pid: 0, payload: encodeRoute(r) });
  assert.equal([d.dst, d.dstLength, d.table, d.protocol, d.gateway, d.metric, d.oif], [r.dst, r.dstLength, r.table, r.protocol, r.gateway, r.metric, r.oif]);
});

test.run();
