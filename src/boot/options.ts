// `stockade boot` flags. On the appliance it runs with none (init starts it); the flags point it
// at other files and leave out kernel-wide steps so the lab tier can run it inside a network
// namespace.
import { EXIT_BAD_INPUT, UserError } from '../common/index.ts';
import { APPLIANCE_SHARE_DIR, BOARD_DEFAULT_CONFIG_FILE, BOARD_FILE, SAVED_CONFIG_FILE } from '../config/index.ts';
import { KERNEL_CMDLINE_FILE } from '../kernel/index.ts';
import { SKIPPABLE_STEPS, type BootStep } from './plan.ts';

export interface BootOptions {
  /** Whether --board was given (tests and deliberate runs name their board). */
  readonly boardGiven?: boolean;
  readonly boardFile: string;
  readonly configFile: string;
  readonly defaultConfigFile: string;
  readonly cmdlineFile: string;
  readonly skip: ReadonlySet<BootStep>;
}

export const DEFAULT_BOOT_OPTIONS: BootOptions = {
  boardFile: BOARD_FILE,
  configFile: SAVED_CONFIG_FILE,
  defaultConfigFile: BOARD_DEFAULT_CONFIG_FILE,
  cmdlineFile: KERNEL_CMDLINE_FILE,
  skip: new Set(),
};

export const BOOT_USAGE = '[--board FILE] [--config FILE] [--default-config FILE] [--cmdline FILE] [--skip STEP,...]';

export const BOOT_HELP = `usage: stockade boot [--board FILE] [--config FILE] [--default-config FILE]
                     [--cmdline FILE] [--skip STEP,...]

Brings the box up at startup (init runs it): mounts /dev/pts, /run, /tmp and
the data partition, reads the board file and the config (falling back to the
board default), loads the kernel modules, names the ports by their labels,
builds the config's network (links, bonds, VLANs, bridges, addresses, routes,
rules, sysctls: the same apply as \`stockade net apply\`, rolled back as a whole
if the kernel refuses a change), sets the hostname, and loads the fail-closed
base firewall. Prints one line per step, a summary, and last
"stockade: boot complete (<version>, slot <A|B>)". Exit status 1 when the board
file is unusable or the firewall could not be loaded.

  --board FILE           the board file
                         (default ${DEFAULT_BOOT_OPTIONS.boardFile})
  --config FILE          the saved config (default ${DEFAULT_BOOT_OPTIONS.configFile})
  --default-config FILE  the board's default config
                         (default ${DEFAULT_BOOT_OPTIONS.defaultConfigFile})
  --cmdline FILE         the kernel command line, for the slot
                         (default ${DEFAULT_BOOT_OPTIONS.cmdlineFile})
  --skip STEP,...        leave steps out (tests): ${SKIPPABLE_STEPS.slice(0, 3).join(', ')},
                         ${SKIPPABLE_STEPS.slice(3).join(', ')}
`;

type FileOption = 'boardFile' | 'configFile' | 'defaultConfigFile' | 'cmdlineFile';

const FILE_FLAGS: Record<string, FileOption> = {
  '--board': 'boardFile',
  '--config': 'configFile',
  '--default-config': 'defaultConfigFile',
  '--cmdline': 'cmdlineFile',
};

function bad(message: string): UserError {
  return new UserError(`boot: ${message} (usage: stockade boot ${BOOT_USAGE})`, EXIT_BAD_INPUT);
}

/** Flags as `--flag VALUE` or `--flag=VALUE`; each at most once. */
export function parseBootArgs(args: readonly string[]): BootOptions {
  const files: Partial<Record<FileOption, string>> = {};
  const skip = new Set<BootStep>();
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (flag !== '--skip' && !Object.hasOwn(FILE_FLAGS, flag)) throw bad(`unexpected argument '${arg}'`);
    if (seen.has(flag)) throw bad(`${flag} given twice`);
    seen.add(flag);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else value = args[++i];
    if (value === undefined || value === '') throw bad(`${flag} needs a value`);
    if (flag === '--skip') {
      for (const name of value.split(',')) {
        if (!(SKIPPABLE_STEPS as readonly string[]).includes(name)) {
          throw bad(`--skip: unknown step '${name}' (steps: ${SKIPPABLE_STEPS.join(', ')})`);
        }
        skip.add(name as BootStep);
      }
    } else {
      files[FILE_FLAGS[flag]!] = value;
    }
  }
  return { ...DEFAULT_BOOT_OPTIONS, ...files, skip, ...(files.boardFile !== undefined ? { boardGiven: true } : {}) };
}

/** Where the image keeps board.json, default-config.json and manifest.json (config/source.ts). */
export { APPLIANCE_SHARE_DIR };

/**
 * Why `stockade boot` must not run here, or undefined. Boot mounts tmpfs over /run and /tmp and
 * loads a DROP firewall into the network namespace it runs in: typed by mistake on a
 * workstation as root, it would cut the machine off. So it runs only where it was meant to: as
 * init's child (sysinit), on an image (which has /usr/share/stockade), or when --board names a
 * board on purpose (the lab tests, inside their own namespaces).
 */
export function refuseReason(o: { ppid: number; boardGiven: boolean; applianceShare: boolean }): string | undefined {
  if (o.ppid === 1 || o.applianceShare || o.boardGiven) return undefined;
  return `boot: this is not a stockade appliance (no ${APPLIANCE_SHARE_DIR}) and init did not start it; it would mount over /run and /tmp and firewall this machine. To run it anyway (in a test namespace), name the board with --board FILE`;
}
