// `stockade ctl sync`: conntrackd's commands against the running daemon's conntrack sync.
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { controlRequest, controlSocketPath, formatEntry, formatSyncStatus, type SyncCommitView, type SyncEntryView, type SyncStatusView } from '../control/index.ts';
import { wrapLongLines } from '../common/index.ts';

const USAGE = `usage: stockade ctl sync ACTION [--json] [--socket PATH]

  -s          statistics (like conntrackd -s)
  -i          dump the internal cache (this box's connections), one a line
              like conntrack -L
  -e          dump the external cache (the peer's connections)
  -c          commit the external cache to the kernel
  -R          resync the internal cache from the kernel
  -n          ask the peer for a resync (its whole table)
  -B          bulk send: the whole internal cache to the peer
  -f [internal|external]   flush the caches (both by default)
  --json      the daemon's answer as JSON
  --socket PATH            the control socket (default $STOCKADE_SOCKET
                           or /run/stockade.sock)
`;

/** Kernel commits and dumps of large tables take longer than a status answer. */
const SLOW_TIMEOUT_MS = 120_000;

type Action = 's' | 'i' | 'e' | 'c' | 'R' | 'n' | 'B' | 'f';
const ACTIONS: ReadonlySet<string> = new Set(['s', 'i', 'e', 'c', 'R', 'n', 'B', 'f']);

class BadUsage extends Error {}

function parse(args: readonly string[]): { action: Action; json: boolean; socket: string | undefined; cache: string | undefined } {
  let action: Action | undefined;
  let json = false;
  let socket: string | undefined;
  let cache: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--socket') {
      socket = args[++i];
      if (socket === undefined) throw new BadUsage('--socket needs a path');
    } else if (a.length === 2 && a[0] === '-' && ACTIONS.has(a[1]!)) {
      if (action !== undefined) throw new BadUsage(`one action at a time (-${action} and ${a})`);
      action = a[1] as Action;
      if (action === 'f' && (args[i + 1] === 'internal' || args[i + 1] === 'external')) cache = args[++i];
    } else throw new BadUsage(`unexpected argument '${a}'`);
  }
  if (action === undefined) throw new BadUsage('an action is needed');
  return { action, json, socket, cache };
}

export const ctlSync: Command = {
  words: ['ctl', 'sync'],
  usage: '-s|-i|-e|-c|-R|-n|-B|-f [--json] [--socket PATH]',
  summary: "the daemon's conntrack sync: statistics, caches, commit, resync (like conntrackd)",
  help: USAGE,
  async run(args: readonly string[], io: Io): Promise<number> {
    if (args.includes('--help') || args.includes('-h')) {
      io.out(USAGE);
      return EXIT_OK;
    }
    let p: ReturnType<typeof parse>;
    try {
      p = parse(args);
    } catch (e) {
      if (!(e instanceof BadUsage)) throw e;
      io.err(`stockade ctl sync: ${e.message}\n${USAGE}`);
      return EXIT_BAD_INPUT;
    }
    const path = controlSocketPath(p.socket);
    const ask = async (method: string, params?: unknown, timeoutMs?: number): Promise<unknown> => {
      try {
        return await controlRequest(path, method, params, timeoutMs);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
    };
    // Entry dumps (-i, -e) stay one entry per line, as conntrack -L and conntrackd -i print them
    // (and scripts read them); the other views wrap lines past column 79.
    const print = (value: unknown, text: () => string, dump = false): void => io.out(p.json ? JSON.stringify(value, null, 2) + '\n' : dump ? text() : wrapLongLines(text()));
    switch (p.action) {
      case 's': {
        const s = (await ask('sync.status')) as SyncStatusView;
        print(s, () => formatSyncStatus(s));
        break;
      }
      case 'i':
      case 'e': {
        const entries = (await ask('sync.dump', { cache: p.action === 'i' ? 'internal' : 'external' }, SLOW_TIMEOUT_MS)) as SyncEntryView[];
        print(entries, () => entries.map((e) => formatEntry(e) + '\n').join(''), true);
        break;
      }
      case 'c': {
        const r = (await ask('sync.commit', undefined, SLOW_TIMEOUT_MS)) as SyncCommitView;
        print(r, () => `committed ${r.committed} entries to the kernel in ${r.ms} ms${r.failed > 0 ? `; ${r.failed} refused (${r.errors.join(', ')})` : ''}\n`);
        break;
      }
      case 'R': {
        const r = (await ask('sync.resync', undefined, SLOW_TIMEOUT_MS)) as { internal: number };
        print(r, () => `internal cache resynced from the kernel: ${r.internal} entries\n`);
        break;
      }
      case 'n': {
        const r = await ask('sync.request-resync');
        print(r, () => 'resync requested from the peer\n');
        break;
      }
      case 'B': {
        const r = (await ask('sync.bulk-send')) as { queued: number };
        print(r, () => `bulk send: ${r.queued} entries queued for the peer\n`);
        break;
      }
      case 'f': {
        const r = (await ask('sync.flush', { cache: p.cache ?? 'both' })) as { flushed: Record<string, number> };
        print(r, () => `flushed ${Object.entries(r.flushed).map(([k, n]) => `${k} (${n} entries)`).join(', ')}\n`);
        break;
      }
    }
    return EXIT_OK;
  },
};
