// `stockade daemon`: run by init (inittab respawn); see src/daemon/daemon.ts.
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { buildInfo } from './build-info.ts';
import { CONTROL_SOCKET_ENV, DEFAULT_CONTROL_SOCKET, controlSocketPath } from '../control/index.ts';
import { BOARD_DEFAULT_CONFIG_FILE, SAVED_CONFIG_FILE } from '../config/index.ts';
import { EXIT_CRASH, installCrashGuard, lineLog, startDaemon, type DaemonHandle } from '../daemon/index.ts';
import { LOG_MAX_BYTES, rotatingLog } from '../kernel/index.ts';
import { keepBytecode } from './v8-flags.ts';

const HELP = `usage: stockade daemon [--config FILE] [--default-config FILE|none]
                       [--socket PATH] [--log FILE]

Runs the configured VRRP instances and conntrack sync (the config's sync
section) and serves the control socket until SIGTERM, which sends priority-0
adverts from every MASTER, removes the VIPs and closes the sync sockets before
exiting. An internal fault (uncaught exception, unhandled rejection) is logged
with its stack and makes the same stop, then exit status ${EXIT_CRASH}.

  --config FILE          the config (default ${SAVED_CONFIG_FILE})
  --default-config FILE  used when the config does not load; none: no fallback
                         (default ${BOARD_DEFAULT_CONFIG_FILE})
  --socket PATH          the control socket (default $${CONTROL_SOCKET_ENV}
                         or ${DEFAULT_CONTROL_SOCKET})
  --log FILE             log there instead of stdout, at most ${LOG_MAX_BYTES / 1024} KiB; then
                         FILE.1 (the image's init uses /run/stockade.log)
`;

export const daemonCommand: Command = {
  words: ['daemon'],
  usage: '[--config FILE] [--default-config FILE|none] [--socket PATH] [--log FILE]',
  summary: 'run VRRP, conntrack sync and the control socket (init respawns it)',
  help: HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    let configFile = SAVED_CONFIG_FILE;
    let defaultConfigFile: string | undefined = BOARD_DEFAULT_CONFIG_FILE;
    let socket: string | undefined;
    let logFile: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const value = (): string => {
        const v = args[++i];
        if (v === undefined) throw new UserError(`${a} needs a value`, EXIT_BAD_INPUT);
        return v;
      };
      if (a === '--help' || a === '-h') {
        io.out(HELP);
        return EXIT_OK;
      } else if (a === '--config') configFile = value();
      else if (a === '--default-config') {
        const v = value();
        defaultConfigFile = v === 'none' ? undefined : v;
      } else if (a === '--socket') socket = value();
      else if (a === '--log') logFile = value();
      else throw new UserError(`unexpected argument '${a}'; see 'stockade daemon --help'`, EXIT_BAD_INPUT);
    }
    let write: (line: string) => void = (line) => io.out(line);
    if (logFile !== undefined) {
      try {
        write = rotatingLog(logFile);
      } catch (e) {
        throw new UserError(`--log ${logFile}: ${(e as Error).message}`, EXIT_BAD_INPUT);
      }
    }
    const log = lineLog(write);
    keepBytecode();
    let handle: DaemonHandle | undefined;
    // In place before anything starts: a fault during start-up is logged and exits non-zero too.
    const guard = installCrashGuard(process, log, async (reason) => {
      if (handle) await handle.stop(reason, EXIT_CRASH);
      else process.exitCode = EXIT_CRASH;
    });
    try {
      handle = await startDaemon({
        configFile, defaultConfigFile, socketPath: controlSocketPath(socket),
        // Test builds are the same executable: the hook is keyed to the environment, which the
        // image's inittab never sets (see src/daemon/daemon.ts).
        testHooks: process.env['STOCKADE_TEST_HOOKS'] === '1', logStats: log.stats,
        persistPauseMs: Number(process.env['STOCKADE_TEST_PERSIST_PAUSE_MS'] ?? 0) || 0,
      }, log, buildInfo.version);
    } catch (e) {
      guard.uninstall();
      throw new UserError(`daemon: ${(e as Error).message}`, EXIT_FAILURE);
    }
    const onSignal = (sig: NodeJS.Signals) => void handle.stop(sig);
    // SIGHUP: the saved config applied live, as keepalived and conntrackd reload on it.
    const onHup = () => void handle!.reload();
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onHup);
    const code = await handle.done;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHup);
    guard.uninstall();
    return code;
  },
};
