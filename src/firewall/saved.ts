// iptables-save output -> chains per table, for comparing with the generated ruleset and for
// `ctl firewall`'s counters. Protocol names that iptables looks up in /etc/protocols (present on
// a host, absent on the appliance) are read back as the numbers stockade writes.
import { IPTABLES_TABLES, type IptablesTable } from '../kernel/index.ts';
import { isBuiltin } from './model.ts';

export interface SavedRule {
  readonly spec: string;
  readonly packets: number;
  readonly bytes: number;
}

export interface SavedChain {
  readonly name: string;
  /** Built-in chains: ACCEPT or DROP; user chains: undefined. */
  readonly policy?: string;
  readonly packets: number;
  readonly bytes: number;
  readonly rules: SavedRule[];
}

export type SavedTables = Map<IptablesTable, Map<string, SavedChain>>;

const NUMBERED: Record<string, string> = { vrrp: '112', gre: '47' };

/** A rule as stockade writes it: `-p vrrp` -> `-p 112`. */
export function normalSpec(spec: string): string {
  return spec.replace(/(^| )-p (vrrp|gre)(?= |$)/, (_m, lead: string, name: string) => `${lead}-p ${NUMBERED[name]}`);
}

export function parseSave(text: string): SavedTables {
  const tables: SavedTables = new Map();
  let current: Map<string, SavedChain> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      const name = line.slice(1) as IptablesTable;
      current = IPTABLES_TABLES.includes(name) ? new Map() : undefined;
      if (current) tables.set(name, current);
      continue;
    }
    if (!current || line === 'COMMIT') continue;
    const chain = /^:(\S+) (\S+) \[(\d+):(\d+)\]$/.exec(line);
    if (chain) {
      const [, name, policy, packets, bytes] = chain;
      current.set(name!, { name: name!, ...(policy !== '-' ? { policy: policy! } : {}), packets: Number(packets), bytes: Number(bytes), rules: [] });
      continue;
    }
    const rule = /^(?:\[(\d+):(\d+)\] )?-A (\S+) (.*)$/.exec(line);
    if (rule) {
      const [, packets, bytes, name, spec] = rule;
      current.get(name!)?.rules.push({ spec: normalSpec(spec!), packets: Number(packets ?? 0), bytes: Number(bytes ?? 0) });
    }
  }
  return tables;
}

/**
 * What the kernel holds after `plans` were restored over `before`, as iptables-save text without
 * counters (parseSave reads it back): the written chains as generated, the removed ones gone,
 * every other chain as it was.
 */
export function savedAfter(before: SavedTables | undefined, plans: readonly { table: IptablesTable; write: readonly { name: string; policy?: string | undefined; rules: readonly { spec: string }[] }[]; remove: readonly string[] }[]): string {
  const tables: SavedTables = new Map([...(before ?? new Map<IptablesTable, Map<string, SavedChain>>())].map(([t, chains]) => [t, new Map(chains)]));
  for (const p of plans) {
    const chains = tables.get(p.table) ?? new Map<string, SavedChain>();
    tables.set(p.table, chains);
    for (const name of p.remove) chains.delete(name);
    for (const c of p.write) {
      const old = chains.get(c.name);
      const policy = c.policy ?? (isBuiltin(p.table, c.name) ? 'ACCEPT' : undefined) ?? old?.policy;
      chains.set(c.name, { name: c.name, ...(policy !== undefined ? { policy } : {}), packets: 0, bytes: 0, rules: c.rules.map((r) => ({ spec: r.spec, packets: 0, bytes: 0 })) });
    }
  }
  const out: string[] = [];
  for (const [table, chains] of tables) {
    out.push(`*${table}`);
    for (const c of chains.values()) out.push(`:${c.name} ${c.policy ?? '-'} [0:0]`);
    for (const c of chains.values()) for (const r of c.rules) out.push(`-A ${c.name} ${r.spec}`);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}
