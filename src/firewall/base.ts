// The fail-closed base firewall `stockade boot` installs before anything else listens: nothing
// reaches or crosses the box except loopback, replies to its own traffic, ICMP errors, and what
// the config's own parts need (system-rules.ts: VRRP adverts, conntrack sync, heartbeats, DHCP
// renewals, SSH (when it runs) and ping on the management interfaces). With those in, an HA
// pair elects one master before the daemon runs. The daemon's full firewall replaces it; if the
// daemon never starts, the box stays like this.
//
// IPv6 gets the same policies with no openings: the config is IPv4-only, and a kernel that
// brings up IPv6 link-local addresses would otherwise leave every listening socket reachable.
//
// Pure: config in, iptables-restore text out (one text per family and table, applied one table
// per run), in the layout of the full ruleset (compile.ts) so the daemon's first apply changes
// only what differs.
import type { Config } from '../config/index.ts';
import type { IpFamily, IptablesTable } from '../kernel/index.ts';
import { compileRuleset } from './compile.ts';
import { fullTableText } from './render.ts';
import { sshEnabled } from '../ssh/index.ts';

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
 * whether each xtables match it parses exists: conntrack (xt_conntrack), tcp and udp
 * (xt_tcpudp), comment (xt_comment), icmp (registered by ip_tables) and mark (xt_mark: LVS
 * firewall-mark services). Without them
 * iptables-restore refuses the rule ("Extension icmp revision 0 not supported, missing kernel
 * module?", seen on Debian's 6.1 kernel).
 */
export const BASE_FIREWALL_MODULES: readonly string[] = ['nf_tables', 'nft_compat', 'nf_conntrack', 'nft_ct', 'xt_conntrack', 'xt_tcpudp', 'xt_comment', 'ip_tables', 'xt_mark'];

const HEADER = '# stockade base firewall (fail-closed), loaded by stockade boot';

/** The base ruleset, in the order to apply it. Throws on what a validated config cannot hold. */
export function baseRuleset(config: Config): RulesetTable[] {
  return compileRuleset(config, { scope: 'boot' }).tables.map((t) => ({ family: t.family, table: t.table, text: fullTableText(t, HEADER).text }));
}

/**
 * The fallback when the base ruleset cannot be loaded (a module missing, say): the same policies
 * with loopback only, which needs nothing but nf_tables. The box is then reachable only from
 * its console, which is safer than open.
 */
export function lockdownTable(family: IpFamily): RulesetTable {
  return { family, table: 'filter', text: [HEADER, '*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -i lo -j ACCEPT', 'COMMIT', ''].join('\n') };
}

/** One line for the boot report: what the base firewall lets in besides replies and loopback. */
export function describeBaseFirewall(config: Config): string {
  const m = config.management;
  const parts: string[] = [];
  if (m.interfaces.length === 0) parts.push('nothing in (no management interface: console only)');
  else if (!sshEnabled(config)) parts.push(`ping in on ${m.interfaces.join(', ')} (no SSH: no management.ssh_authorized_keys)`);
  else parts.push(`SSH tcp/${m.ssh_port}${m.allowed_sources.length > 0 ? ` from ${m.allowed_sources.join(', ')}` : ''} and ping in on ${m.interfaces.join(', ')}`);
  const vrrp = [...new Set(config.vrrp.instances.map((i) => i.interface))];
  if (vrrp.length > 0) parts.push(`VRRP on ${vrrp.join(', ')}`);
  const sync = config.sync;
  if (sync && sync.enabled && !sync.stats_only) parts.push(`sync on ${sync.interface}`);
  const hb = config.vrrp.accelerated_failover;
  if (hb && hb.enabled) parts.push(`heartbeats on ${hb.interface}`);
  const dhcp = config.addresses.filter((a) => a.dhcp).map((a) => a.interface);
  if (dhcp.length > 0) parts.push(`DHCP on ${dhcp.join(', ')}`);
  return parts.join('; ');
}
