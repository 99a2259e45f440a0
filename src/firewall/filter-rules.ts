// config.firewall.rules and config.segments -> filter rules per chain. A rule's id comment is its
// config pointer; a rule with log: true is preceded by a rate-limited LOG rule with the same id.
import type { Config, FirewallRule } from '../config/index.ts';
import { LOG_LIMIT, logTarget, rule, type MatchSpec } from './rule-text.ts';
import type { FwRule } from './model.ts';

export type FilterChainName = 'input' | 'forward' | 'output';

function matchOf(r: FirewallRule): MatchSpec {
  return {
    source: r.source,
    destination: r.destination,
    in: r.in_interface,
    out: r.out_interface,
    protocol: r.protocol,
    sourcePorts: r.source_ports,
    destinationPorts: r.destination_ports,
    states: r.states,
  };
}

function targetOf(r: FirewallRule): string {
  if (r.action === 'accept') return 'ACCEPT';
  if (r.action === 'drop') return 'DROP';
  // What iptables-save prints for a REJECT without --reject-with is icmp-port-unreachable.
  return r.protocol === 'tcp' ? 'REJECT --reject-with tcp-reset' : 'REJECT --reject-with icmp-port-unreachable';
}

/** The user's filter rules, per chain, in order (disabled ones left out; pointers keep their index). */
export function userFilterRules(config: Config): Record<FilterChainName, FwRule[]> {
  const out: Record<FilterChainName, FwRule[]> = { input: [], forward: [], output: [] };
  config.firewall.rules.forEach((r, i) => {
    if (!r.enabled) return;
    const at = `/firewall/rules/${i}`;
    const match = matchOf(r);
    if (r.log) out[r.chain].push(rule(at, { ...match, extra: LOG_LIMIT }, logTarget(at)));
    out[r.chain].push(rule(at, match, targetOf(r)));
  });
  return out;
}

/**
 * Segments: new connections from an allowed segment's interfaces into a segment's interfaces.
 * Replies are let through by the system rules (RELATED,ESTABLISHED); everything else between
 * segments falls to the forward policy.
 */
export function segmentRules(config: Config): FwRule[] {
  const byName = new Map(config.segments.map((s) => [s.name, s]));
  const out: FwRule[] = [];
  config.segments.forEach((segment, i) => {
    segment.allow_from.forEach((from, j) => {
      const source = byName.get(from);
      if (!source) return;
      const at = `/segments/${i}/allow_from/${j}`;
      for (const inIf of source.interfaces) for (const outIf of segment.interfaces) out.push(rule(at, { in: inIf, out: outIf }, 'ACCEPT'));
    });
  });
  return out;
}
