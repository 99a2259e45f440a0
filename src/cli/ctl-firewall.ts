// `stockade ctl firewall`: the daemon's firewall, per rule packets, bytes and the config pointer
// it came from (like iptables -L -v -n), and any drift from the applied ruleset.
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { controlRequest, controlSocketPath } from '../daemon/control.ts';
import { formatDrift, formatTables, type FirewallStatusView, type TableView } from '../firewall/index.ts';
import { terminalSafe } from '../config/terminal-text.ts';

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

export const ctlFirewall: Command = {
  words: ['ctl', 'firewall'],
  usage: '[--json] [--socket PATH]',
  summary: "the daemon's firewall: per rule packets, bytes and config pointer; drift from the applied rules",
  async run(args: readonly string[], io: Io): Promise<number> {
    let json = false;
    let socket: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--json') json = true;
      else if (a === '--socket') {
        socket = args[++i];
        if (socket === undefined) throw new UserError('--socket needs a path', EXIT_BAD_INPUT);
      } else throw new UserError(`unexpected argument '${a}'`, EXIT_BAD_INPUT);
    }
    let view: View;
    try {
      view = (await controlRequest(controlSocketPath(socket), 'firewall.status')) as View;
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    io.out(json ? JSON.stringify(view, null, 2) + '\n' : formatFirewallStatus(view));
    return EXIT_OK;
  },
};
