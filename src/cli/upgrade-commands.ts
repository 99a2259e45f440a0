// `stockade upgrade install|status|mark-good`: the box's side of signed upgrades. Install streams
// a bundle (a file, or stdin: `ssh box stockade upgrade install - < bundle`) into the inactive
// slot through src/upgrade's installer, with the slot's partition and GRUB's environment block
// from src/kernel/block-device.ts. `--disk IMAGE` does the same inside a disk image file
// (build host, tests): the slot GRUB boots first there counts as the running one.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { mib, parseOptions, usageError } from './upgrade-args.ts';
import { buildInfo } from './build-info.ts';
import { BOARD_DEFAULT_CONFIG_FILE, BOARD_FILE, SAVED_CONFIG_FILE, firstConfigFile, formatConfigError, loadBoardFile, loadConfigFile, type Config } from '../config/index.ts';
import { slotFromCmdline } from '../boot/index.ts';
import { DiskRegion, KERNEL_CMDLINE_FILE, openPartition, runTool, toolMessage } from '../kernel/index.ts';
import {
  BundleFault, DEFAULT_STATE_DIR, ESP_LABEL, GrubEnvFile, SLOT_LABEL, StreamSource, install, otherSlot, partitionRange, publicKeyFromBase64,
  readGptPartitions, readState, regionSlotWriter, writeState, type InstallProgress, type PublicKey, type SlotName,
} from '../upgrade/index.ts';

const DEFAULTS = {
  config: SAVED_CONFIG_FILE,
  defaultConfig: BOARD_DEFAULT_CONFIG_FILE,
  board: BOARD_FILE,
  cmdline: KERNEL_CMDLINE_FILE,
};

/** Where the slots and GRUB's environment are: this machine's partitions, or a disk image. */
interface Disk {
  region(label: string, writable: boolean): DiskRegion;
  describe(label: string): string;
}

function machineDisk(): Disk {
  return {
    region: (label, writable) => openPartition(label, { writable }),
    describe: (label) => `partition ${label}`,
  };
}

function imageDisk(image: string): Disk {
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
    region: (label, writable) => {
      const p = parts.find((q) => q.name === label);
      if (!p) throw new UserError(`${image}: no partition named ${label}`, EXIT_BAD_INPUT);
      const { offset, size } = partitionRange(p);
      return new DiskRegion(image, offset, size, { writable });
    },
    describe: (label) => `${image} partition ${label}`,
  };
}

function withEnv<T>(disk: Disk, writable: boolean, f: (env: GrubEnvFile) => T): T {
  const esp = disk.region(ESP_LABEL, writable);
  try {
    return f(new GrubEnvFile(esp));
  } finally {
    esp.close();
  }
}

/** The running slot: the kernel command line's, or in a disk image the first one GRUB would try. */
function runningSlot(disk: Disk, image: string | undefined, cmdline: string): SlotName {
  if (image) {
    const first = withEnv(disk, false, (env) => env.read().ORDER?.split(' ')[0]);
    if (first !== 'A' && first !== 'B') throw new UserError(`${image}: GRUB's ORDER does not start with A or B`);
    return first;
  }
  let text: string | undefined;
  try {
    text = readFileSync(cmdline, 'utf8');
  } catch {
    text = undefined;
  }
  const slot = slotFromCmdline(text);
  if (slot === '?') throw new UserError(`cannot tell the running slot: no stockade.slot=A|B in ${cmdline} (not booted from a Stockade disk?)`);
  return slot;
}

/** The config as boot picks it: the saved file, else the board's default when there is none. */
function loadConfig(file: string, defaultFile: string): { config: Config; file: string } {
  const chosen = firstConfigFile([file, defaultFile]);
  if (chosen === undefined) throw new UserError(`no config: neither ${file} nor ${defaultFile} exists, so no key is trusted and upgrades are refused`, EXIT_BAD_INPUT);
  const loaded = loadConfigFile(chosen);
  if (!loaded.ok) throw new UserError(`${formatConfigError(chosen, loaded.errors[0]!)} (the trusted keys come from the config)`, EXIT_BAD_INPUT);
  return { config: loaded.config, file: chosen };
}

function trustedKeys(config: Config, file: string): PublicKey[] {
  return config.upgrade.trusted_keys.map((k, i) => {
    const key = publicKeyFromBase64(k.ed25519_public_key, k.name);
    if (!key.ok) throw new UserError(`${file}: /upgrade/trusted_keys/${i}: ${key.error.message}`, EXIT_BAD_INPUT);
    return key.value;
  });
}

/** A progress line per 10 % (logs, ssh without a terminal); a live line with rate and ETA on a tty. */
function progressPrinter(io: Io, tty: boolean): (p: InstallProgress) => void {
  const started = performance.now();
  let lastTenth = -1;
  let lastDraw = 0;
  return (p) => {
    const now = performance.now();
    const seconds = (now - started) / 1000;
    const rate = p.done / Math.max(seconds, 1e-3);
    const what = p.phase === 'write' ? 'written' : 'read back';
    if (tty) {
      if (now - lastDraw < 200 && p.done < p.total) return;
      lastDraw = now;
      const eta = p.phase === 'write' ? `, ETA ${((p.total - p.done) / Math.max(rate, 1)).toFixed(0)} s` : '';
      io.err(`\r${what} ${mib(p.done)} of ${mib(p.total)} (${Math.floor((p.done / p.total) * 100)} %), ${mib(rate)}/s${eta}   ${p.done === p.total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((p.done / p.total) * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    io.err(`${what} ${tenth * 10} % (${mib(p.done)} of ${mib(p.total)}, ${mib(rate)}/s)\n`);
  };
}

export const upgradeInstallCommand: Command = {
  words: ['upgrade', 'install'],
  usage: 'FILE|- [--no-reboot] [--config FILE] [--disk IMG] ...',
  summary: 'verify a signed bundle, write it to the inactive slot, boot it once; also --board-file, --state',
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseOptions(upgradeInstallCommand, args, {
      'no-reboot': { type: 'boolean' }, config: { type: 'string' }, 'board-file': { type: 'string' }, disk: { type: 'string' },
      state: { type: 'string' }, cmdline: { type: 'string' },
    });
    if (positionals.length !== 1) throw usageError(upgradeInstallCommand, positionals.length === 0 ? 'which bundle? (a file, or - for stdin)' : `unexpected argument '${positionals[1]}'`);
    const file = positionals[0]!;
    const { config, file: configFile } = loadConfig(values.config ?? DEFAULTS.config, DEFAULTS.defaultConfig);
    const trusted = trustedKeys(config, configFile);
    if (trusted.length === 0) throw new UserError(`no trusted keys configured (${configFile}: /upgrade/trusted_keys is empty): upgrades are refused`, EXIT_BAD_INPUT);
    const boardFile = values['board-file'] ?? DEFAULTS.board;
    const board = loadBoardFile(boardFile);
    if (!board.ok) throw new UserError(formatConfigError(boardFile, board.errors[0]!), EXIT_BAD_INPUT);
    const stateDir = values.state ?? DEFAULT_STATE_DIR;
    const state = readState(stateDir);
    const disk = values.disk ? imageDisk(values.disk) : machineDisk();
    const running = runningSlot(disk, values.disk, values.cmdline ?? DEFAULTS.cmdline);
    const target = otherSlot(running);

    if (file !== '-' && !existsSync(file)) throw new UserError(`${file}: no such file`, EXIT_BAD_INPUT);
    const stream = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
    const slotRegion = disk.region(SLOT_LABEL[target], true);
    const esp = disk.region(ESP_LABEL, true);
    try {
      const report = await install({
        source: new StreamSource(stream),
        trusted,
        running: { board: board.board.name, version: buildInfo.version, epochFloor: state.epoch_floor, allowDowngrade: config.upgrade.allow_downgrade },
        runningSlot: running,
        writer: regionSlotWriter(target, slotRegion),
        boot: new GrubEnvFile(esp),
        onProgress: progressPrinter(io, process.stderr.isTTY === true),
        onAccepted: (m, signer) => io.err(`${file}: ${m.compatible} ${m.version} (epoch ${m.security_epoch}, build ${m.build.id}), signed by ${signer.name} (${signer.id}); writing slot ${target} (${disk.describe(SLOT_LABEL[target])}); slot ${running} runs\n`),
      });
      const m = report.manifest;
      writeState(stateDir, {
        ...state,
        slots: {
          ...state.slots,
          [target]: { version: m.version, build: m.build.id, build_date: m.build.date, security_epoch: m.security_epoch, sha256: report.sha256, size: report.bytes, installed_at: new Date().toISOString() },
        },
      });
      io.out(`slot ${target}: ${m.version} installed and read back (sha256 ${report.sha256}); GRUB boots it next, once; once it is up, 'stockade upgrade mark-good' keeps it, else slot ${running} boots again\n`);
    } catch (err) {
      if (err instanceof BundleFault) {
        io.err(`stockade: ${file === '-' ? 'stdin' : file}: ${err.message}\n`);
        io.err(`stockade: nothing was switched: slot ${running} stays the one that boots\n`);
        return EXIT_BAD_INPUT;
      }
      throw err;
    } finally {
      slotRegion.close();
      esp.close();
      // Stop reading: a refused bundle on stdin must not keep the process waiting for its end.
      stream.destroy();
    }
    if (values['no-reboot'] || values.disk) return EXIT_OK;
    io.out('rebooting\n');
    const r = await runTool('reboot', []);
    if (r.code !== 0) throw new UserError(`reboot: ${toolMessage(r, 'reboot')}`, EXIT_FAILURE);
    return EXIT_OK;
  },
};

export const upgradeStatusCommand: Command = {
  words: ['upgrade', 'status'],
  usage: '[--json] [--disk IMAGE] [--state DIR]',
  summary: 'both slots: what each holds, GRUB\'s order, tries and good/bad, the running one, the epoch floor',
  run(args: readonly string[], io: Io): number {
    const { values, positionals } = parseOptions(upgradeStatusCommand, args, {
      json: { type: 'boolean' }, disk: { type: 'string' }, state: { type: 'string' }, cmdline: { type: 'string' },
    });
    if (positionals.length > 0) throw usageError(upgradeStatusCommand, `unexpected argument '${positionals[0]}'`);
    const disk = values.disk ? imageDisk(values.disk) : machineDisk();
    const env = withEnv(disk, false, (e) => e.read());
    const running = runningSlot(disk, values.disk, values.cmdline ?? DEFAULTS.cmdline);
    const state = readState(values.state ?? DEFAULT_STATE_DIR);
    const slots = (['A', 'B'] as const).map((s) => ({
      slot: s,
      running: s === running,
      ok: env[`${s}_OK`] === '1',
      tries: Number(env[`${s}_TRIES`] ?? 'NaN'),
      ...(state.slots[s] ? { installed: state.slots[s] } : {}),
    }));
    if (values.json) {
      io.out(JSON.stringify({ running, order: env.ORDER ?? '', epoch_floor: state.epoch_floor, slots }) + '\n');
      return EXIT_OK;
    }
    io.out(`running slot ${running}; GRUB order ${env.ORDER ?? '(unset)'}; security epoch floor ${state.epoch_floor}\n`);
    for (const s of slots) {
      const i = s.installed;
      const held = i ? `${i.version} (build ${i.build}, epoch ${i.security_epoch}), installed ${i.installed_at}${i.activated_at ? `, marked good ${i.activated_at}` : ''}` : s.running ? `stockade ${buildInfo.version} (running; not installed by an upgrade)` : 'not installed by an upgrade';
      io.out(`slot ${s.slot}${s.running ? ' *' : '  '} ${s.ok ? 'bootable' : 'marked bad'}, ${s.tries} tries left; ${held}\n`);
    }
    return EXIT_OK;
  },
};

export const upgradeMarkGoodCommand: Command = {
  words: ['upgrade', 'mark-good'],
  usage: '[--state DIR]',
  summary: 'the running slot is good: GRUB keeps booting it, and the security-epoch floor rises to its epoch',
  run(args: readonly string[], io: Io): number {
    const { values, positionals } = parseOptions(upgradeMarkGoodCommand, args, { state: { type: 'string' }, cmdline: { type: 'string' } });
    if (positionals.length > 0) throw usageError(upgradeMarkGoodCommand, `unexpected argument '${positionals[0]}'`);
    const disk = machineDisk();
    const running = runningSlot(disk, undefined, values.cmdline ?? DEFAULTS.cmdline);
    const stateDir = values.state ?? DEFAULT_STATE_DIR;
    const state = readState(stateDir);
    const env = withEnv(disk, true, (e) => e.markGood(running));
    const record = state.slots[running];
    const floor = Math.max(state.epoch_floor, record?.security_epoch ?? 0);
    writeState(stateDir, {
      epoch_floor: floor,
      slots: record ? { ...state.slots, [running]: { ...record, activated_at: record.activated_at ?? new Date().toISOString() } } : state.slots,
    });
    io.out(`slot ${running} marked good (GRUB order ${env.ORDER}, ${env[`${running}_TRIES`]} tries); security epoch floor ${floor}\n`);
    return EXIT_OK;
  },
};

export const upgradeCommands: readonly Command[] = [upgradeInstallCommand, upgradeStatusCommand, upgradeMarkGoodCommand];
