// SyncNode's two conntrackd variants: external cache off (DisableExternalCache: the peer's entries
// are queued for the kernel at once) and statistics only (conntrackd -S: the internal cache and its
// counters, nothing on the wire). Two nodes back to back with a fake clock.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SyncNode } from '../../../src/ctsync/node.ts';
import type { SyncNodeOptions } from '../../../src/ctsync/node.ts';
import type { CtEntry } from '../../../src/kernel/ctnetlink/entry.ts';

const test = suite('ctsync SyncNode: external cache off, statistics only');

function pair(optsA: Partial<SyncNodeOptions> = {}, optsB: Partial<SyncNodeOptions> = {}) {
  const q: Array<[SyncNode, Buffer]> = [];
  let sent = 0;
  const a: SyncNode = new SyncNode({ ftfw: { initialSeq: 100 }, ...optsA }, (d) => { sent++; q.push([b, d]); });
  const b: SyncNode = new SyncNode({ ftfw: { initialSeq: 900 }, ...optsB }, (d) => { sent++; q.push([a, d]); });
  let now = 0;
  const run = (ms: number): void => {
    for (let i = 0; i < ms; i++) {
      now++;
      for (const [to, d] of q.splice(0)) to.onDatagram(d, now);
      for (const n of [a, b]) { n.flush(now); n.tick(now); }
    }
  };
  return { a, b, run, sent: () => sent };
}

const ct = (i: number, extra: Partial<CtEntry> = {}): CtEntry => ({
  orig: { src: `198.51.100.${i}`, dst: '203.0.113.80', proto: 6, sport: 1000 + i, dport: 80 },
  reply: { src: '203.0.113.80', dst: `198.51.100.${i}`, proto: 6, sport: 80, dport: 1000 + i },
  status: 0x0e, timeout: 3600, mark: 0, tcp: { state: 3 }, ...extra,
});

test('external cache off: new and update become kernel creates, destroy a delete; nothing is cached', () => {
  const { a, b, run } = pair({}, { externalCache: false });
  a.onKernelEvent('new', ct(1), 0);
  a.onKernelEvent('new', ct(2), 0);
  run(10);
  a.onKernelEvent('update', ct(1, { mark: 5 }), 20);
  a.onKernelEvent('destroy', ct(2), 20);
  run(10);
  assert.is(b.external.size, 0);
  assert.is(b.pendingInjected, 4);
  const items = b.takeInjected();
  assert.is(b.pendingInjected, 0);
  assert.equal(items.map((x) => `${x.op} ${x.entry.orig.src} mark=${x.entry.mark}`), [
    'create 198.51.100.1 mark=0', 'create 198.51.100.2 mark=0', 'create 198.51.100.1 mark=5', 'delete 198.51.100.2 mark=0',
  ]);
  // Written with the entry's own timeout; commit has nothing to do.
  assert.is(items[0]!.entry.timeout, 3600);
  assert.equal(b.commitItems(100), []);
});

test('external cache off ignores CommitTimeout, as conntrackd does: creates keep their own timeout', () => {
  const { a, b, run } = pair({}, { externalCache: false, commitTimeout: 120 });
  a.onKernelEvent('new', ct(1), 0);
  run(10);
  assert.is(b.takeInjected()[0]!.entry.timeout, 3600);
});

test('statistics only: the internal cache and its counters follow the kernel; nothing is sent, received or resynced', () => {
  const { a, b, run, sent } = pair({ statsOnly: true });
  a.loadKernelTable([ct(1)], 0);
  a.onKernelEvent('new', ct(2), 0);
  a.onKernelEvent('update', ct(2, { mark: 1 }), 0);
  a.onKernelEvent('new', ct(3), 0);
  a.onKernelEvent('destroy', ct(3), 0);
  a.bulkSend();
  a.requestResync();
  a.reconcileKernelTable([ct(1), ct(2), ct(4)], 1);
  run(3000);
  assert.equal([...a.internal.entries()].map((c) => c.entry.src).sort(), ['198.51.100.1', '198.51.100.2', '198.51.100.4']);
  assert.equal(a.stats.events, { new: 2, update: 1, destroy: 1 });
  assert.is(a.internal.stats.destroyed, 1);
  assert.is(a.stats.bulkSends, 0);
  assert.is(a.ftfw.stats.messagesSent, 0);
  assert.is(a.ftfw.stats.datagramsSent, 0);
  assert.is(b.external.size, 0);
  // The peer's datagrams are ignored as well.
  b.onKernelEvent('new', ct(9), 3000);
  run(3000);
  assert.is(a.external.size, 0);
  assert.is(a.ftfw.stats.datagramsReceived, 0);
  assert.ok(sent() > 0, 'the normal peer did send');
});

test.run();
