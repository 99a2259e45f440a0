// `stockade boot`: run by init (inittab sysinit) once per boot; see src/boot/boot.ts.
import { existsSync } from 'node:fs';
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { buildInfo } from './build-info.ts';
import { interpretOnly } from './v8-flags.ts';
import { APPLIANCE_SHARE_DIR, BOOT_HELP, parseBootArgs, realSystem, refuseReason, runBoot } from '../boot/index.ts';
import { settleUpgradeAtBoot } from './upgrade-trial.ts';

export const bootCommand: Command = {
  words: ['boot'],
  usage: '[OPTIONS]',
  summary: 'bring the box up: mounts, modules, port names, network and sysctls, hostname, fail-closed firewall',
  help: BOOT_HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
      io.out(BOOT_HELP);
      return EXIT_OK;
    }
    const options = parseBootArgs(args);
    const refused = refuseReason({ ppid: process.ppid, boardGiven: options.boardGiven === true, applianceShare: existsSync(APPLIANCE_SHARE_DIR) });
    if (refused) throw new UserError(refused, EXIT_BAD_INPUT);
    interpretOnly();
    const code = await runBoot(options, realSystem, io, buildInfo.version);
    // On the appliance only (a named board is a test in a namespace, far from any slot): the
    // upgrade trial's input, and the slots settled (boots are counted only during a trial).
    if (!options.boardGiven) settleUpgradeAtBoot(code, io);
    return code;
  },
};
