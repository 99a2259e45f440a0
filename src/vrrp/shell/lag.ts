// Event-loop lag, measured two ways: the loop's own delay histogram (perf_hooks), and how late the
// VRRP timer fired against the engine's deadline (what a peer would notice first: a late master
// advert). Reported by `stockade ctl vrrp`; a lag near the master-down interval explains a false
// failover (keepalived's "thread timer expired").
import { monitorEventLoopDelay } from 'node:perf_hooks';
type IntervalHistogram = ReturnType<typeof monitorEventLoopDelay>;

export interface LagReport {
  /** Event-loop delay since start, in ms (perf_hooks, sampled every 100 ms). */
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  /** How late the VRRP timer ran after its deadline, in ms. */
  timerLastMs: number;
  timerMaxMs: number;
  timerFirings: number;
}

const NS_PER_MS = 1e6;

export class LagMonitor {
  readonly #h: IntervalHistogram;
  #last = 0;
  #max = 0;
  #firings = 0;

  constructor() {
    this.#h = monitorEventLoopDelay({ resolution: 100 });
    this.#h.enable();
  }

  /** The timer ran `lateMs` after the deadline it was armed for. */
  timerFired(lateMs: number): void {
    const late = Math.max(0, lateMs);
    this.#last = late;
    if (late > this.#max) this.#max = late;
    this.#firings++;
  }

  report(): LagReport {
    const ms = (ns: number) => Math.round((ns / NS_PER_MS) * 10) / 10;
    const h = this.#h;
    const any = h.count > 0;
    return {
      loopP50Ms: any ? ms(h.percentile(50)) : 0,
      loopP99Ms: any ? ms(h.percentile(99)) : 0,
      loopMaxMs: any ? ms(h.max) : 0,
      timerLastMs: Math.round(this.#last * 10) / 10,
      timerMaxMs: Math.round(this.#max * 10) / 10,
      timerFirings: this.#firings,
    };
  }

  stop(): void {
    this.#h.disable();
  }
}
