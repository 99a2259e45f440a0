// `stockade ctl firewall`: the daemon's firewall, per rule packets, bytes and the config pointer
// it came from (like iptables -L -v -n), and any drift from the applied ruleset.
import type { Command } from './command.ts';
import { statusCommand } from './ctl-status.ts';
import { formatDrift, formatTables, type FirewallStatusView, type TableView } from '../firewall/index.ts';
import { terminalSafe } from '../config/index.ts';

type View = FirewallStatusView & { tables: TableView[] };

export function formatFirewallStatus(v: View): string {
  if (!v.managed) return 'firewall: not managed by the daemon (no stockade ruleset was in the kernel at its start)\n';
  let out = formatTables(v.tables);
  if (v.error !== null) out += `firewall: NOT APPLIED: ${v.error}\n`;
  else out += `firewall: applied ${v.appliedAt ?? '-'}; checked ${v.checkedAt ?? '-'}\n`;
  const drift = formatDrift(v.drift);
  if (drift.length === 0) out += 'drift: none (the kernel holds the applied rules)\n';
  else out += `drift: the kernel differs from the applied rules (stockade firewall apply restores them):\n${drift.map((l) => `  ${l}\n`).join('')}`;
  return out.split('\n').map(terminalSafe).join('\n');
}

export const ctlFirewall: Command = statusCommand<View>(
  'firewall',
  'firewall.status',
  "the daemon's firewall: per rule packets, bytes and config pointer; drift from the applied rules",
  formatFirewallStatus,
);
