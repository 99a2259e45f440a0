// config -> Ruleset: the tables stockade loads, in its own chains.
//
//   built-in chain (INPUT ...)   the admin's preload lines, then -j STOCKADE-INPUT
//   STOCKADE-INPUT               system rules (system-rules.ts), jumps to the chunks, drop log
//   STOCKADE-IN-0, -1 ...        the user's rules in chunks of CHUNK_SIZE
//
// The user's rules are cut into chunks so that changing one rule rewrites one small chain, not
// thousands of rules (the apply restores only the chains that differ). First match still wins:
// a chunk that decides nothing returns to the next jump.
//
// Scope "boot" is what `stockade boot` loads before the daemon runs: the system rules with drop
// policies for INPUT and FORWARD, no user rules, NAT or preload (a bad line there must not leave
// the box without the pair's rules).
import type { Config } from '../config/index.ts';
import { BUILTIN_CHAINS, type FwChain, type FwRule, type FwTable, type IptablesTable, type Policy, type Ruleset } from './model.ts';
import { dropLogRule, systemRules, BASE_POINTER } from './system-rules.ts';
import { segmentRules, userFilterRules } from './filter-rules.ts';
import { helperRules, natRules } from './nat-rules.ts';
import { preloadChains, type PreloadChains, type PreloadError } from './preload.ts';
import { rule } from './rule-text.ts';
import { segmentPieces } from './segment-hook.ts';

export const CHUNK_SIZE = 200;

export type CompileScope = 'boot' | 'full';

export interface CompileOptions {
  readonly scope: CompileScope;
  readonly chunkSize?: number;
}

export class FirewallConfigError extends Error {
  readonly errors: readonly PreloadError[];
  constructor(errors: readonly PreloadError[]) {
    super(errors.map((e) => `${e.pointer}: ${e.message}`).join('; '));
    this.name = 'FirewallConfigError';
    this.errors = errors;
  }
}

function jump(target: string, pointer = BASE_POINTER): FwRule {
  return { spec: `-j ${target}`, pointer };
}

interface TableBuilder {
  readonly table: IptablesTable;
  readonly builtins: Map<string, { policy: Policy; rules: FwRule[] }>;
  readonly own: FwChain[];
}

function builder(table: IptablesTable, preload: PreloadChains | undefined, policies: Partial<Record<string, Policy>> = {}): TableBuilder {
  const builtins = new Map(BUILTIN_CHAINS[table].map((name) => [name, { policy: policies[name] ?? 'ACCEPT', rules: [...(preload?.get(name) ?? [])] }]));
  const own: FwChain[] = [];
  // The admin's own chains named by preload lines: created and filled by the apply.
  for (const [name, rules] of preload ?? []) if (!builtins.has(name)) own.push({ name, rules });
  return { table, builtins, own };
}

/**
 * Adds STOCKADE-<builtin> holding `head`, the user's rules in chunk chains, then `tail`, and
 * the jump to it from the built-in chain. Nothing is added when all three are empty.
 */
function addOwnChain(b: TableBuilder, builtin: string, chunkPrefix: string, head: FwRule[], user: FwRule[], tail: FwRule[], chunkSize: number): void {
  if (head.length === 0 && user.length === 0 && tail.length === 0) return;
  const top = `STOCKADE-${builtin}`;
  const rules = [...head];
  const chunks: FwChain[] = [];
  for (let i = 0, n = 0; i < user.length; i += chunkSize, n++) {
    const name = `STOCKADE-${chunkPrefix}-${n}`;
    chunks.push({ name, rules: user.slice(i, i + chunkSize) });
    rules.push(jump(name));
  }
  rules.push(...tail);
  b.own.push({ name: top, rules }, ...chunks);
  b.builtins.get(builtin)!.rules.push(jump(top));
}

function finish(b: TableBuilder, family: 'ipv4' | 'ipv6'): FwTable {
  const chains: FwChain[] = [...b.builtins].map(([name, c]) => ({ name, policy: c.policy, rules: c.rules }));
  return { family, table: b.table, chains: [...chains, ...b.own] };
}

function upper(p: 'drop' | 'accept'): Policy {
  return p === 'drop' ? 'DROP' : 'ACCEPT';
}

export function compileRuleset(config: Config, opts: CompileOptions): Ruleset {
  const full = opts.scope === 'full';
  const chunkSize = opts.chunkSize ?? CHUNK_SIZE;
  const preload = full ? preloadChains(config) : undefined;
  if (preload && preload.errors.length > 0) throw new FirewallConfigError(preload.errors);
  const pre = (t: IptablesTable): PreloadChains | undefined => preload?.chains[t];

  const policy = full
    ? { INPUT: upper(config.firewall.policy.input), FORWARD: upper(config.firewall.policy.forward), OUTPUT: upper(config.firewall.policy.output) }
    : { INPUT: 'DROP' as const, FORWARD: 'DROP' as const, OUTPUT: 'ACCEPT' as const };
  const logDropped = full && config.firewall.log_dropped;
  const sys = systemRules(config, { outputDrops: policy.OUTPUT === 'DROP' });
  const user = full ? userFilterRules(config) : { input: [], forward: [], output: [] };
  const segments = full ? segmentRules(config) : [];
  const seg = full ? segmentPieces(config) : undefined;
  const segTail = (table: IptablesTable, chain: string): FwRule[] => seg?.tail(table, chain) ?? [];
  const logTail = (chain: 'INPUT' | 'FORWARD' | 'OUTPUT'): FwRule[] => (logDropped && policy[chain] === 'DROP' ? [dropLogRule(chain)] : []);

  const filter = builder('filter', pre('filter'), policy);
  addOwnChain(filter, 'INPUT', 'IN', sys.input, user.input, [...segTail('filter', 'INPUT'), ...logTail('INPUT')], chunkSize);
  addOwnChain(filter, 'FORWARD', 'FWD', sys.forward, user.forward, [...segments, ...segTail('filter', 'FORWARD'), ...logTail('FORWARD')], chunkSize);
  if (seg) filter.own.push(...seg.chains('filter'));
  addOwnChain(filter, 'OUTPUT', 'OUT', sys.output, user.output, logTail('OUTPUT'), chunkSize);
  const tables: FwTable[] = [finish(filter, 'ipv4')];
  const modules: string[] = [];

  if (full) {
    const nat = builder('nat', pre('nat'));
    const n = natRules(config);
    addOwnChain(nat, 'PREROUTING', 'DNAT', [], n.prerouting, segTail('nat', 'PREROUTING'), chunkSize);
    addOwnChain(nat, 'OUTPUT', 'NAT-OUT', [], [], segTail('nat', 'OUTPUT'), chunkSize);
    addOwnChain(nat, 'POSTROUTING', 'SNAT', [], n.postrouting, segTail('nat', 'POSTROUTING'), chunkSize);
    if (seg) nat.own.push(...seg.chains('nat'));
    tables.push(finish(nat, 'ipv4'));
    tables.push(finish(builder('mangle', pre('mangle')), 'ipv4'));
    const raw = builder('raw', pre('raw'));
    const h = helperRules(config);
    addOwnChain(raw, 'PREROUTING', 'HELPER-IN', h.prerouting, [], [], chunkSize);
    addOwnChain(raw, 'OUTPUT', 'HELPER-OUT', h.output, [], [], chunkSize);
    tables.push(finish(raw, 'ipv4'));
    modules.push(...h.modules);
  }

  // IPv6: the config is IPv4-only; loopback and replies, nothing else in or through.
  const v6 = builder('filter', undefined, { INPUT: 'DROP', FORWARD: 'DROP', OUTPUT: 'ACCEPT' });
  addOwnChain(v6, 'INPUT', 'IN', [
    rule(BASE_POINTER, { in: 'lo' }, 'ACCEPT'),
    rule(BASE_POINTER, { states: ['related', 'established'] }, 'ACCEPT'),
    rule(BASE_POINTER, { states: ['invalid'] }, 'DROP'),
  ], [], [], chunkSize);
  tables.push(finish(v6, 'ipv6'));
  return { tables, modules };
}
