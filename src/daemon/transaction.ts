// The daemon's side of config transactions (issue 13): `config.apply` takes a whole config,
// plans it against the running one, applies the parts that change (src/apply's runner: net,
// firewall, ...; a refused part rolls every changed part back), and then either saves it at once
// (commit_confirm_s 0) or waits for `config.confirm`; unconfirmed when the window closes, the box
// goes back to the confirmed config by itself and logs why. One transaction at a time; every
// step is in the audit log on /data. The window is the running (old) config's
// management.commit_confirm_s: a change cannot switch off its own safety net. SIGHUP (reload())
// re-reads the saved config and applies it the same way, with no window: it is already saved,
// and kept as a revision when it differs from what runs (an edit by hand shows in the history).
import { formatConfigError, loadConfigText, type Config } from '../config/index.ts';
import {
  appendAudit, applyTransaction, CommitConfirm, planConfig, type AuditFiles, type AuditRecord, type PartApplier,
  type PendingTransaction, type Plan, type RevisionStore, yieldTurn,
} from '../apply/index.ts';
import type { ControlServer } from './control.ts';
import type { Log } from './log.ts';

export interface RunningConfig {
  readonly config: Config;
  /** The exact text it was loaded from (what a confirm saves). */
  readonly text: string;
}

export interface TransactionDeps {
  readonly control: ControlServer;
  readonly log: Log;
  readonly appliers: readonly PartApplier[];
  readonly store: RevisionStore;
  readonly audit: { readonly files: AuditFiles; readonly path: string };
  /** The config the daemon started with (its text, for the first confirm's revert target). */
  readonly initial: RunningConfig;
  /** Told of every change of the running config (status views read it). */
  onRunning?(running: RunningConfig): void;
  /** Monotonic ms; wall ms (defaults: performance.now, Date.now). */
  readonly now?: () => number;
  readonly wallMs?: () => number;
}

/** A config refused before anything was applied (its errors, each naming where). */
export class ConfigRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigRejected';
  }
}

export interface TransactionService {
  running(): RunningConfig;
  /**
   * `edit` of the running config applied as a transaction (a runtime operation such as
   * `stockade segment ...`: the client sends the edit, not the whole config, which for a big
   * segment costs more to fetch, check and send than the change). Throws ConfigRejected when the
   * result is not a valid config; an error of `edit` itself is thrown as it is.
   */
  applyEdit(edit: (running: Config) => Config, who: string, what: string): Promise<unknown>;
  /** SIGHUP: the saved config (`file`) applied as a transaction that needs no confirm; logged, never throws. */
  reload(file: string, readText: (file: string) => string): Promise<void>;
  stop(): void;
}

/** One line saying what a plan changes, for the audit log and revision history. */
export function planSummary(plan: Plan): string {
  const parts = plan.parts.filter((p) => p.changed).map((p) => `${p.part}: ${p.items.map((i) => i.label).join(', ')}`);
  const text = parts.join('; ') || 'no change';
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

const whoOf = (params: unknown): string => {
  const who = (params as { who?: unknown } | undefined)?.who;
  return typeof who === 'string' && who.length > 0 ? who.slice(0, 64) : 'ctl';
};

export function serveTransactions(deps: TransactionDeps): TransactionService {
  const now = deps.now ?? (() => performance.now());
  const wallMs = deps.wallMs ?? (() => Date.now());
  const clock = () => ({ now: now(), wallMs: wallMs() });
  const confirm = new CommitConfirm();
  let running = deps.initial;
  /** What a revert goes back to: the last confirmed config. */
  let confirmed = deps.initial;
  let busyApplying = false;
  let timer: NodeJS.Timeout | undefined;

  const audit = (record: Omit<AuditRecord, 'at'>): void => {
    try {
      appendAudit(deps.audit.files, deps.audit.path, { at: new Date(wallMs()).toISOString(), ...record });
    } catch (e) {
      deps.log('error', `config: audit log ${deps.audit.path}: ${(e as Error).message}`);
    }
  };
  const setRunning = (r: RunningConfig): void => {
    running = r;
    deps.onRunning?.(r);
  };
  const persist = (tx: PendingTransaction): number => {
    const meta = deps.store.persist(running.text, tx.who, tx.summary, new Date(wallMs()), running.config.management.revisions_kept);
    confirmed = running;
    audit({ who: tx.who, event: 'confirm', transaction: tx.id, summary: tx.summary, result: `saved as revision ${meta.revision}` });
    deps.log('info', `config: transaction ${tx.id} by ${tx.who} saved as revision ${meta.revision}`);
    return meta.revision;
  };
  const revert = async (tx: PendingTransaction, reason: string): Promise<void> => {
    const from = running;
    const plan = planConfig(from.config, confirmed.config);
    const outcome = await applyTransaction(plan, from.config, confirmed.config, deps.appliers);
    if (outcome.ok) {
      setRunning(confirmed);
      deps.log('warn', `config: transaction ${tx.id} by ${tx.who} reverted (${reason}): back to the confirmed config`);
      audit({ who: tx.who, event: 'revert', transaction: tx.id, summary: tx.summary, result: reason });
    } else {
      // The box runs neither config whole: say so as loudly as we can; the next apply retries.
      deps.log('error', `config: transaction ${tx.id} could not be reverted (${reason}): ${outcome.error}${outcome.undoErrors.length ? `; undo failed: ${outcome.undoErrors.join('; ')}` : ''}`);
      audit({ who: tx.who, event: 'revert', transaction: tx.id, summary: tx.summary, result: `failed: ${outcome.error}` });
    }
  };
  const arm = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const d = confirm.deadline();
    if (d === undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      for (const a of confirm.timer(clock())) if (a.type === 'revert') void exclusive(() => revert(a.tx, a.reason));
      arm();
    }, Math.max(0, d - now()));
    timer.unref?.();
  };
  /** One change of the running config at a time (an apply, a revert). */
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (busyApplying) throw new Error('another config change is being applied right now; try again');
    busyApplying = true;
    try {
      return await fn();
    } finally {
      busyApplying = false;
    }
  };

  /** `window`: the confirm window in seconds (default: the running config's). */
  const apply = (text: string, who: string, what: string, window = running.config.management.commit_confirm_s) => exclusive(async () => {
    const busy = confirm.busy(clock());
    if (busy !== undefined) {
      audit({ who, event: 'refused', summary: what, result: busy });
      throw new Error(busy);
    }
    await yieldTurn();
    const loaded = loadConfigText(text);
    if (!loaded.ok) {
      const errors = loaded.errors.map((e) => formatConfigError(what, e));
      audit({ who, event: 'refused', summary: what, result: `${errors.length} config error(s)` });
      throw new ConfigRejected(`${what}: not applied, ${errors.length === 1 ? '1 error' : `${errors.length} errors`}:\n${errors.join('\n')}`);
    }
    await yieldTurn();
    const plan = planConfig(running.config, loaded.config);
    const summary = planSummary(plan);
    if (!plan.changed) return { changed: false, plan };
    await yieldTurn();
    const outcome = await applyTransaction(plan, running.config, loaded.config, deps.appliers);
    if (!outcome.ok) {
      audit({ who, event: 'refused', summary, result: `${outcome.part}: ${outcome.error}; undone: ${outcome.undone.join(', ') || 'nothing'}` });
      deps.log('warn', `config: apply by ${who} refused by ${outcome.part}: ${outcome.error}; the old config runs`);
      throw new Error(`${outcome.error}; every part changed before it was put back (${outcome.undone.join(', ') || 'none'})${outcome.undoErrors.length ? `; undo failed: ${outcome.undoErrors.join('; ')}` : ''}`);
    }
    setRunning({ config: loaded.config, text });
    const begun = confirm.applied(clock(), who, summary, window);
    if (!begun.ok) throw new Error(begun.error); // not reached: busy() was checked above, inside exclusive()
    audit({ who, event: 'apply', transaction: begun.pending?.id ?? (begun.actions[0]?.tx.id ?? 0), summary, result: `applied: ${outcome.applied.join(', ')}` });
    let revision: number | undefined;
    for (const a of begun.actions) if (a.type === 'persist') revision = persist(a.tx);
    arm();
    deps.log('info', `config: applied by ${who} (${summary})${begun.pending ? `; reverts in ${window} s unless confirmed` : ''}`);
    return { changed: true, plan, applied: outcome.applied, ...(begun.pending ? { pending: pendingView(begun.pending) } : {}), ...(revision !== undefined ? { revision } : {}) };
  });

  const pendingView = (p: PendingTransaction) => ({
    id: p.id, who: p.who, summary: p.summary, started: new Date(p.startedWallMs).toISOString(), windowS: p.windowS,
    leftS: Math.max(0, Math.ceil((p.deadlineMs - now()) / 1000)),
  });

  deps.control.handle('config.apply', (p) => {
    const text = (p as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string') throw new Error('config.apply needs {"text": "<the whole config>"}');
    const source = (p as { source?: unknown }).source;
    return apply(text, whoOf(p), typeof source === 'string' ? source.slice(0, 200) : 'the new config');
  });
  deps.control.handle('config.confirm', (p) => {
    const r = confirm.confirm(clock());
    if (!r.ok) throw new Error(r.error);
    let revision = 0;
    for (const a of r.actions) if (a.type === 'persist') revision = persist(a.tx);
    arm();
    return { confirmed: true, revision, by: whoOf(p) };
  });
  deps.control.handle('config.abort', (p) => exclusive(async () => {
    const r = confirm.abort(whoOf(p));
    if (!r.ok) throw new Error(r.error);
    for (const a of r.actions) if (a.type === 'revert') await revert(a.tx, a.reason);
    arm();
    return { aborted: true };
  }));
  deps.control.handle('config.status', () => ({
    pending: confirm.pending ? pendingView(confirm.pending) : null,
    revisions: deps.store.numbers(),
  }));
  deps.control.handle('config.rollback', (p) => {
    const rev = (p as { revision?: unknown } | undefined)?.revision;
    if (typeof rev !== 'number' || !Number.isInteger(rev)) throw new Error('config.rollback needs {"revision": N}');
    const text = deps.store.text(rev);
    if (text === undefined) throw new Error(`no revision ${rev} (kept: ${deps.store.numbers().join(', ') || 'none'})`);
    return apply(text, whoOf(p), `revision ${rev}`);
  });

  return {
    running: () => running,
    applyEdit(edit, who, what) {
      const next = edit(running.config);
      // Pretty when it fits the config file limit (1 MiB), else compact: a big segment's map must stay loadable.
      const pretty = JSON.stringify(next, null, 2) + '\n';
      return apply(Buffer.byteLength(pretty) <= 1_000_000 ? pretty : JSON.stringify(next) + '\n', who.slice(0, 64), what.slice(0, 200));
    },
    async reload(file, readText) {
      deps.log('info', `config: SIGHUP: re-reading ${file}`);
      try {
        const r = await apply(readText(file), 'SIGHUP', file, 0) as { changed: boolean; applied?: string[] };
        if (!r.changed) deps.log('info', `config: SIGHUP: ${file} is what runs; nothing to apply`);
      } catch (e) {
        deps.log('error', `config: SIGHUP: ${file} not applied: ${(e as Error).message}`);
      }
    },
    stop: () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
