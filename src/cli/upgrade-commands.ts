// `stockade upgrade install|status|mark-good|rollback`: the box's side of signed upgrades. Install
// streams a bundle (a file, or stdin: `ssh box stockade upgrade install - < bundle`) into the
// inactive slot through src/upgrade's installer, with the slot's partition and GRUB's environment
// block from src/kernel/block-device.ts (upgrade-disk.ts). `--disk IMAGE` does the same inside a
// disk image file (build host, tests): the slot GRUB boots first there counts as the running one.
// The trial boot that follows is judged by `upgrade trial` (upgrade-trial.ts).
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { mib, parseOptions, usageError } from './upgrade-args.ts';
import { buildInfo } from './build-info.ts';
import { UPGRADE_DEFAULTS as DEFAULTS, applySlotPlan, diskFor, loadUpgradeConfig as loadConfig, runningSlot, withEnv } from './upgrade-disk.ts';
import { formatConfigError, loadBoardFile, type Config } from '../config/index.ts';
import { httpsGet, runTool, toolMessage } from '../kernel/index.ts';
import { upgradeTrialCommand } from './upgrade-trial.ts';
import { masterRefusal, vrrpMasters } from './upgrade-master.ts';
import { controlSocketPath } from '../control/index.ts';
import {
  BundleFault, DEFAULT_STATE_DIR, ESP_LABEL, GrubEnvFile, SLOT_LABEL, StreamSource, install, markGood, otherSlot, publicKeyFromBase64,
  readState, regionSlotWriter, rollback, rollbackRefusal, trialSlot, writeState, type InstallProgress, type PublicKey,
} from '../upgrade/index.ts';

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

const isUrl = (file: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(file);

/** The bundle's bytes: a file, stdin (-) or an https URL (fetched as it is written, never staged). */
async function openBundle(file: string, config: Config): Promise<{ body: AsyncIterable<Uint8Array | string>; close: () => void }> {
  if (!isUrl(file)) {
    if (file !== '-' && !existsSync(file)) throw new UserError(`${file}: no such file`, EXIT_BAD_INPUT);
    const stream = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
    return { body: stream, close: () => stream.destroy() };
  }
  const caFile = config.upgrade.ca_file;
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new UserError(`upgrade.ca_file ${caFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, EXIT_BAD_INPUT);
    }
  }
  try {
    return await httpsGet(file, { ...(ca !== undefined ? { ca } : {}) });
  } catch (err) {
    throw new UserError(`${file}: ${(err as Error).message}; nothing was written`, EXIT_BAD_INPUT);
  }
}

/** A read that fails half-way (a cut connection, a disk error) is a fault of the bundle's input. */
async function* faultsNamed(stream: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array | string> {
  try {
    yield* stream;
  } catch (err) {
    throw new BundleFault({ message: (err as Error).message });
  }
}

export const upgradeInstallCommand: Command = {
  words: ['upgrade', 'install'],
  usage: 'FILE|-|https://URL [--no-reboot] [--handover|--force] [--config FILE] [--disk IMG] ...',
  summary: 'verify a signed bundle, write it to the inactive slot, boot it once; also --board-file, --state',
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseOptions(upgradeInstallCommand, args, {
      'no-reboot': { type: 'boolean' }, config: { type: 'string' }, 'board-file': { type: 'string' }, disk: { type: 'string' },
      state: { type: 'string' }, cmdline: { type: 'string' }, handover: { type: 'boolean' }, force: { type: 'boolean' }, socket: { type: 'string' },
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
    const disk = diskFor(values.disk);
    const running = runningSlot(disk, values.cmdline ?? DEFAULTS.cmdline);
    const target = otherSlot(running);
    // The other slot is the last good one while this one is on trial: it must not be overwritten.
    if (trialSlot(withEnv(disk, false, (e) => e.read())) === running) {
      throw new UserError(`slot ${running} runs on its trial boot and is not marked good yet; installing would overwrite slot ${target}, the last good one. Wait for the trial's verdict (stockade upgrade status) or mark it good first`, EXIT_BAD_INPUT);
    }

    // The daemon of this box (a disk image has none, unless a socket is named).
    if (values.socket !== undefined || values.disk === undefined) {
      const masters = await vrrpMasters(controlSocketPath(values.socket));
      const refused = masterRefusal(masters, { handover: values.handover === true, force: values.force === true });
      if (refused) throw new UserError(`upgrade install: ${refused}; nothing was written`, EXIT_BAD_INPUT);
      if (masters.masters.length > 0) io.err(`MASTER of ${masters.masters.join(', ')}: ${values.force ? 'rebooting anyway (--force)' : 'handed over to the peer as the box reboots (--handover)'}\n`);
    }
    const bundle = await openBundle(file, config);
    const slotRegion = disk.region(SLOT_LABEL[target], true);
    const esp = disk.region(ESP_LABEL, true);
    try {
      const report = await install({
        source: new StreamSource(faultsNamed(bundle.body)),
        trusted,
        running: { board: board.board.name, version: buildInfo.version, epochFloor: state.epoch_floor, allowDowngrade: config.upgrade.allow_downgrade },
        runningSlot: running,
        writer: regionSlotWriter(target, slotRegion),
        boot: new GrubEnvFile(esp),
        onProgress: progressPrinter(io, process.stderr.isTTY === true),
        // Recorded before the switch: GRUB never boots a slot the state does not describe.
        beforeSwitch: (r) => writeState(stateDir, {
          ...state,
          slots: {
            ...state.slots,
            [target]: { version: r.manifest.version, build: r.manifest.build.id, build_date: r.manifest.build.date, security_epoch: r.manifest.security_epoch, sha256: r.sha256, size: r.bytes, installed_at: new Date().toISOString() },
          },
        }),
        onAccepted: (m, signer) => io.err(`${file}: ${m.compatible} ${m.version} (epoch ${m.security_epoch}, build ${m.build.id}), signed by ${signer.name} (${signer.id}); writing slot ${target} (${disk.describe(SLOT_LABEL[target])}); slot ${running} runs\n`),
      });
      const m = report.manifest;
      io.out(`slot ${target}: ${m.version} installed and read back (sha256 ${report.sha256}); GRUB boots it next, once, on trial: it is kept when its health holds within ${config.upgrade.confirm_timeout_s} s, else slot ${running} boots again\n`);
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
      bundle.close();
    }
    if (values['no-reboot'] || values.disk) return EXIT_OK;
    io.out('rebooting\n');
    const r = await runTool('reboot', []);
    if (r.code !== 0) throw new UserError(`reboot: ${toolMessage(r, 'reboot')}`, EXIT_FAILURE);
    return EXIT_OK;
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
    io.out(`running slot ${running}; GRUB order ${env.ORDER ?? '(unset)'}; security epoch floor ${state.epoch_floor}\n`);
    for (const s of slots) {
      const i = s.installed;
      const what = s.condition === 'trial' ? (s.running ? 'on its trial boot (kept once its health holds)' : 'installed, boots next on trial') : s.condition === 'bad' ? 'bad (not booted)' : 'good';
      const held = i
        ? `${i.version} (build ${i.build}, epoch ${i.security_epoch}), installed ${i.installed_at}${i.activated_at ? `, marked good ${i.activated_at}` : ''}${i.failed_at ? `, failed ${i.failed_at}: ${i.failure}` : ''}`
        : s.running ? `stockade ${buildInfo.version} (running; not installed by an upgrade)` : 'not installed by an upgrade';
      io.out(`slot ${s.slot}${s.running ? ' *' : '  '} ${what}, ${s.tries} tries left; ${held}\n`);
    }
    const f = state.last_failure;
    if (f) io.out(`last failed trial: slot ${f.slot}${f.version ? ` (${f.version})` : ''} at ${f.at}: ${f.reason}\n`);
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
    io.out(`slot ${running} marked good (GRUB order ${after.ORDER}, ${after[`${running}_TRIES`]} tries); security epoch floor ${readState(stateDir).epoch_floor}\n`);
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
    for (const n of plan.notes) io.out(`${n}\n`);
    if (values['no-reboot']) return EXIT_OK;
    io.out('rebooting\n');
    const r = await runTool('reboot', []);
    if (r.code !== 0) throw new UserError(`reboot: ${toolMessage(r, 'reboot')}`, EXIT_FAILURE);
    return EXIT_OK;
  },
};

export const upgradeCommands: readonly Command[] = [upgradeInstallCommand, upgradeStatusCommand, upgradeMarkGoodCommand, upgradeRollbackCommand, upgradeTrialCommand];
