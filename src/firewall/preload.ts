// The administrator's preload lines (config.firewall.preload): iptables-restore rule lines per
// table, loaded ahead of stockade's chains and kept on every apply. `-I CHAIN [N]` lines are
// placed where the kernel would put them, so the chain compares line by line with iptables-save.
// Lines must be written as iptables-save prints them (`-p tcp -m tcp --dport 22`), or the chain
// reads back different from what was loaded and every apply restores it (lint says so).
import type { Config } from '../config/index.ts';
import { IPTABLES_TABLES, type IptablesTable } from '../kernel/index.ts';
import { isOwnChain, type FwRule } from './model.ts';

export interface PreloadError {
  readonly pointer: string;
  readonly message: string;
}

export type PreloadChains = Map<string, FwRule[]>;

const LINE = /^-([AI]) (\S+)(?: (\d+))?(?: (.*))?$/;

/** Each table's preload lines as final chain contents; errors name the line's pointer. */
export function preloadChains(config: Config): { chains: Record<IptablesTable, PreloadChains>; errors: PreloadError[] } {
  const errors: PreloadError[] = [];
  const chains = Object.fromEntries(IPTABLES_TABLES.map((t) => [t, new Map<string, FwRule[]>()])) as Record<IptablesTable, PreloadChains>;
  for (const table of IPTABLES_TABLES) {
    config.firewall.preload[table].forEach((line, i) => {
      const at = `/firewall/preload/${table}/${i}`;
      const m = LINE.exec(line.trim());
      if (!m) {
        errors.push({ pointer: at, message: 'an iptables-restore rule line: -A or -I, a chain, then the rule' });
        return;
      }
      const [, verb, chain, position, rest] = m;
      if (isOwnChain(chain!)) {
        errors.push({ pointer: at, message: `${chain} is stockade's own chain (STOCKADE-*), replaced on every apply; use a chain of your own` });
        return;
      }
      if (verb === 'A' && position !== undefined) {
        errors.push({ pointer: at, message: '-A takes no position; use -I CHAIN N to insert' });
        return;
      }
      const spec = (rest ?? '').trim();
      if (spec === '') {
        errors.push({ pointer: at, message: 'a rule after the chain name (matches and -j TARGET)' });
        return;
      }
      const list = chains[table].get(chain!) ?? [];
      const entry = { spec, pointer: at };
      if (verb === 'A') list.push(entry);
      else {
        const index = position === undefined ? 0 : Number(position) - 1;
        if (index < 0 || index > list.length) {
          errors.push({ pointer: at, message: `-I ${chain} ${position}: the chain has ${list.length} rule${list.length === 1 ? '' : 's'} before this line` });
          return;
        }
        list.splice(index, 0, entry);
      }
      chains[table].set(chain!, list);
    });
  }
  return { chains, errors };
}
