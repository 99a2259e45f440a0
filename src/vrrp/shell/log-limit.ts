// Rate-limited logging of refused packets: a flood of forged or malformed datagrams must not fill
// the log (the counters in `ctl vrrp` count every one). At most `perSecond` lines a second; the
// number left out is said on the next line that gets through.
export class LogLimit {
  readonly #perSecond: number;
  #windowStart = -Infinity;
  #inWindow = 0;
  #suppressed = 0;

  constructor(perSecond = 5) {
    this.#perSecond = perSecond;
  }

  /** The line to log now (with the count left out since the last one), or undefined: leave it out. */
  line(now: number, text: string): string | undefined {
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#inWindow = 0;
    }
    if (this.#inWindow >= this.#perSecond) {
      this.#suppressed++;
      return undefined;
    }
    this.#inWindow++;
    const more = this.#suppressed;
    this.#suppressed = 0;
    return more > 0 ? `${text} (${more} more refused since the last such line)` : text;
  }
}
