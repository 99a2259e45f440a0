// `ctl firewall`: stockade's chains as the kernel holds them, with per-rule packet and byte
// counters and the config pointer each rule came from (like `iptables -L -v -n`), and the drift:
// what differs from the ruleset the daemon applied.
import { isBuiltin, isOwnChain, type IpFamily, type IptablesTable, type Ruleset } from './model.ts';
import type { ChainChange, TablePlan } from './diff.ts';
import type { SavedTables } from './saved.ts';

export interface RuleView {
  readonly packets: number;
  readonly bytes: number;
  /** The id comment: the config pointer; undefined for jumps and preload lines. */
  readonly pointer: string | undefined;
  readonly rule: string;
}

export interface ChainView {
  readonly name: string;
  readonly policy: string | undefined;
  readonly packets: number;
  readonly bytes: number;
  readonly rules: readonly RuleView[];
}

export interface TableView {
  readonly family: IpFamily;
  readonly table: IptablesTable;
  readonly chains: readonly ChainView[];
}

export interface DriftView {
  readonly family: IpFamily;
  readonly table: IptablesTable;
  readonly chain: string;
  readonly kind: ChainChange['kind'];
  readonly policy?: { readonly from: string; readonly to: string };
  /** Rules the config has and the kernel lacks, with their pointers. */
  readonly missing: readonly { pointer: string; rule: string }[];
  /** Rules in the kernel the config does not have. */
  readonly extra: readonly string[];
}

const COMMENT = / -m comment --comment ("(?:[^"\\]|\\.)*"|\S+)/;

export function pointerOf(spec: string): { pointer: string | undefined; rule: string } {
  const m = COMMENT.exec(spec);
  if (!m) return { pointer: undefined, rule: spec };
  const raw = m[1]!;
  const pointer = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  return { pointer, rule: spec.replace(m[0], '') };
}

/** The tables of `ruleset` as the kernel holds them, chains stockade owns only. */
export function tableViews(ruleset: Ruleset, saved: ReadonlyMap<IpFamily, SavedTables>): TableView[] {
  return ruleset.tables.map((t) => {
    const kernel = saved.get(t.family)?.get(t.table);
    const wanted = new Set(t.chains.map((c) => c.name));
    const chains: ChainView[] = [];
    for (const [name, c] of kernel ?? []) {
      if (!isBuiltin(t.table, name) && !isOwnChain(name) && !wanted.has(name)) continue;
      chains.push({
        name, policy: c.policy, packets: c.packets, bytes: c.bytes,
        rules: c.rules.map((r) => ({ packets: r.packets, bytes: r.bytes, ...pointerOf(r.spec) })),
      });
    }
    return { family: t.family, table: t.table, chains };
  });
}

export function driftViews(plans: readonly TablePlan[]): DriftView[] {
  return plans.flatMap((p) => p.changes.map((c) => ({
    family: p.family, table: p.table, chain: c.chain, kind: c.kind,
    ...(c.policy ? { policy: c.policy } : {}),
    missing: c.added.map((r) => ({ pointer: r.pointer, rule: r.spec })),
    extra: [...c.removed],
  })));
}

function human(n: number): string {
  if (n < 100_000) return String(n);
  if (n < 100_000_000) return `${Math.round(n / 1000)}K`;
  return `${Math.round(n / 1_000_000)}M`;
}

/** iptables -L -v -n's shape: per chain a header, then pkts, bytes, pointer, rule. */
export function formatTables(tables: readonly TableView[]): string {
  let out = '';
  for (const t of tables) {
    const chains = t.chains.filter((c) => c.rules.length > 0 || (c.policy !== undefined && c.policy !== 'ACCEPT'));
    if (chains.length === 0) continue;
    out += `${t.family} ${t.table}\n`;
    for (const c of chains) {
      out += c.policy !== undefined
        ? `Chain ${c.name} (policy ${c.policy} ${human(c.packets)} packets, ${human(c.bytes)} bytes)\n`
        : `Chain ${c.name}\n`;
      const rows = [['pkts', 'bytes', 'pointer', 'rule'], ...c.rules.map((r) => [human(r.packets), human(r.bytes), r.pointer ?? '-', r.rule])];
      const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) out += `${r[0]!.padStart(w[0]!)} ${r[1]!.padStart(w[1]!)}  ${r[2]!.padEnd(w[2]!)}  ${r[3]}\n`;
      out += '\n';
    }
  }
  return out;
}

export function formatDrift(drift: readonly DriftView[]): string[] {
  const lines: string[] = [];
  for (const d of drift) {
    const head = `${d.family} ${d.table} ${d.chain}`;
    if (d.kind === 'deleted') lines.push(`${head}: stockade's chain is no longer in the config (${d.extra.length} rules): deleted on apply`);
    else if (d.kind === 'created') lines.push(`${head}: missing from the kernel (${d.missing.length} rules)`);
    if (d.policy) lines.push(`${head}: policy ${d.policy.from}, the config says ${d.policy.to}`);
    if (d.kind === 'changed') {
      for (const m of d.missing) lines.push(`${head}: + ${m.rule} (${m.pointer})`);
      for (const x of d.extra) lines.push(`${head}: - ${x}`);
      if (d.missing.length === 0 && d.extra.length === 0 && !d.policy) lines.push(`${head}: the rules are in another order`);
    }
  }
  return lines;
}
