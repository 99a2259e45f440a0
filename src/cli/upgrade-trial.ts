// The box's half of the trial boot (issue 16 item 3), around src/upgrade's pure core:
//   - `settleUpgradeAtBoot`, called by `stockade boot` when it is done: records boot's result for
//     the trial, and settles the slots (a failed trial of the other slot recorded, a good slot's
//     tries given back: lifecycle.ts settleAtBoot);
//   - `stockade upgrade trial`, which init starts once after boot (inittab): on a slot on its trial
//     it asks the daemon for its health every second and lets TrialJudge decide: mark the slot
//     good, or record why not and reboot (GRUB then boots the old slot). Anywhere else it exits.
// A fault in the watcher is a failed trial: a slot that cannot be judged is not kept.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EXIT_FAILURE, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { parseOptions, usageError } from './upgrade-args.ts';
import { UPGRADE_DEFAULTS, applySlotPlan, cmdlineSlot, machineDisk, withEnv } from './upgrade-disk.ts';
import { loadConfigFile, type Config } from '../config/index.ts';
import { controlRequest, controlSocketPath } from '../control/index.ts';
import { runTool, toolMessage } from '../kernel/index.ts';
import {
  CHECK_NAMES, DEFAULT_STATE_DIR, ESP_LABEL, GrubEnvFile, HEALTH_HOLD_MS, TrialJudge, applyPlan, failTrial, healthChecks, markGood, readState,
  settleAtBoot, trialSlot, type Answer, type CheckName, type HealthObservation, type SlotName,
} from '../upgrade/index.ts';

/** `stockade boot`'s exit status this boot (tmpfs: gone at reboot, as it should be). */
export const BOOT_RESULT_FILE = '/run/stockade/boot-result.json';
/** The test hook's file in a build (read only with STOCKADE_TEST_HOOKS=1): `{"upgrade_health_fail": "vrrp"}`. */
export const TEST_HOOKS_FILE = '/usr/share/stockade/test-hooks.json';
const POLL_MS = 1000;
const SCHEMA_TIMEOUT_S = 600;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** After `stockade boot` on the appliance: never fails boot, says what it did. */
export function settleUpgradeAtBoot(bootExit: number, io: Io, files = { result: BOOT_RESULT_FILE, cmdline: UPGRADE_DEFAULTS.cmdline, state: DEFAULT_STATE_DIR }): void {
  try {
    mkdirSync(dirname(files.result), { recursive: true });
    writeFileSync(files.result, JSON.stringify({ exit: bootExit, at: new Date().toISOString() }) + '\n');
  } catch (err) {
    io.out(`stockade: upgrade: cannot record boot's result (${message(err)}): a trial boot will not be kept\n`);
  }
  const running = cmdlineSlot(files.cmdline);
  if (running === undefined) return;
  try {
    const esp = machineDisk().region(ESP_LABEL, true);
    try {
      const env = new GrubEnvFile(esp);
      const plan = settleAtBoot(env.read(), running, readState(files.state), new Date().toISOString());
      applyPlan(plan, env, files.state);
      for (const n of plan.notes) io.out(`stockade: upgrade: ${n}\n`);
    } finally {
      esp.close();
    }
  } catch (err) {
    io.out(`stockade: upgrade: cannot settle the slots: ${message(err)}\n`);
  }
}

function readBootExit(file: string): number | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { exit?: unknown };
    return typeof v.exit === 'number' ? v.exit : undefined;
  } catch {
    return undefined;
  }
}

/** The saved config, else the board's default: what the daemon runs. */
function trialConfig(saved: string, fallback: string): Config | undefined {
  for (const f of [saved, fallback]) {
    if (!existsSync(f)) continue;
    const r = loadConfigFile(f);
    if (r.ok) return r.config;
  }
  return undefined;
}

function testHook(io: Io): CheckName | undefined {
  if (process.env['STOCKADE_TEST_HOOKS'] !== '1' || !existsSync(TEST_HOOKS_FILE)) return undefined;
  const v = (JSON.parse(readFileSync(TEST_HOOKS_FILE, 'utf8')) as { upgrade_health_fail?: unknown }).upgrade_health_fail;
  if (!(CHECK_NAMES as readonly unknown[]).includes(v)) throw new Error(`${TEST_HOOKS_FILE}: upgrade_health_fail must be one of ${CHECK_NAMES.join(', ')}`);
  io.out(`test hook (STOCKADE_TEST_HOOKS, ${TEST_HOOKS_FILE}): the ${String(v)} check fails; never in production\n`);
  return v as CheckName;
}

async function ask<T>(socket: string, method: string): Promise<Answer<T>> {
  try {
    return { ok: true, value: (await controlRequest(socket, method, undefined, 3000)) as T };
  } catch (err) {
    return { ok: false, error: message(err) };
  }
}

async function observe(socket: string, config: Config | undefined, savedConfig: boolean, bootResult: string, failCheck: CheckName | undefined): Promise<HealthObservation> {
  return {
    bootExit: readBootExit(bootResult),
    savedConfig,
    expect: { vrrp: (config?.vrrp?.instances.length ?? 0) > 0, sync: config?.sync?.enabled === true },
    daemon: await ask(socket, 'daemon.status'),
    firewall: await ask(socket, 'firewall.status'),
    vrrp: await ask(socket, 'vrrp.status'),
    sync: await ask(socket, 'sync.status'),
    ...(failCheck ? { failCheck } : {}),
  };
}

function stamp(line: string): string {
  return `${new Date().toISOString()} ${line}\n`;
}

export const upgradeTrialCommand: Command = {
  words: ['upgrade', 'trial'],
  usage: '[--state DIR]',
  summary: 'init runs it after boot: on a slot on its trial boot, mark it good once its health holds, else reboot into the old slot',
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseOptions(upgradeTrialCommand, args, {
      state: { type: 'string' }, cmdline: { type: 'string' }, socket: { type: 'string' }, 'no-reboot': { type: 'boolean' },
    });
    if (positionals.length > 0) throw usageError(upgradeTrialCommand, `unexpected argument '${positionals[0]}'`);
    const stateDir = values.state ?? DEFAULT_STATE_DIR;
    const running: SlotName | undefined = cmdlineSlot(values.cmdline ?? UPGRADE_DEFAULTS.cmdline);
    if (running === undefined) {
      io.out(stamp('upgrade trial: not booted from a Stockade disk (no stockade.slot=): nothing to judge'));
      return EXIT_OK;
    }
    const disk = machineDisk();
    if (trialSlot(withEnv(disk, false, (e) => e.read())) !== running) {
      io.out(stamp(`upgrade trial: slot ${running} is not on its trial boot: nothing to judge`));
      return EXIT_OK;
    }
    const startMs = performance.now();
    let verdictReason: string;
    try {
      const config = trialConfig(UPGRADE_DEFAULTS.config, UPGRADE_DEFAULTS.defaultConfig);
      const timeoutS = config?.upgrade.confirm_timeout_s ?? SCHEMA_TIMEOUT_S;
      const failCheck = testHook(io);
      const socket = controlSocketPath(values.socket);
      const savedConfig = existsSync(UPGRADE_DEFAULTS.config);
      const judge = new TrialJudge({ startMs, timeoutMs: timeoutS * 1000, holdMs: HEALTH_HOLD_MS });
      io.out(stamp(`upgrade trial: slot ${running} on its trial boot; kept once its health holds ${HEALTH_HOLD_MS / 1000} s, within ${timeoutS} s`));
      let last = '';
      for (;;) {
        const checks = healthChecks(await observe(socket, config, savedConfig, BOOT_RESULT_FILE, failCheck));
        const verdict = judge.judge(checks, performance.now());
        if (verdict.action === 'mark-good') {
          const { plan } = applySlotPlan(disk, stateDir, (env, state) => markGood(env, running, state, new Date().toISOString()));
          for (const n of plan.notes) io.out(stamp(`upgrade trial: ${n} (${verdict.summary})`));
          return EXIT_OK;
        }
        if (verdict.action === 'reboot') {
          verdictReason = verdict.reason;
          break;
        }
        const now = verdict.pending.join('; ');
        if (now !== last) io.out(stamp(`upgrade trial: waiting: ${now}`));
        last = now;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (err) {
      verdictReason = `the trial could not be judged: ${message(err)}`;
    }
    // Recorded if it can be; the reboot happens either way (the trial's one try is used: GRUB
    // boots the old slot, which records a failure of its own if this one's is missing).
    try {
      const { plan } = applySlotPlan(disk, stateDir, (_env, state) => failTrial(running, state, verdictReason, new Date().toISOString()));
      for (const n of plan.notes) io.out(stamp(`upgrade trial: ${n}`));
    } catch (err) {
      io.out(stamp(`upgrade trial: slot ${running} failed its trial (${verdictReason}); recording it failed: ${message(err)}; rebooting`));
    }
    if (values['no-reboot']) return EXIT_FAILURE;
    const r = await runTool('reboot', []);
    if (r.code !== 0) throw new UserError(`reboot: ${toolMessage(r, 'reboot')}`, EXIT_FAILURE);
    return EXIT_OK;
  },
};
