// `stockade console`: the serial-console menu on the board's console tty (init respawns it). Its
// own process: the daemon's faults or absence never stop it, and its own never touch VRRP or
// sync (it only asks the daemon over the control socket).
import { readFileSync } from 'node:fs';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { versionLine } from './build-info.ts';
import { BOARD_DEFAULT_CONFIG_FILE as DEFAULT_BOARD_CONFIG_FILE, SAVED_CONFIG_FILE as DEFAULT_CONFIG_FILE, loadBoardFile, loadConfigFile } from '../config/index.ts';
import { slotFromCmdline } from '../boot/index.ts';
import { controlSocketPath, CONTROL_SOCKET_ENV, DEFAULT_CONTROL_SOCKET } from '../control/index.ts';
import { SystemHost, daemonTransaction, realTimers, runConsole, type UpgradeAction } from '../console/index.ts';
import { upgradeMarkGoodCommand, upgradeRollbackCommand, upgradeStatusCommand } from './upgrade-commands.ts';
import { KERNEL_CMDLINE_FILE, openSerialPort } from '../kernel/index.ts';

const BOARD_FILE = '/usr/share/stockade/board.json';
const LOG_FILE = '/run/stockade.log';
const BAUDS = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600];

const HELP = `usage: stockade console [--tty DEV] [--baud N] [--config FILE] [--socket PATH]

Runs the console menu on a serial line (8N1, raw; the tty is locked against a
second console): log in, then status, assign ports (link watch, labels to
NICs), an interface's address, VRRP quick settings, config (diff, history,
rollback, board default), the console password, log, ping, traceroute,
diagnose LVS, upgrade (slots, mark good, boot the other), reboot and halt.
Changes go through the daemon's config transaction with its commit-confirm
countdown. It asks the daemon over its control socket and works on while it
is down.

  --tty DEV      the tty: a name (ttyS0) or a path (default: console.device,
                 else the board's console)
  --baud N       line speed (default: console.baud)
  --config FILE  the saved config (default ${DEFAULT_CONFIG_FILE}; when it does
                 not load, ${DEFAULT_BOARD_CONFIG_FILE})
  --socket PATH  the daemon's control socket (default $${CONTROL_SOCKET_ENV}
                 or ${DEFAULT_CONTROL_SOCKET})
  --log FILE     the daemon's log, for the Log screen (default
                 ${LOG_FILE})
  --session      one login only: logout ends the command (an SSH session);
                 without it the login prompt comes back for the next person
`;

const UPGRADE_COMMANDS: Readonly<Record<UpgradeAction, Command>> = { status: upgradeStatusCommand, 'mark-good': upgradeMarkGoodCommand, rollback: upgradeRollbackCommand };

/** The console's Upgrade screen runs the upgrade commands themselves, their output captured. */
async function runUpgradeCommand(action: UpgradeAction): Promise<{ ok: boolean; text: string }> {
  let text = '';
  const io: Io = { out: (t) => { text += t; }, err: (t) => { text += t; } };
  try {
    const code = await UPGRADE_COMMANDS[action].run([], io);
    return { ok: code === EXIT_OK, text };
  } catch (e) {
    return { ok: false, text: `${text}${(e as Error).message}` };
  }
}

function readCmdline(): string | undefined {
  try { return readFileSync(KERNEL_CMDLINE_FILE, 'utf8'); } catch { return undefined; }
}

export const consoleCommand: Command = {
  words: ['console'],
  usage: '[--tty DEV] [--baud N]',
  summary: 'the serial-console menu (init runs it on the console tty)',
  help: HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    let tty: string | undefined;
    let baud: number | undefined;
    let configFile = DEFAULT_CONFIG_FILE;
    let socket: string | undefined;
    let logFile = LOG_FILE;
    let session = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const value = (): string => {
        const v = args[++i];
        if (v === undefined) throw new UserError(`${a} needs a value`, EXIT_BAD_INPUT);
        return v;
      };
      if (a === '--help' || a === '-h') { io.out(HELP); return EXIT_OK; }
      else if (a === '--tty') tty = value();
      else if (a === '--baud') {
        const v = value();
        baud = Number(v);
        if (!BAUDS.includes(baud)) throw new UserError(`--baud ${v}: expected one of ${BAUDS.join(', ')}`, EXIT_BAD_INPUT);
      } else if (a === '--config') configFile = value();
      else if (a === '--socket') socket = value();
      else if (a === '--log') logFile = value();
      else if (a === '--session') session = true;
      else throw new UserError(`unexpected argument '${a}'; see 'stockade console --help'`, EXIT_BAD_INPUT);
    }
    const configFiles = [configFile, DEFAULT_BOARD_CONFIG_FILE];
    const loaded = configFiles.map((f) => loadConfigFile(f)).find((r) => r.ok);
    const consoleConfig = loaded?.ok ? loaded.config.console : undefined;
    const board = loadBoardFile(BOARD_FILE);
    const device = tty ?? consoleConfig?.device ?? (board.ok ? board.board.console.device : undefined);
    if (device === undefined) throw new UserError(`no tty: give --tty, or set console.device (no board file at ${BOARD_FILE})`, EXIT_BAD_INPUT);
    const path = device.startsWith('/') ? device : `/dev/${device}`;
    const speed = baud ?? consoleConfig?.baud ?? 115200;
    let port;
    try {
      port = await openSerialPort({ path, baudRate: speed });
    } catch (e) {
      throw new UserError(`cannot open the console: ${(e as Error).message}`, EXIT_FAILURE);
    }
    const log = (m: string): void => io.err(`stockade console[${process.pid}]: ${m}\n`);
    log(`on ${path} at ${speed} baud`);
    const host = new SystemHost({
      configFiles, socketPath: controlSocketPath(socket), logFile,
      identity: { version: versionLine(), slot: slotFromCmdline(readCmdline()) },
      upgrade: (action) => runUpgradeCommand(action),
    });
    // Changes (the first login's password today) go through the daemon's config transaction.
    await runConsole(port, { host, timers: realTimers, log, transaction: daemonTransaction(controlSocketPath(socket)), session });
    await port.close();
    // Init starts it again (serial): a fresh line discipline and a fresh login prompt.
    return EXIT_OK;
  },
};
