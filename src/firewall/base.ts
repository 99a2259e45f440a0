// The fail-closed base firewall `stockade boot` installs before anything else listens: nothing
// reaches or crosses the box except loopback, replies to its own traffic, ping and the management
// API on the management interfaces (from the allowed sources, when any are given). The daemon's
// full firewall replaces it; if the daemon never starts, the box stays like this.
//
// IPv6 gets the same policies with no openings: the config is IPv4-only, and a kernel that
// brings up IPv6 link-local addresses would otherwise leave every listening socket reachable.
//
// Pure: config in, iptables-restore text out (one text per family and table, applied one table
// per run). Rules are written the way iptables-save prints them back, so what the kernel holds can
// be compared with what was generated line by line.
import type { Config } from '../config/generated/config.ts';
import { formatPrefix, parsePrefix } from '../config/ipv4.ts';
import type { IpFamily, IptablesTable } from '../kernel/iptables-restore.ts';

export interface BaseFirewallSpec {
  /** Interfaces the management API answers on; none: console only (no API, no ping). */
  readonly managementInterfaces: readonly string[];
  /** Sources allowed to reach the API (addresses or CIDRs); none: any on those interfaces. */
  readonly allowedSources: readonly string[];
  readonly apiPort: number;
}

export interface RulesetTable {
  readonly family: IpFamily;
  readonly table: IptablesTable;
  /** iptables-restore input holding exactly this table. */
  readonly text: string;
}

/**
 * Kernel modules the base rules need with iptables' nf_tables backend. The kernel runs the rules
 * as native nftables expressions (iifname, ip saddr, tcp dport, icmp type, ct state: nf_tables,
 * and nft_ct with nf_conntrack), but iptables-nft first asks the kernel, through nft_compat,
 * whether each xtables match it parses exists: conntrack (xt_conntrack), tcp (xt_tcpudp) and
 * icmp (registered by ip_tables). Without them iptables-restore refuses the rule ("Extension
 * icmp revision 0 not supported, missing kernel module?", seen on Debian's 6.1 kernel).
 */
export const BASE_FIREWALL_MODULES: readonly string[] = ['nf_tables', 'nft_compat', 'nf_conntrack', 'nft_ct', 'xt_conntrack', 'xt_tcpudp', 'ip_tables'];

export function baseFirewallSpec(config: Config): BaseFirewallSpec {
  return {
    managementInterfaces: config.management.interfaces,
    allowedSources: config.management.allowed_sources,
    apiPort: config.management.api_port,
  };
}

/** "192.0.2.10" -> "192.0.2.10/32", as iptables-save prints a source. */
function sourceArg(text: string): string {
  const prefix = parsePrefix(text);
  if (!prefix) throw new Error(`not an IPv4 address or network: ${JSON.stringify(text)}`);
  return formatPrefix(prefix);
}

const HEADER = '# stockade base firewall (fail-closed), loaded by stockade boot';

function policies(): string[] {
  return [':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
}

function commonInput(): string[] {
  return [
    '-A INPUT -i lo -j ACCEPT',
    '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A INPUT -m conntrack --ctstate INVALID -j DROP',
  ];
}

// The config schema already restricts both; checked again because they are pasted into rule text.
const IFNAME = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

function checked(spec: BaseFirewallSpec): void {
  for (const ifname of spec.managementInterfaces) {
    if (!IFNAME.test(ifname)) throw new Error(`not an interface name: ${JSON.stringify(ifname)}`);
  }
  if (!Number.isInteger(spec.apiPort) || spec.apiPort < 1 || spec.apiPort > 65535) throw new Error(`not a port: ${spec.apiPort}`);
}

export function ipv4FilterRules(spec: BaseFirewallSpec): string[] {
  checked(spec);
  const rules = commonInput();
  const sources = spec.allowedSources.map(sourceArg);
  for (const ifname of spec.managementInterfaces) {
    rules.push(`-A INPUT -i ${ifname} -p icmp -m icmp --icmp-type 8 -j ACCEPT`);
    if (sources.length === 0) {
      rules.push(`-A INPUT -i ${ifname} -p tcp -m tcp --dport ${spec.apiPort} -j ACCEPT`);
    } else {
      for (const source of sources) rules.push(`-A INPUT -s ${source} -i ${ifname} -p tcp -m tcp --dport ${spec.apiPort} -j ACCEPT`);
    }
  }
  return rules;
}

function tableText(table: IptablesTable, chains: string[], rules: string[]): string {
  return [HEADER, `*${table}`, ...chains, ...rules, 'COMMIT', ''].join('\n');
}

/** The base ruleset, in the order to apply it. */
export function baseRuleset(spec: BaseFirewallSpec): RulesetTable[] {
  return [
    { family: 'ipv4', table: 'filter', text: tableText('filter', policies(), ipv4FilterRules(spec)) },
    { family: 'ipv6', table: 'filter', text: tableText('filter', policies(), commonInput()) },
  ];
}

/**
 * The fallback when the base ruleset cannot be loaded (a module missing, say): the same policies
 * with loopback only, which needs nothing but nf_tables. The box is then reachable only from
 * its console, which is safer than open.
 */
export function lockdownTable(family: IpFamily): RulesetTable {
  return { family, table: 'filter', text: tableText('filter', policies(), ['-A INPUT -i lo -j ACCEPT']) };
}

/** One line for the boot report: what the base firewall lets in besides replies and loopback. */
export function describeBaseFirewall(spec: BaseFirewallSpec): string {
  if (spec.managementInterfaces.length === 0) return 'nothing in (no management interface: console only)';
  const from = spec.allowedSources.length > 0 ? ` from ${spec.allowedSources.join(', ')}` : '';
  return `tcp/${spec.apiPort}${from} and ping in on ${spec.managementInterfaces.join(', ')}`;
}
