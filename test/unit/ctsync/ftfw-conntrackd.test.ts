// Our FTFW core opposite a model of conntrackd 1.4.7's (conntrackd-model.ts) on a fake link with a
// fake clock: losses during the start-up hello phase, where conntrackd empties its resend queue at
// every HELLO it receives, so NACKs cannot repair them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { entryKey } from '../../../src/ctsync/convert.ts';
import { FtfwCore } from '../../../src/ctsync/ftfw.ts';
import { decodeDatagram } from '../../../src/ctsync/wire/codec.ts';
import type { SyncEntry } from '../../../src/ctsync/wire/codec.ts';
import { NET_F_HELLO } from '../../../src/ctsync/wire/constants.ts';
import { ConntrackdModel } from './conntrackd-model.ts';
import { prng } from './fake-link.ts';

const test = suite('ctsync FTFW opposite conntrackd');

function entry(i: number): SyncEntry {
  return { src: `198.51.100.${1 + (i % 250)}`, dst: '203.0.113.80', proto: 6, sport: 1024 + Math.floor(i / 250), dport: 80, status: 0x0e, tcpState: 3, timeout: 3600, mark: i % 7 };
}

type Dir = 'a>b' | 'b>a';

/** conntrackd (a) and our core (b) on a link with a 1 ms delay; `drop` decides each datagram's fate. */
class Pair {
  now = 0;
  readonly a: ConntrackdModel;
  b: FtfwCore | undefined;
  readonly table = new Map<string, SyncEntry>();
  readonly sent: Record<Dir, Buffer[]> = { 'a>b': [], 'b>a': [] };
  #inflight: Array<{ at: number; dir: Dir; data: Buffer }> = [];
  readonly #drop: (dir: Dir, n: number, d: Buffer) => boolean;

  constructor(drop: (dir: Dir, n: number, d: Buffer) => boolean) {
    this.#drop = drop;
    this.a = new ConntrackdModel(41429, (d) => this.#send('a>b', d));
  }

  /** Our side starts (as the daemon does by default: a RESYNC request first). */
  startB(resync = true): FtfwCore {
    this.b = new FtfwCore({ initialSeq: 41429 }, {
      send: (d) => this.#send('b>a', d),
      apply: (type, e) => { if (type === 'destroy') this.table.delete(entryKey(e)); else this.table.set(entryKey(e), e); },
      resyncRequested: () => undefined,
    });
    if (resync) this.b.requestResync();
    this.b.flush(this.now);
    return this.b;
  }

  #send(dir: Dir, d: Buffer): void {
    const n = this.sent[dir].push(d) - 1;
    if (dir === 'a>b' && this.b === undefined) return; // nobody listens yet
    if (!this.#drop(dir, n, d)) this.#inflight.push({ at: this.now + 1, dir, data: d });
  }

  run(ms: number): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now++;
      const due = this.#inflight.filter((x) => x.at <= this.now);
      this.#inflight = this.#inflight.filter((x) => x.at > this.now);
      for (const d of due) {
        if (d.dir === 'a>b') this.b!.receive(d.data, this.now);
        else this.a.receive(d.data);
      }
      this.a.tick(this.now);
      if (this.b !== undefined) {
        this.b.flush(this.now);
        this.b.tick(this.now);
      }
    }
  }
}

const hasHelloNack = (d: Buffer): boolean => decodeDatagram(d).messages.some((m) => m.kind === 'nack' && (m.flags & NET_F_HELLO) !== 0);

test('losses while our HELLO is unanswered are repaired: conntrackd dropped its resend queue at our HELLO, so we ask for a resync', () => {
  // The sequence captured in the lab (daemon-conntrackd, 20 % loss): our start-up RESYNC lost;
  // conntrackd's HELLO_BACK answer lost, then our next HELLO: we are still saying HELLO when
  // conntrackd's bulk of 300 arrives with two datagrams lost. Our NACKs carry HELLO, so conntrackd
  // empties its resend queue before reading them: nothing is sent again.
  const p = new Pair((dir, n) => (dir === 'b>a' && (n === 0 || n === 2)) || (dir === 'a>b' && (n === 1 || n === 4 || n === 6)));
  p.run(500);
  const b = p.startB();
  p.run(2100);
  for (let i = 0; i < 300; i++) p.a.enqueue(entryKey(entry(i)), 'new', entry(i));
  p.run(30_000);
  assert.ok(p.sent['b>a'].some(hasHelloNack), 'the scenario: we NACKed while still saying HELLO');
  assert.ok(b.stats.lost > 0, 'the scenario: conntrackd\'s bulk had gaps');
  assert.ok(b.helloDone);
  assert.is(p.table.size, 300, `every entry of conntrackd's arrived (${p.table.size})`);
  assert.is(p.a.resyncsServed, 1, 'by one resync');
});

test('without a start-up RESYNC, the same losses make us ask for one once conntrackd has read our last HELLO', () => {
  // Our first message (an ALIVE with HELLO) lost, conntrackd's answer lost, our next HELLO lost:
  // conntrackd's new connections arrive while we still say HELLO, two datagrams of them lost.
  const p = new Pair((dir, n) => (dir === 'b>a' && (n === 0 || n === 2)) || (dir === 'a>b' && (n === 1 || n === 4 || n === 6)));
  p.run(500);
  const b = p.startB(false);
  p.run(500);
  p.b!.tick(p.now); // the idle ALIVE: our HELLO
  p.run(1600);
  for (let i = 0; i < 300; i++) p.a.enqueue(entryKey(entry(i)), 'new', entry(i));
  p.run(30_000);
  assert.ok(p.sent['b>a'].some(hasHelloNack), 'the scenario: we NACKed while still saying HELLO');
  assert.is(b.stats.helloResyncs, 1);
  assert.is(p.a.resyncsServed, 1);
  assert.is(p.table.size, 300, `every entry of conntrackd's arrived (${p.table.size})`);
});

test('20 % loss both ways from the start, many runs: every entry reaches both sides', () => {
  const failures: string[] = [];
  for (let seed = 1; seed <= 60; seed++) {
    const rand = prng(seed);
    let healed = false;
    const p = new Pair(() => !healed && rand() < 0.2);
    const startB = Math.floor(rand() * 3000);
    const bulkA = 500 + Math.floor(rand() * 4000);
    const bulkB = 500 + Math.floor(rand() * 4000);
    const events = [
      { at: startB, run: () => { p.startB(); } },
      { at: bulkA, run: () => { for (let i = 0; i < 300; i++) p.a.enqueue(entryKey(entry(i)), 'new', entry(i)); } },
      { at: Math.max(bulkB, startB + 1), run: () => { for (let i = 0; i < 300; i++) p.b!.enqueue(entryKey(entry(5000 + i)), 'new', entry(5000 + i)); } },
    ].sort((x, y) => x.at - y.at);
    for (const e of events) {
      p.run(e.at - p.now);
      e.run();
    }
    p.run(30_000 - p.now);
    healed = true;
    p.run(10_000);
    if (p.table.size !== 300 || p.a.external.size !== 300) failures.push(`seed ${seed}: ours ${p.table.size}, conntrackd's ${p.a.external.size}`);
  }
  assert.equal(failures, []);
});

test.run();
