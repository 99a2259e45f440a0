// Where the upgrade commands find the slots, GRUB's environment, the state and the config: this
// machine's partitions (by GPT label on the disk / is mounted from, src/kernel/boot-disk.ts), or a disk image file with
// `--disk IMAGE` (build host, tests), where the slot GRUB tries first counts as the running one.
import { existsSync, readFileSync } from 'node:fs';
import { EXIT_BAD_INPUT, UserError } from './command.ts';
import { formatConfigError, loadConfigFile, type Config } from '../config/index.ts';
import { slotFromCmdline } from '../boot/index.ts';
import { DiskRegion, KERNEL_CMDLINE_FILE, openPartition } from '../kernel/index.ts';
import { ESP_LABEL, GrubEnvFile, applyPlan, partitionRange, readGptPartitions, readState, type GrubEnv, type Plan, type SlotName, type UpgradeState } from '../upgrade/index.ts';

export const UPGRADE_DEFAULTS = {
  config: '/data/config.json',
  defaultConfig: '/usr/share/stockade/default-config.json',
  board: '/usr/share/stockade/board.json',
  cmdline: KERNEL_CMDLINE_FILE,
};

/** Where the slots and GRUB's environment are: this machine's partitions, or a disk image. */
export interface Disk {
  region(label: string, writable: boolean): DiskRegion;
  describe(label: string): string;
  /** The image file, for --disk. */
  readonly image?: string;
}

export function machineDisk(): Disk {
  return {
    region: (label, writable) => {
      try {
        return openPartition(label, { writable });
      } catch (e) {
        // Which disk and why (boot-disk.ts): a user's answer, not a crash.
        throw new UserError((e as Error).message);
      }
    },
    describe: (label) => `partition ${label}`,
  };
}

export function imageDisk(image: string): Disk {
  if (!existsSync(image)) throw new UserError(`${image}: no such disk image`, EXIT_BAD_INPUT);
  const probe = new DiskRegion(image, 0, 1 << 20, { writable: false });
  const parts = (() => {
    try {
      return readGptPartitions((o, l) => probe.read(o, l), image);
    } finally {
      probe.close();
    }
  })();
  return {
    image,
    region: (label, writable) => {
      const p = parts.find((q) => q.name === label);
      if (!p) throw new UserError(`${image}: no partition named ${label}`, EXIT_BAD_INPUT);
      const { offset, size } = partitionRange(p);
      return new DiskRegion(image, offset, size, { writable });
    },
    describe: (label) => `${image} partition ${label}`,
  };
}

export function diskFor(image: string | undefined): Disk {
  return image ? imageDisk(image) : machineDisk();
}

export function withEnv<T>(disk: Disk, writable: boolean, f: (env: GrubEnvFile) => T): T {
  const esp = disk.region(ESP_LABEL, writable);
  try {
    return f(new GrubEnvFile(esp));
  } finally {
    esp.close();
  }
}

/**
 * Reads GRUB's environment and the upgrade state, writes the plan `decide` makes of them (it may
 * throw to refuse: nothing is written), and returns the plan with the environment after it.
 */
export function applySlotPlan(disk: Disk, stateDir: string, decide: (env: GrubEnv, state: UpgradeState) => Plan): { plan: Plan; after: GrubEnv } {
  return withEnv(disk, true, (file) => {
    const plan = decide(file.read(), readState(stateDir));
    applyPlan(plan, file, stateDir);
    return { plan, after: file.read() };
  });
}

/** The running slot: the kernel command line's, or in a disk image the first one GRUB would try. */
export function runningSlot(disk: Disk, cmdline: string): SlotName {
  if (disk.image) {
    const first = withEnv(disk, false, (env) => env.read().ORDER?.split(' ')[0]);
    if (first !== 'A' && first !== 'B') throw new UserError(`${disk.image}: GRUB's ORDER does not start with A or B`);
    return first;
  }
  const slot = cmdlineSlot(cmdline);
  if (slot === undefined) throw new UserError(`cannot tell the running slot: no stockade.slot=A|B in ${cmdline} (not booted from a Stockade disk?)`);
  return slot;
}

/** The slot the kernel command line names, or undefined. */
export function cmdlineSlot(cmdline: string): SlotName | undefined {
  let text: string | undefined;
  try {
    text = readFileSync(cmdline, 'utf8');
  } catch {
    text = undefined;
  }
  const slot = slotFromCmdline(text);
  return slot === '?' ? undefined : slot;
}

/** The config as boot picks it: the saved file, else the board's default when there is none. */
export function loadUpgradeConfig(file: string, defaultFile: string, why = 'the trusted keys come from the config'): { config: Config; file: string } {
  const chosen = existsSync(file) ? file : existsSync(defaultFile) ? defaultFile : undefined;
  if (chosen === undefined) throw new UserError(`no config: neither ${file} nor ${defaultFile} exists, so no key is trusted and upgrades are refused`, EXIT_BAD_INPUT);
  const loaded = loadConfigFile(chosen);
  if (!loaded.ok) throw new UserError(`${formatConfigError(chosen, loaded.errors[0]!)} (${why})`, EXIT_BAD_INPUT);
  return { config: loaded.config, file: chosen };
}
