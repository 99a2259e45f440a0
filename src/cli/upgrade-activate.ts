// `stockade upgrade activate`: the second half of `upgrade install --no-switch`. The slot written
// earlier is read back and must still hash to what was recorded (minutes or days may have passed);
// then the same one write of GRUB's environment as an install's switch (boot it next, once, on
// trial), and the reboot. `upgrade pair` writes both boxes' slots with --no-switch from one stream
// and activates them one after the other (upgrade-pair.ts).
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { parseOptions, usageError } from './upgrade-args.ts';
import { UPGRADE_DEFAULTS, diskFor, runningSlot, withEnv, type Disk } from './upgrade-disk.ts';
import { refuseMasterReboot } from './upgrade-master.ts';
import { rebootNow } from './upgrade-write.ts';
import { controlSocketPath } from '../control/index.ts';
import { DEFAULT_STATE_DIR, SLOT_LABEL, activateRefusal, otherSlot, readState, sha256OfReads, tryOnceVars, type SlotName, type SlotRecord } from '../upgrade/index.ts';

/** Refuses, or switches GRUB to the other slot once its bytes still hash to the recorded install. */
export function activateOther(disk: Disk, running: SlotName, stateDir: string): SlotRecord {
  const target = otherSlot(running);
  const state = readState(stateDir);
  const refused = withEnv(disk, false, (env) => activateRefusal(env.read(), running, state));
  if (refused) throw new UserError(`upgrade activate: ${refused}; nothing was switched`, EXIT_BAD_INPUT);
  const record = state.slots[target]!;
  const region = disk.region(SLOT_LABEL[target], false);
  try {
    const sha = sha256OfReads((o, l) => region.read(o, l), record.size);
    if (sha !== record.sha256) throw new UserError(`upgrade activate: slot ${target} reads back with sha256 ${sha}, not the ${record.sha256} installed (${record.version}): it changed since; install it again. Nothing was switched`, EXIT_BAD_INPUT);
  } finally {
    region.close();
  }
  withEnv(disk, true, (env) => env.set(tryOnceVars(target, running)));
  return record;
}

export const upgradeActivateCommand: Command = {
  words: ['upgrade', 'activate'],
  usage: '[--no-reboot] [--handover|--force] [--state DIR] [--disk IMG]',
  summary: 'boot the slot `upgrade install --no-switch` wrote, on trial: read back and checked, GRUB switched, rebooted',
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseOptions(upgradeActivateCommand, args, {
      'no-reboot': { type: 'boolean' }, handover: { type: 'boolean' }, force: { type: 'boolean' }, state: { type: 'string' }, cmdline: { type: 'string' },
      disk: { type: 'string' }, socket: { type: 'string' },
    });
    if (positionals.length > 0) throw usageError(upgradeActivateCommand, `unexpected argument '${positionals[0]}'`);
    const disk = diskFor(values.disk);
    const running = runningSlot(disk, values.cmdline ?? UPGRADE_DEFAULTS.cmdline);
    const reboot = values['no-reboot'] !== true && values.disk === undefined;
    if (reboot) {
      await refuseMasterReboot(controlSocketPath(values.socket), { handover: values.handover === true, force: values.force === true }, 'upgrade activate', io);
    }
    const record = activateOther(disk, running, values.state ?? DEFAULT_STATE_DIR);
    io.out(`slot ${otherSlot(running)}: ${record.version} read back (sha256 ${record.sha256}); GRUB boots it next, once, on trial, else slot ${running} boots again\n`);
    return reboot ? rebootNow(io) : EXIT_OK;
  },
};
