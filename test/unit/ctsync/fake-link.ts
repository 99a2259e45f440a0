// A fake datagram link between two FTFW cores with a fake clock: loss, duplication and reordering
// from a seeded PRNG, so every run of a test sees the same network.
import { FtfwCore } from '../../../src/ctsync/ftfw.ts';
import type { FtfwOptions } from '../../../src/ctsync/ftfw.ts';
import { entryKey } from '../../../src/ctsync/convert.ts';
import type { DataType, SyncEntry } from '../../../src/ctsync/wire/codec.ts';

export { seededRandom as prng } from '../../seeded-random.ts';
import { seededRandom as prng } from '../../seeded-random.ts';

export interface LinkFaults {
  loss: number;
  duplicate: number;
  /** Probability that a datagram is delayed by up to `maxDelayMs` (so overtaken). */
  reorder: number;
  maxDelayMs: number;
}

export const NO_FAULTS: LinkFaults = { loss: 0, duplicate: 0, reorder: 0, maxDelayMs: 0 };

export interface Node {
  core: FtfwCore;
  /** What this node has applied from its peer: key -> entry. */
  table: Map<string, SyncEntry>;
  resyncs: number;
}

export class FakeLink {
  now = 0;
  faults: LinkFaults;
  readonly a: Node;
  readonly b: Node;
  readonly #rand: () => number;
  #inflight: Array<{ at: number; to: 'a' | 'b'; data: Buffer }> = [];
  delivered = 0;
  dropped = 0;

  constructor(seed: number, faults: LinkFaults, opts: Partial<FtfwOptions> = {}) {
    this.#rand = prng(seed);
    this.faults = faults;
    this.a = this.#node('b', { initialSeq: 1000, ...opts });
    this.b = this.#node('a', { initialSeq: 0xfffffff0, ...opts }); // wraps during the test
  }

  #node(peer: 'a' | 'b', opts: FtfwOptions): Node {
    const n: Node = { core: undefined as unknown as FtfwCore, table: new Map(), resyncs: 0 };
    n.core = new FtfwCore(opts, {
      send: (d) => this.#send(peer, d),
      apply: (type: DataType, e: SyncEntry) => {
        if (type === 'destroy') n.table.delete(entryKey(e));
        else n.table.set(entryKey(e), e);
      },
      resyncRequested: () => { n.resyncs++; },
    });
    return n;
  }

  #send(to: 'a' | 'b', data: Buffer): void {
    const f = this.faults;
    if (this.#rand() < f.loss) { this.dropped++; return; }
    const copies = this.#rand() < f.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.#rand() < f.reorder ? 1 + Math.floor(this.#rand() * f.maxDelayMs) : 1;
      this.#inflight.push({ at: this.now + delay, to, data: Buffer.from(data) });
    }
  }

  /** Advances the clock by `ms` in 1 ms steps, delivering and running timers. */
  run(ms: number): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now++;
      const due = this.#inflight.filter((x) => x.at <= this.now);
      this.#inflight = this.#inflight.filter((x) => x.at > this.now);
      for (const d of due) {
        this.delivered++;
        (d.to === 'a' ? this.a : this.b).core.receive(d.data, this.now);
      }
      for (const n of [this.a, this.b]) {
        n.core.flush(this.now);
        n.core.tick(this.now);
      }
    }
  }
}
