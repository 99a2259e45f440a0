// The hook through which the segments part adds its rules (src/segments/firewall.ts decides
// them; here they become rule text): rules appended to stockade's own chain of a built-in
// chain, and the chains they jump to. The system rules are not touched.
import type { Config } from '../config/index.ts';
import { segmentFirewall, type SegmentFwRule } from '../segments/index.ts';
import type { FwChain, FwRule, IptablesTable } from './model.ts';
import { rule } from './rule-text.ts';

export interface SegmentPieces {
  /** Per table, per built-in chain: rules for the tail of STOCKADE-<builtin>. */
  tail(table: IptablesTable, builtin: string): FwRule[];
  chains(table: IptablesTable): FwChain[];
}

const text = (r: SegmentFwRule): FwRule => rule(r.pointer, r.match, r.target);

export function segmentPieces(config: Config): SegmentPieces {
  const seg = segmentFirewall(config);
  return {
    tail(table, builtin) {
      const t = table === 'filter' ? (seg.filter as Record<string, SegmentFwRule[]>) : table === 'nat' ? (seg.nat as Record<string, SegmentFwRule[]>) : {};
      return (t[builtin] ?? []).map(text);
    },
    chains: (table) => seg.chains.filter((c) => c.table === table).map((c) => ({ name: c.name, rules: c.rules.map(text) })),
  };
}
