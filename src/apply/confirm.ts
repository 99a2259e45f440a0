// Commit-confirm (VyOS `commit-confirm`, OpenWrt's rpcd apply with rollback timeout): a config
// applied on the running box is not saved until confirmed; unconfirmed when the window closes,
// the box goes back to the last confirmed config by itself. One transaction at a time. Pure: the
// clock is passed in (monotonic ms for the window, wall ms for the record), actions come out.
export interface PendingTransaction {
  readonly id: number;
  readonly who: string;
  readonly summary: string;
  readonly startedWallMs: number;
  readonly windowS: number;
  readonly deadlineMs: number;
}

export type ConfirmAction =
  /** Save the running config as the confirmed one (a new revision). */
  | { readonly type: 'persist'; readonly tx: PendingTransaction }
  /** Go back to the last confirmed config, and say why. */
  | { readonly type: 'revert'; readonly tx: PendingTransaction; readonly reason: string };

export type BeginResult =
  | { readonly ok: true; readonly actions: readonly ConfirmAction[]; readonly pending?: PendingTransaction }
  | { readonly ok: false; readonly error: string };

export interface Clock {
  /** Monotonic milliseconds (the window). */
  readonly now: number;
  /** Wall-clock milliseconds (what the operator reads). */
  readonly wallMs: number;
}

export class CommitConfirm {
  #pending: PendingTransaction | undefined;
  #nextId = 1;

  get pending(): PendingTransaction | undefined {
    return this.#pending;
  }

  /** Why a new transaction may not start now, or undefined when it may. */
  busy(clock: Clock): string | undefined {
    const p = this.#pending;
    if (p === undefined) return undefined;
    const left = Math.max(0, Math.ceil((p.deadlineMs - clock.now) / 1000));
    return `transaction ${p.id} by ${p.who} (started ${new Date(p.startedWallMs).toISOString()}) is waiting for confirmation, ${left} s left: confirm it or let it revert first`;
  }

  /**
   * A new config now runs (the live apply succeeded). With a zero window it is saved at once;
   * otherwise it waits for confirm() until `confirmS` seconds have passed.
   */
  applied(clock: Clock, who: string, summary: string, confirmS: number): BeginResult {
    const busy = this.busy(clock);
    if (busy !== undefined) return { ok: false, error: busy };
    const tx: PendingTransaction = { id: this.#nextId++, who, summary, startedWallMs: clock.wallMs, windowS: confirmS, deadlineMs: clock.now + confirmS * 1000 };
    if (confirmS === 0) return { ok: true, actions: [{ type: 'persist', tx }] };
    this.#pending = tx;
    return { ok: true, actions: [], pending: tx };
  }

  confirm(clock: Clock): BeginResult {
    const tx = this.#pending;
    if (tx === undefined) return { ok: false, error: 'nothing to confirm: no transaction is waiting' };
    if (clock.now >= tx.deadlineMs) return { ok: false, error: `transaction ${tx.id} is past its window and reverts` };
    this.#pending = undefined;
    return { ok: true, actions: [{ type: 'persist', tx }] };
  }

  /** The operator gives up on the pending change before its window closes. */
  abort(who: string): BeginResult {
    const tx = this.#pending;
    if (tx === undefined) return { ok: false, error: 'nothing to abort: no transaction is waiting' };
    this.#pending = undefined;
    return { ok: true, actions: [{ type: 'revert', tx, reason: `aborted by ${who}` }] };
  }

  /** When timer() must next be called, or undefined. */
  deadline(): number | undefined {
    return this.#pending?.deadlineMs;
  }

  timer(clock: Clock): ConfirmAction[] {
    const tx = this.#pending;
    if (tx === undefined || clock.now < tx.deadlineMs) return [];
    this.#pending = undefined;
    return [{ type: 'revert', tx, reason: `not confirmed within ${tx.windowS} s` }];
  }
}
