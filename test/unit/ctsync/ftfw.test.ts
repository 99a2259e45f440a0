// FTFW under loss, reordering and duplication: two cores on a fake link with a fake clock.
// The peer's table must end equal to the sender's, and the sender's resend queue empty.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { entryKey } from '../../../src/ctsync/convert.ts';
import { FtfwCore, seqAfter, seqBefore } from '../../../src/ctsync/ftfw.ts';
import { decodeDatagram, encodeControl, encodeData } from '../../../src/ctsync/wire/codec.ts';
import type { SyncEntry } from '../../../src/ctsync/wire/codec.ts';
import { NET_F_HELLO, NET_F_HELLO_BACK } from '../../../src/ctsync/wire/constants.ts';
import { FakeLink, NO_FAULTS, prng } from './fake-link.ts';
import type { LinkFaults } from './fake-link.ts';

const test = suite('ctsync FTFW');

function entry(i: number, mark = 0): SyncEntry {
  return { src: `192.0.2.${1 + (i % 250)}`, dst: '198.51.100.7', proto: 6, sport: 10000 + i, dport: 80, status: 0x0e, tcpState: 3, timeout: 3600, mark };
}

/** Runs a workload of creates, updates and destroys on A under `faults`; returns A's truth. */
function workload(link: FakeLink, seed: number, n: number): Map<string, SyncEntry> {
  const rand = prng(seed);
  const truth = new Map<string, SyncEntry>();
  for (let step = 0; step < n; step++) {
    const i = Math.floor(rand() * (n / 2));
    const e = entry(i, step);
    const k = entryKey(e);
    const r = rand();
    if (!truth.has(k)) { truth.set(k, e); link.a.core.enqueue(k, 'new', e); }
    else if (r < 0.7) { truth.set(k, e); link.a.core.enqueue(k, 'update', e); }
    else { truth.delete(k); link.a.core.enqueue(k, 'destroy', e); }
    if (step % 20 === 0) link.run(3);
  }
  return truth;
}

function converge(link: FakeLink, truth: Map<string, SyncEntry>, faultyMs: number): void {
  link.run(faultyMs);
  link.faults = NO_FAULTS; // the link heals: everything must settle within a few alive rounds
  link.run(5000);
  assert.equal([...link.b.table.keys()].sort(), [...truth.keys()].sort(), 'same keys');
  for (const [k, e] of truth) assert.equal(link.b.table.get(k), e, `latest state of ${k}`);
  // One control message (the last idle ACK) may always be in flight; no entry may be.
  assert.is(link.a.core.pending.entries, 0, 'A: every entry acknowledged');
  assert.ok(link.a.core.pending.resend <= 1, `A: resend queue drained by ACKs (${link.a.core.pending.resend})`);
}

test('fed conntrackd\'s own start-up datagrams, the core answers as conntrackd does: an ACK with HELLO and HELLO_BACK', () => {
  const fx = (JSON.parse(readFileSync(new URL('./fixtures/conntrackd-1.4.7.json', import.meta.url), 'utf8')) as { datagrams: Array<{ name: string; hex: string }> }).datagrams;
  const sent: Buffer[] = [];
  const applied: string[] = [];
  const core = new FtfwCore({ initialSeq: 0x6b027a92 }, { send: (d) => sent.push(d), apply: (t, e) => applied.push(`${t} ${e.src}`), resyncRequested: () => undefined });
  for (const n of ['alive-hello', 'new-tcp-hello', 'new-udp-hello', 'new-icmp-hello']) core.receive(Buffer.from(fx.find((f) => f.name === n)!.hex, 'hex'), 0);
  assert.equal(applied, ['new 192.0.2.10', 'new 192.0.2.11', 'new 192.0.2.12']);
  core.tick(1000); // idle: acknowledge what came in
  assert.is(sent.length, 1);
  assert.is(sent[0]!.toString('hex'), '1a6800106b027a926b027a7a6b027a7d');
});

test('a message we cannot use keeps its place in the sequence: dropped and counted, never NACKed (conntrackd with an expectation or an odd attribute)', () => {
  const sent: Buffer[] = [];
  const applied: string[] = [];
  const core = new FtfwCore({ initialSeq: 1 }, { send: (d) => sent.push(d), apply: (t, e) => applied.push(`${t} ${e.src}`), resyncRequested: () => undefined });
  const exp = encodeData('new', entry(2), 501); exp[0] = 0x13; // NET_T_STATE_EXP_NEW: valid, not handled here
  const badAttr = encodeData('new', entry(3), 502); badAttr.writeUInt16BE(40, 8 + 2); // an attribute type past NTA_MAX
  core.receive(Buffer.concat([encodeData('new', entry(1), 500), exp, badAttr, encodeData('new', entry(4), 503)]), 0);
  for (let t = 0; t <= 5000; t += 50) { core.flush(t); core.tick(t); }
  assert.equal(applied, ['new 192.0.2.2', 'new 192.0.2.5']);
  assert.is(core.stats.nacksSent, 0, 'no NACK for the unusable messages');
  assert.is(core.stats.lost, 0);
  assert.is(core.stats.drops['unsupported'], 1);
  assert.is(core.stats.drops['unknown-attribute'], 1);
  const acks = sent.flatMap((d) => decodeDatagram(d).messages).filter((m) => m.kind === 'ack');
  assert.ok(acks.some((m) => m.kind === 'ack' && m.from === 500 && m.to === 503), 'the whole range is acknowledged');
});

test('serial arithmetic wraps', () => {
  assert.ok(seqAfter(1, 0xffffffff));
  assert.ok(seqBefore(0xffffffff, 1));
  assert.not.ok(seqAfter(5, 5));
});

test('clean link: HELLO handshake, then everything arrives, ACKed in windows', () => {
  const link = new FakeLink(1, NO_FAULTS, { ackWindow: 50 });
  const truth = workload(link, 2, 400);
  converge(link, truth, 100);
  assert.ok(link.a.core.helloDone && link.b.core.helloDone);
  assert.is(link.b.core.stats.lost, 0);
  assert.is(link.a.core.stats.retransmitted, 0);
});

const faultCases: Array<[string, LinkFaults]> = [
  ['20% loss', { loss: 0.2, duplicate: 0, reorder: 0, maxDelayMs: 0 }],
  ['reordering', { loss: 0, duplicate: 0, reorder: 0.3, maxDelayMs: 40 }],
  ['duplication', { loss: 0, duplicate: 0.3, reorder: 0, maxDelayMs: 0 }],
  ['loss, reordering and duplication together', { loss: 0.15, duplicate: 0.1, reorder: 0.2, maxDelayMs: 30 }],
  ['50% loss', { loss: 0.5, duplicate: 0, reorder: 0, maxDelayMs: 0 }],
  ['heavy reordering (half the datagrams up to 80 ms late, across the hello phase)', { loss: 0, duplicate: 0, reorder: 0.5, maxDelayMs: 80 }],
  ['60% loss with duplication and reordering', { loss: 0.6, duplicate: 0.2, reorder: 0.2, maxDelayMs: 30 }],
];
for (const [name, faults] of faultCases) {
  for (const seed of [11, 12, 13]) {
    test(`${name} (seed ${seed}): the peer's table converges to the sender's`, () => {
      const link = new FakeLink(seed, faults, { ackWindow: 20 });
      const truth = workload(link, seed * 7, 600);
      converge(link, truth, 3000);
      const a = link.a.core.stats;
      if (faults.loss > 0) assert.ok(a.retransmitted + a.resentSkipped + a.peerRestarts > 0, 'losses were repaired by sending again');
    });
  }
}

test('entries lost before the peer was ever heard from are sent again when its HELLO arrives', () => {
  const link = new FakeLink(6, { loss: 1, duplicate: 0, reorder: 0, maxDelayMs: 0 });
  for (let i = 0; i < 10; i++) link.a.core.enqueue(entryKey(entry(i)), 'new', entry(i));
  link.run(10);
  link.faults = NO_FAULTS;
  link.run(3000);
  assert.is(link.b.table.size, 10);
});

test('flow control: a burst of 5000 waits for ACKs (at most maxInFlight unacknowledged) and still converges under loss', () => {
  const link = new FakeLink(21, { loss: 0.1, duplicate: 0, reorder: 0, maxDelayMs: 0 }, { ackWindow: 100, maxInFlight: 300 });
  const truth = new Map<string, SyncEntry>();
  for (let i = 0; i < 5000; i++) {
    const e = { ...entry(i), src: `192.0.2.${1 + (i % 250)}`, sport: 1000 + Math.floor(i / 250) };
    truth.set(entryKey(e), e);
    link.a.core.enqueue(entryKey(e), 'new', e);
  }
  let maxResend = 0;
  for (let t = 0; t < 3000; t++) {
    link.run(1);
    maxResend = Math.max(maxResend, link.a.core.pending.resend);
  }
  converge(link, truth, 0);
  assert.ok(maxResend <= 300 + 10, `in flight ${maxResend}`);
  assert.ok(link.a.core.stats.heldBack > 0);
});

test('a lost tail is noticed at the next ALIVE and NACKed', () => {
  const link = new FakeLink(5, NO_FAULTS);
  link.run(2500); // both sides have heard each other (HELLO done, trackers set)
  link.faults = { loss: 1, duplicate: 0, reorder: 0, maxDelayMs: 0 };
  const e = entry(1);
  link.a.core.enqueue(entryKey(e), 'new', e);
  link.run(5);
  link.faults = NO_FAULTS;
  assert.is(link.b.table.size, 0);
  link.run(2500);
  assert.is(link.b.table.size, 1);
  assert.ok(link.b.core.stats.nacksSent >= 1);
});

/** The peer answers our HELLO (entries wait for that answer). */
function helloAnswered(core: FtfwCore): void {
  core.receive(encodeControl({ kind: 'alive', flags: NET_F_HELLO_BACK, seq: 4 }), 0);
  assert.ok(core.helloDone);
}

test('until the peer answers our HELLO, entries and RESYNC requests wait (it would take them unchecked and its ACKs could cover a loss); HELLO goes at once', () => {
  const sent: Buffer[] = [];
  const core = new FtfwCore({ initialSeq: 1 }, { send: (d) => sent.push(d), apply: () => undefined, resyncRequested: () => undefined });
  core.enqueue('k', 'new', entry(1));
  core.requestResync();
  core.flush(0);
  core.flush(1);
  const shown = (from: number): string[] => sent.slice(from).flatMap((d) => decodeDatagram(d).messages)
    .map((m) => `${m.kind} ${m.seq}${m.flags & NET_F_HELLO ? ' HELLO' : ''}${m.flags & NET_F_HELLO_BACK ? ' HELLO_BACK' : ''}`);
  assert.equal(shown(0), ['alive 1 HELLO']);
  core.tick(1000); // unanswered: HELLO again after an idle interval
  assert.equal(shown(0), ['alive 1 HELLO', 'alive 2 HELLO']);
  core.receive(encodeControl({ kind: 'alive', flags: NET_F_HELLO | NET_F_HELLO_BACK, seq: 50 }), 1001);
  core.flush(1001);
  assert.equal(shown(2), ['data 3 HELLO_BACK', 'resync 4'], 'both go once answered, without HELLO');
  core.requestResync();
  core.requestResync(); // a request still waiting covers the next
  core.flush(1002);
  assert.equal(shown(3), ['resync 5']);
});

test('updates queued before sending coalesce into one message with the latest state', () => {
  const sent: Buffer[] = [];
  const core = new FtfwCore({ initialSeq: 1 }, { send: (d) => sent.push(d), apply: () => undefined, resyncRequested: () => undefined });
  helloAnswered(core);
  const k = entryKey(entry(1));
  core.enqueue(k, 'new', entry(1, 1));
  core.enqueue(k, 'update', entry(1, 2));
  core.enqueue(k, 'update', entry(1, 3));
  core.flush(0);
  const msgs = sent.flatMap((d) => decodeDatagram(d).messages);
  assert.is(msgs.length, 1);
  assert.equal(msgs[0], { kind: 'data', type: 'new', flags: 0, seq: 1, entry: entry(1, 3) });
});

test('datagrams stay under the MTU budget and pack several messages', () => {
  const sent: Buffer[] = [];
  const core = new FtfwCore({ initialSeq: 1, maxDatagram: 1472 }, { send: (d) => sent.push(d), apply: () => undefined, resyncRequested: () => undefined });
  helloAnswered(core);
  for (let i = 0; i < 100; i++) core.enqueue(entryKey(entry(i)), 'new', entry(i));
  core.flush(0);
  const sizes = sent.map((d) => d.length);
  assert.ok(sizes.every((s) => s > 0 && s < 1472), sizes.join(','));
  const msgs = sent.flatMap((d) => decodeDatagram(d).messages);
  assert.equal(msgs.map((m) => m.seq), Array.from({ length: 100 }, (_, i) => i + 1), 'every message, in order');
  assert.ok(sizes.length < 20, `${sizes.length} datagrams for 100 messages`);
});

test('RESYNC from the peer asks the owner for a bulk send; a restarted peer (HELLO) gets our unacknowledged entries again', () => {
  let resyncs = 0;
  const core = new FtfwCore({ initialSeq: 100 }, { send: () => undefined, apply: () => undefined, resyncRequested: () => { resyncs++; } });
  helloAnswered(core);
  core.enqueue('k', 'new', entry(1));
  core.flush(0);
  assert.is(core.pending.resend, 1);
  core.receive(encodeControl({ kind: 'resync', flags: 0, seq: 5, from: 0, to: 0 }), 0);
  assert.is(resyncs, 1);
  core.receive(encodeControl({ kind: 'alive', flags: 0x20, seq: 77 }), 0);
  assert.is(core.pending.resend, 0);
  assert.is(core.pending.tx, 1);
  assert.is(core.stats.peerRestarts, 1);
});

test('duplicates and late copies are dropped, not applied twice', () => {
  const applied: string[] = [];
  const core = new FtfwCore({ initialSeq: 1 }, { send: () => undefined, apply: (t, e) => applied.push(`${t}:${e.mark}`), resyncRequested: () => undefined });
  const m1 = encodeData('new', entry(1, 1), 10);
  const m2 = encodeData('update', entry(1, 2), 11);
  core.receive(m1, 0); core.receive(m2, 0); core.receive(m1, 0); core.receive(m2, 0);
  assert.equal(applied, ['new:1', 'update:2']);
  assert.is(core.stats.old, 2);
});

test('garbage datagrams are counted by reason and change nothing', () => {
  const core = new FtfwCore({ initialSeq: 1 }, { send: () => undefined, apply: () => { throw new Error('must not apply'); }, resyncRequested: () => undefined });
  core.receive(Buffer.from('00'), 0);
  core.receive(Buffer.from('2000000800000001', 'hex'), 0);
  assert.is(core.stats.drops.truncated, 1);
  assert.is(core.stats.drops['wrong-version'], 1);
});

test.run();
