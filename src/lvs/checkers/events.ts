// The checkers' recent events for `ctl lvs events`: a ring of the last N, with a count of those
// that fell out, so a flapping farm cannot grow the daemon's memory.
import type { CheckerEvent } from './service.ts';

export const EVENT_LOG_SIZE = 1000;

export class EventLog {
  readonly #size: number;
  readonly #ring: CheckerEvent[] = [];
  #dropped = 0;
  #total = 0;

  constructor(size = EVENT_LOG_SIZE) {
    this.#size = size;
  }

  push(e: CheckerEvent): void {
    this.#total++;
    this.#ring.push(e);
    if (this.#ring.length > this.#size) {
      this.#ring.shift();
      this.#dropped++;
    }
  }

  /** Oldest first. */
  recent(): readonly CheckerEvent[] {
    return this.#ring;
  }

  counters(): { events: number; dropped: number; kept: number; bound: number } {
    return { events: this.#total, dropped: this.#dropped, kept: this.#ring.length, bound: this.#size };
  }
}
