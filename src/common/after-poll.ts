// A timeout that fires one poll late, on purpose. Node runs expired timers before it polls
// sockets, so after a busy stretch of the loop (thousands of checks, a long flush, an emulated
// CPU) an answer that came in time still waits unread when its timer fires. Here the callback
// runs from setImmediate, after the next poll: the answer is taken first, and the timeout then
// finds nothing to fail. Every deadline that fails a wait for I/O goes through this.
//
// The callback gets the time the timer fired (before that poll): a deadline that passed only
// after it has had no poll since, so it is not due yet (the loop may have run long in between).

export class AfterPollTimer {
  readonly #fn: (firedAt: number) => void;
  readonly #timer: NodeJS.Timeout;
  #immediate: NodeJS.Immediate | undefined;
  #armed = true;

  constructor(ms: number, fn: (firedAt: number) => void, clock: () => number = () => performance.now()) {
    this.#fn = fn;
    this.#timer = setTimeout(() => {
      const firedAt = clock();
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        this.#armed = false;
        this.#fn(firedAt);
      });
    }, ms);
  }

  /** The timer has fired and the callback waits for the poll to pass. */
  get expiring(): boolean {
    return this.#immediate !== undefined;
  }

  /** Neither cancelled nor run yet. */
  get armed(): boolean {
    return this.#armed;
  }

  /** Starts the same wait again from now (no new timer), also after it fired or ran. */
  refresh(): void {
    this.#dropImmediate();
    this.#armed = true;
    this.#timer.refresh();
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#dropImmediate();
    this.#armed = false;
  }

  #dropImmediate(): void {
    if (this.#immediate === undefined) return;
    clearImmediate(this.#immediate);
    this.#immediate = undefined;
  }
}
