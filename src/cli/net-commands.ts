// `stockade net ...`: the network as the kernel sees it. Reads only; the network setup issue adds
// plan/apply beside it.
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { NETLINK_ROUTE } from '../kernel/netlink/constants.ts';
import { NetlinkSocket } from '../kernel/netlink/socket.ts';
import { listLinks, type Link } from '../kernel/rtnetlink/link.ts';
import { IFF_LOWER_UP, IFF_UP } from '../kernel/rtnetlink/constants.ts';

export function linkState(flags: number): 'up' | 'down' | 'no-carrier' {
  if (!(flags & IFF_UP)) return 'down';
  return flags & IFF_LOWER_UP ? 'up' : 'no-carrier';
}

export function formatLinks(links: readonly Link[]): string {
  const rows = [
    ['INDEX', 'NAME', 'STATE', 'MTU', 'MAC'],
    ...[...links]
      .sort((a, b) => a.index - b.index)
      .map((l) => [String(l.index), l.name, linkState(l.flags), l.mtu === undefined ? '-' : String(l.mtu), l.address ?? '-']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n').join('');
}

const netLinks: Command = {
  words: ['net', 'links'],
  usage: '[--json]',
  summary: 'list the network interfaces as the kernel reports them',
  async run(args: readonly string[], io: Io): Promise<number> {
    const json = args.includes('--json');
    const unknown = args.filter((a) => a !== '--json');
    if (unknown.length) {
      io.err(`stockade: net links: unexpected argument '${unknown[0]}' (usage: stockade net links [--json])\n`);
      return EXIT_BAD_INPUT;
    }
    let sock: NetlinkSocket;
    try {
      sock = NetlinkSocket.open(NETLINK_ROUTE);
    } catch (err) {
      throw new UserError(`net links: cannot open a netlink socket: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      const links = await listLinks(sock);
      io.out(json ? JSON.stringify(links.map((l) => ({ ...l, state: linkState(l.flags) }))) + '\n' : formatLinks(links));
      return EXIT_OK;
    } finally {
      sock.close();
    }
  },
};

export const netCommands: readonly Command[] = [netLinks];
