// `stockade install DISK [--yes]`: run on a box booted from a stick (or any Stockade disk), lays
// this system down on DISK with the image's layout and a fresh /data, reads it back, and makes
// the data filesystem (src/upgrade/disk-install.ts has the order and why). Refused before a byte
// is written: a partition, a mounted disk, the disk this system runs from, a disk too small, or
// no typed confirmation (--yes skips it).
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command } from './command.ts';
import { parseOptions, usageError } from './options.ts';
import { UPGRADE_DEFAULTS, runningSlot, machineDisk } from './upgrade-disk.ts';
import { versionLine } from './build-info.ts';
import { DiskRegion, blockDeviceSize, bootDisk, checkWholeDisk, makeDataFilesystem, partitionName, rereadPartitions } from '../kernel/index.ts';
import { confirmDiskName, DATA_LABEL, installDisk, mib, progressPrinter, SLOT_LABEL } from '../upgrade/index.ts';

const USAGE = 'DISK [--yes]';
/** What a new box's /data starts with (as scripts/build-image makes it). */
const DATA_DIRS: Record<string, number> = { keys: 0o700, log: 0o755 };

export const installCommand: Command = {
  words: ['install'],
  usage: USAGE,
  summary: 'lay this system down on DISK (GPT, ESP with GRUB, slots A and B, a fresh /data), read it back; for a box booted from a stick',
  help: `usage: stockade install ${USAGE}

Run from the console of a box booted from a Stockade stick: DISK (e.g.
/dev/sda, /dev/vdb, /dev/nvme0n1) gets the layout scripts/flash writes: the
ESP with GRUB, this system in slots A and B, and a fresh data partition over
the rest of the disk. Everything written is read back and compared. Refused:
a partition, a disk with anything mounted, the disk this system runs from.
Asks for DISK's name to be typed unless --yes.
`,
  async run(args, io) {
    const { values, positionals } = parseOptions(installCommand, args, { yes: { type: 'boolean' } });
    if (positionals.length !== 1) throw usageError(installCommand, positionals.length === 0 ? 'which disk? (DISK)' : `unexpected argument '${positionals[1]}'`);
    const device = positionals[0]!;
    const check = checkWholeDisk(device);
    if (!check.ok) throw new UserError(`install: ${check.reason}; nothing written`, EXIT_BAD_INPUT);
    let boot;
    try {
      boot = bootDisk();
    } catch (e) {
      throw new UserError(`install: ${(e as Error).message}, so nothing can be copied from it; nothing written`, EXIT_BAD_INPUT);
    }
    if (boot.disk === check.name) throw new UserError(`install: ${device} is the disk this system runs from: refused, nothing written`, EXIT_BAD_INPUT);
    const running = runningSlot(machineDisk(), UPGRADE_DEFAULTS.cmdline);
    if (!values.yes && !(await confirmDiskName('install', device, check.bytes))) {
      throw new UserError(`install: ${device}: not confirmed (type its name, or --yes); nothing written`, EXIT_BAD_INPUT);
    }

    const source = new DiskRegion(boot.device, 0, blockDeviceSize(boot.device), { writable: false });
    const target = new DiskRegion(device, 0, check.bytes, { writable: true });
    let report;
    try {
      io.err(`install: ${boot.device} (slot ${running}, ${versionLine()}) -> ${device} (${mib(check.bytes)})\n`);
      report = await installDisk({
        source, sourceName: boot.device, target, targetName: device, running,
        onProgress: progressPrinter((t) => io.err(t), process.stderr.isTTY === true),
      });
    } catch (e) {
      if (e instanceof UserError) throw e;
      // planDiskLayout's refusals come before any write; a failure later says where it was.
      throw new UserError(`install: ${(e as Error).message}`);
    } finally {
      source.close();
      target.close();
    }
    io.err(`install: ${mib(report.bytes)} written and read back identical\n`);
    const data = await rereadPartitions(check.name, report.data.number);
    const label = partitionName(data);
    if (label !== DATA_LABEL) throw new UserError(`install: the kernel reads partition ${report.data.number} of ${device} as '${label ?? '?'}', not ${DATA_LABEL}`);
    await makeDataFilesystem(data, DATA_LABEL, DATA_DIRS);
    io.out(`install: ${device} holds this system in slots A and B (${SLOT_LABEL.A}, ${SLOT_LABEL.B}), GRUB boots A first; /data is fresh (${data}, ${mib(report.data.size)})\n`);
    io.out(`install: remove the stick and boot from ${device}\n`);
    return EXIT_OK;
  },
};
