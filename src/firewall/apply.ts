// Applying a ruleset: read the kernel's tables (one iptables-save per family), restore only the
// tables that differ, each in one `iptables-restore --noflush --wait` holding only the chains
// that differ (a one-rule change rewrites one chunk chain of CHUNK_SIZE rules, not the table).
// Each restore is one kernel transaction: a refused table keeps its previous rules, and the
// error names the config pointer of the refused line. Tables are applied raw, mangle, nat, then
// filter, so a refused NAT table stops before the filter changes.
import type { RestoreOutcome } from '../kernel/index.ts';
import type { IpFamily, IptablesTable, Ruleset } from './model.ts';
import { hasWork, planRuleset, type TablePlan } from './diff.ts';
import { partialTableText } from './render.ts';
import { parseSave, type SavedTables } from './saved.ts';

/** What the apply needs from the kernel (src/kernel in production, a fake in unit tests). */
export interface FirewallKernel {
  save(family: IpFamily): Promise<string>;
  restore(family: IpFamily, table: IptablesTable, input: string): Promise<RestoreOutcome>;
  loadModules(names: readonly string[]): Promise<void>;
  /**
   * The nf_tables generation id, or undefined where it cannot stand for "unchanged" (legacy
   * iptables tables present, no nf_tables, a fake kernel).
   */
  generation?(): Promise<{ namespace: string; id: number } | undefined>;
}

export interface TableOutcome {
  readonly family: IpFamily;
  readonly table: IptablesTable;
  readonly status: 'unchanged' | 'restored';
  /** Chains written and deleted. */
  readonly chains: number;
}

export class FirewallApplyError extends Error {
  readonly family: IpFamily;
  readonly table: IptablesTable;
  readonly pointer: string | undefined;
  /** Tables restored before the refusal (they stay). */
  readonly applied: readonly TableOutcome[];
  constructor(message: string, family: IpFamily, table: IptablesTable, pointer: string | undefined, applied: readonly TableOutcome[]) {
    super(message);
    this.name = 'FirewallApplyError';
    this.family = family;
    this.table = table;
    this.pointer = pointer;
    this.applied = applied;
  }
}

const TABLE_ORDER: readonly IptablesTable[] = ['raw', 'mangle', 'nat', 'filter'];

export async function readKernel(kernel: FirewallKernel, families: readonly IpFamily[]): Promise<Map<IpFamily, SavedTables>> {
  const texts = await Promise.all(families.map((f) => kernel.save(f)));
  return new Map(families.map((f, i) => [f, parseSave(texts[i]!)]));
}

export async function planAgainstKernel(ruleset: Ruleset, kernel: FirewallKernel): Promise<TablePlan[]> {
  const families = [...new Set(ruleset.tables.map((t) => t.family))];
  return planRuleset(ruleset, await readKernel(kernel, families));
}

function refusal(plan: TablePlan, outcome: Extract<RestoreOutcome, { ok: false }>, pointers: readonly (string | undefined)[]): { message: string; pointer: string | undefined } {
  const pointer = outcome.line !== undefined ? pointers[outcome.line] : undefined;
  const where = `${plan.family} ${plan.table}`;
  const message = pointer !== undefined ? `${pointer}: the kernel refused the rule: ${outcome.reason}` : outcome.reason;
  return { message: `${where}: ${message}; the table keeps its previous rules`, pointer };
}

export interface ApplyResult {
  readonly tables: readonly TableOutcome[];
  readonly plans: readonly TablePlan[];
  /** What the kernel held before the apply, per family (counters aside). */
  readonly before: ReadonlyMap<IpFamily, SavedTables>;
}

export async function applyRuleset(ruleset: Ruleset, kernel: FirewallKernel): Promise<ApplyResult> {
  const before = await readKernel(kernel, [...new Set(ruleset.tables.map((t) => t.family))]);
  const plans = planRuleset(ruleset, before);
  const work = plans.filter(hasWork);
  if (work.length > 0 && ruleset.modules.length > 0) await kernel.loadModules(ruleset.modules);
  const ordered = [...plans].sort((a, b) => (a.family === b.family ? TABLE_ORDER.indexOf(a.table) - TABLE_ORDER.indexOf(b.table) : a.family === 'ipv4' ? -1 : 1));
  const tables: TableOutcome[] = [];
  for (const plan of ordered) {
    if (!hasWork(plan)) {
      tables.push({ family: plan.family, table: plan.table, status: 'unchanged', chains: 0 });
      continue;
    }
    const input = partialTableText(plan.generated, plan.write, plan.remove);
    const outcome = await kernel.restore(plan.family, plan.table, input.text);
    if (!outcome.ok) {
      const { message, pointer } = refusal(plan, outcome, input.pointers);
      throw new FirewallApplyError(message, plan.family, plan.table, pointer, tables.filter((t) => t.status === 'restored'));
    }
    tables.push({ family: plan.family, table: plan.table, status: 'restored', chains: plan.write.length + plan.remove.length });
  }
  return { tables, plans, before };
}
