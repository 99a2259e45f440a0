// Fuzzing of the conntrackd wire codec and the FTFW receiver: random bytes, and the golden
// datagrams from conntrackd with bytes flipped, cut, repeated or spliced. The decoder must never
// throw and must account for every datagram (messages or counted drops); the receiver must never
// throw; random valid entries must round-trip. Bounded: fixed runs and a time limit.
// Re-run a failure with FUZZ_SEED=<seed printed in the failure>.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { FtfwCore } from '../../src/ctsync/ftfw.ts';
import { DatagramAuth } from '../../src/ctsync/auth.ts';
import { decodeDatagram, encodeData, encodeMessage } from '../../src/ctsync/wire/codec.ts';
import type { SyncEntry } from '../../src/ctsync/wire/codec.ts';
import { formatIpv6 } from '../../src/common/ipv6.ts';

const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const TIME_LIMIT_MS = 5000;
const goldenOf = (f: string) => (JSON.parse(readFileSync(new URL(`../unit/ctsync/fixtures/${f}`, import.meta.url), 'utf8')) as { datagrams: Array<{ hex: string }> })
  .datagrams.map((d) => Buffer.from(d.hex, 'hex'));
const golden = [...goldenOf('conntrackd-1.4.7.json'), ...goldenOf('conntrackd-1.4.7-ipv6.json')];

function run<T>(name: string, arb: fc.Arbitrary<T>, numRuns: number, predicate: (value: T) => void): void {
  test(name, () => {
    try {
      fc.assert(fc.property(arb, (v) => void predicate(v)), { seed, numRuns, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false });
    } catch (err) {
      throw new Error(`${name}: failed with FUZZ_SEED=${seed}\n${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

const mutated: fc.Arbitrary<Buffer> = fc.tuple(
  fc.constantFrom(...golden), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  fc.option(fc.nat(), { nil: undefined }), fc.option(fc.constantFrom(...golden), { nil: undefined }),
).map(([g, flips, cut, tail]) => {
  let b = Buffer.from(g);
  for (const [i, v] of flips) b[i % b.length] = v;
  if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
  if (tail !== undefined) b = Buffer.concat([b, tail]);
  return b;
});
const anyBytes = fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u));

const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
// IPv6 as the decoder writes it (RFC 5952), from any 16 bytes.
const ip6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(b));
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const entryOf = (ip: fc.Arbitrary<string>, icmp: number): fc.Arbitrary<SyncEntry> => fc.record({
  src: ip, dst: ip, proto: fc.constantFrom(6, 17, icmp), sport: u16, dport: u16, icmpType: fc.nat(255), icmpCode: fc.nat(255), icmpId: u16,
  status: u32, tcpState: fc.nat(9), timeout: u32, mark: u32, zone: u16, snat: ip, dnat: ip, spat: u16, dpat: u16,
}, { requiredKeys: ['src', 'dst', 'proto', 'status'] }).map((e) => {
  // What the encoder sends depends on the protocol, as conntrackd's does.
  const out: SyncEntry = { ...e };
  if (e.proto === icmp) { delete out.sport; delete out.dport; delete out.tcpState; }
  else { delete out.icmpType; delete out.icmpCode; delete out.icmpId; if (out.sport !== undefined || out.dport !== undefined) { out.sport ??= 0; out.dport ??= 0; } }
  if (e.proto === 17) delete out.tcpState;
  return out;
});
const entry = fc.oneof(entryOf(ip4, 1), entryOf(ip6, 58));

run('decodeDatagram never throws on random bytes and accounts for them', anyBytes, 3000, (b) => {
  const d = decodeDatagram(b);
  if (b.length > 0) assert.ok(d.messages.length + d.drops.length > 0);
});

run('decodeDatagram never throws on mutated conntrackd datagrams; what it accepts re-encodes cleanly', mutated, 3000, (b) => {
  const d = decodeDatagram(b);
  for (const m of d.messages) {
    // Unusable messages keep their seq for the receiver's tracking; their reason is among the drops.
    if (m.kind === 'skip') { assert.ok(d.drops.includes(m.reason)); continue; }
    const again = decodeDatagram(encodeMessage(m));
    assert.equal(again.drops, []);
    assert.equal(again.messages[0], m);
  }
});

run('random entries round-trip through the wire', fc.tuple(entry, fc.constantFrom('new', 'update', 'destroy'), u32), 2000, ([e, type, seq]) => {
  const d = decodeDatagram(encodeData(type as 'new', e, seq));
  assert.equal(d.drops, []);
  assert.equal(d.messages, [{ kind: 'data', type, flags: 0, seq, entry: e }]);
});

run('the FTFW receiver never throws and never sends more than it is asked to', fc.array(fc.oneof(mutated, anyBytes), { maxLength: 30 }), 500, (ds) => {
  let sent = 0;
  const core = new FtfwCore({ initialSeq: 1 }, { send: () => { sent++; }, apply: () => undefined, resyncRequested: () => undefined });
  let now = 0;
  for (const d of ds) {
    core.receive(d, now);
    core.flush(now);
    core.tick((now += 100));
  }
  assert.ok(sent <= ds.length * 3 + 5);
});

run('auth: any change to a signed datagram is rejected', fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 255 })), 1000, ([p, i, x]) => {
  const key = Buffer.alloc(32, 1);
  const a = new DatagramAuth({ key, self: 'a', peer: 'b' });
  const r = new DatagramAuth({ key, self: 'b', peer: 'a' });
  a.verify(r.probe()); // a hears r: its next datagram echoes r's counter
  const s = a.sign(p);
  const bad = Buffer.from(s);
  bad[i % bad.length]! ^= x;
  assert.is(r.verify(bad), undefined);
  assert.ok(r.verify(s) !== undefined);
});

test.run();
