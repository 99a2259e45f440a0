// Stockade's HMAC-SHA256 advert trailer (src/vrrp/auth.ts): signing, verification, replay window,
// key rotation, clock-skew option, and its place in receive validation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AdvertSigner, AdvertVerifier, TRAILER_LENGTH } from '../../../src/vrrp/auth.ts';
import type { AuthKeys } from '../../../src/vrrp/auth.ts';
import { encodeAdvert } from '../../../src/vrrp/codec.ts';
import { mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';
import { validateAdvert } from '../../../src/vrrp/receive.ts';
import type { ReceiveConfig } from '../../../src/vrrp/receive.ts';

const key1 = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
const key2 = new TextEncoder().encode('fedcba9876543210fedcba9876543210');
const keys = (active = 1, extra: Array<[number, Uint8Array]> = []): AuthKeys => ({ keys: new Map([[1, key1], ...extra]), activeKeyId: active });
const A = ip('192.0.2.1');
const G = ip('224.0.0.18');
const msg = (prio = 100) => encodeAdvert({ version: 3, vrid: 7, priority: prio, intervalCs: 100, addresses: [ip('192.0.2.100')] }, { source: A, destination: G });
const T0 = 1_800_000_000_000;

test('trailer layout: 28 bytes, type 0x53, key id, zero, counter = wall clock in µs, 16-byte MAC', () => {
  const s = new AdvertSigner(keys(), A);
  const t = s.trailer(msg(), T0);
  assert.is(t.length, TRAILER_LENGTH);
  assert.is(t[0], 0x53);
  assert.is(t[1], 1);
  assert.is(t[2]! | t[3]!, 0);
  assert.is(new DataView(t.buffer).getBigUint64(4), BigInt(T0) * 1000n);
  // the counter grows even when the clock stands still
  const t2 = s.trailer(msg(), T0);
  assert.is(new DataView(t2.buffer).getBigUint64(4), BigInt(T0) * 1000n + 1n);
});

test('verify: good, tampered, wrong key, unknown key id, no trailer', () => {
  const s = new AdvertSigner(keys(), A);
  const v = new AdvertVerifier(keys());
  const m = msg();
  assert.ok(v.verify(A, m, s.trailer(m, T0), T0).ok);
  const t = s.trailer(m, T0);
  const bad = Uint8Array.from(m); bad[2] = 101;
  assert.equal(v.verify(A, bad, t, T0), { ok: false, reason: 'auth_mac' });
  // the sender address is bound: the same bytes from another box fail
  assert.equal(v.verify(ip('192.0.2.9'), m, t, T0), { ok: false, reason: 'auth_mac' });
  const other = new AdvertSigner({ keys: new Map([[1, key2]]), activeKeyId: 1 }, A);
  assert.equal(v.verify(A, m, other.trailer(m, T0), T0), { ok: false, reason: 'auth_mac' });
  const unknown = new AdvertSigner({ keys: new Map([[9, key1]]), activeKeyId: 9 }, A);
  assert.equal(v.verify(A, m, unknown.trailer(m, T0), T0), { ok: false, reason: 'auth_key_id' });
  assert.equal(v.verify(A, m, new Uint8Array(0), T0), { ok: false, reason: 'auth_missing' });
  assert.equal(v.verify(A, m, new Uint8Array(TRAILER_LENGTH), T0), { ok: false, reason: 'auth_missing' });
});

test('the checksum is outside the MAC: unicast copies with different checksums share one trailer', () => {
  const s = new AdvertSigner(keys(), A);
  const v = new AdvertVerifier(keys());
  const toPeer = encodeAdvert({ version: 3, vrid: 7, priority: 100, intervalCs: 100, addresses: [ip('192.0.2.100')] }, { source: A, destination: ip('192.0.2.2') });
  const t = s.trailer(msg(), T0);
  assert.ok(v.verify(A, toPeer, t, T0).ok);
});

test('replay window: repeats and old counters are replays; reordering within 64 is accepted once', () => {
  const s = new AdvertSigner(keys(), A);
  const v = new AdvertVerifier(keys());
  const m = msg();
  const ts = Array.from({ length: 70 }, () => s.trailer(m, T0));
  assert.ok(v.verify(A, m, ts[0]!, T0).ok);
  assert.equal(v.verify(A, m, ts[0]!, T0), { ok: false, reason: 'auth_replay' });
  assert.ok(v.verify(A, m, ts[5]!, T0).ok);
  assert.ok(v.verify(A, m, ts[3]!, T0).ok, 'late but inside the window');
  assert.equal(v.verify(A, m, ts[3]!, T0), { ok: false, reason: 'auth_replay' });
  assert.ok(v.verify(A, m, ts[69]!, T0).ok);
  assert.equal(v.verify(A, m, ts[4]!, T0), { ok: false, reason: 'auth_replay' }, 'older than the window');
  // windows are per sender
  const sB = new AdvertSigner(keys(), ip('192.0.2.3'));
  assert.ok(v.verify(ip('192.0.2.3'), m, sB.trailer(m, T0 - 1000), T0).ok);
});

test('a restarted sender continues above its old counters (wall clock)', () => {
  const v = new AdvertVerifier(keys());
  const m = msg();
  const before = new AdvertSigner(keys(), A);
  for (let i = 0; i < 5; i++) assert.ok(v.verify(A, m, before.trailer(m, T0), T0).ok);
  const after = new AdvertSigner(keys(), A);
  assert.ok(v.verify(A, m, after.trailer(m, T0 + 2000), T0 + 2000).ok);
});

test('key rotation: the receiver accepts both ids while the sender moves to the new one', () => {
  const v = new AdvertVerifier(keys(1, [[2, key2]]));
  const m = msg();
  assert.ok(v.verify(A, m, new AdvertSigner(keys(1), A).trailer(m, T0), T0).ok);
  assert.ok(v.verify(A, m, new AdvertSigner({ keys: new Map([[2, key2]]), activeKeyId: 2 }, A).trailer(m, T0 + 1), T0).ok);
});

test('maxClockSkewMs: a counter too far from the receiver clock is refused (auth_clock), on every advert', () => {
  const v = new AdvertVerifier({ ...keys(), maxClockSkewMs: 5000 });
  const m = msg();
  const s = new AdvertSigner(keys(), A);
  assert.equal(v.verify(A, m, s.trailer(m, T0 - 60_000), T0), { ok: false, reason: 'auth_clock' });
  assert.ok(v.verify(A, m, s.trailer(m, T0 - 1000), T0).ok);
  assert.equal(v.verify(A, m, s.trailer(m, T0 + 10_000), T0), { ok: false, reason: 'auth_clock' }, 'not only the first');
});

test('a restarted receiver does not take adverts captured before its restart (default, no max_clock_skew_ms)', () => {
  const m = msg();
  const s = new AdvertSigner(keys(), A);
  const before = new AdvertVerifier(keys());
  // Adverts captured two minutes ago (the counter is the sender's clock then) ...
  const captured = Array.from({ length: 3 }, (_, i) => s.trailer(m, T0 - 120_000 + i * 1000));
  for (const t of captured) assert.ok(before.verify(A, m, t, T0 - 120_000).ok);
  // ... replayed to the receiver after it restarted (a fresh verifier: its windows are gone).
  const after = new AdvertVerifier(keys());
  for (const t of captured) assert.equal(after.verify(A, m, t, T0), { ok: false, reason: 'auth_clock' });
  // The live sender is taken, and from then on the window rules (the old ones are replays).
  assert.ok(after.verify(A, m, s.trailer(m, T0), T0).ok);
  assert.equal(after.verify(A, m, captured[2]!, T0), { ok: false, reason: 'auth_replay' });
  // Later counters are not held to the clock (only a first one is): the sender's clock may drift.
  assert.ok(after.verify(A, m, s.trailer(m, T0 + 600_000), T0).ok);
});

test('a first counter within the default skew (one minute) is taken; the skew is configurable', () => {
  const m = msg();
  const s = new AdvertSigner(keys(), A);
  assert.ok(new AdvertVerifier(keys()).verify(A, m, s.trailer(m, T0 + 50_000), T0).ok);
  assert.equal(new AdvertVerifier(keys()).verify(A, m, s.trailer(m, T0 + 70_000), T0 - 1), { ok: false, reason: 'auth_clock' });
  assert.ok(new AdvertVerifier({ ...keys(), firstCounterSkewMs: 600_000 }).verify(A, m, s.trailer(m, T0 + 300_000), T0).ok);
});

test('receive validation: authenticated instance drops unauthenticated and replayed adverts', () => {
  const cfg = (verifier: AdvertVerifier): ReceiveConfig => ({
    version: 3, intervalCs: 100, checksum: 'pseudo-header', addresses: [ip('192.0.2.100')], multicastGroup: G, unicastPeers: [], ownAddresses: [], verifier,
  });
  const v = new AdvertVerifier(keys());
  const s = new AdvertSigner(keys(), A);
  const m = msg();
  const signed = new Uint8Array([...m, ...s.trailer(m, T0)]);
  const p = (payload: Uint8Array) => ({ payload, source: A, destination: G, ttl: 255 });
  assert.ok(validateAdvert(p(signed), cfg(v), T0).ok);
  assert.equal(validateAdvert(p(signed), cfg(v), T0), { ok: false, reason: 'auth_replay' });
  assert.equal(validateAdvert(p(m), cfg(v), T0), { ok: false, reason: 'auth_missing' });
  const forged = Uint8Array.from(signed); forged[forged.length - 1]! ^= 1;
  assert.equal(validateAdvert(p(forged), cfg(v), T0), { ok: false, reason: 'auth_mac' });
  // without authentication configured, a trailer is unexpected bytes
  const plain: ReceiveConfig = { ...cfg(v) };
  delete plain.verifier;
  assert.equal(validateAdvert(p(signed), plain, T0), { ok: false, reason: 'length' });
  // a bad checksum is caught before the MAC (and does not consume the counter)
  const v2 = new AdvertVerifier(keys());
  const t = s.trailer(m, T0);
  const badSum = new Uint8Array([...m, ...t]); badSum[6]! ^= 0xff;
  assert.equal(validateAdvert(p(badSum), cfg(v2), T0), { ok: false, reason: 'checksum' });
  assert.ok(validateAdvert(p(new Uint8Array([...m, ...t])), cfg(v2), T0).ok);
});

test.run();
