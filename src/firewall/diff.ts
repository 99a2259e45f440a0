// Generated ruleset against what the kernel holds (iptables-save): which chains to write, which
// of stockade's chains to delete, and per chain the rules added and removed (for `firewall plan`
// and drift). Chains stockade does not own (not built-in, not STOCKADE-*, not named by a
// preload line) are never compared, written or deleted.
import { isBuiltin, isOwnChain, type FwChain, type FwRule, type FwTable, type IpFamily, type IptablesTable, type Ruleset } from './model.ts';
import type { SavedChain, SavedTables } from './saved.ts';

export interface ChainChange {
  readonly chain: string;
  /** created: not in the kernel; changed: differs; deleted: stockade's, no longer generated. */
  readonly kind: 'created' | 'changed' | 'deleted';
  readonly policy?: { readonly from: string; readonly to: string };
  readonly added: readonly FwRule[];
  readonly removed: readonly string[];
}

export interface TablePlan {
  readonly family: IpFamily;
  readonly table: IptablesTable;
  readonly generated: FwTable;
  /** Chains to (re)write, in the generated order. */
  readonly write: readonly FwChain[];
  /** Stockade's chains to delete. */
  readonly remove: readonly string[];
  readonly changes: readonly ChainChange[];
}

function sameRules(a: readonly FwRule[], b: readonly { spec: string }[]): boolean {
  return a.length === b.length && a.every((r, i) => r.spec === b[i]!.spec);
}

/** Rules of `a` not matched one for one in `b` (a multiset difference, order aside). */
function missing(a: readonly string[], b: readonly string[]): number[] {
  const left = new Map<string, number>();
  for (const s of b) left.set(s, (left.get(s) ?? 0) + 1);
  const out: number[] = [];
  a.forEach((s, i) => {
    const n = left.get(s) ?? 0;
    if (n > 0) left.set(s, n - 1);
    else out.push(i);
  });
  return out;
}

function compareChain(t: FwTable, c: FwChain, k: SavedChain | undefined): ChainChange | undefined {
  const builtin = isBuiltin(t.table, c.name);
  const kernelPolicy = k?.policy ?? 'ACCEPT';
  const policyDiffers = builtin && kernelPolicy !== (c.policy ?? 'ACCEPT');
  const kernelRules = k?.rules ?? [];
  // An absent built-in chain (the table was never loaded) is an empty ACCEPT chain.
  if ((k || builtin) && !policyDiffers && sameRules(c.rules, kernelRules)) return undefined;
  const generated = c.rules.map((r) => r.spec);
  const held = kernelRules.map((r) => r.spec);
  return {
    chain: c.name,
    kind: k || builtin ? 'changed' : 'created',
    ...(policyDiffers ? { policy: { from: kernelPolicy, to: c.policy ?? 'ACCEPT' } } : {}),
    added: missing(generated, held).map((i) => c.rules[i]!),
    removed: missing(held, generated).map((i) => held[i]!),
  };
}

export function planTable(t: FwTable, kernel: Map<string, SavedChain> | undefined): TablePlan {
  const write: FwChain[] = [];
  const changes: ChainChange[] = [];
  for (const c of t.chains) {
    const change = compareChain(t, c, kernel?.get(c.name));
    if (!change) continue;
    write.push(c);
    changes.push(change);
  }
  const generated = new Set(t.chains.map((c) => c.name));
  const remove: string[] = [];
  for (const [name, k] of kernel ?? []) {
    if (generated.has(name) || !isOwnChain(name)) continue;
    remove.push(name);
    changes.push({ chain: name, kind: 'deleted', added: [], removed: k.rules.map((r) => r.spec) });
  }
  return { family: t.family, table: t.table, generated: t, write, remove, changes };
}

/** One plan per generated table; a table with nothing to do has empty write and remove. */
export function planRuleset(ruleset: Ruleset, saved: ReadonlyMap<IpFamily, SavedTables>): TablePlan[] {
  return ruleset.tables.map((t) => planTable(t, saved.get(t.family)?.get(t.table)));
}

export function hasWork(p: TablePlan): boolean {
  return p.write.length > 0 || p.remove.length > 0;
}
