// SyncNode, the pure replication loop: kernel events on one node reach the other's external
// cache; filters, reconcile after lost events, commit items, authentication. Two nodes wired
// back to back with a fake clock.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SyncNode } from '../../../src/ctsync/node.ts';
import type { SyncNodeOptions } from '../../../src/ctsync/node.ts';
import type { CtEntry } from '../../../src/kernel/ctnetlink/entry.ts';

const test = suite('ctsync SyncNode');

function pair(optsA: Partial<SyncNodeOptions> = {}, optsB: Partial<SyncNodeOptions> = {}) {
  const q: Array<[SyncNode, Buffer]> = [];
  let now = 0;
  let cut = false;
  const a: SyncNode = new SyncNode({ ftfw: { initialSeq: 100 }, ...optsA }, (d) => { if (!cut) q.push([b, d]); });
  const b: SyncNode = new SyncNode({ ftfw: { initialSeq: 900 }, ...optsB }, (d) => { if (!cut) q.push([a, d]); });
  const run = (ms: number): void => {
    for (let i = 0; i < ms; i++) {
      now++;
      for (const [to, d] of q.splice(0)) to.onDatagram(d, now);
      for (const n of [a, b]) { n.flush(now); n.tick(now); }
    }
  };
  return { a, b, run, now: () => now, cut: (v: boolean) => { cut = v; } };
}

const ct = (i: number, extra: Partial<CtEntry> = {}): CtEntry => ({
  orig: { src: `198.51.100.${i}`, dst: '203.0.113.80', proto: 6, sport: 1000 + i, dport: 80 },
  reply: { src: '203.0.113.80', dst: `198.51.100.${i}`, proto: 6, sport: 80, dport: 1000 + i },
  status: 0x0e, timeout: 3600, mark: 0, tcp: { state: 3 }, ...extra,
});

test('events replicate: new, update, destroy', () => {
  const { a, b, run } = pair();
  for (let i = 1; i <= 10; i++) a.onKernelEvent('new', ct(i), 0);
  run(20);
  assert.is(b.external.size, 10);
  a.onKernelEvent('update', ct(3, { mark: 9 }), 30);
  a.onKernelEvent('destroy', ct(4), 30);
  run(20);
  assert.is(b.external.size, 9);
  assert.is([...b.external.entries()].find((c) => c.entry.src === '198.51.100.3')!.entry.mark, 9);
});

test('filtered events are counted and never sent; destroys of never-synced entries are not sent', () => {
  const { a, b, run } = pair({ filter: { ignoreAddresses: ['198.51.100.0/30'], ignoreProtocols: [17] } });
  a.onKernelEvent('new', ct(1), 0);
  a.onKernelEvent('new', ct(5, { orig: { src: '198.51.100.5', dst: '203.0.113.80', proto: 17, sport: 1, dport: 2 } }), 0);
  a.onKernelEvent('destroy', ct(9), 0);
  a.onKernelEvent('new', ct(8), 0);
  run(10);
  assert.equal(a.stats.filtered, { 'ignored-address': 1, 'ignored-protocol': 1, 'ignored-state': 0 });
  assert.equal([...b.external.entries()].map((c) => c.entry.src), ['198.51.100.8']);
});

test('reconcile after lost events: vanished entries are destroyed on the peer, changed ones updated, unchanged ones not resent', () => {
  const { a, b, run } = pair();
  for (let i = 1; i <= 5; i++) a.onKernelEvent('new', ct(i), 0);
  run(10);
  const sentBefore = a.ftfw.stats.messagesSent;
  const r = a.reconcileKernelTable([ct(1), ct(2, { mark: 4 }), ct(3), ct(6)], 20);
  assert.equal(r, { sent: 2, destroyed: 2 });
  run(10);
  assert.equal([...b.external.entries()].map((c) => c.entry.src).sort(), ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.6']);
  assert.is(a.ftfw.stats.messagesSent - sentBefore, 4, 'two updates and two destroys');
});

test('RESYNC request: the peer bulk-sends its internal cache', () => {
  const { a, b, run } = pair();
  a.loadKernelTable([ct(1), ct(2)], 0); // loaded, not sent
  run(5);
  assert.is(b.external.size, 0);
  b.requestResync();
  run(10);
  assert.is(b.external.size, 2);
  assert.is(a.stats.resyncRequests, 1);
});

test('commit items carry the remaining timeout, or CommitTimeout', () => {
  const { a, b, run } = pair({}, { commitTimeout: 99 });
  a.onKernelEvent('new', ct(1, { timeout: 100 }), 0);
  run(10);
  assert.is(b.commitItems(30_000)[0]!.entry.timeout, 99);
  const { a: a2, b: b2, run: run2 } = pair();
  a2.onKernelEvent('new', ct(1, { timeout: 100 }), 0);
  run2(10);
  const [item] = b2.commitItems(40_000);
  assert.ok(item!.entry.timeout === 60 || item!.entry.timeout === 61, `100 s minus about 40 s of age: ${item!.entry.timeout}`);
  assert.equal(item!.entry.tcp!.flagsOrig, { flags: 8, mask: 8 });
});

test('authentication: same key replicates; a different key applies nothing and counts every datagram', () => {
  const key = Buffer.alloc(32, 3);
  const ok = pair({ authKey: key }, { authKey: key });
  ok.a.onKernelEvent('new', ct(1), 0);
  ok.run(10);
  assert.is(ok.b.external.size, 1);
  const bad = pair({ authKey: key }, { authKey: Buffer.alloc(32, 4) });
  bad.a.onKernelEvent('new', ct(1), 0);
  bad.run(3000);
  assert.is(bad.b.external.size, 0);
  assert.ok(bad.b.stats.authDrops['auth-bad-tag'] > 0);
  assert.is(bad.b.ftfw.stats.datagramsReceived, 0, 'nothing reached the protocol');
});

test('authentication: a datagram reflected back to its sender changes nothing there (an ACK cannot release what the peer never got)', () => {
  const key = Buffer.alloc(32, 3);
  const fromB: Buffer[] = [];
  const b = new SyncNode({ ftfw: { initialSeq: 5 }, authKey: key, authSelf: '192.0.2.2', authPeer: '192.0.2.1' }, (d) => fromB.push(d));
  b.requestResync();
  b.flush(0);
  b.tick(2000);
  assert.ok(fromB.length >= 2, 'a RESYNC and an ALIVE');
  for (const d of fromB) b.onDatagram(d, 2001);
  assert.is(b.stats.authDrops['auth-reflected'], fromB.length, 'its own datagrams, counted as reflected');
  assert.is(b.ftfw.stats.datagramsReceived, 0, 'none reached the protocol');
  assert.is(b.stats.resyncRequests, 0, 'its own RESYNC did not make it bulk-send to itself');
});

test('authentication: a restarted receiver applies no replayed datagram, then syncs again with the live peer', () => {
  const key = Buffer.alloc(32, 3);
  let now = 0;
  const wall = { offset: 1_800_000_000_000 };
  const authClock = () => wall.offset + now;
  const optsA = { authKey: key, authSelf: '192.0.2.1', authPeer: '192.0.2.2', authClock };
  const optsB = { authKey: key, authSelf: '192.0.2.2', authPeer: '192.0.2.1', authClock };
  const wire: Buffer[] = [];
  let b: SyncNode;
  const a = new SyncNode({ ftfw: { initialSeq: 100 }, ...optsA }, (d) => { wire.push(d); b.onDatagram(d, now); });
  b = new SyncNode({ ftfw: { initialSeq: 900 }, ...optsB }, (d) => a.onDatagram(d, now));
  const run = (ms: number): void => { for (let i = 0; i < ms; i++) { now++; for (const n of [a, b]) { n.flush(now); n.tick(now); } } };
  a.onKernelEvent('new', ct(1), now);
  run(50);
  assert.is(b.external.size, 1);
  const captured = [...wire]; // up to the NEW
  a.onKernelEvent('destroy', ct(1), now);
  run(50);
  assert.is(b.external.size, 0);
  // B restarts (a new process: nothing remembered, a second later) and an attacker replays what A sent.
  wall.offset += 1000;
  b = new SyncNode({ ftfw: { initialSeq: 5000 }, ...optsB }, (d) => a.onDatagram(d, now));
  const replayTarget = new SyncNode({ ftfw: { initialSeq: 7000 }, ...optsB }, () => undefined);
  for (const d of captured) replayTarget.onDatagram(d, now);
  assert.is(replayTarget.external.size, 0, 'the replayed NEW did not come back');
  assert.is(replayTarget.ftfw.stats.datagramsReceived, 0);
  assert.ok(replayTarget.stats.authDrops['auth-stale'] >= captured.length - 1);
  // The live pair recovers by itself: B's RESYNC request (sent before A could accept it) goes again
  // once both have heard each other, and A's table arrives.
  a.loadKernelTable([ct(2)], now); // in A's table, never sent as an event
  b.requestResync();
  run(3000);
  assert.equal([...b.external.entries()].map((c) => c.entry.src), ['198.51.100.2']);
  assert.is(a.stats.resyncRequests, 1);
});

test('external cache off: the kernel write queue is bounded; what does not fit is dropped and counted', () => {
  const { a, b, run } = pair({}, { externalCache: false, injectLimit: 5 });
  for (let i = 1; i <= 8; i++) a.onKernelEvent('new', ct(i), 0);
  run(20);
  assert.is(b.pendingInjected, 5);
  assert.is(b.stats.injectDropped, 3);
  assert.is(b.takeInjected().length, 5);
  a.onKernelEvent('new', ct(9), 30);
  run(20);
  assert.is(b.pendingInjected, 1, 'room again once the queue is taken');
});

test('ALARM: no control messages; lost entries come back with the refresh timer; unrefreshed external entries expire', () => {
  const opts = { mode: 'alarm' as const, refreshS: 5, cacheTimeoutS: 20 };
  const { a, b, run, cut } = pair(opts, opts);
  cut(true);
  for (let i = 1; i <= 5; i++) a.onKernelEvent('new', ct(i), 0);
  run(10);
  cut(false);
  assert.is(b.external.size, 0);
  run(7000); // within RefreshTime + 1 s every entry has been re-sent
  assert.is(b.external.size, 5);
  a.onKernelEvent('destroy', ct(2), 7000);
  run(10);
  assert.is(b.external.size, 4);
  assert.is(a.ftfw.stats.acksSent + a.ftfw.stats.nacksSent, 0);
  const sent = a.ftfw.stats.messagesSent;
  run(6100); // the refresh timer is random within at most RefreshTime + 1 s (alarm.ts)
  assert.ok(a.ftfw.stats.messagesSent > sent, 'refreshes keep coming');
  // A goes silent: B drops everything CacheTimeout after the last refresh
  cut(true);
  run(25_000);
  assert.is(b.external.size, 0);
  assert.ok(b.external.stats.expired >= 4);
  // messages with flags (an FTFW peer's HELLO) are ignored
  b.onDatagram(Buffer.from('102000546b027a96000c0000c0000220c6336420000800050000000800050002110000000008000303e807d0000800060000006400080007000000000010001f0000000000000000000000000006002000050000', 'hex'), 40_000);
  assert.is(b.external.size, 0);
});

test('NOTRACK: sent once, no resend queue, no hello flags; replicates on a clean link; ACKs from FTFW counted as malformed', () => {
  const { a, b, run } = pair({ mode: 'notrack' }, { mode: 'notrack' });
  for (let i = 1; i <= 10; i++) a.onKernelEvent('new', ct(i), 0);
  run(10);
  assert.is(b.external.size, 10);
  assert.equal(a.ftfw.pending, { tx: 0, resend: 0, entries: 0 });
  run(1500);
  assert.ok(b.ftfw.stats.messagesReceived >= 11, 'ALIVE after an idle second');
  b.onDatagram(Buffer.from('1a080010000000010000000100000001', 'hex'), 2000);
  assert.is(b.ftfw.stats.drops['bad-type'], 1);
  b.requestResync();
  run(10);
  assert.is(a.stats.resyncRequests, 1);
});

test.run();
