// `stockade upgrade install|status|mark-good|rollback` (activate, pair and trial: their own files): the box's side of signed upgrades. Install
// streams a bundle (a file, or stdin: `ssh box stockade upgrade install - < bundle`) into the
// inactive slot through src/upgrade's installer, with the slot's partition and GRUB's environment
// block from src/kernel/block-device.ts (upgrade-disk.ts, upgrade-write.ts). `--disk IMAGE` does the same inside a
// disk image file (build host, tests): the slot GRUB boots first there counts as the running one.
// The trial boot that follows is judged by `upgrade trial` (upgrade-trial.ts).
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { parseOptions, usageError } from './upgrade-args.ts';
import { buildInfo } from './build-info.ts';
import { UPGRADE_DEFAULTS as DEFAULTS, applySlotPlan, diskFor, loadUpgradeConfig as loadConfig, runningSlot, withEnv } from './upgrade-disk.ts';
import { openBundle, rebootNow, trialRefusal, trustedKeys, writeBundle } from './upgrade-write.ts';
import { upgradeTrialCommand } from './upgrade-trial.ts';
import { upgradeActivateCommand } from './upgrade-activate.ts';
import { upgradePairCommand } from './upgrade-pair.ts';
import { upgradePairKeysCommand } from './upgrade-pair-peer.ts';
import { refuseMasterReboot } from './upgrade-master.ts';
import { controlSocketPath } from '../control/index.ts';
import { wrappedText } from '../common/index.ts';
import { BundleFault, DEFAULT_STATE_DIR, markGood, otherSlot, readState, rollback, rollbackRefusal, trialSlot } from '../upgrade/index.ts';

export const upgradeInstallCommand: Command = {
  words: ['upgrade', 'install'],
  usage: 'FILE|-|https://URL [--no-reboot] [--no-switch] [--handover|--force] [--config FILE] [--disk IMG] ...',
  summary: 'verify a signed bundle, write it to the inactive slot, boot it once (--no-switch: only write it; upgrade activate boots it); also --board-file, --state',
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseOptions(upgradeInstallCommand, args, {
      'no-reboot': { type: 'boolean' }, 'no-switch': { type: 'boolean' }, config: { type: 'string' }, 'board-file': { type: 'string' }, disk: { type: 'string' },
      state: { type: 'string' }, cmdline: { type: 'string' }, handover: { type: 'boolean' }, force: { type: 'boolean' }, socket: { type: 'string' },
    });
    if (positionals.length !== 1) throw usageError(upgradeInstallCommand, positionals.length === 0 ? 'which bundle? (a file, or - for stdin)' : `unexpected argument '${positionals[1]}'`);
    const file = positionals[0]!;
    const noSwitch = values['no-switch'] === true;
    const { config, file: configFile } = loadConfig(values.config ?? DEFAULTS.config, DEFAULTS.defaultConfig);
    if (trustedKeys(config, configFile).length === 0) throw new UserError(`no trusted keys configured (${configFile}: /upgrade/trusted_keys is empty): upgrades are refused`, EXIT_BAD_INPUT);
    const disk = diskFor(values.disk);
    const running = runningSlot(disk, values.cmdline ?? DEFAULTS.cmdline);
    const target = otherSlot(running);
    const onTrial = trialRefusal(disk, running);
    if (onTrial) throw new UserError(onTrial, EXIT_BAD_INPUT);

    // The daemon of this box (a disk image has none, unless a socket is named). Without the
    // switch nothing reboots: no failover to refuse.
    if (!noSwitch && (values.socket !== undefined || values.disk === undefined)) {
      await refuseMasterReboot(controlSocketPath(values.socket), { handover: values.handover === true, force: values.force === true }, 'upgrade install', io);
    }
    const bundle = await openBundle(file, config);
    try {
      const report = await writeBundle({
        file, body: bundle.body, config, configFile, boardFile: values['board-file'] ?? DEFAULTS.board, stateDir: values.state ?? DEFAULT_STATE_DIR,
        disk, running, switch: !noSwitch, tty: process.stderr.isTTY === true,
      }, io);
      const m = report.manifest;
      if (noSwitch) {
        io.out(wrappedText(`slot ${target}: ${m.version} installed and read back (sha256 ${report.sha256}); not switched (--no-switch): \`stockade upgrade activate\` boots it on trial; until then slot ${running} boots`));
        return EXIT_OK;
      }
      io.out(wrappedText(`slot ${target}: ${m.version} installed and read back (sha256 ${report.sha256}); GRUB boots it next, once, on trial: it is kept when its health holds within ${config.upgrade.confirm_timeout_s} s, else slot ${running} boots again`));
    } catch (err) {
      if (err instanceof BundleFault) {
        io.err(`stockade: ${file === '-' ? 'stdin' : file}: ${err.message}\n`);
        io.err(`stockade: nothing was switched: slot ${running} stays the one that boots\n`);
        return EXIT_BAD_INPUT;
      }
      throw err;
    } finally {
      // Stop reading: a refused bundle on stdin must not keep the process waiting for its end.
      bundle.close();
    }
    if (values['no-reboot'] || values.disk) return EXIT_OK;
    return rebootNow(io);
  },
};

function slotCondition(env: Record<string, string>, slot: 'A' | 'B'): 'good' | 'trial' | 'bad' {
  if (env[`${slot}_OK`] !== '1') return 'bad';
  if (trialSlot(env) === slot) return 'trial';
  return 'good';
}

export const upgradeStatusCommand: Command = {
  words: ['upgrade', 'status'],
  usage: '[--json] [--disk IMAGE] [--state DIR]',
  summary: 'both slots: what each holds (version, build, installed, marked good), good/bad/on trial, GRUB\'s order and tries, the last failed trial, the epoch floor',
  run(args: readonly string[], io: Io): number {
    const { values, positionals } = parseOptions(upgradeStatusCommand, args, {
      json: { type: 'boolean' }, disk: { type: 'string' }, state: { type: 'string' }, cmdline: { type: 'string' },
    });
    if (positionals.length > 0) throw usageError(upgradeStatusCommand, `unexpected argument '${positionals[0]}'`);
    const disk = diskFor(values.disk);
    const env = withEnv(disk, false, (e) => e.read());
    const running = runningSlot(disk, values.cmdline ?? DEFAULTS.cmdline);
    const state = readState(values.state ?? DEFAULT_STATE_DIR);
    const slots = (['A', 'B'] as const).map((s) => ({
      slot: s,
      running: s === running,
      ok: env[`${s}_OK`] === '1',
      tries: Number(env[`${s}_TRIES`] ?? 'NaN'),
      condition: slotCondition(env, s),
      ...(state.slots[s] ? { installed: state.slots[s] } : {}),
    }));
    const trial = trialSlot(env) ?? null;
    if (values.json) {
      io.out(JSON.stringify({ running, order: env.ORDER ?? '', trial, epoch_floor: state.epoch_floor, slots, last_failure: state.last_failure ?? null }) + '\n');
      return EXIT_OK;
    }
    io.out(wrappedText(`running slot ${running}; GRUB order ${env.ORDER ?? '(unset)'}; security epoch floor ${state.epoch_floor}`));
    for (const s of slots) {
      const i = s.installed;
      const what = s.condition === 'trial' ? (s.running ? 'on its trial boot (kept once its health holds)' : 'installed, boots next on trial') : s.condition === 'bad' ? 'bad (not booted)' : 'good';
      const held = i
        ? `${i.version} (build ${i.build}, epoch ${i.security_epoch}), installed ${i.installed_at}${i.activated_at ? `, marked good ${i.activated_at}` : ''}${i.failed_at ? `, failed ${i.failed_at}: ${i.failure}` : ''}`
        : s.running ? `stockade ${buildInfo.version} (running; not installed by an upgrade)` : 'not installed by an upgrade';
      io.out(wrappedText(`slot ${s.slot}${s.running ? ' *' : '  '} ${what}, ${s.tries} tries left; ${held}`));
    }
    const f = state.last_failure;
    if (f) io.out(wrappedText(`last failed trial: slot ${f.slot}${f.version ? ` (${f.version})` : ''} at ${f.at}: ${f.reason}`));
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
    const disk = diskFor(undefined);
    const running = runningSlot(disk, values.cmdline ?? DEFAULTS.cmdline);
    const stateDir = values.state ?? DEFAULT_STATE_DIR;
    const { after } = applySlotPlan(disk, stateDir, (env, state) => markGood(env, running, state, new Date().toISOString()));
    io.out(wrappedText(`slot ${running} marked good (GRUB order ${after.ORDER}, ${after[`${running}_TRIES`]} tries); security epoch floor ${readState(stateDir).epoch_floor}`));
    return EXIT_OK;
  },
};

export const upgradeRollbackCommand: Command = {
  words: ['upgrade', 'rollback'],
  usage: '[--no-reboot] [--state DIR]',
  summary: 'boot the other slot from now on, if it is good (a running slot on its trial is given up), and reboot',
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseOptions(upgradeRollbackCommand, args, { 'no-reboot': { type: 'boolean' }, state: { type: 'string' }, cmdline: { type: 'string' } });
    if (positionals.length > 0) throw usageError(upgradeRollbackCommand, `unexpected argument '${positionals[0]}'`);
    const disk = diskFor(undefined);
    const running = runningSlot(disk, values.cmdline ?? DEFAULTS.cmdline);
    const { plan } = applySlotPlan(disk, values.state ?? DEFAULT_STATE_DIR, (env, state) => {
      const refused = rollbackRefusal(env, running, state);
      if (refused) throw new UserError(`upgrade rollback: ${refused}; slot ${running} stays`, EXIT_BAD_INPUT);
      return rollback(env, running, state, new Date().toISOString());
    });
    for (const n of plan.notes) io.out(wrappedText(`${n}`));
    if (values['no-reboot']) return EXIT_OK;
    return rebootNow(io);
  },
};

export const upgradeCommands: readonly Command[] = [upgradeInstallCommand, upgradeActivateCommand, upgradeStatusCommand, upgradeMarkGoodCommand, upgradeRollbackCommand, upgradeTrialCommand, upgradePairCommand, upgradePairKeysCommand];
