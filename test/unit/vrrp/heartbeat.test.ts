// Sync-link heartbeat codec (version 2): golden bytes, the MAC binding key and sender, and every
// malformed input rejected; then the link (heartbeat-link.ts): replay window, trust by echo,
// drop counters by reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeHeartbeat, encodeHeartbeat } from '../../../src/vrrp/heartbeat.ts';
import { HeartbeatLink } from '../../../src/vrrp/heartbeat-link.ts';
import { mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';

const A = ip('198.51.100.1');
const B = ip('198.51.100.2');
const KEY = { id: 3, secret: new TextEncoder().encode('0123456789abcdef0123456789abcdef') };
const W = 1_800_000_000_000;
const hex = (s: string) => Buffer.from(s).toString('hex');

test('golden bytes (unsigned) and round trip', () => {
  const b = encodeHeartbeat({ counter: 0x0102030405060708n, echo: 0x1112131415161718n, masters: ['vi1', 'vi_ext'] });
  assert.is(Buffer.from(b).toString('hex'), '534b4842' + '02' + '00' + '02' + '00' + '0102030405060708' + '1112131415161718' + '03' + hex('vi1') + '06' + hex('vi_ext'));
  assert.equal(decodeHeartbeat(b, A), { ok: true, heartbeat: { keyId: 0, counter: 0x0102030405060708n, echo: 0x1112131415161718n, masters: ['vi1', 'vi_ext'] } });
  assert.equal(decodeHeartbeat(encodeHeartbeat({ counter: 1n, echo: 0n, masters: [] }), A), { ok: true, heartbeat: { keyId: 0, counter: 1n, echo: 0n, masters: [] } });
});

test('signed: 16-byte MAC over the sender address and every byte; tampering, another sender or key fail', () => {
  const b = encodeHeartbeat({ counter: 5n, echo: 0n, masters: ['vi1'] }, { key: KEY, source: A });
  assert.is(b.length, 24 + 4 + 16);
  assert.is(b[5], 3);
  assert.ok(decodeHeartbeat(b, A, KEY).ok);
  assert.equal(decodeHeartbeat(b, B, KEY), { ok: false, reason: 'mac' }, 'bound to the sender address');
  for (let i = 0; i < b.length; i++) {
    const c = Uint8Array.from(b);
    c[i]! ^= 0x01;
    assert.not.ok(decodeHeartbeat(c, A, KEY).ok, `byte ${i} flipped`);
  }
  assert.equal(decodeHeartbeat(b, A, { id: 3, secret: new Uint8Array(32) }), { ok: false, reason: 'mac' });
  assert.equal(decodeHeartbeat(b, A, { ...KEY, id: 4 }), { ok: false, reason: 'key_id' });
  assert.equal(decodeHeartbeat(b, A), { ok: false, reason: 'key_id' }, 'signed, but we have no key');
  assert.equal(decodeHeartbeat(encodeHeartbeat({ counter: 5n, echo: 0n, masters: ['vi1'] }), A, KEY), { ok: false, reason: 'key_id' }, 'unsigned while we have a key');
});

test('malformed: wrong magic, version or reserved byte, truncated, trailing bytes, zero-length name; random bytes never throw', () => {
  const good = encodeHeartbeat({ counter: 7n, echo: 0n, masters: ['a', 'bc'] });
  for (let n = 0; n < good.length; n++) assert.equal(decodeHeartbeat(good.subarray(0, n), A), { ok: false, reason: 'malformed' }, `truncated to ${n}`);
  const bad = (i: number, v: number) => { const c = Uint8Array.from(good); c[i] = v; return c; };
  for (const [i, v] of [[0, 0], [4, 1], [7, 1], [24, 0]] as const) assert.equal(decodeHeartbeat(bad(i, v), A), { ok: false, reason: 'malformed' });
  assert.equal(decodeHeartbeat(Uint8Array.from([...good, 0]), A), { ok: false, reason: 'malformed' });
  for (let i = 0; i < 2000; i++) {
    const r = Uint8Array.from({ length: Math.floor(Math.random() * 60) }, () => Math.floor(Math.random() * 256));
    if (i % 2) r.set([0x53, 0x4b, 0x48, 0x42, 2].slice(0, r.length));
    decodeHeartbeat(r, A, i % 3 ? KEY : undefined);
  }
});

test('link: replays refused, foreign sources counted, trust only after the peer echoes a counter of ours', () => {
  const a = new HeartbeatLink({ local: A, peer: B, key: KEY });
  const b = new HeartbeatLink({ local: B, peer: A, key: KEY });
  const h1 = a.encode(0, W, ['vi1']);
  const in1 = b.receive(1, W + 1, A, h1)!;
  assert.equal([...in1.masters], ['vi1']);
  assert.is(in1.trusted, false, 'b has sent nothing a could echo');
  assert.is(b.receive(2, W + 2, A, h1), undefined);
  assert.is(b.status(2).drops.replay, 1);
  assert.is(b.receive(3, W + 3, B, a.encode(3, W + 3, [])), undefined, 'from the wrong address');
  assert.is(b.receive(3, W + 3, A, a.encode(3, W + 3, []), true), undefined, 'on the wrong interface');
  assert.is(b.status(3).drops.foreign, 2);
  // b -> a, then a's next heartbeat echoes b's counter: b trusts it, and learns when a heard it.
  a.receive(20, W + 20, B, b.encode(10, W + 10, []));
  const in2 = b.receive(41, W + 41, A, a.encode(40, W + 40, ['vi1']))!;
  assert.is(in2.trusted, true);
  assert.is(in2.peerHeardUsAt, 10);
  assert.is(b.status(41).trusted, true);
});

test('link without a key: heartbeats taken, never trusted', () => {
  const a = new HeartbeatLink({ local: A, peer: B });
  const b = new HeartbeatLink({ local: B, peer: A });
  a.receive(0, W, B, b.encode(0, W, []));
  const h = b.receive(21, W + 21, A, a.encode(20, W + 20, ['vi1']))!;
  assert.is(h.trusted, false);
  assert.is(h.peerHeardUsAt, 0);
  assert.is(b.status(21).signed, false);
});

test.run();
