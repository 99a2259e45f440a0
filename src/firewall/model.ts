// The rule model the compiler produces and the apply compares with the kernel: tables of chains,
// each chain an ordered list of rules in the exact text iptables-save prints, and each rule with
// the config pointer it came from (for errors, `firewall plan` and `ctl firewall`).
import type { IpFamily, IptablesTable } from '../kernel/index.ts';

export type { IpFamily, IptablesTable };

/** Prefix of every chain stockade creates; chains without it are the administrator's. */
export const OWN_CHAIN_PREFIX = 'STOCKADE-';

export const BUILTIN_CHAINS: Record<IptablesTable, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};

export type Policy = 'ACCEPT' | 'DROP';

export interface FwRule {
  /** Everything after `-A CHAIN `, as iptables-save prints it. */
  readonly spec: string;
  /** Config pointer the rule comes from ("/firewall/rules/3", "/vrrp/instances/0"). */
  readonly pointer: string;
}

export interface FwChain {
  readonly name: string;
  /** Built-in chains only. */
  readonly policy?: Policy;
  readonly rules: readonly FwRule[];
}

export interface FwTable {
  readonly family: IpFamily;
  readonly table: IptablesTable;
  /** Built-in chains first (in BUILTIN_CHAINS order), then the others. */
  readonly chains: readonly FwChain[];
}

export interface Ruleset {
  readonly tables: readonly FwTable[];
  /** Kernel modules the rules need beyond what iptables loads by itself (conntrack helpers). */
  readonly modules: readonly string[];
}

export function isBuiltin(table: IptablesTable, chain: string): boolean {
  return BUILTIN_CHAINS[table].includes(chain);
}

export function isOwnChain(chain: string): boolean {
  return chain.startsWith(OWN_CHAIN_PREFIX);
}
