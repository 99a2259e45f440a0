// `stockade ctl segments [--json]`: groups, hosts with MAC/IP and lease state, DHCP servers, the
// public address map, and the firewall's counters of each group's rules and each public address
// (names come from the config: each line made safe for the terminal).
import { EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { controlRequest, controlSocketPath } from '../control/index.ts';
import { jsonAndSocket } from './options.ts';
import { terminalSafe } from '../config/index.ts';
import type { TableView } from '../firewall/index.ts';
import { formatSegments, type SegmentsView } from '../segments/index.ts';

/** Packets per config pointer, over every table's rules (a pointer's rules summed: DNAT and SNAT of one address). */
export function countersByPointer(tables: readonly TableView[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of tables) for (const c of t.chains) for (const r of c.rules) {
    if (r.pointer !== undefined && r.pointer.startsWith('/segments/')) out.set(r.pointer, (out.get(r.pointer) ?? 0) + r.packets);
  }
  return out;
}

export const ctlSegments: Command = {
  words: ['ctl', 'segments'],
  usage: '[--json] [--socket PATH]',
  summary: "the daemon's segments: groups, hosts with MAC/IP and lease state, DHCP servers, public address map, rule counters",
  async run(args: readonly string[], io: Io): Promise<number> {
    const { json, socket } = jsonAndSocket(ctlSegments, args);
    const path = controlSocketPath(socket);
    let view: SegmentsView;
    try {
      view = (await controlRequest(path, 'segments.status')) as SegmentsView;
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    // Counters are a bonus: a firewall the daemon does not manage has none.
    const fw = (await controlRequest(path, 'firewall.status').catch(() => undefined)) as { tables?: TableView[] } | undefined;
    const counters = fw?.tables && fw.tables.length > 0 ? countersByPointer(fw.tables) : undefined;
    if (json) io.out(JSON.stringify({ ...view, counters: counters ? Object.fromEntries(counters) : null }, null, 2) + '\n');
    else io.out(formatSegments(view, counters).split('\n').map(terminalSafe).join('\n'));
    return EXIT_OK;
  },
};
