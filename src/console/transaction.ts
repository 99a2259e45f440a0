// Every change the menu makes is a config transaction (issue 13): the edited config is checked
// by the config loader, shown as a plan, then handed to the daemon, which applies it and runs
// the commit-confirm window. `ConfigTransaction` is the seam: the console's screens speak to it,
// `stockade console` passes the daemon's (daemon-transaction.ts), the unit tests a fake. Pure
// apart from what the transaction does.
import { formatConfigError, loadConfigText, type Config } from '../config/index.ts';
import { formatPlan, planConfig } from '../apply/index.ts';

export interface PendingView {
  readonly id: number;
  readonly who: string;
  readonly summary: string;
  /** Seconds left before it reverts by itself. */
  readonly secondsLeft: number;
}

export type TransactionResult =
  | { readonly ok: true; readonly message: string; readonly pending?: PendingView }
  | { readonly ok: false; readonly error: string };

/** The daemon's config transaction, as the console uses it. */
export interface ConfigTransaction {
  /** Validates, applies live and opens the commit-confirm window (or saves, with none). */
  apply(newConfigText: string, who: string): Promise<TransactionResult>;
  confirm(who: string): Promise<TransactionResult>;
  /** Goes back to the confirmed config now, without waiting for the window. */
  abort(who: string): Promise<TransactionResult>;
  /** What waits for confirmation; `error`: the daemon could not be asked (pending then unknown, null). */
  status(): Promise<{ readonly pending: PendingView | null; readonly error?: string }>;
}

export type Proposal =
  | { readonly ok: true; readonly text: string; readonly config: Config; readonly plan: string; readonly changed: boolean }
  | { readonly ok: false; readonly errors: readonly string[] };

type Doc = Record<string, unknown>;

function parseObject(text: string): Doc | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Doc) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The config as written (`currentText`, not with the defaults filled in) changed by `edit`,
 * checked by the loader exactly as a file would be, and its plan against the current config.
 * A change the loader refuses comes back as its messages, nothing else done.
 */
export function proposeChange(currentText: string, edit: (doc: Doc) => void, file = 'config'): Proposal {
  const doc = parseObject(currentText);
  if (doc === undefined) return { ok: false, errors: [`${file}: the saved config is not a JSON object; fix it with stockade config first`] };
  const next = structuredClone(doc);
  edit(next);
  return proposeText(currentText, JSON.stringify(next, null, 2) + '\n', file);
}

/** A whole config text in place of `currentText` (a kept revision, the board default): checked, planned. */
export function proposeText(currentText: string, nextText: string, file = 'config'): Proposal {
  const before = loadConfigText(currentText);
  if (!before.ok) return { ok: false, errors: before.errors.map((e) => formatConfigError(file, e)) };
  const after = loadConfigText(nextText);
  if (!after.ok) return { ok: false, errors: after.errors.map((e) => formatConfigError(file, e)) };
  const plan = planConfig(before.config, after.config);
  const changed = JSON.stringify(parseObject(nextText)) !== JSON.stringify(parseObject(currentText));
  return { ok: true, text: nextText, config: after.config, plan: formatPlan(plan), changed };
}

/** What `to` would change on a box running `from`, as the plan prints it ("no change" when none). */
export function planText(from: Config, to: Config): string {
  return formatPlan(planConfig(from, to));
}

/** The edit that sets the console password (first login, "set the console password"). */
export function setPasswordHash(hash: string): (doc: Doc) => void {
  return (doc) => {
    const c = doc['console'];
    const block: Doc = typeof c === 'object' && c !== null && !Array.isArray(c) ? (c as Doc) : {};
    block['password_hash'] = hash;
    doc['console'] = block;
  };
}
