// Reading a bundle as a stream (a file, stdin over SSH, later an HTTP body) in exact-size
// pieces. Holds at most one incoming piece beyond what was asked for: nothing is staged.

export interface ByteSource {
  /** Exactly `length` bytes, or fewer only where the input ends. */
  read(length: number): Promise<Uint8Array>;
}

export class StreamSource implements ByteSource {
  private readonly it: AsyncIterator<Uint8Array | string>;
  private pending: Uint8Array = new Uint8Array(0);
  private ended = false;

  constructor(stream: AsyncIterable<Uint8Array | string>) {
    this.it = stream[Symbol.asyncIterator]();
  }

  async read(length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (this.pending.length === 0) {
        if (this.ended) break;
        const next = await this.it.next();
        if (next.done) {
          this.ended = true;
          break;
        }
        this.pending = typeof next.value === 'string' ? new TextEncoder().encode(next.value) : next.value;
        continue;
      }
      const take = Math.min(length - filled, this.pending.length);
      out.set(this.pending.subarray(0, take), filled);
      this.pending = this.pending.subarray(take);
      filled += take;
    }
    return filled === length ? out : out.subarray(0, filled);
  }
}

/** A source over bytes in memory (tests, and `bundle` commands on small inputs). */
export function bytesSource(bytes: Uint8Array, piece = 65536): ByteSource {
  return new StreamSource((async function* () {
    for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
  })());
}
