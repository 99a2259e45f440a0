// Pieces of rule text written exactly as iptables-save prints them back (checked against
// iptables 1.8.9 in the lab), so generated and kernel rules compare line by line.
import { formatPrefix, parsePrefix } from '../common/index.ts';
import type { FwRule } from './model.ts';

// The config schema already restricts these; checked again because they are pasted into rule text.
const IFNAME = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

export function ifname(name: string): string {
  if (!IFNAME.test(name)) throw new Error(`not an interface name: ${JSON.stringify(name)}`);
  return name;
}

/** "192.0.2.10" -> "192.0.2.10/32", "192.0.2.5/24" -> "192.0.2.0/24", as iptables-save prints them. */
export function prefixArg(text: string): string {
  const prefix = parsePrefix(text);
  if (!prefix) throw new Error(`not an IPv4 address or network: ${JSON.stringify(text)}`);
  return formatPrefix(prefix);
}

export function port(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`not a port: ${n}`);
  return n;
}

/** 443 -> "443", "8000-8080" -> "8000:8080". */
export function portArg(spec: number | string): string {
  if (typeof spec === 'number') return String(port(spec));
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(spec);
  if (!m) throw new Error(`not a port or range: ${JSON.stringify(spec)}`);
  return `${port(Number(m[1]))}:${port(Number(m[2]))}`;
}

/**
 * `-p` as the kernel reads back: iptables prints its own names for tcp, udp, icmp, esp, ah and
 * sctp, and looks the others up in /etc/protocols, which the appliance does not have: numbers
 * for those, and the comparison reads names back as numbers (see saved.ts).
 */
export const PROTOCOL_ARG: Record<string, string> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', sctp: 'sctp', esp: 'esp', ah: 'ah', gre: '47', vrrp: '112' };

export function protocolArg(protocol: string): string {
  const arg = PROTOCOL_ARG[protocol];
  if (arg === undefined) throw new Error(`not a protocol: ${JSON.stringify(protocol)}`);
  return arg;
}

/** iptables-save's xtables_save_string: bare when only [A-Za-z0-9_-], else in double quotes. */
export function quoted(text: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(text)) return text;
  return `"${text.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

const STATE_ORDER = ['invalid', 'new', 'related', 'established', 'untracked'];

/** conntrack states in the order iptables-save prints them. */
export function statesArg(states: readonly string[]): string {
  const known = states.filter((s) => STATE_ORDER.includes(s));
  if (known.length !== states.length || known.length === 0) throw new Error(`not conntrack states: ${JSON.stringify(states)}`);
  return STATE_ORDER.filter((s) => states.includes(s)).map((s) => s.toUpperCase()).join(',');
}

export interface MatchSpec {
  readonly source?: string | undefined;
  readonly destination?: string | undefined;
  readonly in?: string | undefined;
  readonly out?: string | undefined;
  /** A key of PROTOCOL_ARG; "all" or absent: any. */
  readonly protocol?: string | undefined;
  readonly sourcePorts?: readonly (number | string)[] | undefined;
  readonly destinationPorts?: readonly (number | string)[] | undefined;
  readonly icmpType?: number | undefined;
  readonly states?: readonly string[] | undefined;
  /** Extra match text placed after the others (limit, conntrack --ctstate DNAT). */
  readonly extra?: string | undefined;
}

function portMatches(protocol: string, sports: readonly string[], dports: readonly string[]): string[] {
  const single: string[] = [];
  const multi: string[] = [];
  if (sports.length === 1) single.push(`--sport ${sports[0]}`);
  else if (sports.length > 1) multi.push(`-m multiport --sports ${sports.join(',')}`);
  if (dports.length === 1) single.push(`--dport ${dports[0]}`);
  else if (dports.length > 1) multi.push(`-m multiport --dports ${dports.join(',')}`);
  return [...(single.length ? [`-m ${protocol} ${single.join(' ')}`] : []), ...multi];
}

/** The match part of a rule: -s -d -i -o -p first, then the match modules, as iptables-save orders them. */
export function matchText(m: MatchSpec): string[] {
  const parts: string[] = [];
  if (m.source !== undefined) parts.push(`-s ${prefixArg(m.source)}`);
  if (m.destination !== undefined) parts.push(`-d ${prefixArg(m.destination)}`);
  if (m.in !== undefined) parts.push(`-i ${ifname(m.in)}`);
  if (m.out !== undefined) parts.push(`-o ${ifname(m.out)}`);
  const protocol = m.protocol === undefined || m.protocol === 'all' ? undefined : protocolArg(m.protocol);
  if (protocol !== undefined) parts.push(`-p ${protocol}`);
  const sports = (m.sourcePorts ?? []).map(portArg);
  const dports = (m.destinationPorts ?? []).map(portArg);
  if (sports.length || dports.length) {
    if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') throw new Error('ports need protocol tcp, udp or sctp');
    parts.push(...portMatches(protocol, sports, dports));
  }
  if (m.icmpType !== undefined) {
    if (protocol !== 'icmp') throw new Error('an ICMP type needs protocol icmp');
    parts.push(`-m icmp --icmp-type ${m.icmpType}`);
  }
  if (m.states !== undefined) parts.push(`-m conntrack --ctstate ${statesArg(m.states)}`);
  if (m.extra !== undefined) parts.push(m.extra);
  return parts;
}

/** One rule: matches, the id comment naming its config pointer, then the target. */
export function rule(pointer: string, match: MatchSpec, target: string): FwRule {
  const parts = [...matchText(match), `-m comment --comment ${quoted(pointer)}`, `-j ${target}`];
  return { spec: parts.join(' '), pointer };
}

/** LOG target of a rule or policy: rate limited (5/min, iptables' default burst) with a prefix naming it. */
export const LOG_LIMIT = '-m limit --limit 5/min';

export function logTarget(what: string): string {
  // The kernel keeps 29 characters of a log prefix.
  const prefix = `stk ${what}`.slice(0, 28);
  return `LOG --log-prefix ${quoted(`${prefix} `)}`;
}
